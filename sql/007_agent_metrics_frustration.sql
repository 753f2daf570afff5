-- How upset the customer was, and why: the frustration score the negative_sentiment rule reads
-- and each signal that made it ({"tone": 0.31, "deadline": 0.2, ...}), so every escalation
-- (and every message answered despite strong words) can be read back and explained.
ALTER TABLE agent_metrics
    ADD COLUMN frustration          double precision,
    ADD COLUMN frustration_signals  jsonb;
