//! The audit trail of price changes: every price an accepted proposal set, with the
//! product, old and new price, the proposal, who and when.

pub mod controller;
// Every entity keeps its SQL in model.rs.
pub mod model;
pub mod schema;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// The price-change routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_price_changes)))
        .routes(allow(read, routes!(controller::product_price_changes)))
}
