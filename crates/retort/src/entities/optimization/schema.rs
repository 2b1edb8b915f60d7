//! What the optimisation endpoints accept and send back.

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

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
    /// Solver iterations.
    pub iterations: i64,
    /// The solver's status.
    pub solver_status: String,
}

/// An optimisation and its proposal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptimizationOut {
    /// Id.
    pub id: i64,
    /// `queued`, `running`, `ready`, `failed`, `accepted`, `partially_accepted` or `rejected`.
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

/// One page of optimisations.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptimizationPage {
    /// The rows of this page.
    pub items: Vec<OptimizationOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
    /// Rows over all pages.
    pub total: i64,
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
    /// Highest allowed price (max increase, zero demand).
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
    pub status: String,
}

/// One page of a proposal's products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    /// The rows of this page.
    pub items: Vec<ItemOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
    /// Rows over all pages.
    pub total: i64,
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

/// Query parameters of a proposal's products (documentation; parsed by `ListQuery`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ItemParams {
    /// Skus (repeatable).
    sku: Option<Vec<String>>,
    /// Brands (repeatable).
    brand: Option<Vec<String>>,
    /// Categories (repeatable).
    category: Option<Vec<String>>,
    /// Tiers (repeatable).
    tier: Option<Vec<String>>,
    /// `pending`, `accepted`, `rejected` (repeatable).
    status: Option<Vec<String>>,
    /// Only products held by this constraint (e.g. `max_increase`).
    binding: Option<String>,
    /// e.g. `-profit_delta` (default), `change_pct`, `sku`.
    sort: Option<String>,
    /// Rows per page, 1–1000; default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}
