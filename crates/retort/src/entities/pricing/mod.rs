//! The pricing analysis: the fair-price model (trained natively, stored in the model
//! registry), the mispricing list with facets and CSV export read from `price_scores`,
//! the evaluation against the demo's planted mispricings, and Plotly figures.

pub mod charts;
pub mod controller;
pub mod index;
// Every entity keeps its SQL in model.rs.
pub mod model;
pub mod schema;
pub mod score;
pub mod service;
#[cfg(test)]
pub(crate) mod tests;
pub mod train;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::state::AppState;

/// The pricing analysis routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(controller::train_fair_price))
        .routes(routes!(controller::list_mispriced))
        .routes(routes!(controller::score_mispriced))
        .routes(routes!(controller::mispriced_facets))
        .routes(routes!(controller::pricing_evaluation))
        .routes(routes!(charts::price_scatter))
        .routes(routes!(charts::gap_distribution))
}
