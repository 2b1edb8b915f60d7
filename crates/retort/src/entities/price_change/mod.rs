//! The audit trail of price changes: every price an accepted proposal set, with the
//! product, old and new price, the proposal, who and when.

pub mod controller;
mod model;
pub mod schema;

// What the rest of the service may ask of the audit trail; only `model.rs` touches
// `price_changes`.
pub use model::insert as record;

/// The tables this entity owns.
pub const TABLES: &[&str] = &["price_changes"];

/// What the audit trail filters and sorts on.
pub fn list_spec() -> &'static crate::kernel::query::ListSpec {
    &model::LIST
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("price_change", TABLES).routes(router())
}

/// The price-change routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_price_changes)))
        .routes(allow(read, routes!(controller::product_price_changes)))
}
