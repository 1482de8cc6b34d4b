-- Alerts that are never lost: every webhook delivery is written to this
-- outbox in the same transaction as the version (or failure) it reports,
-- and stays until the receiver has it.

CREATE TABLE deliveries (
    -- Order of creation: deliveries to one sink about one target go out in
    -- this order.
    seq             INTEGER PRIMARY KEY,
    -- The webhook-id: the same on every attempt, so receivers can
    -- de-duplicate.
    id              TEXT    NOT NULL UNIQUE,
    sink            TEXT    NOT NULL,
    target_id       INTEGER REFERENCES targets (id) ON DELETE SET NULL,
    url             TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    -- The exact body sent (and signed).
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    last_error      TEXT
);

CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (sink, target_id, state, seq);

-- Sinks switched off by their receiver (HTTP 410 Gone).
CREATE TABLE disabled_sinks (
    name            TEXT    PRIMARY KEY,
    disabled_at     INTEGER NOT NULL,
    reason          TEXT    NOT NULL
);

-- Whether `target.failing` was sent and `target.recovered` is owed.
ALTER TABLE targets ADD COLUMN failing_alerted INTEGER NOT NULL DEFAULT 0;
