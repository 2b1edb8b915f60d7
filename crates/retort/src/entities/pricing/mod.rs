//! The pricing analysis: the fair-price model (trained natively, stored in the model
//! registry), the mispricing list with facets and CSV export read from `price_scores`,
//! the evaluation against the demo's planted mispricings, and Plotly figures.

pub mod charts;
pub mod controller;
pub mod evaluation;
pub mod index;
mod model;
pub mod schema;
pub mod score;
pub mod service;
#[cfg(test)]
pub(crate) mod tests;
pub mod train;

// What the rest of the service may ask of the analysis; only `model.rs` touches its
// tables.
pub use model::{insert_planted as record_planted, planted_details};

/// The tables this entity owns.
pub const TABLES: &[&str] = &["price_scores", "price_score_state", "planted_mispricings"];

/// What the mispricing list filters and sorts on.
pub fn list_spec() -> &'static crate::kernel::query::ListSpec {
    &model::LIST
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("pricing", TABLES)
        .tag("pricing", "The pricing workbench: fair-price model, mispriced products, elasticities, optimisations, the audit trail")
        .routes(router())
        .job::<train::TrainFairPrice>()
        .job::<score::ScoreFairPrices>()
}

/// The pricing analysis routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let start = Access::Needs(Permission::JobsStart);
    OpenApiRouter::new()
        .routes(allow(start, routes!(controller::train_fair_price)))
        .routes(allow(read, routes!(controller::list_mispriced)))
        .routes(allow(start, routes!(controller::score_mispriced)))
        .routes(allow(read, routes!(controller::mispriced_facets)))
        .routes(allow(read, routes!(controller::pricing_evaluation)))
        .routes(allow(read, routes!(charts::price_scatter)))
        .routes(allow(read, routes!(charts::gap_distribution)))
}
