//! HTTP handlers of the model registry and the predict endpoints.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json_};

use super::schema::{
    AliasIn, AliasOut, DeployMeta, DeployParams, ModelList, ModelOut, PredictIn, PredictOut,
    VersionOut,
};
use super::service::{self, Selector};
use crate::kernel::error::{AppError, AppResult, FieldError, Problem};
use crate::kernel::extract::{
    Parse, QueryPairs, ValidJson, field_errors, parse_json, read_limited,
};
use crate::kernel::json::parse_json_bounded;
use crate::kernel::openapi::{JsonBody, Unavailable};
use crate::kernel::state::AppState;

fn version_number(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>().ok().filter(|v| *v >= 1).ok_or_else(|| {
        AppError::NotFound(format!("no version {raw:?}: versions are numbers from 1"))
    })
}

/// Reads a whole body up to `limit` bytes (413 past it).
async fn body_bytes(state: &AppState, body: Body, limit: usize) -> AppResult<Vec<u8>> {
    Ok(read_limited(body, limit, state.limits.body_read_timeout)
        .await?
        .to_vec())
}

fn content_type(request: &Request) -> String {
    crate::kernel::extract::media_type(request.headers())
}

/// Lists every model with its versions and aliases.
#[utoipa::path(get, path = "/api/models", tag = "models",
    responses((status = 200, description = "Every model", body = ModelList), Unavailable))]
pub async fn list_models(State(state): State<AppState>) -> AppResult<Json<ModelList>> {
    Ok(Json(ModelList {
        items: service::list_models(&state).await?,
    }))
}

/// Fetches one model.
#[utoipa::path(get, path = "/api/models/{name}", tag = "models",
    params(("name" = String, Path, description = "Model name")),
    responses(
        (status = 200, description = "The model", body = ModelOut),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn get_model(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> AppResult<Json<ModelOut>> {
    Ok(Json(service::get_model(&state, &name).await?))
}

/// Deploys an ONNX file as the next version of a model (created on first deploy).
///
/// Send the file as `application/octet-stream` with metadata in the query string, or as
/// `multipart/form-data` with a `file` part and the metadata as text fields. An
/// `application/json` body (`EnsembleIn`) makes an ensemble of deployed versions instead.
#[utoipa::path(post, path = "/api/models/{name}/versions", tag = "models",
    params(("name" = String, Path, description = "Model name: 1–64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$"), DeployParams),
    request_body(content(
        (Vec<u8> = "application/octet-stream", example = json!("<ONNX bytes>")),
        (super::schema::EnsembleIn = "application/json"),
    ), description = "The ONNX file, or an ensemble of deployed versions"),
    responses(
        (status = 201, description = "Deployed; `Location` names the new version", body = VersionOut,
            headers(("location" = String, description = "URL of the new version"))),
        (status = 400, description = "A malformed multipart or JSON body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "File (or ensemble body) too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not octet-stream, multipart or JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an ONNX model, unsupported operators, bad metadata, a check sample the version's predictions do not match (the fidelity check), or an ensemble of unknown or unfit members", body = Problem,
            content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn deploy_version(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let limit = state.limits.model_limit;
    let (meta, bytes) = match content_type(&request).as_str() {
        "application/octet-stream" | "application/onnx" => {
            let pairs = QueryPairs::from_request(request.uri().query())?;
            let record: Map<String, Json_> = pairs
                .0
                .into_iter()
                .map(|(k, v)| (k, Json_::String(v)))
                .collect();
            let meta =
                DeployMeta::parse(&record).map_err(|e| AppError::Validation(query_errors(e)))?;
            (meta, body_bytes(&state, request.into_body(), limit).await?)
        }
        "multipart/form-data" => read_multipart(request, &state, limit).await?,
        "application/json" => {
            // An ensemble takes its metadata in the body; the query's deploy parameters
            // are still checked, so a malformed one is named rather than ignored.
            let pairs = QueryPairs::from_request(request.uri().query())?;
            let record: Map<String, Json_> = pairs
                .0
                .into_iter()
                .map(|(k, v)| (k, Json_::String(v)))
                .collect();
            DeployMeta::parse(&record).map_err(|e| AppError::Validation(query_errors(e)))?;
            let body = parse_json(
                &body_bytes(&state, request.into_body(), state.limits.body_limit).await?,
            )?;
            let input = super::schema::parse_ensemble(&body).map_err(AppError::Validation)?;
            let out = service::deploy_ensemble(&state, &name, input).await?;
            let location = format!("/api/models/{}/versions/{}", out.model, out.version);
            return Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(out),
            )
                .into_response());
        }
        _ => {
            return Err(AppError::UnsupportedMediaType(
                "application/octet-stream (or multipart/form-data)",
            ));
        }
    };
    let out = service::deploy(&state, &name, meta, bytes).await?;
    let location = format!("/api/models/{}/versions/{}", out.model, out.version);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(out),
    )
        .into_response())
}

