//! What the price-change audit trail sends back.

use serde::Serialize;
use utoipa::ToSchema;

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

crate::list_params!(
    /// Query parameters of the audit trail (written from its `ListSpec`; newest first by
    /// default).
    PriceChangeParams,
    super::model::LIST,
    "-id"
);

crate::list_params!(
    /// Query parameters of one product's price history: those of the audit trail but
    /// `product_id`, which the path gives.
    ProductPriceChangeParams,
    super::model::LIST_OF_PRODUCT,
    "-id"
);
