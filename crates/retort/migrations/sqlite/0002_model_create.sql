-- The model registry: models by name, their immutable versions (the ONNX file itself
-- is stored here, so every replica reads the same bytes), and movable aliases.
CREATE TABLE models (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE model_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id     INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    description  TEXT    NOT NULL,
    framework    TEXT    NOT NULL,
    metrics      TEXT    NOT NULL,
    feature_names TEXT,
    sha256       TEXT    NOT NULL,
    size_bytes   INTEGER NOT NULL,
    backend      TEXT    NOT NULL,
    signature    TEXT    NOT NULL,
    onnx         BLOB    NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (model_id, version)
);

CREATE TABLE model_aliases (
    model_id    INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    alias       TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (model_id, alias)
);
