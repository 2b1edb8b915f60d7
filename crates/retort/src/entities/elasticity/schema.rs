//! What the elasticity endpoints send back.

use serde::Serialize;
use utoipa::ToSchema;

/// The price elasticity of one category and brand tier.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ElasticityOut {
    /// Category.
    pub category: String,
    /// Brand tier (`premium`, `mid`, `economy`), or null for brands without one.
    pub tier: Option<String>,
    /// % change in units per 1 % change in price (negative: dearer sells less).
    #[schema(example = -1.9)]
    pub elasticity: f64,
    /// Standard error, clustered by product.
    pub std_error: f64,
    /// Product-weeks used.
    pub observations: i64,
    /// Products used.
    pub products: i64,
}

/// Every estimate, with when and from how much history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ElasticitiesOut {
    /// One per category and tier, by category then tier.
    pub items: Vec<ElasticityOut>,
    /// When they were estimated (RFC 3339).
    pub estimated_at: String,
    /// Sales rows there were then.
    pub sales_rows: i64,
    /// The model: log units on log price with product and week fixed effects.
    pub method: String,
    /// True when the sales history changed since; a new estimation has been queued.
    pub stale: bool,
    /// The queued or running estimation job, if any.
    pub job: Option<i64>,
}
