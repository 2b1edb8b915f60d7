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

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// The job routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_jobs)))
        .routes(allow(read, routes!(controller::get_job)))
        .routes(allow(
            Access::Needs(Permission::JobsCancel),
            routes!(controller::cancel_job),
        ))
        .routes(allow(read, routes!(controller::job_events)))
}
