//! What the elasticity endpoints send back.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How elasticities are estimated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Poisson pseudo-maximum likelihood with product and week fixed effects, zero-sale
    /// weeks kept: right on small counts (the default).
    #[default]
    Ppml,
    /// Log units on log price with product and week fixed effects, zero-sale weeks left
    /// out: biased toward zero when weekly counts are small.
    LogLog,
}

impl Method {
    /// Every method, by its name.
    pub const ALL: [Self; 2] = [Self::Ppml, Self::LogLog];

    /// The name the API uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ppml => "ppml",
            Self::LogLog => "log_log",
        }
    }

    /// The method named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The model, in words.
    pub fn description(self) -> &'static str {
        match self {
            Self::Ppml => {
                "E[units] = exp(elasticity · ln(price) + product effect + week effect), per category and brand tier, by Poisson pseudo-maximum likelihood; weeks with zero units kept, products that never sold left out; standard errors clustered by product"
            }
            Self::LogLog => {
                "ln(units) = elasticity · ln(price) + product effect + week effect, per category and brand tier, by least squares; weeks with zero units left out; standard errors clustered by product"
            }
        }
    }
}

/// What `POST /api/pricing/elasticities/estimate` takes; `{}` for the defaults
/// (documentation only: the job's parameter check reads exactly this).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "ppml"}))]
pub struct EstimateIn {
    /// How to estimate (default `ppml`).
    pub method: Option<Method>,
}

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
    /// The share of the group's product-weeks that sold nothing.
    #[schema(example = 0.27)]
    pub zero_share: f64,
    /// How it was estimated: `ppml` or `log_log`.
    #[schema(example = "ppml")]
    pub method: String,
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
    /// The model the estimates come from, in words.
    pub method: String,
    /// True when the sales history changed since; a new estimation has been queued.
    pub stale: bool,
    /// The queued or running estimation job, if any.
    pub job: Option<i64>,
}
