//! A job: heavy work off the request path, durable in the database. Entities register
//! job kinds; starting one answers 202 with `Location: /api/jobs/{id}`; workers in
//! `retort serve` (`--workers N`) or `retort worker` run them under a lease, retry
//! failures with backoff, and stop cleanly when cancelled.

pub mod controller;
// Every entity keeps its SQL in model.rs.
pub mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;
pub mod worker;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::state::AppState;

/// The job routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(controller::list_jobs))
        .routes(routes!(controller::get_job))
        .routes(routes!(controller::cancel_job))
        .routes(routes!(controller::job_events))
}
