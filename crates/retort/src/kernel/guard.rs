//! What every request passes through before a handler sees it: a request id that is
//! ours or a safe one the client sent, a cap on requests in flight, a deadline, a body
//! that must keep arriving, and a panic answered as a 500 problem document.
//!
//! The limits come from [`Limits`]; docs/SECURITY.md lists them and what a client sees
//! when it hits each.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutBody;

use super::config::Limits;
use super::error::{AppError, AppResult, problem_response};
use super::state::AppState;
use crate::app::REQUEST_ID;

/// The longest request id kept from a client.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Paths that answer whatever the load: orchestrators must be able to tell a busy
/// process from a dead one.
const PROBES: [&str; 4] = ["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"];

/// Shared counters of the guards, and the signal that the server is shutting down.
#[derive(Debug)]
pub struct Guards {
    in_flight: Arc<Semaphore>,
    streams: Arc<Semaphore>,
    shutdown: CancellationToken,
    max_streams: usize,
}

impl Guards {
    /// Guards sized by `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
            streams: Arc::new(Semaphore::new(limits.max_sse_streams.max(1))),
            shutdown: CancellationToken::new(),
            max_streams: limits.max_sse_streams.max(1),
        }
    }

    /// Cancelled when the server begins to shut down; long-lived streams end on it.
    pub fn shutdown(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// A place for one more event stream, held for the stream's life; 503 when every
    /// place is taken.
    pub fn stream_slot(&self) -> AppResult<OwnedSemaphorePermit> {
        self.streams.clone().try_acquire_owned().map_err(|_| {
            AppError::Busy(format!(
                "{} event streams are open, the most this server keeps; retry later",
                self.max_streams
            ))
        })
    }
}

/// Whether the id a client sent is safe to log and echo: short, and only letters,
/// digits, `-`, `_`, `.` and `:`.
pub fn is_safe_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Keeps a client's `X-Request-Id` when it is safe, else sets a fresh UUID.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let keep = req
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| is_safe_request_id(v.as_bytes()));
    if !keep {
        let id = uuid::Uuid::new_v4().to_string();
        if let Ok(value) = HeaderValue::from_str(&id) {
            req.headers_mut().insert(REQUEST_ID, value);
        }
    }
    next.run(req).await
}

/// Whether a request carries a file (CSV, ONNX bytes, a form upload) rather than a
/// JSON document: those get the upload deadline instead of the request deadline.
fn is_upload(req: &Request) -> bool {
    matches!(
        super::extract::media_type(req.headers()).as_str(),
        "text/csv" | "application/octet-stream" | "multipart/form-data"
    )
}

/// Admits a request if there is room, gives it its deadline, and makes its body time
/// out when the client stops sending.
pub async fn admit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if PROBES.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let limits = &state.limits;
    let Ok(_permit) = state.guards.in_flight.clone().try_acquire_owned() else {
        return AppError::Busy(format!(
            "{} requests are in flight, the most this server takes at once; retry shortly",
            limits.max_concurrent_requests
        ))
        .into_response();
    };
    let deadline = if is_upload(&req) {
        limits.upload_timeout
    } else {
        limits.request_timeout
    };
    let idle = limits.body_read_timeout;
    let req = req.map(|body| Body::new(TimeoutBody::new(idle, body)));
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Busy(format!(
            "the request took longer than {}, the most this server gives one; it was stopped, and a write it had not committed was rolled back",
            seconds(deadline)
        ))
        .into_response(),
    }
}

/// A duration as a person reads it.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{s:.0} s")
    }
}

/// Whether a body read failed because the client stopped sending (the idle timeout).
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// The answer to a panic in a handler: a 500 problem document that says nothing of the
/// panic (its message and place are logged, with the request id, by the panic hook).
pub fn panic_response(_payload: Box<dyn Any + Send + 'static>) -> Response {
    problem_response(&AppError::Internal(anyhow::anyhow!("a handler panicked")).to_problem())
}

/// Logs every panic through tracing, inside the span it happened in (a request's, with
/// its id, or a job's), instead of printing it bare on standard error.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic = %message, %location, "panic");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_short_and_plain() {
        assert!(is_safe_request_id(b"3f2c9a1e-0b7d-4c55-9a8e-1d2f3a4b5c6d"));
        assert!(is_safe_request_id(b"trace.01:span_02"));
        assert!(!is_safe_request_id(b""));
        assert!(!is_safe_request_id(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
        assert!(!is_safe_request_id(b"id\r\nx-admin: 1"));
        assert!(!is_safe_request_id(b"<script>"));
        assert!(!is_safe_request_id(b"a b"));
    }

    #[test]
    fn durations_read_as_seconds_or_milliseconds() {
        assert_eq!(seconds(Duration::from_millis(250)), "250 ms");
        assert_eq!(seconds(Duration::from_secs(60)), "60 s");
    }
}
