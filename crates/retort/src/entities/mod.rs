//! The one registry of entities: their routers (with their OpenAPI paths) are mounted here.
//!
//! Deleting an entity is `rm -r entities/<name>`, its line below, and a migration that
//! drops its tables.

use utoipa_axum::router::OpenApiRouter;

use crate::kernel::state::AppState;

#[cfg(test)]
mod boundaries;
pub mod brand;
pub mod elasticity;
pub mod job;
pub mod key;
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
        .merge(key::router())
}

/// Every entity by folder name, with the tables (and views) it owns: only that entity's
/// `model.rs` reads or writes them (`boundaries.rs` checks it).
pub fn owners() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("product", product::TABLES),
        ("brand", brand::TABLES),
        ("sale", sale::TABLES),
        ("model", model::TABLES),
        ("job", job::TABLES),
        ("pricing", pricing::TABLES),
        ("elasticity", elasticity::TABLES),
        ("optimization", optimization::TABLES),
        ("price_change", price_change::TABLES),
        ("key", key::TABLES),
    ]
}

/// Every job kind the entities register.
pub fn job_kinds() -> crate::kernel::jobs::JobKinds {
    crate::kernel::jobs::JobKinds::default()
        .job::<product::score::ScoreProducts>()
        .job::<pricing::train::TrainFairPrice>()
        .job::<pricing::score::ScoreFairPrices>()
        .job::<elasticity::service::EstimateElasticities>()
        .job::<optimization::service::OptimizePrices>()
}

/// How often derived data is checked for staleness.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Queues the work that keeps derived data current: a re-scoring of every stale
/// mispricing analysis and a re-estimation of stale elasticities. Reads never queue work;
/// this does, once per stale item (what is queued is de-duplicated).
pub async fn refresh_stale(state: &AppState) {
    if let Err(e) = pricing::service::refresh_stale(state).await {
        tracing::warn!(error = %e.to_problem().detail, "looking for stale mispricing analyses failed");
    }
    if let Err(e) = elasticity::service::refresh_stale(state).await {
        tracing::warn!(error = %e.to_problem().detail, "looking for stale elasticities failed");
    }
}

/// Starts the background loop of [`refresh_stale`]; it ends when the state's shutdown
/// signal fires. Every process that runs jobs runs it.
pub fn spawn_background(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let (state, stop) = (state.clone(), state.guards.shutdown());
    vec![tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(REFRESH_EVERY) => refresh_stale(&state).await,
            }
        }
    })]
}
