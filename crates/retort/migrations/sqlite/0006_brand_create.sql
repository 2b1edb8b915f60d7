-- Brands and their price tier; products name their brand by name.
CREATE TABLE brands (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    tier        TEXT CHECK (tier IN ('premium', 'mid', 'economy')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
