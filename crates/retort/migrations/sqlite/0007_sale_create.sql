-- Weekly sales of a product: the week is the Monday it starts (YYYY-MM-DD), the price
-- the average selling price, units the units sold. One row per product and week.
CREATE TABLE sales (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    week        TEXT    NOT NULL,
    price       REAL    NOT NULL,
    units       INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    UNIQUE (product_id, week)
);

CREATE INDEX sales_week_idx ON sales (week);

-- Sales with their product's sku, as the API lists them.
CREATE VIEW sales_view AS
    SELECT s.id, p.sku, s.week, s.price, s.units, s.created_at, s.updated_at
    FROM sales s JOIN products p ON p.id = s.product_id;
