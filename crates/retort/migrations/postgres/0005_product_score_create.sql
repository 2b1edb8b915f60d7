-- Scores of products by a model, written by the score_products job. A run writes into
-- product_score_runs and swaps its rows into product_scores in one transaction at the
-- end, so a cancelled or failed run leaves the previous scores as they were.
CREATE TABLE product_scores (
    model       TEXT    NOT NULL,
    product_id  BIGINT  NOT NULL,
    version     BIGINT  NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    job_id      BIGINT  NOT NULL,
    scored_at   TEXT    NOT NULL,
    PRIMARY KEY (model, product_id)
);

CREATE TABLE product_score_runs (
    job_id      BIGINT  NOT NULL,
    product_id  BIGINT  NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (job_id, product_id)
);
