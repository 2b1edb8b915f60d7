//! What the optimisation endpoints accept and send back.

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::ToSchema;

/// An optimisation request, checked field by field (every problem reported at once).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptimizationIn {
    /// Which products: `{"filters": {product list filters}}` or `{"skus": [...]}` (up to
    /// 50,000 products either way).
    #[schema(value_type = Object, example = json!({"filters": {"brand": ["Kumho"], "category": ["suv"]}}))]
    pub scope: Json,
    /// `profit` (default) or `revenue`.
    #[schema(example = "profit")]
    pub objective: String,
    /// How expected units respond to price: `constant_elasticity` (default),
    /// `q0·(p/p0)^e`, the model the elasticities are estimated under, solved by a
    /// sequence of QPs; or `linear`, that demand linearised at today's price (one QP; it
    /// bends away from constant elasticity beyond a few percent).
    #[schema(example = "constant_elasticity")]
    pub demand_model: String,
    /// Largest price change either way, in percent of the current price (0–100 exclusive;
    /// default 10).
    #[schema(example = 10.0)]
    pub max_change_pct: f64,
    /// Smallest margin `(price − cost) / price` in percent (0–100), or null for none.
    #[schema(example = 20.0)]
    pub min_margin_pct: Option<f64>,
    /// Keep premium ≥ mid ≥ economy brands within the same size and category (default true).
    pub price_ladder: bool,
    /// Move prices to this ending after solving, e.g. 0.99, or null (default) to keep
    /// them to the cent.
    #[schema(example = 0.99)]
    pub price_ending: Option<f64>,
    /// Weeks of sales history averaged for each product's baseline units (1–52; default 13).
    pub baseline_weeks: i64,
}

/// Totals of a proposal, before and after (weekly, at the expected units).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Totals {
    /// Products in the proposal.
    pub products: i64,
    /// Products whose price changes.
    pub changed: i64,
    /// Revenue at current prices.
    pub revenue_before: f64,
    /// Revenue at the proposed prices.
    pub revenue_after: f64,
    /// Profit at current prices.
    pub profit_before: f64,
    /// Profit at the proposed prices.
    pub profit_after: f64,
    /// `profit_after − profit_before`.
    pub profit_delta: f64,
    /// Units at current prices.
    pub units_before: f64,
    /// Units at the proposed prices.
    pub units_after: f64,
    /// Seconds the solver took.
    pub solve_seconds: f64,
    /// Solver iterations, summed over the steps.
    pub iterations: i64,
    /// The demand model the proposal was computed with (`constant_elasticity` or
    /// `linear`).
    pub demand_model: String,
    /// QPs solved: 1 under linear demand; the linearised start and each further step
    /// under constant elasticity.
    pub steps: i64,
    /// The solver's status.
    pub solver_status: String,
}

/// An optimisation and its proposal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptimizationOut {
    /// Id.
    pub id: i64,
    /// `queued`, `running`, `ready`, `failed`, `accepted`, `partially_accepted` or `rejected`.
    #[schema(value_type = OptimizationStatus)]
    pub status: String,
    /// The job that computes it.
    pub job_id: Option<i64>,
    /// The request, normalized.
    pub params: OptimizationIn,
    /// Totals, once ready.
    pub totals: Option<Totals>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Who accepted or rejected it last.
    pub decided_by: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

/// One product of a proposal, with everything needed to re-solve it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemOut {
    /// Product id.
    pub product_id: i64,
    /// Sku.
    pub sku: String,
    /// Brand.
    pub brand: String,
    /// Category.
    pub category: String,
    /// Brand tier, if any.
    #[schema(value_type = Option<crate::entities::brand::interface::Tier>)]
    pub tier: Option<String>,
    /// Price when the optimisation ran.
    pub old_price: f64,
    /// Proposed price.
    pub new_price: f64,
    /// Change in percent.
    pub change_pct: f64,
    /// Unit cost.
    pub cost: f64,
    /// Mean weekly units over the baseline weeks.
    pub baseline_units: f64,
    /// The elasticity used (category and tier estimate).
    pub elasticity: f64,
    /// Lowest allowed price (max decrease, margin floor).
    pub lower: f64,
    /// Highest allowed price (max increase; under linear demand also where it reaches
    /// zero).
    pub upper: f64,
    /// Weekly units expected at the new price.
    pub expected_units: f64,
    /// Weekly profit change.
    pub profit_delta: f64,
    /// Weekly revenue change.
    pub revenue_delta: f64,
    /// Constraints holding the price: max_increase, max_decrease, min_margin,
    /// zero_demand, ladder_above, ladder_below.
    pub binding: Vec<String>,
    /// `pending`, `accepted` or `rejected`.
    #[schema(value_type = ItemStatus)]
    pub status: String,
}

/// Where an optimisation is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OptimizationStatus {
    /// Waiting for its job.
    Queued,
    /// Being solved.
    Running,
    /// A proposal to review.
    Ready,
    /// The job failed; see `error`.
    Failed,
    /// Every product accepted.
    Accepted,
    /// Some products accepted.
    PartiallyAccepted,
    /// Rejected.
    Rejected,
}

