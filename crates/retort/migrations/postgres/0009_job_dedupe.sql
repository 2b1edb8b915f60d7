-- Starting a job that is already queued with the same parameters answers with the queued
-- job instead of adding another: the key is a hash of the kind and the checked
-- parameters, unique among queued jobs only (a running or finished job does not block a
-- new one).
ALTER TABLE jobs ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX jobs_queued_dedupe_idx ON jobs (dedupe_key) WHERE status = 'queued' AND dedupe_key IS NOT NULL;
