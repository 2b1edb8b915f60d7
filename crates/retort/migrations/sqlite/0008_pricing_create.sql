-- The pricing workbench.

-- Mispricings planted by the demo generator, so the analysis can be evaluated: the
-- product's list price was moved away from its formula price on purpose.
CREATE TABLE planted_mispricings (
    sku          TEXT    PRIMARY KEY,
    formula_price REAL   NOT NULL,
    list_price   REAL    NOT NULL,
    direction    TEXT    NOT NULL CHECK (direction IN ('over', 'under'))
);

-- Lets a reader see cheaply whether the catalogue changed since it was last scored.
CREATE INDEX products_updated_at_idx ON products (updated_at);

-- The mispricing analysis of a fair-price model: one row per product, a snapshot of the
-- product's fields at scoring time with its fair price, log(list / fair) and its z-score
-- among peers (same category, rim size and season). Written whole by a scoring run.
CREATE TABLE price_scores (
    model                TEXT    NOT NULL,
    id                   INTEGER NOT NULL,
    version              INTEGER NOT NULL,
    sku                  TEXT    NOT NULL,
    brand                TEXT    NOT NULL,
    tier                 TEXT,
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
    fair_price           REAL    NOT NULL,
    gap                  REAL    NOT NULL,
    gap_pct              REAL    NOT NULL,
    log_ratio            REAL    NOT NULL,
    direction            TEXT    NOT NULL CHECK (direction IN ('over', 'under', 'fair')),
    mispricing           REAL    NOT NULL,
    peer_z               REAL,
    peer_count           INTEGER NOT NULL,
    scored_at            TEXT    NOT NULL,
    PRIMARY KEY (model, id)
);
-- Each index ends with the id, the keyset tie-break, so a page in mispricing order is
-- read straight off the index; direction has its own so `direction=over` does not
-- make the planner range over log_ratio and sort half the table.
CREATE INDEX price_scores_mispricing_idx ON price_scores (model, mispricing, id);
CREATE INDEX price_scores_direction_idx  ON price_scores (model, direction, mispricing, id);
CREATE INDEX price_scores_category_idx   ON price_scores (model, category, mispricing, id);
CREATE INDEX price_scores_brand_idx      ON price_scores (model, brand, mispricing, id);
CREATE INDEX price_scores_sku_idx        ON price_scores (model, sku);
CREATE INDEX price_scores_gap_idx        ON price_scores (model, gap, id);
CREATE INDEX price_scores_gap_pct_idx    ON price_scores (model, gap_pct, id);
CREATE INDEX price_scores_peer_z_idx     ON price_scores (model, peer_z, id);

-- The scoring behind each model's rows, so the state of the analysis (and the size of
-- an unfiltered list) is one row away rather than a count over the table.
CREATE TABLE price_score_state (
    model        TEXT    PRIMARY KEY,
    version      INTEGER NOT NULL,
    scored_at    TEXT    NOT NULL,
    products     INTEGER NOT NULL,
    -- Value counts of the facets over all rows (JSON), for an explorer with no filters.
    facets       TEXT
);

-- Price elasticity of demand per category and brand tier ('' = brands without a tier),
-- from the sales history; written whole by an estimation run.
CREATE TABLE elasticities (
    category      TEXT    NOT NULL,
    tier          TEXT    NOT NULL,
    elasticity    REAL    NOT NULL,
    std_error     REAL    NOT NULL,
    observations  INTEGER NOT NULL,
    products      INTEGER NOT NULL,
    sales_rows    INTEGER NOT NULL,
    estimated_at  TEXT    NOT NULL,
    PRIMARY KEY (category, tier)
);

-- Price optimisations: the request, its state and totals; items hold the proposal.
CREATE TABLE price_proposals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'ready', 'failed', 'accepted', 'partially_accepted', 'rejected')),
    params      TEXT    NOT NULL,
    totals      TEXT,
    error       TEXT,
    decided_by  TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE TABLE price_proposal_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id     INTEGER NOT NULL REFERENCES price_proposals (id) ON DELETE CASCADE,
    product_id      INTEGER NOT NULL,
    sku             TEXT    NOT NULL,
    brand           TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    tier            TEXT,
    old_price       REAL    NOT NULL,
    new_price       REAL    NOT NULL,
    change_pct      REAL    NOT NULL,
    cost            REAL    NOT NULL,
    baseline_units  REAL    NOT NULL,
    elasticity      REAL    NOT NULL,
    lower           REAL    NOT NULL,
    upper           REAL    NOT NULL,
    expected_units  REAL    NOT NULL,
    profit_delta    REAL    NOT NULL,
    revenue_delta   REAL    NOT NULL,
    binding         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    UNIQUE (proposal_id, product_id)
);
CREATE INDEX price_proposal_items_profit_idx ON price_proposal_items (proposal_id, profit_delta);

-- The audit trail of every applied price change.
CREATE TABLE price_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER NOT NULL,
    sku          TEXT    NOT NULL,
    old_price    REAL    NOT NULL,
    new_price    REAL    NOT NULL,
    proposal_id  INTEGER,
    actor        TEXT    NOT NULL,
    changed_at   TEXT    NOT NULL
);
CREATE INDEX price_changes_product_idx ON price_changes (product_id, id);
CREATE INDEX price_changes_proposal_idx ON price_changes (proposal_id, id);
