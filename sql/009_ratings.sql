-- Ratings: once a ticket is resolved the customer may rate it 1 to 5 on their channel.

-- That we asked, once per ticket and channel: resolving again (after a reopen) or a redelivered
-- request asks no second time. ``event_id`` is the reply.ready that carried the question.
CREATE TABLE rating_requests (
    ticket_id     uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    channel       text NOT NULL CHECK (channel IN ('web_form', 'email', 'whatsapp')),
    event_id      text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, channel)
);

-- One rating per ticket and channel; a later one on the same channel replaces it.
CREATE TABLE ticket_ratings (
    ticket_id  uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    channel    text NOT NULL CHECK (channel IN ('web_form', 'email', 'whatsapp')),
    score      smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    rated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (ticket_id, channel)
);

-- Only a resolved ticket can be rated, whoever writes the row.
CREATE FUNCTION ticket_ratings_only_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tickets WHERE id = NEW.ticket_id AND status = 'resolved') THEN
        RAISE EXCEPTION 'ticket % is not resolved: it cannot be rated yet', NEW.ticket_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ticket_ratings_only_resolved BEFORE INSERT OR UPDATE ON ticket_ratings
    FOR EACH ROW EXECUTE FUNCTION ticket_ratings_only_resolved();
