//! What the price-change audit trail sends back.

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// One applied price change.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PriceChangeOut {
    /// Id (in the order changes were made).
    pub id: i64,
    /// Product id.
    pub product_id: i64,
    /// Sku.
    pub sku: String,
    /// Price before.
    pub old_price: f64,
    /// Price after.
    pub new_price: f64,
    /// The optimization whose proposal it applied, if any.
    pub proposal_id: Option<i64>,
    /// Who made it.
    pub actor: String,
    /// When (RFC 3339).
    pub changed_at: String,
}

/// One page of price changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceChangePage {
    /// The rows of this page.
    pub items: Vec<PriceChangeOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
    /// Rows over all pages.
    pub total: i64,
}

/// Query parameters of the audit trail (documentation; parsed by `ListQuery`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PriceChangeParams {
    /// Skus (repeatable).
    sku: Option<Vec<String>>,
    /// Product ids (repeatable).
    product_id: Option<Vec<i64>>,
    /// Optimization ids (repeatable).
    proposal_id: Option<Vec<i64>>,
    /// Actors (repeatable).
    actor: Option<Vec<String>>,
    /// e.g. `-id` (newest first, the default).
    sort: Option<String>,
    /// Rows per page, 1–1000; default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}
