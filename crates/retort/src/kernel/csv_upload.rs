//! CSV uploads over HTTP: a `text/csv` body read as a stream that fails past the import
//! limit (413), and the `upsert` query parameter of every import endpoint.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use futures_util::TryStreamExt;
use tokio_util::io::StreamReader;

use super::error::{AppError, AppResult, FieldError};
use super::validation::Cell;

/// Reads `upsert` from the import's query string.
pub fn import_upsert(pairs: &[(String, String)]) -> AppResult<bool> {
    let mut upsert = false;
    let mut errors = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "upsert" => match Cell::Text(value).boolean() {
                Ok(v) => upsert = v,
                Err(m) => errors.push(FieldError::query("upsert", m)),
            },
            other => errors.push(FieldError::query(other, "is not a known parameter")),
        }
    }
    if errors.is_empty() {
        Ok(upsert)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The marker text of the I/O error raised when an upload passes its limit.
const LIMIT_MARKER: &str = "upload larger than the import limit";

/// Maps a read failure of an upload: past the limit it is a 413, otherwise a 400.
pub fn limit_error(err: std::io::Error) -> AppError {
    if err.to_string().contains(LIMIT_MARKER) {
        let limit = err
            .to_string()
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        AppError::PayloadTooLarge(limit)
    } else {
        AppError::BadRequest(format!("the upload was interrupted: {err}"))
    }
}

/// The body of a `text/csv` request as a reader that fails past `limit` bytes.
pub fn csv_body(
    request: Request,
    limit: usize,
) -> AppResult<impl tokio::io::AsyncRead + Unpin + Send + 'static> {
    let is_csv = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("text/csv")
        });
    if !is_csv {
        return Err(AppError::UnsupportedMediaType("text/csv"));
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge(limit));
    }
    let mut seen = 0usize;
    let stream = Body::new(request.into_body())
        .into_data_stream()
        .map_err(std::io::Error::other)
        .and_then(move |chunk| {
            seen += chunk.len();
            let result = if seen > limit {
                Err(std::io::Error::other(format!("{LIMIT_MARKER} {limit}")))
            } else {
                Ok(chunk)
            };
            std::future::ready(result)
        });
    Ok(StreamReader::new(stream))
}
