//! The HTTP server loop: accepts connections and serves the app over HTTP/1.1 with what
//! `axum::serve` lacks — a deadline for a request's headers (a client that trickles them
//! cannot hold a connection open), and a cap on open connections — then shuts down
//! gracefully: stop accepting, end event streams, let in-flight requests finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The most connections open at once; past it a new connection is closed at once.
pub const MAX_CONNECTIONS: usize = 4096;

/// Serves `app` on `listener` until `shutdown` completes (a client gets
/// `header_read_timeout` to send a request's headers); then cancels `streams` (event
/// streams end), stops accepting, and waits for open connections to finish their
/// requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read_timeout: Duration,
    streams: CancellationToken,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    // Each connection holds a receiver; the sender's `closed` says when all are gone.
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (io, _) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors, say: wait a moment instead of spinning.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            tracing::warn!(
                max = MAX_CONNECTIONS,
                "too many open connections: closing a new one"
            );
            continue;
        };
        let service = TowerToHyperService::new(
            app.clone()
                .map_request(|req: Request<Incoming>| req.map(Body::new)),
        );
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let conn = builder
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = stopped.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    // Event streams end now; other requests finish (the caller bounds how long).
    streams.cancel();
    let _ = stop.send(true);
    drop(stopped);
    stop.closed().await;
    Ok(())
}
