//! `retort worker`: job workers with no HTTP server, for another machine sharing the
//! PostgreSQL database.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::entities::job::worker::{self, WorkerConfig};
use crate::kernel::config::{DatabaseArgs, Limits, RuntimeArgs};
use crate::kernel::db::Db;
use crate::kernel::state::AppState;

/// Arguments of `retort worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// How many jobs run at once.
    #[arg(long, env = "RETORT_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Seconds running jobs get to finish after SIGTERM or SIGINT before they are handed back.
    #[arg(long, env = "RETORT_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub runtime: RuntimeArgs,
}

/// Runs workers until a signal, then shuts them down gracefully.
pub async fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&args.database.database_url).await?;
    db.migrate().await?;
    let state = AppState::new(db.clone(), Limits::default()).with_runtime(args.runtime.load()?);
    let config = WorkerConfig {
        grace: Duration::from_secs(args.shutdown_grace_secs),
        ..WorkerConfig::default()
    };
    let pool = worker::spawn(state.clone(), args.workers.max(1), config);
    let background = crate::entities::spawn_background(&state);
    tracing::info!(workers = args.workers.max(1), kinds = ?state.jobs.names(), "retort worker running");
    crate::app::shutdown_signal().await;
    state.guards.shutdown().cancel();
    for task in background {
        let _ = task.await;
    }
    pool.shutdown().await;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
