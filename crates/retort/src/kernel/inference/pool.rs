//! Where predictions run: a bounded number at once, each on a thread of the blocking
//! pool (never on the async workers that answer `/healthz` and every other route), each
//! with a deadline covering the wait for a slot and the evaluation.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::kernel::error::AppError;
use crate::kernel::guard::seconds;

/// A bounded set of inference slots with a per-request deadline.
#[derive(Debug)]
pub struct InferencePool {
    slots: Arc<Semaphore>,
    size: usize,
    timeout: Duration,
}

impl InferencePool {
    /// `size` evaluations at once, each allowed `timeout` from the moment it asks.
    pub fn new(size: usize, timeout: Duration) -> Self {
        let size = size.max(1);
        Self {
            slots: Arc::new(Semaphore::new(size)),
            size,
            timeout,
        }
    }

    /// How many evaluations run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `work` in a slot. Past the deadline the caller gets a 503 and the result is
    /// dropped; the slot stays taken until the thread finishes, so abandoned work still
    /// counts against the bound (a validated model's evaluation is bounded by its rows
    /// times its nodes). A panic in `work` is a 500, logged.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let slot = tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| {
                AppError::Busy(format!(
                    "all {} inference slots stayed busy for {}; retry shortly",
                    self.size,
                    seconds(self.timeout)
                ))
            })?
            .map_err(|_| AppError::Unavailable("inference is shutting down".into()))?;
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(join)) => Err(AppError::Internal(anyhow::anyhow!(
                "a prediction panicked: {join}"
            ))),
            Err(_) => Err(AppError::Busy(format!(
                "the prediction took longer than {} (--predict-timeout); it was abandoned",
                seconds(self.timeout)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_past_the_deadline_is_a_503_and_frees_the_caller() {
        let pool = InferencePool::new(1, Duration::from_millis(50));
        // Work that runs until the test lets it go.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let err = pool.run(move || hold.recv()).await.err();
        assert!(matches!(err, Some(AppError::Busy(_))), "{err:?}");
        // The slot is still taken by the abandoned work: the next caller waits, then
        // is told the slots are busy.
        let err = pool.run(|| 1).await.err();
        assert!(matches!(err, Some(AppError::Busy(m)) if m.contains("slots")));
        let _ = release.send(());
    }

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_internal_error() {
        let pool = InferencePool::new(2, Duration::from_secs(5));
        let err = pool.run(|| -> i32 { panic!("boom") }).await.err();
        assert!(matches!(err, Some(AppError::Internal(_))));
        assert_eq!(pool.run(|| 7).await.ok(), Some(7));
    }
}