fn query_errors(errors: Vec<(String, String)>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|(k, m)| FieldError::query(&k, m))
        .collect()
}

/// The most metadata fields (description, metrics, …) a multipart deploy may carry.
const MAX_META_FIELDS: usize = 32;
/// The largest metadata field of a multipart deploy, in bytes.
const MAX_META_FIELD_BYTES: usize = 64 * 1024;
/// The largest `check_sample` part of a multipart deploy, in bytes.
const MAX_CHECK_SAMPLE_BYTES: usize = 8 * 1024 * 1024;

async fn read_multipart(
    request: Request,
    state: &AppState,
    limit: usize,
) -> AppResult<(DeployMeta, Vec<u8>)> {
    // The whole body is bounded (after decompression): the file's limit and room for
    // the metadata fields; every field other than the file is bounded on its own.
    let whole = limit
        .saturating_add(MAX_META_FIELDS * MAX_META_FIELD_BYTES)
        .saturating_add(MAX_CHECK_SAMPLE_BYTES);
    let request = request.map(|b| Body::new(http_body_util::Limited::new(b, whole)));
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(whole)
        } else {
            AppError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
        }
    };
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(format!("malformed multipart body: {e}")))?;
    let mut fields = Map::new();
    let mut file = None;
    let mut count = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_owned();
        let cap = if name == "file" {
            limit
        } else if name == "check_sample" {
            MAX_CHECK_SAMPLE_BYTES
        } else {
            count += 1;
            if count > MAX_META_FIELDS {
                return Err(AppError::TooLarge(format!(
                    "more than {MAX_META_FIELDS} metadata fields in the multipart body"
                )));
            }
            MAX_META_FIELD_BYTES
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > cap {
                return Err(AppError::TooLarge(format!(
                    "the multipart field {name:?} is larger than {cap} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some(bytes);
        } else {
            let text = String::from_utf8(bytes).map_err(|_| {
                AppError::Validation(vec![FieldError::new(
                    format!("/{name}"),
                    "is not UTF-8 text",
                )])
            })?;
            fields.insert(name, Json_::String(text));
        }
    }
    let meta = DeployMeta::parse(&fields).map_err(|e| AppError::Validation(field_errors("", e)));
    match (meta, file) {
        (Ok(meta), Some(file)) => Ok((meta, file)),
        (Ok(_), None) => Err(AppError::Validation(vec![FieldError::new(
            "/file",
            "is required: a part named \"file\" with the ONNX bytes",
        )])),
        (Err(AppError::Validation(mut errors)), None) => {
            errors.push(FieldError::new(
                "/file",
                "is required: a part named \"file\" with the ONNX bytes",
            ));
            Err(AppError::Validation(errors))
        }
        (Err(e), _) => Err(e),
    }
}

/// Fetches one version: metadata, metrics, signature, backend, aliases.
#[utoipa::path(get, path = "/api/models/{name}/versions/{version}", tag = "models",
    params(("name" = String, Path, description = "Model name"), ("version" = i64, Path, description = "Version number")),
    responses(
        (status = 200, description = "The version", body = VersionOut),
        (status = 404, description = "No such model or version", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn get_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> AppResult<Json<VersionOut>> {
    Ok(Json(
        service::get_version(&state, &name, version_number(&version)?).await?,
    ))
}

/// Deletes a version; refused while an alias points to it.
#[utoipa::path(delete, path = "/api/models/{name}/versions/{version}", tag = "models",
    params(("name" = String, Path, description = "Model name"), ("version" = i64, Path, description = "Version number")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such model or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An alias or an ensemble uses this version", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn delete_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    service::delete_version(&state, &name, version_number(&version)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Downloads the ONNX file of a version, byte for byte as deployed.
#[utoipa::path(get, path = "/api/models/{name}/versions/{version}/onnx", tag = "models",
    params(("name" = String, Path, description = "Model name"), ("version" = i64, Path, description = "Version number")),
    responses(
        (status = 200, description = "The ONNX file", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 404, description = "No such model or version (or an ensemble, which has no file)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn download_onnx(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> AppResult<Response> {
    let version = version_number(&version)?;
    let (bytes, sha) = service::onnx_file(&state, &name, version).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"{name}-v{version}.onnx\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{sha}\"")) {
        headers.insert(header::ETAG, v);
    }
    Ok(response)
}

/// Points an alias (e.g. `production`) at a version, creating or moving it atomically.
#[utoipa::path(put, path = "/api/models/{name}/aliases/{alias}", tag = "models", request_body = AliasIn,
    params(("name" = String, Path, description = "Model name", pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$"),
        ("alias" = String, Path, description = "Alias name: a model name that is not a number", pattern = r"^(?![0-9]+$)[a-z0-9][a-z0-9._-]{0,63}$")),
    responses(
        (status = 200, description = "The alias now points to the version", body = AliasOut),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such version, or a bad alias name", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn set_alias(
    State(state): State<AppState>,
    Path((name, alias)): Path<(String, String)>,
    ValidJson(input): ValidJson<AliasIn>,
) -> AppResult<Json<AliasOut>> {
    Ok(Json(
        service::set_alias(&state, &name, &alias, input.version).await?,
    ))
}

/// Removes an alias.
#[utoipa::path(delete, path = "/api/models/{name}/aliases/{alias}", tag = "models",
    params(("name" = String, Path, description = "Model name"), ("alias" = String, Path, description = "Alias name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such model or alias", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn delete_alias(
    State(state): State<AppState>,
    Path((name, alias)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    service::delete_alias(&state, &name, &alias).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn predict_with(
    state: AppState,
    name: &str,
    selector: Selector,
    request: Request,
) -> AppResult<Json<PredictOut>> {
    if !content_type(&request).ends_with("json") {
        return Err(AppError::UnsupportedMediaType("application/json"));
    }
    let bytes = body_bytes(&state, request.into_body(), state.limits.predict_limit).await?;
    let body = parse_json_bounded(&bytes, super::predict::max_json_values(&state.limits))?;
    Ok(Json(
        service::predict(&state, name, &selector, &body).await?,
    ))
}

/// Predicts with the `production` alias, or the latest version when there is none.
#[utoipa::path(post, path = "/api/models/{name}/predict", tag = "models", request_body = PredictIn,
    params(("name" = String, Path, description = "Model name")),
    responses(
        (status = 200, description = "One prediction per row", body = PredictOut),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows: every bad cell listed with its row and column", body = Problem,
            content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn predict(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> AppResult<Json<PredictOut>> {
    predict_with(state, &name, Selector::Default, request).await
}

/// Predicts with a given version.
#[utoipa::path(post, path = "/api/models/{name}/versions/{version}/predict", tag = "models", request_body = PredictIn,
    params(("name" = String, Path, description = "Model name"), ("version" = i64, Path, description = "Version number")),
    responses(
        (status = 200, description = "One prediction per row", body = PredictOut),
        (status = 404, description = "No such model or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn predict_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
    request: Request,
) -> AppResult<Json<PredictOut>> {
    let v = version_number(&version)?;
    predict_with(state, &name, Selector::Version(v), request).await
}

/// Predicts with the version an alias points to.
#[utoipa::path(post, path = "/api/models/{name}/aliases/{alias}/predict", tag = "models", request_body = PredictIn,
    params(("name" = String, Path, description = "Model name"), ("alias" = String, Path, description = "Alias name")),
    responses(
        (status = 200, description = "One prediction per row", body = PredictOut),
        (status = 404, description = "No such model or alias", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn predict_alias(
    State(state): State<AppState>,
    Path((name, alias)): Path<(String, String)>,
    request: Request,
) -> AppResult<Json<PredictOut>> {
    predict_with(state, &name, Selector::Alias(alias), request).await
}
