-- The fidelity check of a version: its predictions on the sample sent at deploy against
-- the training library's own (JSON text); null when no sample was sent.
ALTER TABLE model_versions ADD COLUMN fidelity TEXT;
