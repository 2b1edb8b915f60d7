-- Durable background jobs. A worker claims a queued job (or one whose lease ran out) by
-- taking its lease; it renews the lease while running. Times are RFC 3339 UTC text.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    params           TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress         REAL    NOT NULL DEFAULT 0,
    message          TEXT    NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    result           TEXT,
    error            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      TEXT,
    run_after        TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    updated_at       TEXT    NOT NULL
);

CREATE INDEX jobs_claim_idx ON jobs (status, run_after);
CREATE INDEX jobs_kind_idx ON jobs (kind, status);
