-- Products: one tire SKU each. Times are RFC 3339 UTC text with microseconds (sortable).
CREATE TABLE products (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    sku                  TEXT    NOT NULL UNIQUE,
    brand                TEXT    NOT NULL,
    line                 TEXT    NOT NULL,
    category             TEXT    NOT NULL,
    width_mm             INTEGER NOT NULL,
    aspect_ratio         INTEGER NOT NULL,
    rim_in               INTEGER NOT NULL,
    load_index           INTEGER NOT NULL,
    speed_rating         TEXT    NOT NULL,
    season               TEXT    NOT NULL,
    tread_warranty_miles INTEGER,
    runflat              INTEGER NOT NULL CHECK (runflat IN (0, 1)),
    cost                 REAL    NOT NULL,
    list_price           REAL    NOT NULL,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL
);

-- The workbench filters by a category-like field and sorts or ranges by price: each
-- (field, list_price) index serves both the filtered count and the ordered page.
-- (Every SQLite index ends with the rowid, which is the id: keyset order for free.)
CREATE INDEX products_brand_price_idx    ON products (brand, list_price);
CREATE INDEX products_category_price_idx ON products (category, list_price);
CREATE INDEX products_season_price_idx   ON products (season, list_price);
CREATE INDEX products_rim_price_idx      ON products (rim_in, list_price);
CREATE INDEX products_list_price_idx     ON products (list_price);
