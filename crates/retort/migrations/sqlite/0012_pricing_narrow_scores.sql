-- The mispricing analysis keeps only what it is computed from, per product id: the list
-- price the run compared and the fair price the model predicted (unrounded). The gaps,
-- the log ratio, the direction and the peer z-scores follow from those two and the
-- product's attributes; the attributes (sku, brand, sizes, …) and the brand's tier are
-- joined from their owners when the analysis is read, not copied into every row, and
-- the version and time of the scoring are in price_score_state. With four columns and
-- no secondary index, a scoring run writes a million rows in about a second: lists,
-- counts and facets are served from the in-memory analysis built from these rows.
-- (Rows of earlier runs keep the fair price they stored, rounded to the cent.)
ALTER TABLE price_scores RENAME TO price_scores_wide;
CREATE TABLE price_scores (
    model        TEXT    NOT NULL,
    id           INTEGER NOT NULL,
    list_price   REAL NOT NULL,
    score        REAL NOT NULL,
    PRIMARY KEY (model, id)
);
INSERT INTO price_scores (model, id, list_price, score)
    SELECT model, id, list_price, fair_price FROM price_scores_wide;
DROP TABLE price_scores_wide;
