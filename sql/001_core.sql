-- Customers and the identifiers (email, phone) every channel resolves to.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE customers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_identifiers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('email', 'phone')),
    value        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, value)
);
CREATE INDEX customer_identifiers_customer ON customer_identifiers (customer_id);

CREATE TABLE conversations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id      uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('web_form', 'email', 'whatsapp')),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    started_at       timestamptz NOT NULL DEFAULT now(),
    last_message_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_customer ON conversations (customer_id, last_message_at DESC);

-- Ticket numbers TKT-0001… come from this sequence, through the trigger below.
CREATE SEQUENCE ticket_number_seq;

CREATE TABLE tickets (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_number      text NOT NULL UNIQUE,
    customer_id        uuid REFERENCES customers(id) ON DELETE CASCADE,
    conversation_id    uuid REFERENCES conversations(id) ON DELETE SET NULL,
    channel            text NOT NULL CHECK (channel IN ('web_form', 'email', 'whatsapp')),
    subject            text,
    category           text,
    priority           text NOT NULL DEFAULT 'medium',
    status             text NOT NULL DEFAULT 'received'
                       CHECK (status IN ('received', 'open', 'answered', 'escalated', 'resolved', 'failed')),
    escalation_reason  text,
    access_token_hash  text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_customer ON tickets (customer_id, created_at DESC);

CREATE FUNCTION assign_ticket_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF NEW.ticket_number IS NULL THEN
        n := nextval('ticket_number_seq');
        NEW.ticket_number := 'TKT-' || lpad(n::text, greatest(4, length(n::text)), '0');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER tickets_assign_number BEFORE INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION assign_ticket_number();

CREATE TABLE messages (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id     uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    ticket_id           uuid REFERENCES tickets(id) ON DELETE SET NULL,
    channel             text NOT NULL,
    direction           text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    role                text NOT NULL CHECK (role IN ('customer', 'agent', 'system')),
    content             text NOT NULL,
    event_id            text,
    channel_message_id  text,
    delivery_status     text NOT NULL DEFAULT 'received'
                        CHECK (delivery_status IN ('received', 'pending', 'sent', 'delivered', 'failed')),
    -- clock_timestamp(): messages written in one transaction still get their own order.
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at        timestamptz
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_ticket ON messages (ticket_id, created_at);
CREATE UNIQUE INDEX messages_event ON messages (event_id, direction) WHERE event_id IS NOT NULL;

-- Passages of the company's knowledge base, searched by vector and full text.
CREATE TABLE knowledge_base (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source        text NOT NULL,
    title         text NOT NULL,
    content       text NOT NULL,
    content_hash  text NOT NULL UNIQUE,
    embedding     vector(384),
    search_text   tsvector GENERATED ALWAYS AS
                  (to_tsvector('english', title || ' ' || content)) STORED,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_base_embedding ON knowledge_base USING hnsw (embedding vector_cosine_ops);
CREATE INDEX knowledge_base_search_text ON knowledge_base USING gin (search_text);

CREATE TABLE channel_configs (
    channel              text PRIMARY KEY CHECK (channel IN ('web_form', 'email', 'whatsapp')),
    enabled              boolean NOT NULL DEFAULT true,
    max_response_length  integer NOT NULL,
    config               jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_metrics (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id           text NOT NULL,
    ticket_id          uuid REFERENCES tickets(id) ON DELETE SET NULL,
    channel            text NOT NULL,
    model              text NOT NULL,
    latency_ms         double precision NOT NULL,
    tools_called       text[] NOT NULL DEFAULT '{}',
    escalated          boolean NOT NULL DEFAULT false,
    escalation_reason  text,
    sentiment          double precision,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_metrics_created ON agent_metrics (created_at);

-- Reliability: one row per (consumer, CloudEvent id) written with the effect it guards.
CREATE TABLE processed_events (
    consumer      text NOT NULL,
    event_id      text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE dead_letters (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,
    event_type      text NOT NULL,
    event_source    text NOT NULL,
    error_dest      text,
    error_code      integer,
    error_data      text,
    attributes      jsonb NOT NULL,
    data            jsonb,
    ticket_number   text,
    apology_sent    boolean NOT NULL DEFAULT false,
    replayed_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
