//! A product: one tire SKU of the pricing workbench — its size, ratings, season, cost and
//! list price. Products are created one at a time or imported from CSV, listed with
//! filters, sorting and cursor pagination, and changed or deleted by id.

pub mod controller;
pub mod import;
pub mod interface;
pub mod model;
pub mod schema;
pub mod score;
pub mod service;
#[cfg(test)]
mod tests;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// The product routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let write = Access::Needs(Permission::CatalogueWrite);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_products)))
        .routes(allow(write, routes!(controller::create_product)))
        .routes(allow(read, routes!(controller::get_product)))
        .routes(allow(
            write,
            routes!(
                controller::replace_product,
                controller::patch_product,
                controller::delete_product
            ),
        ))
        .routes(allow(write, routes!(controller::import_products)))
        .routes(allow(
            Access::Needs(Permission::JobsStart),
            routes!(controller::score_products),
        ))
}
