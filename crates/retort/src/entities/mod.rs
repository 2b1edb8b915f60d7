//! The one registry of entities: each entity's `register` adds its tables, OpenAPI tag,
//! routes (with who may call each) and job kinds, one line each in [`registry`].
//!
//! Deleting an entity is `rm -r entities/<name>`, its `pub mod` and `register` lines
//! below, and a migration that drops its tables.

use utoipa_axum::router::OpenApiRouter;

use crate::kernel::registry::Registry;
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

/// Every entity, registered: one line each.
pub fn registry() -> Registry {
    Registry::default()
        .with(product::register)
        .with(brand::register)
        .with(sale::register)
        .with(model::register)
        .with(job::register)
        .with(pricing::register)
        .with(elasticity::register)
        .with(optimization::register)
        .with(price_change::register)
        .with(key::register)
}

/// Every entity's routes, documented.
pub fn router() -> OpenApiRouter<AppState> {
    registry().router()
}

/// Every entity by folder name, with the tables (and views) it owns: only that entity's
/// `model.rs` reads or writes them (`boundaries.rs` checks it).
pub fn owners() -> Vec<(&'static str, &'static [&'static str])> {
    registry().tables().to_vec()
}

/// Every job kind the entities register.
pub fn job_kinds() -> crate::kernel::jobs::JobKinds {
    registry().jobs()
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
