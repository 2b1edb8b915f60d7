//! Price elasticities of demand per category and brand tier, estimated from the sales
//! history by a background job and read by the optimiser and the dashboard.

pub mod controller;
// Every entity keeps its SQL in model.rs.
pub mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::state::AppState;

/// The elasticity routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(controller::list_elasticities))
        .routes(routes!(controller::estimate_elasticities))
        .routes(routes!(controller::elasticity_chart))
}
