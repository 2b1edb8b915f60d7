//! Price optimisations: a request (scope, objective, constraints) solved by a background
//! job into a proposal of new prices, reviewed, and accepted (prices changed, audit
//! rows written) or rejected.

pub mod controller;
// Every entity keeps its SQL in model.rs.
pub mod model;
pub mod params;
pub mod review;
pub mod schema;
pub mod service;
pub mod solve;
#[cfg(test)]
mod tests;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

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
