//! The application state handed to every handler through axum's `State`.

use std::sync::Arc;

use axum::extract::FromRef;

use super::config::Limits;
use super::db::Db;
use super::inference::ModelCache;

/// Everything a handler may depend on; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Request size limits.
    pub limits: Arc<Limits>,
    /// Compiled models in memory.
    pub models: Arc<ModelCache>,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(db: Db, limits: Limits) -> Self {
        Self {
            db,
            limits: Arc::new(limits),
            models: Arc::new(ModelCache::default()),
        }
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<Limits> {
    fn from_ref(state: &AppState) -> Self {
        state.limits.clone()
    }
}
