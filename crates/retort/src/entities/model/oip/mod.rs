//! The Open Inference Protocol v2 (KServe / Triton REST) over the same registry:
//! health, server and model metadata, readiness, and `infer` with JSON tensors or the
//! binary tensor data extension. Errors are `{"error": "…"}`, as the protocol says.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use retort_onnx::ValueType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use utoipa::ToSchema;

use super::service::{self, Selector};
use crate::kernel::error::AppError;
use crate::kernel::state::AppState;

pub mod infer;
mod tensors;

use infer::infer_with;
pub use infer::{Decoded, decode};

/// The header carrying the length of the JSON part of a binary request or response.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// A protocol error: `{"error": "…"}` with a status.
#[derive(Debug)]
pub struct OipError(StatusCode, String);

impl IntoResponse for OipError {
    fn into_response(self) -> Response {
        let mut response =
            (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(crate::kernel::error::RETRY_AFTER_SECS),
            );
        }
        response
    }
}

impl From<AppError> for OipError {
    fn from(e: AppError) -> Self {
        let status = match e.status() {
            s @ (StatusCode::NOT_FOUND
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::REQUEST_TIMEOUT) => s,
            s if s.is_server_error() => s,
            _ => StatusCode::BAD_REQUEST,
        };
        let p = e.to_problem();
        let mut text = p.detail;
        for f in p.errors.unwrap_or_default() {
            text.push_str(&format!("; {}: {}", f.path, f.message));
        }
        Self(status, text)
    }
}

pub(super) fn bad(message: impl Into<String>) -> OipError {
    OipError(StatusCode::BAD_REQUEST, message.into())
}

/// Server metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerMetadata {
    /// Server name.
    pub name: String,
    /// Server version.
    pub version: String,
    /// Protocol extensions supported.
    pub extensions: Vec<String>,
}

/// A tensor's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct TensorMetadata {
    /// Name.
    pub name: String,
    /// Protocol datatype, e.g. `FP32`, `INT64`, `BYTES`.
    pub datatype: String,
    /// Shape; -1 for a dynamic dimension.
    pub shape: Vec<i64>,
}

/// A model's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelMetadata {
    /// Model name.
    pub name: String,
    /// Available versions.
    pub versions: Vec<String>,
    /// Always `onnx`.
    pub platform: String,
    /// Inputs.
    pub inputs: Vec<TensorMetadata>,
    /// Outputs.
    pub outputs: Vec<TensorMetadata>,
}

/// One input tensor of an inference request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InferInput {
    /// The model input's name.
    pub name: String,
    /// Shape.
    pub shape: Vec<i64>,
    /// Protocol datatype.
    pub datatype: String,
    /// Parameters, e.g. `binary_data_size`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Json>,
    /// Row-major data (flat or nested); absent when sent as binary.
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>)]
    pub data: Option<Json>,
}

/// A requested output.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InferRequestedOutput {
    /// The output's name.
    pub name: String,
    /// Parameters, e.g. `binary_data`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Json>,
}

/// An inference request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InferRequest {
    /// Echoed in the response.
    #[serde(default)]
    pub id: Option<String>,
    /// Parameters, e.g. `binary_data_output`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Json>,
    /// Input tensors.
    pub inputs: Vec<InferInput>,
    /// Outputs wanted (all when absent).
    #[serde(default)]
    pub outputs: Option<Vec<InferRequestedOutput>>,
}

/// An output tensor of an inference response.
#[derive(Debug, Serialize, ToSchema)]
pub struct InferOutput {
    /// Name.
    pub name: String,
    /// Protocol datatype.
    pub datatype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Parameters, e.g. `binary_data_size`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Json>,
    /// Row-major data; absent when sent as binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<serde_json::Value>>)]
    pub data: Option<Vec<Json>>,
}

/// An inference response.
#[derive(Debug, Serialize, ToSchema)]
pub struct InferResponse {
    /// Model name.
    pub model_name: String,
    /// The version that answered.
    pub model_version: String,
    /// The request's id, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Output tensors.
    pub outputs: Vec<InferOutput>,
}

