//! Price elasticities of demand per category and brand tier, estimated from the sales
//! history by a background job and read by the optimiser and the dashboard.

pub mod controller;
mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

// What the rest of the service may ask of the estimates; only `model.rs` touches
// `elasticities`.
pub use model::all as estimates;

/// The tables this entity owns.
pub const TABLES: &[&str] = &["elasticities"];

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("elasticity", TABLES)
        .routes(router())
        .job::<service::EstimateElasticities>()
}

/// The elasticity routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_elasticities)))
        .routes(allow(
            Access::Needs(Permission::JobsStart),
            routes!(controller::estimate_elasticities),
        ))
        .routes(allow(read, routes!(controller::elasticity_chart)))
}
