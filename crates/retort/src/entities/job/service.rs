//! The rules for jobs: start one (parameters checked now), read, list, cancel.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use super::model::{self, JobRow, LIST};
use super::schema::JobOut;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::jobs::Job;
use crate::kernel::pagination::Page;
use crate::kernel::query::ListQuery;
use crate::kernel::state::AppState;

/// Runs allowed per job unless a kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 3;

/// Queues a job of `kind` after checking `params` (422 with every bad field); answers
/// 202 with `Location: /api/jobs/{id}` and the job. A job of the same kind with the same
/// checked parameters that is still queued is answered instead of queueing a twin.
pub async fn start(state: &AppState, kind: &str, params: &Json) -> AppResult<Response> {
    let id = enqueue_once(state, kind, params).await?;
    let job = get(state, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/jobs/{id}"))],
        axum::Json(job),
    )
        .into_response())
}

/// Queues a job of `kind` after checking `params` (422 with every bad field); its id.
pub async fn enqueue(state: &AppState, kind: &str, params: &Json) -> AppResult<i64> {
    let params = checked(state, kind, params)?;
    Ok(model::enqueue(&state.db, kind, &params, DEFAULT_MAX_ATTEMPTS).await?)
}

/// The parameters as `kind` normalises them, as stored; 422 for an unknown kind or bad
/// parameters.
fn checked(state: &AppState, kind: &str, params: &Json) -> AppResult<String> {
    let job_kind = state.jobs.get(kind).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "/kind",
            format!(
                "no job kind {kind:?}; kinds: {}",
                state.jobs.names().join(", ")
            ),
        )])
    })?;
    Ok(job_kind
        .check(params)
        .map_err(AppError::Validation)?
        .to_string())
}

/// Queues a job of `kind` after checking `params`, unless the same is already queued:
/// the id of the job that will do the work.
pub async fn enqueue_once(state: &AppState, kind: &str, params: &Json) -> AppResult<i64> {
    let params = checked(state, kind, params)?;
    let key = dedupe_key(kind, &params);
    let (id, _new) =
        model::enqueue_once(&state.db, kind, &params, &key, DEFAULT_MAX_ATTEMPTS).await?;
    Ok(id)
}

/// The key that makes two starts the same job: the kind and its checked parameters.
fn dedupe_key(kind: &str, params: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(kind.as_bytes())
        .chain_update([0u8])
        .chain_update(params.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A queued or running job of `kind` with exactly these (checked) parameters, else a new
/// one: its id. For work that only needs doing once however often it is asked for.
pub async fn ensure(state: &AppState, kind: &str, params: &Json) -> AppResult<i64> {
    let normalized = match state.jobs.get(kind) {
        Some(k) => k.check(params).map_err(AppError::Validation)?,
        None => params.clone(),
    };
    if let Some(id) = model::pending(&state.db, kind, &normalized.to_string()).await? {
        return Ok(id);
    }
    enqueue(state, kind, &normalized).await
}

/// The queued or running job of `kind` with these (checked) parameters, if any; reads
/// only.
pub async fn pending(state: &AppState, kind: &str, params: &Json) -> AppResult<Option<i64>> {
    let params = checked(state, kind, params)?;
    Ok(model::pending(&state.db, kind, &params).await?)
}

/// The job with `id`; 404 if none.
pub async fn get(state: &AppState, id: i64) -> AppResult<JobOut> {
    Ok(row(state, id).await?.into())
}

/// The row of job `id`; 404 if none.
pub async fn row(state: &AppState, id: i64) -> AppResult<JobRow> {
    model::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no job with id {id}")))
}

/// One page of jobs for the query parameters (`kind`, `status`, `sort`, `limit`, `cursor`).
pub async fn list(state: &AppState, pairs: &[(String, String)]) -> AppResult<Page<JobOut>> {
    let query = ListQuery::parse(&LIST, pairs, &[]).map_err(AppError::Validation)?;
    Ok(model::list(&state.db, &query).await?.map(JobOut::from))
}

/// Asks a job to stop; 409 if it has already ended.
pub async fn cancel(state: &AppState, id: i64) -> AppResult<JobOut> {
    let before = row(state, id).await?;
    if before.is_finished() {
        return Err(AppError::Conflict(format!(
            "job {id} has already ended ({})",
            before.status
        )));
    }
    let after = model::request_cancel(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no job with id {id}")))?;
    Ok(after.into())
}

/// Queues `job` on `conn`, inside the caller's transaction (the job exists exactly when
/// the caller's writes do); its id. Its parameters are checked first (422).
pub async fn enqueue_job<J: Job>(conn: &mut sqlx::AnyConnection, job: &J) -> AppResult<i64> {
    let params = J::parse(&job.to_params())
        .map_err(AppError::Validation)?
        .to_params();
    Ok(model::enqueue_on(conn, J::KIND, &params.to_string(), DEFAULT_MAX_ATTEMPTS).await?)
}

/// Queues `job` unless the same is already queued: the job that will do the work.
pub async fn start_job<J: Job>(state: &AppState, job: &J) -> AppResult<JobOut> {
    let id = enqueue_once(state, J::KIND, &job.to_params()).await?;
    get(state, id).await
}

/// The queued or running job equal to `job`, else a new one: its id.
pub async fn ensure_job<J: Job>(state: &AppState, job: &J) -> AppResult<i64> {
    ensure(state, J::KIND, &job.to_params()).await
}

/// The queued or running job equal to `job`, if any; reads only.
pub async fn pending_job<J: Job>(state: &AppState, job: &J) -> AppResult<Option<i64>> {
    pending(state, J::KIND, &job.to_params()).await
}

/// Starts job `J` with the parameters in a request's JSON body: 202 with `Location` and
/// the job ([`accepted`]); 422 naming every bad parameter; 400 for a missing or
/// malformed body.
pub async fn start_from_request<J: Job>(
    state: &AppState,
    request: axum::extract::Request,
) -> AppResult<Response> {
    let body = crate::kernel::extract::json_body(request, state).await?;
    let job = J::parse(&body).map_err(AppError::Validation)?;
    Ok(accepted(start_job(state, &job).await?))
}

/// The answer to a request that started a job: 202, `Location: /api/jobs/{id}` and the
/// job.
pub fn accepted(job: JobOut) -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/jobs/{}", job.id))],
        axum::Json(job),
    )
        .into_response()
}
