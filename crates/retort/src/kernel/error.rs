//! The one error type of the app and its RFC 9457 `application/problem+json` rendering.
//!
//! Policy: a client error says exactly what is wrong (and, for validation, every field at
//! once); an internal error is logged once with its cause and answered with a generic 500
//! that leaks nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid value: where it is (a JSON pointer) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer to the offending value, such as `/rim_in` or `/items/3/width_mm`.
    #[schema(example = "/rim_in")]
    pub path: String,
    /// What is wrong, in words a person can act on.
    #[schema(example = "must be between 12 and 26")]
    pub message: String,
    /// Where the value came from when it is not the body: `query` for a query parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<&'static str>,
}

impl FieldError {
    /// An error about the field at `path` of the request body.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            location: None,
        }
    }

    /// An error about the path parameter `name`.
    pub fn path_param(name: &str, message: impl Into<String>) -> Self {
        Self {
            path: format!("/{name}"),
            message: message.into(),
            location: Some("path"),
        }
    }

    /// An error about the query parameter `name`.
    pub fn query(name: &str, message: impl Into<String>) -> Self {
        Self {
            path: format!("/{name}"),
            message: message.into(),
            location: Some("query"),
        }
    }
}

/// One bad cell of an uploaded CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// Row number as a spreadsheet shows it: the header is row 1, the first data row is 2.
    pub row: u64,
    /// Column name, or empty when the error concerns the whole row.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// An RFC 9457 problem document, as sent to clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[schema(example = "urn:retort:problem:validation")]
    pub r#type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Validation failed")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// Every invalid field, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Every bad CSV cell (capped), for import problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_errors: Option<Vec<RowError>>,
    /// How many row errors there were in all, when `row_errors` is capped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_row_errors: Option<u64>,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input parsed but some values are invalid (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A CSV upload had bad rows; nothing was written (422).
    #[error("import failed: {total} row errors")]
    Import {
        /// The first errors, capped.
        errors: Vec<RowError>,
        /// How many there were in all.
        total: u64,
        /// A sentence for `detail`.
        detail: String,
    },
    /// The request could not be understood at all, e.g. malformed JSON (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No such resource (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// No route for this method on this path (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request conflicts with the current state, e.g. a duplicate key (409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The body is larger than the configured limit (413).
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// The request asks for more than a limit allows (rows, tensor elements, values),
    /// said in numbers (413).
    #[error("too large: {0}")]
    TooLarge(String),
    /// The body's content type is not one this endpoint reads (415).
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    /// The client stopped sending the body before it was complete (408).
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    /// The resource changed since the client read it: `If-Match` did not match (412).
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// No valid credential came with the request (401, with `WWW-Authenticate: Bearer`).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The credential is valid but lacks the permission, or the request came from
    /// another site (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request names a host this server does not answer for (421).
    #[error("misdirected: {0}")]
    Misdirected(String),
    /// The caller started too much work too fast (429 with `Retry-After`).
    #[error("too many requests: {detail}")]
    TooManyRequests {
        /// A sentence for `detail`.
        detail: String,
        /// Seconds until the next start is allowed.
        retry_after: u64,
    },
    /// A dependency such as the database is not reachable (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The server is busy right now (the database is locked by another writer, every
    /// connection or inference slot is taken, too many requests are in flight, or the
    /// request ran past its deadline); the same request may succeed later (503 with
    /// `Retry-After`).
    #[error("busy: {0}")]
    Busy(String),
    /// A bug or an unexpected failure; logged, never described to the client (500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Seconds a client is asked to wait before retrying a 503.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Whether a database error means "busy, try again": SQLite's BUSY and LOCKED codes
/// (5, 6 and their extended forms 261, 262, 517, 773), PostgreSQL's serialization
/// failure, deadlock, lock timeout and too-many-connections states.
pub fn is_busy(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("5" | "6" | "261" | "262" | "517" | "773") => true,
            Some("40001" | "40P01" | "55P03" | "53300" | "57014") => true,
            _ => d.message().contains("database is locked"),
        },
        _ => false,
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if is_busy(&err) {
            // The cause goes to the log; the client learns only that it may retry.
            tracing::warn!(error = %err, "database busy");
            return Self::Busy("the database is busy; retry shortly".into());
        }
        match err {
            sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %err, "database unreachable");
                Self::Unavailable("the database is not reachable".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::Import { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) | Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable(_) | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error.
    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let (kind, title, detail) = match self {
            Self::Validation(errors) => (
                "validation",
                "Validation failed",
                format!("{} invalid value(s); see errors", errors.len()),
            ),
            Self::Import { detail, .. } => ("import", "Import failed", detail.clone()),
            Self::BadRequest(d) => ("bad-request", "Bad request", d.clone()),
            Self::NotFound(d) => ("not-found", "Not found", d.clone()),
            Self::MethodNotAllowed => (
                "method-not-allowed",
                "Method not allowed",
                "this path does not accept this method".into(),
            ),
            Self::Conflict(d) => ("conflict", "Conflict", d.clone()),
            Self::PayloadTooLarge(limit) => (
                "payload-too-large",
                "Payload too large",
                format!("the body is larger than the limit of {limit} bytes"),
            ),
            Self::TooLarge(d) => ("payload-too-large", "Payload too large", d.clone()),
            Self::UnsupportedMediaType(expected) => (
                "unsupported-media-type",
                "Unsupported media type",
                format!("the body must be sent as Content-Type: {expected}"),
            ),
            Self::PreconditionFailed(d) => {
                ("precondition-failed", "Precondition failed", d.clone())
            }
            Self::RequestTimeout(d) => ("request-timeout", "Request timeout", d.clone()),
            Self::Unauthorized(d) => ("unauthorized", "Unauthorized", d.clone()),
            Self::Forbidden(d) => ("forbidden", "Forbidden", d.clone()),
            Self::Misdirected(d) => ("misdirected", "Misdirected request", d.clone()),
            Self::TooManyRequests { detail, .. } => {
                ("too-many-requests", "Too many requests", detail.clone())
            }
            Self::Unavailable(d) => ("unavailable", "Service unavailable", d.clone()),
            Self::Busy(d) => ("busy", "Busy, retry later", d.clone()),
            Self::Internal(_) => (
                "internal",
                "Internal server error",
                "an unexpected error occurred; it has been logged with this request's id".into(),
            ),
        };
        Problem {
            r#type: format!("urn:retort:problem:{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
            row_errors: match self {
                Self::Import { errors, .. } => Some(errors.clone()),
                _ => None,
            },
            total_row_errors: match self {
                Self::Import { total, .. } => Some(*total),
                _ => None,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(err) => tracing::error!(error = ?err, "internal error"),
            Self::Unavailable(detail) => tracing::warn!(%detail, "dependency unavailable"),
            _ => {}
        }
        let mut response = problem_response(&self.to_problem());
        let headers = response.headers_mut();
        match &self {
            Self::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"retort\""),
                );
            }
            Self::TooManyRequests { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

/// Renders a problem document as a response: its status, `application/problem+json`,
/// and `Retry-After` on a 503.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// Shorthand for handler and service results.
pub type AppResult<T> = Result<T, AppError>;
