//! HTTP handlers for jobs, including the Server-Sent Events stream of a job's changes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};

use super::schema::{JobEvent, JobListParams, JobOut};
use super::service;
use crate::kernel::error::{AppResult, Problem};
use crate::kernel::extract::{Id, QueryPairs};
use crate::kernel::openapi::{BadQuery, Unavailable};
use crate::kernel::pagination::Page;
use crate::kernel::state::AppState;

/// How often the event stream looks at the job (it may be run by another process).
const EVENT_POLL: Duration = Duration::from_millis(200);

/// Fetches a job: kind, status, progress, attempts, times, result or error.
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs", params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = JobOut),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn get_job(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<JobOut>> {
    Ok(Json(service::get(&state, id).await?))
}

/// Lists jobs, filtered by `kind` and `status` (repeatable), paged with cursors.
#[utoipa::path(get, path = "/api/jobs", tag = "jobs",
    params(JobListParams),
    responses(
        (status = 200, description = "One page of jobs", body = Page<JobOut>),
        BadQuery, Unavailable,
    ))]
pub async fn list_jobs(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<JobOut>>> {
    let page = service::list(&state, &pairs).await?;
    Ok(Json(page))
}

/// Asks a job to stop: a queued job is cancelled at once; a running one stops cleanly at
/// its next progress report.
#[utoipa::path(post, path = "/api/jobs/{id}/cancel", tag = "jobs", params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job, with cancel_requested set", body = JobOut),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job has already ended", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn cancel_job(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<JobOut>> {
    Ok(Json(service::cancel(&state, id).await?))
}

/// Streams the job's changes as Server-Sent Events (`event: job`, data: the job as JSON),
/// every status and progress change in order, ending when the job ends.
#[utoipa::path(get, path = "/api/jobs/{id}/events", tag = "jobs", params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "text/event-stream of the job's changes: one `JobEvent` per change", content_type = "text/event-stream", body = JobEvent),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn job_events(
    State(state): State<AppState>,
    Id(id): Id,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let first = service::row(&state, id).await?;
    // The stream holds its place among the open streams until it ends.
    let slot = Arc::new(state.guards.stream_slot()?);
    let shutdown = state.guards.shutdown();
    // (state, last seen, done)
    let stream = futures_util::stream::unfold(
        (state, None::<(String, String)>, false, Some(first)),
        move |(state, last, done, pending)| async move {
            if done {
                return None;
            }
            let mut pending = pending;
            loop {
                let row = match pending.take() {
                    Some(r) => r,
                    None => {
                        tokio::time::sleep(EVENT_POLL).await;
                        match service::row(&state, id).await {
                            Ok(r) => r,
                            Err(_) => return None,
                        }
                    }
                };
                let key = (
                    row.status.clone(),
                    format!("{}|{}|{}", row.progress, row.message, row.attempts),
                );
                if last.as_ref() != Some(&key) {
                    let finished = row.is_finished();
                    let data = serde_json::to_string(&JobOut::from(row)).unwrap_or_default();
                    let event = Event::default().event("job").data(data);
                    return Some((Ok(event), (state, Some(key), finished, None)));
                }
            }
        },
    );
    // Streams end when the server shuts down, so they never hold up a graceful stop.
    let stream = stream
        .take_until(async move { shutdown.cancelled_owned().await })
        .map(move |event| {
            let _slot = &slot;
            event
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
