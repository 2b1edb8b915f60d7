//! Request extractors that turn every malformed input into a problem+json answer:
//! JSON bodies parsed with every field error at once, raw query pairs, numeric ids.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde_json::Value;

use super::config::Limits;
use super::error::{AppError, FieldError};
use super::query::MAX_QUERY_PAIRS;
use super::validation::{Record, pointer_segment};

/// A type that can be parsed from a [`Record`], reporting every bad field.
pub trait Parse: Sized {
    /// Parses `record`, or returns every `(field, message)` that is wrong.
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>>;
}

/// Turns `(field, message)` pairs into body field errors with JSON pointers under `prefix`.
pub fn field_errors(prefix: &str, errors: Vec<(String, String)>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|(field, message)| {
            FieldError::new(format!("{prefix}/{}", pointer_segment(&field)), message)
        })
        .collect()
}

/// A JSON body parsed into `T`: 415 for another content type, 413 past the body limit,
/// 400 with line and column for malformed JSON, 422 listing every invalid field.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

/// A request's media type, lower case, without parameters (`text/csv; charset=utf-8`
/// is `text/csv`); empty when there is none.
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// 415 unless the request says its body is JSON.
fn require_json(headers: &axum::http::HeaderMap) -> Result<(), AppError> {
    if is_json(&media_type(headers)) {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType("application/json"))
    }
}

/// Whether a content type names JSON (`application/json` or any `+json` type).
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads the whole body, mapping a body over the limit to 413.
pub async fn read_body<S>(req: Request, state: &S) -> Result<Bytes, AppError>
where
    S: Send + Sync,
    Arc<Limits>: FromRef<S>,
{
    let limits = Arc::<Limits>::from_ref(state);
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(limits.body_limit)
        } else {
            body_error(&rejection, limits.body_read_timeout)
        }
    })
}

/// Maps a failed body read that is not about size: the client went quiet past the body
/// read timeout (408), or the body was cut off or malformed, e.g. bad gzip (400).
pub fn body_error(err: &(dyn std::error::Error + 'static), idle: std::time::Duration) -> AppError {
    if super::guard::is_body_timeout(err) || err.to_string().contains(BODY_TIMEOUT_TEXT) {
        AppError::RequestTimeout(format!(
            "the body stopped arriving: no byte for {}",
            super::guard::seconds(idle)
        ))
    } else {
        AppError::BadRequest(format!("could not read the request body: {err}"))
    }
}

/// How the idle body timeout's error reads once wrapped by other errors.
const BODY_TIMEOUT_TEXT: &str = "data was not received within the designated timeout";

/// Reads a whole body of at most `limit` bytes, counted after any decompression: 413
/// past it, 408 when the client stops sending for `idle`, 400 when the body is cut off
/// or its compression is corrupt.
pub async fn read_limited(
    body: axum::body::Body,
    limit: usize,
    idle: std::time::Duration,
) -> Result<Bytes, AppError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.to_string().contains("length limit"))
            || e.to_string().contains("length limit");
        if too_large {
            AppError::PayloadTooLarge(limit)
        } else {
            body_error(&e, idle)
        }
    })
}

/// Parses bytes as JSON, or explains where the syntax breaks.
pub fn parse_json(bytes: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let text = e.to_string();
        let what = text
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&text);
        AppError::BadRequest(format!(
            "malformed JSON at line {line}, column {column}: {what}"
        ))
    })
}

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    Arc<Limits>: FromRef<S>,
    T: Parse,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(AppError::UnsupportedMediaType("application/json"));
        }
        let bytes = read_body(req, state).await?;
        let value = parse_json(&bytes)?;
        match &value {
            Value::Object(map) => T::parse(map)
                .map(ValidJson)
                .map_err(|errors| AppError::Validation(field_errors("", errors))),
            other => Err(AppError::Validation(vec![FieldError::new(
                "",
                format!(
                    "expected a JSON object, got {}",
                    match other {
                        Value::Array(_) => "an array",
                        Value::String(_) => "a string",
                        Value::Number(_) => "a number",
                        Value::Bool(_) => "a boolean",
                        _ => "null",
                    }
                ),
            )])),
        }
    }
}

/// The query string as `(name, value)` pairs, keeping repeated names (`?brand=A&brand=B`);
/// more than [`MAX_QUERY_PAIRS`] pairs is a 422.
#[derive(Debug, Default, Clone)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// Parses a raw query string, refusing more than [`MAX_QUERY_PAIRS`] pairs.
    pub fn from_request(query: Option<&str>) -> Result<Self, AppError> {
        let mut pairs = Vec::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if pairs.len() == MAX_QUERY_PAIRS {
                return Err(AppError::Validation(vec![FieldError {
                    path: String::new(),
                    message: format!(
                        "the query string has more than {MAX_QUERY_PAIRS} parameters; \
                         at most {MAX_QUERY_PAIRS} are allowed"
                    ),
                    location: Some("query"),
                }]));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Self(pairs))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_request(parts.uri.query())
    }
}

/// A numeric id from the path; anything that is not one cannot exist, so it is a 404.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        raw.parse::<i64>().map(Id).map_err(|_| {
            AppError::NotFound(format!("no resource with id {raw:?}: ids are integers"))
        })
    }
}

/// The body of a request that must be JSON (415 otherwise), parsed but not yet checked
/// against a schema: for bodies a service validates itself.
pub async fn json_body<S>(request: Request, state: &S) -> Result<Value, AppError>
where
    S: Send + Sync,
    Arc<Limits>: FromRef<S>,
{
    let headers = request.headers();
    let no_length = headers
        .get(header::CONTENT_LENGTH)
        .is_none_or(|v| v.as_bytes() == b"0");
    if !headers.contains_key(header::CONTENT_TYPE) && no_length {
        // A body-less POST is what a cross-site form or a stray click sends: refused,
        // never read as `{}`.
        return Err(AppError::BadRequest(
            "the body is missing: this route takes a JSON object (send {} for the defaults)".into(),
        ));
    }
    require_json(headers)?;
    let bytes = read_body(request, state).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "the body is empty: this route takes a JSON object (send {} for the defaults)".into(),
        ));
    }
    parse_json(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_with_more_pairs_than_the_cap_is_refused() {
        let at_cap = vec!["brand=A"; MAX_QUERY_PAIRS].join("&");
        let pairs = QueryPairs::from_request(Some(&at_cap)).map(|p| p.0.len());
        assert!(matches!(pairs, Ok(n) if n == MAX_QUERY_PAIRS));
        let over = format!("{at_cap}&brand=B");
        match QueryPairs::from_request(Some(&over)) {
            Err(AppError::Validation(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].location, Some("query"));
                assert!(errors[0].message.contains("1000"), "{}", errors[0].message);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn json_content_types_are_recognised_with_parameters_and_suffixes() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/csv"));
        assert!(!is_json(""));
    }
}
