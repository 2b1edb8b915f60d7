-- API keys and the dashboard's sessions. Only SHA-256 digests of secrets are stored: a
-- key is shown once, when it is created, and a session token lives only in its cookie.
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    roles          TEXT NOT NULL,
    secret_sha256  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT,
    revoked_at     TEXT,
    last_used_at   TEXT
);
CREATE TABLE key_sessions (
    token_sha256   TEXT PRIMARY KEY,
    key_id         TEXT NOT NULL REFERENCES api_keys (id),
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL
);
CREATE INDEX key_sessions_key_idx ON key_sessions (key_id);
