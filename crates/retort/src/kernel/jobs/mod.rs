//! Background jobs: what an entity implements to run work off the request path.
//!
//! A job is a typed parameter struct implementing [`Job`]: a stable kind name, how its
//! parameters are read and checked (422 with every bad field when it is started), and how
//! it runs, reporting progress as it goes. The registry ([`JobKinds`]) keeps each kind
//! behind the object-safe [`JobKind`], which decodes the stored JSON into the struct. The
//! queue table, the workers and the API live in the `job` entity
//! (`entities::job::enqueue(&mut tx, &job)` queues inside the caller's transaction).
//!
//! Jobs must be idempotent: a job whose worker died is run again from the start.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::error::FieldError;
use super::state::AppState;

/// A boxed future, as job kinds return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a job stopped without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Cancellation was requested and the job stopped cleanly.
    Cancelled,
    /// The worker lost its lease (another worker took the job over); stop, write nothing.
    LeaseLost,
    /// The job failed; it is retried with backoff while attempts remain.
    Failed(String),
}

impl From<super::error::AppError> for JobError {
    /// A client-facing error keeps its words; an internal one is logged here (inside the
    /// job's span, so with its id) and stored as a sentence that leaks nothing.
    fn from(err: super::error::AppError) -> Self {
        if let super::error::AppError::Internal(cause) = &err {
            tracing::error!(error = ?cause, "internal error in a job");
            return Self::Failed(
                "the job stopped on an internal error; it is logged with the job's id".into(),
            );
        }
        Self::Failed(err.to_problem().detail)
    }
}

impl From<sqlx::Error> for JobError {
    fn from(err: sqlx::Error) -> Self {
        Self::from(super::error::AppError::from(err))
    }
}

/// Where a running job reports progress; answers whether it should stop.
pub trait Progress: Send + Sync {
    /// Records progress (0..1) and a message; `Err` tells the job to stop now.
    fn report(&self, fraction: f64, message: String) -> BoxFuture<'_, Result<(), JobError>>;
}

/// What a running job gets: the app's state, its id, and a way to report progress.
#[derive(Clone)]
pub struct JobContext {
    /// The app's state (database, models, …).
    pub state: AppState,
    /// The job's id.
    pub job_id: i64,
    progress: Arc<dyn Progress>,
}

impl JobContext {
    /// A context for job `job_id` reporting to `progress`.
    pub fn new(state: AppState, job_id: i64, progress: Arc<dyn Progress>) -> Self {
        Self {
            state,
            job_id,
            progress,
        }
    }

    /// Waits for a CPU slot, for a step that keeps a core busy: CPU-heavy job steps run
    /// at most one fewer at a time than there are cores, so one core is always left to
    /// answer requests. Hold the guard while the step runs (on the blocking pool).
    pub async fn cpu_slot(&self) -> tokio::sync::OwnedSemaphorePermit {
        loop {
            if let Ok(permit) = self.state.cpu.clone().acquire_owned().await {
                return permit;
            }
        }
    }

    /// Runs a CPU-heavy step on the blocking pool, in a CPU slot.
    pub async fn cpu<T: Send + 'static>(
        &self,
        step: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let _slot = self.cpu_slot().await;
        tokio::task::spawn_blocking(step)
            .await
            .map_err(|e| JobError::Failed(format!("a step panicked: {e}")))
    }

    /// Reports progress; an `Err` (cancelled, lease lost) means stop and return it.
    pub async fn progress(
        &self,
        fraction: f64,
        message: impl Into<String>,
    ) -> Result<(), JobError> {
        self.progress
            .report(fraction.clamp(0.0, 1.0), message.into())
            .await
    }
}

/// A job: its parameters as a typed struct (serde), a stable kind name, and how it runs.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name stored with every job of this kind, e.g. `score_fair_prices`.
    const KIND: &'static str;

    /// Reads and checks the parameters a client sent (or a stored job holds): every
    /// problem, with a JSON pointer. By default serde reads them (unknown fields refused
    /// where the struct says so) and [`Job::check`] checks what types cannot say.
    fn parse(params: &Json) -> Result<Self, Vec<FieldError>> {
        let job: Self =
            serde_json::from_value(params.clone()).map_err(|e| vec![serde_error(&e)])?;
        job.check()?;
        Ok(job)
    }

    /// Checks what the types cannot say (ranges, references); every problem.
    fn check(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    /// Runs the job: CPU-heavy steps through [`JobContext::cpu`]; the result is stored
    /// with the job.
    fn run(self, ctx: &JobContext) -> impl Future<Output = Result<Json, JobError>> + Send;

    /// The parameters as stored: the struct's JSON (the same job always gives the same
    /// text, which is how a started job finds its queued twin).
    fn to_params(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }
}

/// A serde error as a field error: `missing field `x`` and `unknown field `x`` point at
/// `/x`.
fn serde_error(e: &serde_json::Error) -> FieldError {
    let text = e.to_string();
    let field = text
        .split('`')
        .nth(1)
        .filter(|_| text.starts_with("missing field") || text.starts_with("unknown field"));
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    match field {
        Some(f) => FieldError::new(format!("/{f}"), message),
        None => FieldError::new("", message),
    }
}

/// The registry's view of a typed job.
struct Typed<J>(PhantomData<fn() -> J>);

impl<J: Job> JobKind for Typed<J> {
    fn name(&self) -> &'static str {
        J::KIND
    }

    fn check(&self, params: &Json) -> Result<Json, Vec<FieldError>> {
        J::parse(params).map(|job| job.to_params())
    }

    fn run<'a>(
        &'a self,
        ctx: &'a JobContext,
        params: Json,
    ) -> BoxFuture<'a, Result<Json, JobError>> {
        Box::pin(async move {
            let job = J::parse(&params).map_err(|e| {
                JobError::Failed(format!(
                    "the stored parameters are not a {} job: {}",
                    J::KIND,
                    e.iter()
                        .map(|e| format!("{} {}", e.path, e.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            })?;
            job.run(ctx).await
        })
    }
}

/// A kind of job as the registry and the workers see it (object-safe; typed jobs get it
/// from [`JobKinds::job`]).
pub trait JobKind: Send + Sync + 'static {
    /// The stable name stored with every job of this kind, e.g. `score_products`.
    fn name(&self) -> &'static str;

    /// Checks parameters when the job is started (so bad ones are a 422 then, not a
    /// failed job later) and returns them normalized.
    fn check(&self, params: &Json) -> Result<Json, Vec<FieldError>>;

    /// Runs the job; CPU-heavy parts belong on the blocking pool (`spawn_blocking`).
    fn run<'a>(
        &'a self,
        ctx: &'a JobContext,
        params: Json,
    ) -> BoxFuture<'a, Result<Json, JobError>>;
}

/// Every registered kind, by name.
#[derive(Clone, Default)]
pub struct JobKinds {
    kinds: HashMap<&'static str, Arc<dyn JobKind>>,
}

impl std::fmt::Debug for JobKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds.keys()).finish()
    }
}

impl JobKinds {
    /// Registers a typed job.
    pub fn job<J: Job>(self) -> Self {
        self.with(Typed::<J>(PhantomData))
    }

    /// Registers a kind.
    pub fn with(mut self, kind: impl JobKind) -> Self {
        self.kinds.insert(kind.name(), Arc::new(kind));
        self
    }

    /// The kind called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn JobKind>> {
        self.kinds.get(name).cloned()
    }

    /// Every kind's name, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.kinds.keys().copied().collect();
        names.sort_unstable();
        names
    }
}
