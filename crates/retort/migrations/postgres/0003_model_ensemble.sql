-- An ensemble version has no ONNX file of its own: it combines other versions.
ALTER TABLE model_versions ADD COLUMN ensemble TEXT;
