//! Price optimisations: a request (scope, objective, constraints) solved by a background
//! job into a proposal of new prices, reviewed, and accepted (prices changed, audit
//! rows written) or rejected.

pub mod controller;
mod model;
pub mod params;
pub mod review;
pub mod schema;
pub mod service;
pub mod solve;
#[cfg(test)]
mod tests;

/// The tables this entity owns; only `model.rs` touches them.
pub const TABLES: &[&str] = &["price_proposals", "price_proposal_items"];

/// What the optimization list and a proposal's items filter and sort on.
pub fn list_specs() -> [&'static crate::kernel::query::ListSpec; 2] {
    [&model::LIST, &model::ITEMS]
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("optimization", TABLES)
        .routes(router())
        .job::<service::OptimizePrices>()
}

/// The optimisation routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let approve = Access::Needs(Permission::DecisionsApprove);
    OpenApiRouter::new()
        .routes(allow(
            Access::Needs(Permission::JobsStart),
            routes!(controller::start_optimization),
        ))
        .routes(allow(read, routes!(controller::list_optimizations)))
        .routes(allow(read, routes!(controller::get_optimization)))
        .routes(allow(read, routes!(controller::optimization_items)))
        .routes(allow(approve, routes!(controller::accept_optimization)))
        .routes(allow(approve, routes!(controller::reject_optimization)))
        .routes(allow(read, routes!(controller::optimization_chart)))
}
