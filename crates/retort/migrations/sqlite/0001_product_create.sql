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

CREATE INDEX products_brand_idx      ON products (brand);
CREATE INDEX products_category_idx   ON products (category);
CREATE INDEX products_season_idx     ON products (season);
CREATE INDEX products_rim_in_idx     ON products (rim_in);
CREATE INDEX products_list_price_idx ON products (list_price);
CREATE INDEX products_cost_idx       ON products (cost);
