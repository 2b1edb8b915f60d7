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

use crate::kernel::state::AppState;

/// The brand routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(controller::list_brands, controller::create_brand))
        .routes(routes!(
            controller::get_brand,
            controller::replace_brand,
            controller::patch_brand,
            controller::delete_brand
        ))
        .routes(routes!(controller::import_brands))
}
