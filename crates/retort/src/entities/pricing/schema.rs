//! What the pricing analysis endpoints accept and send back.

use serde::Serialize;
use utoipa::ToSchema;

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
    #[schema(value_type = Option<crate::entities::brand::interface::Tier>)]
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
    #[schema(value_type = crate::entities::product::interface::SpeedRating)]
    pub speed_rating: String,
    /// Season.
    #[schema(value_type = crate::entities::product::interface::Season)]
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
    #[schema(value_type = Direction)]
    pub direction: String,
    /// `|ln(list_price / fair_price)|`: the default order, largest first.
    pub mispricing: f64,
    /// z-score of `log_ratio` among peers (same category, rim size and season); null
    /// with fewer than 5 peers.
    pub peer_z: Option<f64>,
    /// Products in the peer group.
    pub peer_count: i64,
    /// Lower end of the fair price's interval, `fair_price·e^(−q)` (see the list's
    /// `model.interval`); null when the version has no interval.
    pub fair_low: Option<f64>,
    /// Upper end of the fair price's interval, `fair_price·e^q`; null when the version
    /// has no interval.
    pub fair_high: Option<f64>,
    /// Whether the list price lies outside the interval (`mispricing > q`); null when
    /// the version has no interval.
    pub outside_interval: Option<bool>,
    /// The model version that scored it.
    pub version: i64,
    /// When it was scored (RFC 3339).
    pub scored_at: String,
}

/// Which side of its fair price a product's list price is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Direction {
    /// List above fair.
    Over,
    /// List below fair.
    Under,
    /// Equal.
    Fair,
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
    /// The scored version's fair-price interval, if it has one.
    pub interval: Option<IntervalOut>,
    /// The key this run's rows are stored under (internal).
    #[serde(skip)]
    pub rows_key: String,
}

/// A fair-price model version's interval: split conformal prediction on its training
/// holdout, `[fair·e^(−q), fair·e^q]`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IntervalOut {
    /// The coverage asked for at training (`interval_coverage`, e.g. 0.9).
    pub coverage: f64,
    /// `q`, the interval's half-width in log price.
    pub log_halfwidth: f64,
    /// Share of held-out products whose list price lies inside the interval when it is
    /// calibrated on the other half of the holdout: the coverage reached.
    pub holdout_coverage: f64,
    /// Held-out products it is calibrated on.
    pub calibration_rows: i64,
}

impl IntervalOut {
    /// The interval stored in a version's metrics (JSON text) by training, if any.
    pub fn of_metrics(metrics: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(metrics).ok()?;
        let iv = v.get("interval")?;
        let f = |k: &str| iv.get(k).and_then(serde_json::Value::as_f64);
        let q = f("log_halfwidth")?;
        if !(q.is_finite() && q >= 0.0) {
            return None;
        }
        Some(IntervalOut {
            coverage: f("coverage")?,
            log_halfwidth: q,
            holdout_coverage: f("holdout_coverage")?,
            calibration_rows: iv
                .get("calibration_rows")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0),
        })
    }

    /// `(low, high, outside)` for a row: the interval around its fair price (to the
    /// cent) and whether its list price is outside.
    pub fn around(&self, fair_price: f64, mispricing: f64) -> (f64, f64, bool) {
        let cents = |x: f64| (x * 100.0).round() / 100.0;
        (
            cents(fair_price * (-self.log_halfwidth).exp()),
            cents(fair_price * self.log_halfwidth.exp()),
            mispricing > self.log_halfwidth,
        )
    }
}

impl ScoringOut {
    /// `query` limited to this run's rows.
    pub fn scope(
        &self,
        mut query: crate::kernel::query::ListQuery,
    ) -> crate::kernel::query::ListQuery {
        query.require_equal(
            "model",
            crate::kernel::query::Bind::Text(self.rows_key.clone()),
        );
        query
    }
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
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// How good the analysis is on the current data: the fair-price model on its holdout,
/// its interval's coverage, the elasticities' standard errors and, where the demo's
/// planted mispricings exist, how many of them it finds.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationOut {
    /// Model name.
    pub model: String,
    /// The version whose scores are evaluated.
    pub version: i64,
    /// Products scored.
    pub scored: i64,
    /// The version's accuracy on the products held out of its training; null for a
    /// version trained elsewhere that did not report it.
    pub holdout: Option<HoldoutOut>,
    /// The version's fair-price interval and the coverage it reached on the holdout;
    /// null when it has none.
    pub interval: Option<IntervalOut>,
    /// The elasticity estimates with their standard errors; null before any.
    #[schema(value_type = Option<crate::entities::elasticity::schema::ElasticitiesOut>)]
    pub elasticities: Option<crate::entities::elasticity::schema::ElasticitiesOut>,
    /// Against the planted mispricings (the demo catalogue); null without any.
    pub planted: Option<PlantedOut>,
}

/// A fair-price model's accuracy on its holdout.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldoutOut {
    /// Coefficient of determination of the list prices.
    pub r2: f64,
    /// Mean absolute percentage error, as a fraction.
    pub mape: f64,
    /// Mean absolute error, in currency.
    pub mae: Option<f64>,
    /// Held-out products.
    pub rows: Option<i64>,
}

