-- Each estimate records how it was made and the share of the group's product-weeks that
-- sold nothing. Estimates made before this were log-log regressions.
ALTER TABLE elasticities ADD COLUMN zero_share REAL NOT NULL DEFAULT 0;
ALTER TABLE elasticities ADD COLUMN method TEXT NOT NULL DEFAULT 'log_log';
