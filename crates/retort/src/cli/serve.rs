//! `retort serve`: connect, migrate, listen, and shut down gracefully.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use crate::app;
use crate::entities::job::worker::{self, WorkerConfig};
use crate::kernel::config::ServeArgs;
use crate::kernel::db::{Db, redact};
use crate::kernel::state::AppState;

/// Runs the server until SIGINT or SIGTERM; in-flight requests get the grace period.
pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&args.database.database_url).await?;
    db.migrate().await?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %redact(&args.database.database_url), "retort listening on http://{addr} (API docs at /docs)");

    let (stop_tx, mut stop_rx) = watch::channel(false);
    let signal = async move {
        app::shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    let runtime = args.runtime.load()?;
    if let Some(rt) = &runtime {
        tracing::info!(path = %rt.path.display(), "ONNX Runtime loaded as the second backend");
    }
    let state = AppState::new(db.clone(), args.limits.clone()).with_runtime(runtime);
    if args.demo && !super::demo::prepare(&state, args.demo_products, 42).await? {
        eprintln!("demo: the database already has products; leaving them as they are");
    }
    match crate::entities::model::service::preload(&state).await {
        Ok(n) => tracing::info!(models = n, "models loaded"),
        Err(e) => tracing::warn!(error = ?e, "loading models failed; they will load on first use"),
    }
    let config = WorkerConfig {
        grace: Duration::from_secs(args.shutdown_grace_secs),
        ..WorkerConfig::default()
    };
    let workers = worker::spawn(state.clone(), args.workers, config);
    let background = crate::entities::spawn_background(&state);
    let shutdown = state.guards.shutdown();
    tracing::info!(workers = args.workers, kinds = ?state.jobs.names(), "job workers started");
    let server = app::serve(listener, state, signal);
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    let deadline = async move {
        let _ = stop_rx.wait_for(|stopped| *stopped).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.context("server error")?,
        () = deadline => tracing::warn!(grace_secs = grace.as_secs(), "grace period over: dropping unfinished requests"),
    }
    shutdown.cancel();
    for task in background {
        let _ = task.await;
    }
    workers.shutdown().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
