//! The one registry of entities: their routers (with their OpenAPI paths) are mounted here.
//!
//! Deleting an entity is `rm -r entities/<name>`, its line below, and a migration that
//! drops its tables.

use utoipa_axum::router::OpenApiRouter;

use crate::kernel::state::AppState;

pub mod brand;
pub mod job;
pub mod model;
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
}

/// Every job kind the entities register.
pub fn job_kinds() -> crate::kernel::jobs::JobKinds {
    crate::kernel::jobs::JobKinds::default().with(product::score::ScoreProducts)
}
