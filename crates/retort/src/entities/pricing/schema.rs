//! What the pricing analysis endpoints accept and send back.

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// A product with its fair price and how far its list price is from it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MispricedOut {
    /// Product id.
    pub id: i64,
    /// Stock-keeping unit.
    pub sku: String,
    /// Brand.
    pub brand: String,
    /// The brand's tier (`premium`, `mid`, `economy`), or null.
    pub tier: Option<String>,
    /// Product line.
    pub line: String,
    /// Category.
    pub category: String,
    /// Section width in millimetres.
    pub width_mm: i64,
    /// Aspect ratio in percent.
    pub aspect_ratio: i64,
    /// Rim diameter in inches.
    pub rim_in: i64,
    /// Load index.
    pub load_index: i64,
    /// Speed rating.
    pub speed_rating: String,
    /// Season.
    pub season: String,
    /// Tread-life warranty in miles, or null.
    pub tread_warranty_miles: Option<i64>,
    /// Run-flat.
    pub runflat: bool,
    /// Unit cost.
    pub cost: f64,
    /// List price.
    pub list_price: f64,
    /// The model's fair price.
    pub fair_price: f64,
    /// `list_price − fair_price`: positive when over-priced.
    pub gap: f64,
    /// The gap as a percentage of the fair price.
    pub gap_pct: f64,
    /// `ln(list_price / fair_price)`.
    pub log_ratio: f64,
    /// `over` (list above fair), `under`, or `fair` (equal).
    pub direction: String,
    /// `|ln(list_price / fair_price)|`: the default order, largest first.
    pub mispricing: f64,
    /// z-score of `log_ratio` among peers (same category, rim size and season); null
    /// with fewer than 5 peers.
    pub peer_z: Option<f64>,
    /// Products in the peer group.
    pub peer_count: i64,
    /// The model version that scored it.
    pub version: i64,
    /// When it was scored (RFC 3339).
    pub scored_at: String,
}

/// The model and scoring run behind a mispricing answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoringOut {
    /// Model name.
    pub name: String,
    /// The version that scored these rows.
    pub version: i64,
    /// When they were scored.
    pub scored_at: String,
    /// Products scored.
    pub products: i64,
    /// The version the model's production alias (else its latest) points at now.
    pub current_version: i64,
    /// True when the model or the catalogue changed since scoring; a re-scoring job has
    /// been queued (see `rescore_job`).
    pub stale: bool,
    /// The queued or running re-scoring job, if any.
    pub rescore_job: Option<i64>,
}

/// One page of mispriced products.
#[derive(Debug, Serialize, ToSchema)]
pub struct MispricedPage {
    /// The rows of this page.
    pub items: Vec<MispricedOut>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
    /// Rows matching the filters over all pages.
    pub total: i64,
    /// The scoring behind the rows.
    pub model: ScoringOut,
}

/// A value and how many rows have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCount {
    /// The value (null for products without one, e.g. a brand with no tier).
    pub value: serde_json::Value,
    /// Rows with it.
    pub count: i64,
}

/// Value counts per filter, each among the rows the *other* filters select (so a
/// selected value's alternatives still show their counts).
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsOut {
    /// Counts by facet: brand, tier, category, season, rim_in, speed_rating.
    pub facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
    /// Rows matching every filter.
    pub total: i64,
}

/// How well the current scores find the demo's planted mispricings.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationOut {
    /// Model name.
    pub model: String,
    /// Products with planted mispricings (that exist and are scored).
    pub planted: i64,
    /// Products scored.
    pub scored: i64,
    /// The k of precision@k.
    pub k: i64,
    /// Share of the top k by relative gap that are planted.
    pub precision_at_k: f64,
    /// Share of planted products within the top 2 % by relative gap, |ln(list/fair)|.
    pub recall_top_2pct_relative: f64,
    /// Share of planted products within the top 2 % by dollar gap, |list − fair|.
    pub recall_top_2pct_dollars: f64,
    /// Share of planted products whose gap has the planted direction.
    pub direction_agreement: f64,
}

/// Query parameters of the mispricing list (documentation; parsed by `ListQuery`).
/// Every product filter of `GET /api/products` applies too (`brand`, `category`,
/// `season`, `rim_in_min`, `list_price_max`, `q`, …), plus `tier` and ranges on
/// `fair_price`, `gap`, `gap_pct`, `log_ratio`, `mispricing`, `peer_z`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MispricedParams {
    /// The fair-price model's name; default `fair-price`.
    model: Option<String>,
    /// `over` (list above fair), `under`, or `both` (default).
    direction: Option<String>,
    /// Comma-separated columns, `-` for descending; default `-mispricing`
    /// (largest relative gap first).
    sort: Option<String>,
    /// Rows per page, 1–1000; default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `csv` for the whole query as CSV (same as `Accept: text/csv`).
    format: Option<String>,
    /// Brands (repeatable).
    brand: Option<Vec<String>>,
    /// Brand tiers (repeatable).
    tier: Option<Vec<String>>,
    /// Categories (repeatable).
    category: Option<Vec<String>>,
    /// Seasons (repeatable).
    season: Option<Vec<String>>,
    /// Smallest rim in inches.
    rim_in_min: Option<i64>,
    /// Largest rim in inches.
    rim_in_max: Option<i64>,
    /// Case-insensitive substring of sku, brand or line.
    q: Option<String>,
}

/// Query parameters of the evaluation against planted mispricings.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EvaluationParams {
    /// The fair-price model's name; default `fair-price`.
    model: Option<String>,
    /// k of precision@k, 1–10000; default 100.
    k: Option<i64>,
}
