//! What each entity adds to the app, gathered by one `register` call per entity: its
//! routes (each declaring who may call it, see `auth::allow`), its job kinds, its OpenAPI
//! tag and the tables it owns. The kernel knows no entity; `entities::registry()` calls
//! every entity's `register` once.

use utoipa::openapi::tag::{Tag, TagBuilder};
use utoipa_axum::router::OpenApiRouter;

use super::jobs::{Job, JobKinds};
use super::state::AppState;

/// Everything the entities registered.
pub struct Registry {
    router: OpenApiRouter<AppState>,
    jobs: JobKinds,
    tags: Vec<Tag>,
    tables: Vec<(&'static str, &'static [&'static str])>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            router: OpenApiRouter::new(),
            jobs: JobKinds::default(),
            tags: Vec::new(),
            tables: Vec::new(),
        }
    }
}

impl Registry {
    /// Lets `register` (an entity's) add what it has.
    pub fn with(self, register: impl FnOnce(Self) -> Self) -> Self {
        register(self)
    }

    /// An entity (its folder name) and the tables and views it owns: only its `model.rs`
    /// reads or writes them.
    pub fn entity(mut self, name: &'static str, tables: &'static [&'static str]) -> Self {
        self.tables.push((name, tables));
        self
    }

    /// An OpenAPI tag the entity's operations use.
    pub fn tag(mut self, name: &str, description: &str) -> Self {
        self.tags.push(
            TagBuilder::new()
                .name(name)
                .description(Some(description))
                .build(),
        );
        self
    }

    /// Routes, documented, each wrapped in `auth::allow`.
    pub fn routes(mut self, router: OpenApiRouter<AppState>) -> Self {
        self.router = self.router.merge(router);
        self
    }

    /// A typed job.
    pub fn job<J: Job>(mut self) -> Self {
        self.jobs = self.jobs.job::<J>();
        self
    }

    /// The routes.
    pub fn router(self) -> OpenApiRouter<AppState> {
        self.router
    }

    /// The job kinds.
    pub fn jobs(self) -> JobKinds {
        self.jobs
    }

    /// Every entity with the tables it owns.
    pub fn tables(&self) -> &[(&'static str, &'static [&'static str])] {
        &self.tables
    }

    /// The routes and the tags.
    pub fn into_router_and_tags(self) -> (OpenApiRouter<AppState>, Vec<Tag>) {
        (self.router, self.tags)
    }
}
