//! A brand: a tire maker's name and its price tier (premium, mid, economy), which the
//! pricing workbench uses for peer groups and the price ladder. Created one at a time or
//! imported from CSV, listed with filters, changed or deleted by id.

pub mod controller;
pub mod interface;
// Every entity keeps its SQL in model.rs.
pub mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

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
