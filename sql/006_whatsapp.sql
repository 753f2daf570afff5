-- WhatsApp through Twilio: inbound messages once per MessageSid, each reply part with its SID
-- and status, opt-outs and the time of a customer's last message (WhatsApp's 24-hour window).

-- Twilio's message states join ours; 'read' and 'undelivered' are WhatsApp's.
ALTER TABLE messages DROP CONSTRAINT messages_delivery_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_delivery_status_check CHECK (delivery_status IN (
    'received', 'pending', 'queued', 'sent', 'delivered', 'read', 'failed', 'undelivered'));
-- Why a reply was not delivered (a Twilio error code, or 'opted_out'), and what came with a
-- customer's message that we keep only as metadata (media type and URL).
ALTER TABLE messages ADD COLUMN delivery_error text;
ALTER TABLE messages ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]'::jsonb;

-- One row per inbound MessageSid, written in the transaction that records the message: a
-- retried webhook finds it and records nothing twice. message_id is NULL for keywords (STOP…).
CREATE TABLE whatsapp_inbound (
    message_sid  text PRIMARY KEY,
    message_id   uuid REFERENCES messages(id) ON DELETE SET NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- Per WhatsApp number (E.164): when the customer last wrote, and whether they opted out.
CREATE TABLE whatsapp_contacts (
    phone            text PRIMARY KEY,
    last_inbound_at  timestamptz,
    opted_out_at     timestamptz
);

-- The parts of an outbound reply, each recorded before it is sent ('sending') and given its SID
-- once Twilio accepted it; status callbacks move it forward, never back.
CREATE TABLE whatsapp_parts (
    message_id    uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    part          integer NOT NULL,
    body          text NOT NULL,
    content_sid   text,
    sid           text UNIQUE,
    status        text NOT NULL DEFAULT 'sending' CHECK (status IN (
                      'sending', 'queued', 'sent', 'delivered', 'read', 'failed', 'undelivered')),
    error_code    integer,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, part)
);
