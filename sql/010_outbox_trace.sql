-- The trace an outbox row belongs to: the W3C trace context (CloudEvents distributed-tracing
-- extension) of the span that wrote it, so a publish by the relay, minutes later and in another
-- process, still carries the event into the trace of the message that caused it. Kept here, not
-- in attributes; NULL for a row written before traces were carried.
ALTER TABLE outbox
    ADD COLUMN traceparent  text,
    ADD COLUMN tracestate   text;
