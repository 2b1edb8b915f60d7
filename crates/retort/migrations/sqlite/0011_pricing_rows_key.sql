-- A scoring run writes its rows under its own key (`<model>@<job id>`) in short
-- transactions, then points the model's state at them in one small one, and deletes
-- the previous run's rows in chunks: no write holds the lock long enough to starve a
-- job's lease renewal. NULL means the rows are stored under the model's name (runs
-- from before this migration).
ALTER TABLE price_score_state ADD COLUMN rows_key TEXT;
