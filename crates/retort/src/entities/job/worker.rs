//! Workers: claim a job, hold its lease (renewed in the background), run its kind, and
//! record how it ended — retrying failures with exponential backoff, giving running jobs
//! a grace period on shutdown and then handing them back to the queue.

use std::sync::Arc;
use std::time::Duration;

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::model::{self, JobRow, Outcome};
use crate::kernel::db::Db;
use crate::kernel::jobs::{BoxFuture, JobContext, JobError, Progress};
use crate::kernel::state::AppState;

/// How workers behave.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claim lasts without renewal; a dead worker's job is taken up after it.
    pub lease: Duration,
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// How long running jobs may go on after shutdown begins.
    pub grace: Duration,
    /// The first retry's delay; each later one doubles it (capped at 10 minutes).
    pub backoff: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(250),
            grace: Duration::from_secs(30),
            backoff: Duration::from_secs(2),
        }
    }
}

/// Running workers; stop them with [`WorkerPool::shutdown`].
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

/// Starts `count` workers in this process.
pub fn spawn(state: AppState, count: usize, config: WorkerConfig) -> WorkerPool {
    let (stop, stopped) = watch::channel(false);
    let process = uuid::Uuid::new_v4().simple().to_string();
    let handles = (0..count)
        .map(|i| {
            let owner = format!("{}-{i}", &process[..12]);
            tokio::spawn(work(state.clone(), owner, config.clone(), stopped.clone()))
        })
        .collect();
    WorkerPool { stop, handles }
}

impl WorkerPool {
    /// Stops claiming, lets running jobs finish within the grace period, hands back the
    /// rest, and waits for every worker to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// A task that is aborted when this handle is dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The delay before retry number `attempt` (1 = the first retry).
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let factor = 2u32.saturating_pow(
        u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(20),
    );
    base.saturating_mul(factor).min(Duration::from_secs(600))
}

async fn work(
    state: AppState,
    owner: String,
    config: WorkerConfig,
    mut stop: watch::Receiver<bool>,
) {
    let kinds = state.jobs.names();
    loop {
        if *stop.borrow() {
            return;
        }
        match model::claim(&state.db, &owner, config.lease, &kinds).await {
            Ok(Some(job)) => run_one(&state, &owner, &config, job, stop.clone()).await,
            Ok(None) => {
                tokio::select! {
                    () = tokio::time::sleep(config.poll) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job failed; retrying");
                tokio::time::sleep(config.poll).await;
            }
        }
    }
}

/// Claims the oldest due job and runs it to its end in this task (as a worker would);
/// whether there was one. Tests run queued work with it, without workers or sleeping.
pub async fn run_next(
    state: &AppState,
    owner: &str,
    config: &WorkerConfig,
) -> Result<bool, sqlx::Error> {
    let kinds = state.jobs.names();
    match model::claim(&state.db, owner, config.lease, &kinds).await? {
        Some(job) => {
            // Never stopped: the run ends when the job does.
            let (_stop, stopped) = watch::channel(false);
            run_one(state, owner, config, job, stopped).await;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Reports progress to the job's row, renewing the lease; tells the job to stop when it
/// was cancelled or its lease was lost.
struct Reporter {
    db: Db,
    id: i64,
    owner: String,
    lease: Duration,
}

impl Progress for Reporter {
    fn report(&self, fraction: f64, message: String) -> BoxFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            match model::heartbeat(
                &self.db,
                self.id,
                &self.owner,
                self.lease,
                Some((fraction, &message)),
            )
            .await
            {
                Ok(Some(false)) => Ok(()),
                Ok(Some(true)) => Err(JobError::Cancelled),
                Ok(None) => Err(JobError::LeaseLost),
                // A database hiccup is not a reason to abandon the work; the lease
                // renewal decides whether the job is still ours.
                Err(e) => {
                    tracing::warn!(job = self.id, error = %e, "recording progress failed");
                    Ok(())
                }
            }
        })
    }
}

async fn run_one(
    state: &AppState,
    owner: &str,
    config: &WorkerConfig,
    job: JobRow,
    mut stop: watch::Receiver<bool>,
) {
    let give_up = |error: String| Outcome::Failed {
        error,
        retry_in: None,
    };
    let outcome = if job.attempts > job.max_attempts {
        give_up(format!(
            "gave up after {} attempts (the last worker stopped without finishing)",
            job.max_attempts
        ))
    } else if let Some(kind) = state.jobs.get(&job.kind) {
        match serde_json::from_str(&job.params) {
            Err(e) => give_up(format!("stored parameters are not JSON: {e}")),
            Ok(params) => {
                let reporter = Arc::new(Reporter {
                    db: state.db.clone(),
                    id: job.id,
                    owner: owner.to_owned(),
                    lease: config.lease,
                });
                let ctx = JobContext::new(state.clone(), job.id, reporter);
                // Renew the lease in the background, so a long step between progress
                // reports does not lose it.
                let renew = {
                    let (db, id, owner, lease) =
                        (state.db.clone(), job.id, owner.to_owned(), config.lease);
                    // Dropped, it stops: whatever way the run ends, a panic included.
                    AbortOnDrop(tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(lease / 3).await;
                            if let Ok(None) = model::heartbeat(&db, id, &owner, lease, None).await {
                                return;
                            }
                        }
                    }))
                };
                let grace = async {
                    let _ = stop.wait_for(|s| *s).await;
                    tokio::time::sleep(config.grace).await;
                };
                // A panicking kind fails this attempt like any failure (and is retried);
                // the panic hook logs it inside the job's span, with the job's id.
                let run = AssertUnwindSafe(kind.run(&ctx, params))
                    .catch_unwind()
                    .map(|r| {
                        r.unwrap_or_else(|_| {
                            Err(JobError::Failed(
                                "the job stopped on an internal error; it is logged with the job's id".into(),
                            ))
                        })
                    })
                    .instrument(tracing::info_span!("job", job = job.id, kind = %job.kind));
                let result = tokio::select! {
                    r = run => Some(r),
                    () = grace => None,
                };
                drop(renew);
                match result {
                    None => Outcome::Released,
                    Some(Ok(value)) => Outcome::Succeeded(value.to_string()),
                    Some(Err(JobError::Cancelled)) => Outcome::Cancelled,
                    Some(Err(JobError::LeaseLost)) => {
                        tracing::warn!(job = job.id, "lease lost: another worker has the job");
                        return;
                    }
                    Some(Err(JobError::Failed(error))) if job.attempts < job.max_attempts => {
                        Outcome::Failed {
                            error,
                            retry_in: Some(backoff(config.backoff, job.attempts)),
                        }
                    }
                    Some(Err(JobError::Failed(error))) => give_up(error),
                }
            }
        }
    } else {
        give_up(format!("no job kind {:?} in this build", job.kind))
    };
    if let Outcome::Failed { error, retry_in } = &outcome {
        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, will_retry = retry_in.is_some(), "job attempt failed");
    }
    match model::finish(&state.db, job.id, owner, &outcome).await {
        Ok(true) => {
            tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, outcome = outcome_name(&outcome), "job ended")
        }
        Ok(false) => tracing::warn!(job = job.id, "lease lost before the job's end was recorded"),
        Err(e) => {
            tracing::error!(job = job.id, error = %e, "recording the job's end failed; it will be taken up again")
        }
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Succeeded(_) => "succeeded",
        Outcome::Failed {
            retry_in: Some(_), ..
        } => "failed, will retry",
        Outcome::Failed { .. } => "failed",
        Outcome::Cancelled => "cancelled",
        Outcome::Released => "handed back",
    }
}
