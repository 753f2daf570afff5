-- The system-wide budget of agent runs: one token bucket, refilled at AGENT_RUNS_PER_MINUTE.
CREATE TABLE agent_capacity (
    id          integer PRIMARY KEY CHECK (id = 1),
    tokens      double precision NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO agent_capacity (id, tokens) VALUES (1, 1e9);  -- full; capped at the burst on use
