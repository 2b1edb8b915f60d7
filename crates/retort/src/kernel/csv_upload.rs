//! CSV uploads over HTTP: a `text/csv` body received whole into a temporary file (413
//! past the import limit, 408 when the client stops sending) before the import's write
//! transaction begins, and the `upsert` query parameter of every import endpoint.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::config::Limits;
use super::error::{AppError, AppResult, FieldError};
use super::extract::body_error;
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

/// A CSV upload received whole into a temporary file before anything is written: a slow
/// client holds a connection, never the database's write lock. The import then parses,
/// validates and writes from local disk in one transaction (so its report still names
/// every bad row, rows that clash with the database included).
#[derive(Debug)]
pub struct CsvUpload {
    file: std::fs::File,
    /// Bytes received.
    pub bytes: u64,
}

/// Receives a `text/csv` body into a temporary file: 415 for another content type, 413
/// past `limits.import_limit` (declared or counted after decompression), 408 when the
/// client stops sending for the body read timeout, 400 when the body is cut off.
pub async fn receive_csv(request: Request, limits: &Limits) -> AppResult<CsvUpload> {
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
    let limit = limits.import_limit;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge(limit));
    }
    let file = tempfile::tempfile()
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("creating a spool file")))?;
    let mut spool = tokio::fs::File::from_std(file);
    let mut stream = Body::new(request.into_body()).into_data_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| body_error(&e, limits.body_read_timeout))?;
        bytes += chunk.len() as u64;
        if bytes > limit as u64 {
            return Err(AppError::PayloadTooLarge(limit));
        }
        spool
            .write_all(&chunk)
            .await
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("spooling an upload")))?;
    }
    spool
        .flush()
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("spooling an upload")))?;
    Ok(CsvUpload {
        file: spool.into_std().await,
        bytes,
    })
}

impl CsvUpload {
    /// The upload from its first byte, as a reader.
    pub fn reader(&self) -> AppResult<tokio::fs::File> {
        let mut file = self.file.try_clone().map_err(|e| {
            AppError::Internal(anyhow::Error::new(e).context("reopening an upload"))
        })?;
        std::io::Seek::rewind(&mut file).map_err(|e| {
            AppError::Internal(anyhow::Error::new(e).context("rewinding an upload"))
        })?;
        Ok(tokio::fs::File::from_std(file))
    }
}

/// Maps a read failure of a spooled upload (a local file): an internal error.
pub fn local_error(err: std::io::Error) -> AppError {
    AppError::Internal(anyhow::Error::new(err).context("reading a spooled upload"))
}
