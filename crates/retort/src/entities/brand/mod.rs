//! A brand: a tire maker's name and its price tier (premium, mid, economy), which the
//! pricing workbench uses for peer groups and the price ladder. Created one at a time or
//! imported from CSV, listed with filters, changed or deleted by id.

pub mod controller;
pub mod interface;
mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

// What the rest of the service may ask of brands; only `model.rs` touches `brands`.
pub use model::{BrandRow, tiers};

/// The tables this entity owns.
pub const TABLES: &[&str] = &["brands"];

/// What the brand list filters and sorts on.
pub fn list_spec() -> &'static crate::kernel::query::ListSpec {
    &model::LIST
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("brand", TABLES)
        .tag("brands", "Tire brands and their price tiers")
        .routes(router())
}

/// The brand routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let write = Access::Needs(Permission::CatalogueWrite);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_brands)))
        .routes(allow(write, routes!(controller::create_brand)))
        .routes(allow(read, routes!(controller::get_brand)))
        .routes(allow(
            write,
            routes!(
                controller::replace_brand,
                controller::patch_brand,
                controller::delete_brand
            ),
        ))
        .routes(allow(write, routes!(controller::import_brands)))
}
