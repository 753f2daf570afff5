-- Support staff: accounts, sessions, and what they do with the tickets the agent hands over.
CREATE TABLE staff (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email            text NOT NULL UNIQUE,
    name             text NOT NULL,
    role             text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin')),
    password_hash    text NOT NULL,
    failed_sign_ins  integer NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- A session is known by the hash of its cookie; its CSRF token is sent back on every change.
CREATE TABLE staff_sessions (
    token_hash   text PRIMARY KEY,
    staff_id     uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);

-- Notes on a ticket the customer never sees; a private one only its author does.
CREATE TABLE ticket_notes (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id   uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    staff_id    uuid NOT NULL REFERENCES staff(id),
    body        text NOT NULL,
    private     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, created_at);

-- Every staff action: who, when, what.
CREATE TABLE staff_actions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    uuid NOT NULL REFERENCES staff(id),
    ticket_id   uuid REFERENCES tickets(id) ON DELETE CASCADE,
    action      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX staff_actions_ticket ON staff_actions (ticket_id, created_at);

ALTER TABLE tickets ADD COLUMN assigned_to uuid REFERENCES staff(id) ON DELETE SET NULL;
ALTER TABLE tickets ADD COLUMN first_response_at timestamptz;
ALTER TABLE tickets ADD COLUMN resolved_at timestamptz;
-- When the ticket went to a person: what the customer writes after that waits for them.
ALTER TABLE tickets ADD COLUMN escalated_at timestamptz;

-- A person's answer: role 'staff', with its author.
ALTER TABLE messages DROP CONSTRAINT messages_role_check;
ALTER TABLE messages ADD CONSTRAINT messages_role_check
    CHECK (role IN ('customer', 'agent', 'staff', 'system'));
ALTER TABLE messages ADD COLUMN author_staff_id uuid REFERENCES staff(id) ON DELETE SET NULL;