pub(super) fn datatype(t: &ValueType) -> (String, Vec<i64>) {
    match t {
        ValueType::Tensor { elem, shape } => {
            let dt = match elem {
                retort_onnx::ElemType::Float => "FP32",
                retort_onnx::ElemType::Double => "FP64",
                retort_onnx::ElemType::Int64 => "INT64",
                retort_onnx::ElemType::Int32 => "INT32",
                retort_onnx::ElemType::String => "BYTES",
                retort_onnx::ElemType::Bool => "BOOL",
            };
            let dims = shape.as_ref().map_or_else(
                || vec![-1, -1],
                |s| s.iter().map(|d| d.map_or(-1, |d| d as i64)).collect(),
            );
            (dt.into(), dims)
        }
        // A sequence of maps (ZipMap) is served as its probability matrix.
        ValueType::MapSeq { .. } => ("FP32".into(), vec![-1, -1]),
        ValueType::Other => ("BYTES".into(), vec![-1]),
    }
}

/// `GET /v2`: server metadata.
#[utoipa::path(get, path = "/v2", tag = "inference protocol",
    responses((status = 200, description = "Server metadata", body = ServerMetadata)))]
pub async fn server_metadata() -> axum::Json<ServerMetadata> {
    axum::Json(ServerMetadata {
        name: "retort".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        extensions: vec!["binary_tensor_data".into()],
    })
}

/// `GET /v2/health/live`: the process is up.
#[utoipa::path(get, path = "/v2/health/live", tag = "inference protocol", responses((status = 200, description = "Live")))]
pub async fn live() -> StatusCode {
    StatusCode::OK
}

/// `GET /v2/health/ready`: the database answers.
#[utoipa::path(get, path = "/v2/health/ready", tag = "inference protocol",
    responses((status = 200, description = "Ready"), (status = 503, description = "The database is not reachable")))]
pub async fn ready(State(state): State<AppState>) -> StatusCode {
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub(super) fn selector(version: Option<&str>) -> Result<Selector, OipError> {
    match version {
        None | Some("") => Ok(Selector::Default),
        Some(v) => v.parse::<i64>().map(Selector::Version).map_err(|_| {
            OipError(
                StatusCode::NOT_FOUND,
                format!("no version {v:?}: versions are numbers"),
            )
        }),
    }
}

async fn metadata(
    state: &AppState,
    name: &str,
    version: Option<&str>,
) -> Result<ModelMetadata, OipError> {
    let row = service::resolve(state, name, &selector(version)?).await?;
    let model = service::compiled(state, &row).await?;
    let info = service::get_model(state, name).await?;
    let tensors = |list: &[retort_onnx::IoInfo]| {
        list.iter()
            .map(|io| {
                let (datatype, shape) = datatype(&io.ty);
                TensorMetadata {
                    name: io.name.clone(),
                    datatype,
                    shape,
                }
            })
            .collect()
    };
    Ok(ModelMetadata {
        name: row.model.clone(),
        versions: info.versions.iter().map(i64::to_string).collect(),
        platform: "onnx".into(),
        inputs: tensors(model.inputs()),
        outputs: tensors(model.outputs()),
    })
}

/// `GET /v2/models/{name}`: metadata of the default version.
#[utoipa::path(get, path = "/v2/models/{name}", tag = "inference protocol",
    params(("name" = String, Path, description = "Model name")),
    responses((status = 200, description = "Model metadata", body = ModelMetadata), (status = 404, description = "No such model"),
        (status = 400, description = "The model is an ensemble, which answers on the REST predict API only: {\"error\": …}"),
        (status = 503, description = "The database is unreachable or busy: {\"error\": …}"),))]
