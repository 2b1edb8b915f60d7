//! The application state handed to every handler through axum's `State`.

use std::sync::Arc;

use axum::extract::FromRef;

use super::auth::AccessConfig;
use super::config::Limits;
use super::db::Db;
use super::guard::Guards;
use super::inference::{InferencePool, ModelCache, Runtime};
use super::jobs::JobKinds;
use super::memo::Memo;

/// Everything a handler may depend on; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Request size limits.
    pub limits: Arc<Limits>,
    /// Compiled models in memory.
    pub models: Arc<ModelCache>,
    /// ONNX Runtime, when a library is configured.
    pub runtime: Option<Arc<Runtime>>,
    /// Short-lived memos of hot lookups.
    pub memo: Arc<Memo>,
    /// Long-lived derived data kept in memory under keys that change when its source
    /// does (e.g. the mispricing analysis' filter index, keyed by its scoring run).
    pub cache: Arc<Memo>,
    /// Registered background job kinds.
    pub jobs: Arc<JobKinds>,
    /// Slots for CPU-heavy job steps: one fewer than the cores (at least one).
    pub cpu: Arc<tokio::sync::Semaphore>,
    /// Where predictions run: a bounded set of threads with a deadline per request.
    pub inference: Arc<InferencePool>,
    /// Caps on requests and streams in flight, and the shutdown signal.
    pub guards: Arc<Guards>,
    /// Who may call without a key, which hosts are answered, job-start allowances.
    pub access: Arc<AccessConfig>,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(db: Db, limits: Limits) -> Self {
        Self {
            db,
            inference: Arc::new(InferencePool::new(
                limits.inference_threads(),
                limits.predict_timeout,
            )),
            guards: Arc::new(Guards::new(&limits)),
            access: Arc::new(AccessConfig::default()),
            limits: Arc::new(limits),
            models: Arc::new(ModelCache::default()),
            runtime: None,
            memo: Arc::new(Memo::default()),
            cache: Arc::new(Memo::new(std::time::Duration::from_secs(24 * 3600))),
            jobs: Arc::new(crate::entities::job_kinds()),
            cpu: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            )),
        }
    }

    /// The same state with other job kinds (tests add their own).
    pub fn with_jobs(mut self, jobs: JobKinds) -> Self {
        self.jobs = Arc::new(jobs);
        self
    }

    /// The same state with another access configuration.
    pub fn with_access(mut self, access: AccessConfig) -> Self {
        self.access = Arc::new(access);
        self
    }

    /// The same state with ONNX Runtime as the second backend.
    pub fn with_runtime(mut self, runtime: Option<Arc<Runtime>>) -> Self {
        self.runtime = runtime;
        self
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
