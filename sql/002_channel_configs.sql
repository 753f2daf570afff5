-- Seed: one configuration row per channel.
INSERT INTO channel_configs (channel, max_response_length, config) VALUES
    ('web_form', 2000, '{"style": "plain"}'),
    ('email',    4000, '{"style": "email", "signature": "— The Northwind Cloud support team"}'),
    ('whatsapp', 1600, '{"style": "short", "split_at": 1600}')
ON CONFLICT (channel) DO NOTHING;