pub async fn model_metadata(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<ModelMetadata>, OipError> {
    Ok(axum::Json(metadata(&state, &name, None).await?))
}

/// `GET /v2/models/{name}/versions/{version}`: metadata of one version.
#[utoipa::path(get, path = "/v2/models/{name}/versions/{version}", tag = "inference protocol",
    params(("name" = String, Path, description = "Model name"), ("version" = String, Path, description = "Version")),
    responses((status = 200, description = "Model metadata", body = ModelMetadata), (status = 404, description = "No such model or version"),
        (status = 400, description = "The model is an ensemble, which answers on the REST predict API only: {\"error\": …}"),
        (status = 503, description = "The database is unreachable or busy: {\"error\": …}"),))]
pub async fn version_metadata(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> Result<axum::Json<ModelMetadata>, OipError> {
    Ok(axum::Json(metadata(&state, &name, Some(&version)).await?))
}

async fn is_ready(
    state: &AppState,
    name: &str,
    version: Option<&str>,
) -> Result<StatusCode, OipError> {
    let row = service::resolve(state, name, &selector(version)?).await?;
    service::compiled(state, &row).await?;
    Ok(StatusCode::OK)
}

/// `GET /v2/models/{name}/ready`: the default version is loaded and can answer.
#[utoipa::path(get, path = "/v2/models/{name}/ready", tag = "inference protocol",
    params(("name" = String, Path, description = "Model name")),
    responses((status = 200, description = "Ready"), (status = 404, description = "No such model"),
        (status = 400, description = "The model is an ensemble, which answers on the REST predict API only: {\"error\": …}"),
        (status = 503, description = "The database is unreachable or busy: {\"error\": …}"),))]
pub async fn model_ready(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, OipError> {
    is_ready(&state, &name, None).await
}

/// `GET /v2/models/{name}/versions/{version}/ready`: that version can answer.
#[utoipa::path(get, path = "/v2/models/{name}/versions/{version}/ready", tag = "inference protocol",
    params(("name" = String, Path, description = "Model name"), ("version" = String, Path, description = "Version")),
    responses((status = 200, description = "Ready"), (status = 404, description = "No such model or version"),
        (status = 400, description = "The model is an ensemble, which answers on the REST predict API only: {\"error\": …}"),
        (status = 503, description = "The database is unreachable or busy: {\"error\": …}"),))]
pub async fn version_ready(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> Result<StatusCode, OipError> {
    is_ready(&state, &name, Some(&version)).await
}

/// `POST /v2/models/{name}/infer`: inference with the default version.
#[utoipa::path(post, path = "/v2/models/{name}/infer", tag = "inference protocol", request_body = InferRequest,
    params(("name" = String, Path, description = "Model name")),
    responses(
        (status = 200, description = "Outputs (JSON, or JSON then binary tensors with Inference-Header-Content-Length)", body = InferResponse),
        (status = 400, description = "Bad request: {\"error\": …}"),
        (status = 404, description = "No such model"),
        (status = 408, description = "The body stopped arriving: {\"error\": …}"),
        (status = 413, description = "Past a limit — body bytes, rows, tensor elements — named with the input and the numbers: {\"error\": …}"),
        (status = 503, description = "Busy — the database, every inference slot, or past --predict-timeout — with Retry-After: {\"error\": …}"),
    ))]
pub async fn infer(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, OipError> {
    infer_with(state, &name, None, request).await
}

/// `POST /v2/models/{name}/versions/{version}/infer`: inference with one version.
#[utoipa::path(post, path = "/v2/models/{name}/versions/{version}/infer", tag = "inference protocol", request_body = InferRequest,
    params(("name" = String, Path, description = "Model name"), ("version" = String, Path, description = "Version")),
    responses(
        (status = 200, description = "Outputs", body = InferResponse),
        (status = 400, description = "Bad request: {\"error\": …}"),
        (status = 404, description = "No such model or version"),
        (status = 408, description = "The body stopped arriving: {\"error\": …}"),
        (status = 413, description = "Past a limit — body bytes, rows, tensor elements — named with the input and the numbers: {\"error\": …}"),
        (status = 503, description = "Busy — the database, every inference slot, or past --predict-timeout — with Retry-After: {\"error\": …}"),
    ))]
pub async fn infer_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
    request: Request,
) -> Result<Response, OipError> {
    infer_with(state, &name, Some(&version), request).await
}
