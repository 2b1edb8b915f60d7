//! A job: heavy work off the request path, durable in the database. Entities register
//! job kinds; starting one answers 202 with `Location: /api/jobs/{id}`; workers in
//! `retort serve` (`--workers N`) or `retort worker` run them under a lease, retry
//! failures with backoff, and stop cleanly when cancelled.

pub mod controller;
mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;
pub mod worker;

/// The tables this entity owns; only `model.rs` touches them.
pub const TABLES: &[&str] = &["jobs"];

/// What the job list filters and sorts on.
pub fn list_spec() -> &'static crate::kernel::query::ListSpec {
    &model::LIST
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("job", TABLES)
        .tag(
            "jobs",
            "Durable background jobs: status, progress, cancel, events",
        )
        .routes(router())
}

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
