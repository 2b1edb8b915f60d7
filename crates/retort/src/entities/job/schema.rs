//! A job on the wire.

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::ToSchema;

use super::model::JobRow;

/// A background job: what it is, where it is, and how it ended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobOut {
    /// The job's id.
    pub id: i64,
    /// Its kind, e.g. `score_products`.
    pub kind: String,
    /// Its parameters.
    #[schema(value_type = Object)]
    pub params: Json,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    #[schema(value_type = JobStatus, example = "running")]
    pub status: String,
    /// Progress: fraction done (0..1) and the last message.
    pub progress: ProgressOut,
    /// Runs started so far, and how many are allowed.
    pub attempts: i64,
    /// Runs allowed before the job fails for good.
    pub max_attempts: i64,
    /// Whether cancellation was asked for.
    pub cancel_requested: bool,
    /// The result, once succeeded.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Json>,
    /// The last error (of a failed run, or the final one).
    pub error: Option<String>,
    /// When it was queued.
    pub created_at: String,
    /// When it first started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Its last change.
    pub updated_at: String,
}

/// Where a job is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum JobStatus {
    /// Waiting for a worker (or for its next attempt).
    Queued,
    /// A worker runs it.
    Running,
    /// It ended well; see `result`.
    Succeeded,
    /// It ended badly; see `error`.
    Failed,
    /// It was cancelled.
    Cancelled,
}

/// Progress of a job.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProgressOut {
    /// Fraction done, 0..1.
    pub fraction: f64,
    /// What it is doing.
    pub message: String,
}

impl From<JobRow> for JobOut {
    fn from(r: JobRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            params: serde_json::from_str(&r.params).unwrap_or(Json::Null),
            status: r.status,
            progress: ProgressOut {
                fraction: r.progress,
                message: r.message,
            },
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            cancel_requested: r.cancel_requested,
            result: r
                .result
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            error: r.error,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            updated_at: r.updated_at,
        }
    }
}

crate::list_params!(
    /// Query parameters of the job list (written from its `ListSpec`).
    JobListParams,
    super::model::LIST,
    "id"
);

/// One Server-Sent Event of a job's stream (`GET /api/jobs/{id}/events`).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct JobEvent {
    /// Always `job`.
    #[schema(pattern = "^job$", example = "job")]
    event: String,
    /// The job as JSON text (a `JobOut`).
    data: String,
}