/// Where one product of a proposal is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ItemStatus {
    /// Not decided yet.
    Pending,
    /// Its new price applied.
    Accepted,
    /// Rejected; the price stays.
    Rejected,
}

/// The result of accepting or rejecting.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionOut {
    /// Products whose price was changed (accept) or that were rejected (reject) now.
    pub changed: i64,
    /// Selected products already decided before (nothing done to them).
    pub unchanged: i64,
    /// Products whose price changed since the proposal (or that are gone): not applied,
    /// still pending.
    pub conflicts: Vec<ConflictOut>,
    /// The optimisation after the decision.
    pub optimization: OptimizationOut,
}

/// A product an accept left alone because its price is no longer the proposal's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictOut {
    /// The product's sku.
    pub sku: String,
    /// The price the proposal started from.
    pub old_price: f64,
    /// The price now; null when the product was deleted.
    pub current_price: Option<f64>,
}

crate::list_params!(
    /// Query parameters of a proposal's products: the filters of its `ListSpec` and
    /// `binding`.
    ItemParams,
    super::model::ITEMS,
    "-profit_delta",
    vec![crate::kernel::query::docs::query_param(
        "binding",
        "Only products held by this constraint.",
        serde_json::json!({ "type": "string", "enum": super::model::BINDING_FILTERS.map(|(name, _)| name) }),
    )]
);

crate::list_params!(
    /// Query parameters of the list of optimisations (newest first by default).
    OptimizationListParams,
    super::model::LIST,
    "-id"
);

/// An optimisation request as sent (documentation only; `params::params_from_json`
/// reads it, every problem at once). Absent fields take their defaults.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": {"filters": {"brand": ["Kumho"], "category": ["suv"]}},
    "objective": "profit", "max_change_pct": 10, "min_margin_pct": 20, "price_ladder": true, "price_ending": 0.99}))]
#[allow(dead_code)]
pub struct OptimizationRequest {
    /// Which products (up to 50,000).
    scope: ScopeIn,
    /// What to maximise (default `profit`).
    #[schema(nullable = false)]
    objective: Option<Objective>,
    /// How expected units respond to price (default `constant_elasticity`).
    #[schema(nullable = false)]
    demand_model: Option<DemandModel>,
    /// Largest price change either way, in percent of the current price, above 0 and
    /// below 100 (default 10).
    #[schema(nullable = false, exclusive_minimum = 0, exclusive_maximum = 100)]
    max_change_pct: Option<f64>,
    /// Smallest margin `(price − cost) / price` in percent, from 0 to below 100; null or
    /// absent for none.
    #[schema(minimum = 0, exclusive_maximum = 100)]
    min_margin_pct: Option<f64>,
    /// Keep premium ≥ mid ≥ economy within the same size and category (default true).
    #[schema(nullable = false)]
    price_ladder: Option<bool>,
    /// Move prices to this ending after solving (from 0 to below 1, e.g. 0.99); null or
    /// absent to keep them to the cent.
    #[schema(minimum = 0, exclusive_maximum = 1)]
    price_ending: Option<f64>,
    /// Weeks of sales averaged for each product's baseline units, 1–52 (default 13).
    #[schema(nullable = false, minimum = 1, maximum = 52)]
    baseline_weeks: Option<i64>,
}

/// What an optimisation maximises.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Objective {
    /// Weekly profit.
    Profit,
    /// Weekly revenue.
    Revenue,
}

/// How expected units respond to price.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DemandModel {
    /// `q0·(p/p0)^e`, the model the elasticities are estimated under (a sequence of QPs).
    ConstantElasticity,
    /// That demand linearised at today's price, `q0·(1 + e·(p − p0)/p0)` (one QP).
    Linear,
}

/// The products of an optimisation: exactly one of `filters` or `skus`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ScopeIn {
    /// The products matching product list filters.
    Filters(FiltersScope),
    /// The products with these skus.
    Skus(SkusScope),
}

/// A scope by product list filters.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FiltersScope {
    /// The filters, as on `GET /api/products`.
    filters: crate::entities::product::schema::ProductFilters,
}

/// A scope by skus.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SkusScope {
    /// Skus of existing products (each named in a 422 when unknown).
    #[schema(min_items = 1, max_items = 50000, inline)]
    skus: Vec<SkuText>,
}

/// A sku in a list: text that is not only white space.
#[derive(Debug, Serialize)]
pub struct SkuText(String);

impl utoipa::PartialSchema for SkuText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(crate::kernel::query::docs::NON_BLANK))
            .into()
    }
}

impl ToSchema for SkuText {}

/// Accepting or rejecting a proposal (documentation only; `review` reads it). `{}`
/// decides every pending product; the decider recorded is the caller's key name.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"skus": ["MIC-0000042"]}))]
#[allow(dead_code)]
pub struct DecisionIn {
    /// Only these products of the proposal (each must be in it); null or absent: all.
    skus: Option<Vec<String>>,
}
