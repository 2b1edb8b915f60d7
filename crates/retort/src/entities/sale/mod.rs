//! A sale: one product's units and average price in one week (the Monday it starts) —
//! the history price elasticity is estimated from. Recorded one at a time or imported
//! from CSV, listed by sku and week range, changed or deleted by id.

pub mod controller;
pub mod interface;
mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

// What the rest of the service may ask of the sales history; only `model.rs` touches
// `sales` and `sales_view` (a view that adds the product's sku).
pub use model::{SaleRow, count_all, for_each, last_week, mean_units_since};

/// The tables (and views) this entity owns.
pub const TABLES: &[&str] = &["sales", "sales_view"];

/// What the sales list filters and sorts on.
pub fn list_spec() -> &'static crate::kernel::query::ListSpec {
    &model::LIST
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("sale", TABLES)
        .tag(
            "sales",
            "Weekly sales per product: the history elasticity is estimated from",
        )
        .routes(router())
}

/// The sale routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let write = Access::Needs(Permission::CatalogueWrite);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_sales)))
        .routes(allow(write, routes!(controller::create_sale)))
        .routes(allow(read, routes!(controller::get_sale)))
        .routes(allow(
            write,
            routes!(controller::patch_sale, controller::delete_sale),
        ))
        .routes(allow(write, routes!(controller::import_sales)))
}