/// How well the analysis finds the planted mispricings.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlantedOut {
    /// Planted mispricings among the scored products.
    pub products: i64,
    /// The k of `precision_at_k` (the `k` parameter).
    pub k: i64,
    /// Share of the top k by relative gap that are planted.
    pub precision_at_k: f64,
    /// Share of the top 100 by relative gap that are planted.
    pub precision_at_100: f64,
    /// Share of the top 1,000 by relative gap that are planted (of all products when
    /// fewer are scored).
    pub precision_at_1000: f64,
    /// Share of planted products within the top 2 % by relative gap, |ln(list/fair)|.
    pub recall_top_2pct_relative: f64,
    /// Share of planted products within the top 2 % by dollar gap, |list − fair|.
    pub recall_top_2pct_dollars: f64,
    /// Share of planted products whose gap has the planted direction.
    pub direction_agreement: f64,
    /// The products outside their interval as a flag of mispricing; null without an
    /// interval.
    pub outside_interval: Option<FlagOut>,
}

/// A yes/no flag judged against the planted mispricings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagOut {
    /// Products flagged.
    pub flagged: i64,
    /// Share of flagged products that are planted.
    pub precision: f64,
    /// Share of planted products that are flagged.
    pub recall: f64,
}

crate::list_params!(
    /// Query parameters of the mispricing list: every filter of its `ListSpec` (the
    /// product filters, `tier`, ranges on the analysis' numbers) and `model`,
    /// `direction`, `format`.
    MispricedParams,
    super::model::LIST,
    "-mispricing",
    mispriced_own_params()
);

/// A model name in a query: some text that is not only white space, without NUL.
pub const MODEL_PATTERN: &str = crate::kernel::query::docs::NON_BLANK;

fn mispriced_own_params() -> Vec<utoipa::openapi::path::Parameter> {
    use crate::kernel::query::docs::query_param;
    vec![
        query_param(
            "model",
            "The fair-price model's name; default `fair-price`.",
            serde_json::json!({ "type": "string", "pattern": MODEL_PATTERN }),
        ),
        query_param(
            "direction",
            "`over` (list above fair), `under`, or `both` (default).",
            serde_json::json!({ "type": "string", "enum": ["over", "under", "both"], "default": "both" }),
        ),
        query_param(
            "outside_interval",
            "`true`: only products whose list price lies outside their fair price's interval; `false`: only those inside. 422 when the scored version has no interval.",
            serde_json::json!({ "type": "boolean" }),
        ),
        query_param(
            "format",
            "`csv` for the whole query as CSV (same as `Accept: text/csv`); `json` (default).",
            serde_json::json!({ "type": "string", "enum": ["json", "csv"], "default": "json" }),
        ),
    ]
}

/// The k of precision@k: from 1 to this.
pub const MAX_K: i64 = 10_000;

/// Query parameters of the evaluation against planted mispricings.
pub struct EvaluationParams;

impl utoipa::IntoParams for EvaluationParams {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use crate::kernel::query::docs::query_param;
        vec![
            query_param(
                "model",
                "The fair-price model's name; default `fair-price`.",
                serde_json::json!({ "type": "string", "pattern": MODEL_PATTERN }),
            ),
            query_param(
                "k",
                "k of precision@k, 1–10000; default 100.",
                serde_json::json!({ "type": "integer", "minimum": 1, "maximum": MAX_K, "default": 100 }),
            ),
        ]
    }
}

/// Training parameters of the fair-price model, each optional (the default in
/// parentheses); the job's parameter check reads exactly these (documentation only).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"trees": 300, "max_depth": 6}))]
#[allow(dead_code)]
pub struct TrainIn {
    /// The model to store the new version under (`fair-price`).
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[A-Za-z0-9._-]{1,64}$"
    )]
    model: Option<String>,
    /// Trees per pass (300).
    #[schema(nullable = false, minimum = 1, maximum = 2000)]
    trees: Option<i64>,
    /// Shrinkage of each tree (0.1).
    #[schema(nullable = false, minimum = 0.001, maximum = 1)]
    learning_rate: Option<f64>,
    /// Depth of each tree (6).
    #[schema(nullable = false, minimum = 1, maximum = 12)]
    max_depth: Option<i64>,
    /// Fewest products in a leaf (20).
    #[schema(nullable = false, minimum = 1, maximum = 10000)]
    min_samples_leaf: Option<i64>,
    /// Share of products held out for the metrics and the interval (0.2).
    #[schema(nullable = false, minimum = 0.05, maximum = 0.5)]
    holdout: Option<f64>,
    /// Coverage of the fair-price interval, calibrated on the holdout (0.9).
    #[schema(nullable = false, minimum = 0.5, maximum = 0.99)]
    interval_coverage: Option<f64>,
    /// Seed of the holdout split and the sample (42).
    #[schema(nullable = false, minimum = 0, maximum = 4294967295_i64)]
    seed: Option<i64>,
    /// Most products trained on; a larger catalogue is sampled (200000).
    #[schema(nullable = false, minimum = 100, maximum = 5000000)]
    max_rows: Option<i64>,
}

/// What `POST /api/pricing/mispriced/score` takes (documentation only;
/// `service::model_param` reads it).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ScoreMispricedIn {
    /// The model whose current version scores the catalogue (`fair-price`).
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[A-Za-z0-9._-]{1,64}$"
    )]
    model: Option<String>,
}
