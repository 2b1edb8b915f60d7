//! `retort serve`: connect, migrate, listen, and shut down gracefully.

use std::io::Write as _;
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
    let access = args.access.config(args.bind)?;
    let db = Db::connect(&args.database.database_url).await?;
    db.migrate().await?;
    let first_key = admin_key(&db).await?;
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
    let state = AppState::new(db.clone(), args.limits.clone())
        .with_runtime(runtime)
        .with_access(access);
    if args.demo
        && !super::demo::prepare(
            &state,
            args.demo_products as usize,
            crate::demo::SALES_PRODUCTS,
            42,
        )
        .await?
    {
        eprintln!("demo: the database already has products; leaving them as they are");
    }
    match crate::entities::model::service::preload(&state).await {
        Ok(n) => tracing::info!(models = n, "models loaded"),
        Err(e) => tracing::warn!(error = ?e, "loading models failed; they will load on first use"),
    }
    // The mispricing analyses are read into memory now rather than by the first list.
    tokio::spawn({
        let state = state.clone();
        async move { crate::entities::pricing::service::warm(&state).await }
    });
    let config = WorkerConfig {
        grace: Duration::from_secs(args.shutdown_grace_secs),
        ..WorkerConfig::default()
    };
    if let Some(key) = first_key {
        announce_first_key(&key, addr);
    }
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

/// The variable that seeds a known admin key (e.g. from a Kubernetes Secret).
pub const ADMIN_KEY_ENV: &str = "RETORT_ADMIN_KEY";

/// Seeds `RETORT_ADMIN_KEY` when set; otherwise, on a database with no key, makes the
/// first admin key and returns it to be shown once.
async fn admin_key(db: &Db) -> anyhow::Result<Option<String>> {
    match std::env::var(ADMIN_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => {
            crate::entities::key::service::seed_admin_key(db, key.trim())
                .await
                .context(ADMIN_KEY_ENV)?;
            Ok(None)
        }
        _ => crate::entities::key::service::first_admin_key(db).await,
    }
}

/// Prints the first admin key once, with a sign-in link whose fragment carries it (a
/// fragment never reaches a server, so the key stays out of every access log).
fn announce_first_key(key: &str, addr: std::net::SocketAddr) {
    let host = if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    };
    // Never a panic if stderr is gone (a closed pipe): the server goes on.
    let _ = writeln!(
        std::io::stderr(),
        "\nThis database had no API key, so an admin key was made. It is shown this once; \
         keep it somewhere safe:\n\n    {key}\n\n\
         Sign in to the dashboard:  http://{host}/sign-in#key={key}\n\
         Call the API with it:      curl -H 'Authorization: Bearer {key}' http://{host}/api/models\n\
         Make keys for others:      retort keys create --name NAME --role viewer\n"
    );
}
