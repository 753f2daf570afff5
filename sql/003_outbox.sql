-- Postgres is the record, Kafka the transport: every event a function emits is written here in
-- the transaction of the effect it announces, then published; the outbox relay publishes what
-- is left and re-publishes, with the same id, what nobody handled in time.
CREATE TABLE outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       text NOT NULL UNIQUE,
    topic          text NOT NULL,
    attributes     jsonb NOT NULL,
    data           jsonb NOT NULL,
    -- the claim (processed_events.consumer) that marks the event handled; NULL: nothing waits
    awaits         text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    publish_count  integer NOT NULL DEFAULT 0,
    settled_at     timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;
CREATE INDEX outbox_unsettled ON outbox (published_at)
    WHERE awaits IS NOT NULL AND settled_at IS NULL;

-- Who took a claim: the consumer itself, or the dead-letter function on its behalf.
ALTER TABLE processed_events ADD COLUMN claimed_by text;

-- An answer points at the customer message it answers.
ALTER TABLE messages ADD COLUMN in_reply_to uuid REFERENCES messages(id) ON DELETE SET NULL;
CREATE INDEX messages_in_reply_to ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;

-- Idempotency-Key of the intake endpoints: the same key and body get the same receipt.
CREATE TABLE idempotency_keys (
    scope         text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    response      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

ALTER TABLE dead_letters ADD COLUMN replay_count integer NOT NULL DEFAULT 0;
