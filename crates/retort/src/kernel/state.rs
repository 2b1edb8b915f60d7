//! The application state handed to every handler through axum's `State`.

use std::sync::Arc;

use axum::extract::FromRef;

use super::config::Limits;
use super::db::Db;

/// Everything a handler may depend on; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Request size limits.
    pub limits: Arc<Limits>,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(db: Db, limits: Limits) -> Self {
        Self {
            db,
            limits: Arc::new(limits),
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
