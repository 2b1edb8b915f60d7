//! The one registry of entities: their routers (with their OpenAPI paths) are mounted here.
//!
//! Deleting an entity is `rm -r entities/<name>`, its line below, and a migration that
//! drops its tables.

use utoipa_axum::router::OpenApiRouter;

use crate::kernel::state::AppState;

pub mod brand;
pub mod elasticity;
pub mod job;
pub mod model;
pub mod optimization;
pub mod price_change;
pub mod pricing;
pub mod product;
pub mod sale;

/// Every entity's routes, documented.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(product::router())
        .merge(brand::router())
        .merge(sale::router())
        .merge(model::router())
        .merge(job::router())
        .merge(pricing::router())
        .merge(elasticity::router())
        .merge(optimization::router())
        .merge(price_change::router())
}

/// Every job kind the entities register.
pub fn job_kinds() -> crate::kernel::jobs::JobKinds {
    crate::kernel::jobs::JobKinds::default()
        .with(product::score::ScoreProducts)
        .with(pricing::train::TrainFairPrice)
        .with(pricing::score::ScoreFairPrices)
        .with(elasticity::service::EstimateElasticities)
        .with(optimization::service::OptimizePrices)
}

/// Starts the entities' background loops (re-scoring stale analyses); they end when the
/// state's shutdown signal fires. Every process that runs jobs runs them: what they
/// queue is de-duplicated.
pub fn spawn_background(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    vec![tokio::spawn(pricing::service::refresh_loop(
        state.clone(),
        state.guards.shutdown(),
    ))]
}
