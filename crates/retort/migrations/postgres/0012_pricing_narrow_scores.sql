-- The mispricing analysis keeps only what the analysis computed, per product id: the
-- list price it compared, the fair price, the gaps, the peer z-score. The product's
-- attributes (sku, brand, sizes, …) and the brand's tier are joined from their owners
-- when the analysis is read, not copied into every row; the version and time of the
-- scoring are in price_score_state. With no secondary index to maintain, a scoring run
-- writes a million rows in seconds: lists, counts and facets are served from the
-- in-memory index built from these rows.
ALTER TABLE price_scores RENAME TO price_scores_wide;
ALTER INDEX price_scores_pkey RENAME TO price_scores_wide_pkey;
CREATE TABLE price_scores (
    model        TEXT    NOT NULL,
    id           BIGINT  NOT NULL,
    list_price   DOUBLE PRECISION NOT NULL,
    fair_price   DOUBLE PRECISION NOT NULL,
    gap          DOUBLE PRECISION NOT NULL,
    gap_pct      DOUBLE PRECISION NOT NULL,
    log_ratio    DOUBLE PRECISION NOT NULL,
    direction    TEXT    NOT NULL CHECK (direction IN ('over', 'under', 'fair')),
    mispricing   DOUBLE PRECISION NOT NULL,
    peer_z       DOUBLE PRECISION,
    peer_count   BIGINT  NOT NULL,
    PRIMARY KEY (model, id)
);
INSERT INTO price_scores (model, id, list_price, fair_price, gap, gap_pct, log_ratio, direction, mispricing, peer_z, peer_count)
    SELECT model, id, list_price, fair_price, gap, gap_pct, log_ratio, direction, mispricing, peer_z, peer_count
    FROM price_scores_wide;
DROP TABLE price_scores_wide;
