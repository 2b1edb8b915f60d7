//! A sale: one product's units and average price in one week (the Monday it starts) —
//! the history price elasticity is estimated from. Recorded one at a time or imported
//! from CSV, listed by sku and week range, changed or deleted by id.

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

use crate::kernel::state::AppState;

/// The sale routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(controller::list_sales, controller::create_sale))
        .routes(routes!(
            controller::get_sale,
            controller::patch_sale,
            controller::delete_sale
        ))
        .routes(routes!(controller::import_sales))
}
