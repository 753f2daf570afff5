-- The email channel. Gmail tells us *that* a mailbox changed (a history id); what we have read
-- of it is kept here, advanced in the transaction that records what was found.
CREATE TABLE gmail_mailboxes (
    address           text PRIMARY KEY,
    history_id        bigint,
    watch_expires_at  timestamptz,
    watched_at        timestamptz,
    synced_at         timestamptz
);

-- Every Gmail message the channel has seen, once: received mail (answered or skipped, with
-- why) and the replies it sent. A Gmail id recorded here is never fetched or answered again.
CREATE TABLE email_messages (
    gmail_id        text PRIMARY KEY,
    thread_id       text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    rfc_message_id  text NOT NULL DEFAULT '',
    "references"    text NOT NULL DEFAULT '',
    subject         text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',  -- the customer's: sender inbound, recipient outbound
    message_id      uuid REFERENCES messages(id) ON DELETE SET NULL,
    ticket_id       uuid REFERENCES tickets(id) ON DELETE SET NULL,
    skipped         text,  -- why it is never answered (own mail, auto-reply, bounce…), or NULL
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX email_messages_thread ON email_messages (thread_id, created_at);
CREATE UNIQUE INDEX email_messages_message ON email_messages (message_id)
    WHERE message_id IS NOT NULL;

-- When a sender first started sending an outbound message. A sender that finds it set may
-- have sent it already (and crashed before recording it): it looks before it sends again.
ALTER TABLE messages ADD COLUMN send_started_at timestamptz;
