//! The Open Inference Protocol v2 (KServe / Triton REST) over the same registry:
//! health, server and model metadata, readiness, and `infer` with JSON tensors or the
//! binary tensor data extension. Errors are `{"error": "…"}`, as the protocol says.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use retort_onnx::{Data, Tensor, Value, ValueType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use utoipa::ToSchema;

use super::service::{self, Selector};
use crate::kernel::error::AppError;
use crate::kernel::inference::Engine;
use crate::kernel::state::AppState;

/// The header carrying the length of the JSON part of a binary request or response.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// A protocol error: `{"error": "…"}` with a status.
#[derive(Debug)]
pub struct OipError(StatusCode, String);

impl IntoResponse for OipError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<AppError> for OipError {
    fn from(e: AppError) -> Self {
        let status = match e.status() {
            StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
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

fn bad(message: impl Into<String>) -> OipError {
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
    #[schema(value_type = Object)]
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
    #[schema(value_type = Vec<Object>)]
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

fn datatype(t: &ValueType) -> (String, Vec<i64>) {
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

fn selector(version: Option<&str>) -> Result<Selector, OipError> {
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
    responses((status = 200, description = "Model metadata", body = ModelMetadata), (status = 404, description = "No such model")))]
pub async fn model_metadata(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<ModelMetadata>, OipError> {
    Ok(axum::Json(metadata(&state, &name, None).await?))
}

/// `GET /v2/models/{name}/versions/{version}`: metadata of one version.
#[utoipa::path(get, path = "/v2/models/{name}/versions/{version}", tag = "inference protocol",
    params(("name" = String, Path, description = "Model name"), ("version" = String, Path, description = "Version")),
    responses((status = 200, description = "Model metadata", body = ModelMetadata), (status = 404, description = "No such model or version")))]
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
    responses((status = 200, description = "Ready"), (status = 404, description = "No such model")))]
pub async fn model_ready(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, OipError> {
    is_ready(&state, &name, None).await
}

/// `GET /v2/models/{name}/versions/{version}/ready`: that version can answer.
#[utoipa::path(get, path = "/v2/models/{name}/versions/{version}/ready", tag = "inference protocol",
    params(("name" = String, Path, description = "Model name"), ("version" = String, Path, description = "Version")),
    responses((status = 200, description = "Ready"), (status = 404, description = "No such model or version")))]
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
    ))]
pub async fn infer_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
    request: Request,
) -> Result<Response, OipError> {
    infer_with(state, &name, Some(&version), request).await
}

fn header_length(headers: &HeaderMap) -> Result<Option<usize>, OipError> {
    match headers.get(HEADER_LENGTH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .map(Some)
            .ok_or_else(|| bad(format!("{HEADER_LENGTH} must be a byte count"))),
    }
}

async fn infer_with(
    state: AppState,
    name: &str,
    version: Option<&str>,
    request: Request,
) -> Result<Response, OipError> {
    let json_len = header_length(request.headers())?;
    let limit = state.limits.predict_limit;
    let body = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| {
            OipError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request is larger than {limit} bytes"),
            )
        })?;
    let (head, mut binary) = match json_len {
        Some(n) if n <= body.len() => (&body[..n], &body[n..]),
        Some(n) => {
            return Err(bad(format!(
                "{HEADER_LENGTH} is {n} but the body has {} bytes",
                body.len()
            )));
        }
        None => (&body[..], &body[body.len()..]),
    };
    let req: InferRequest = serde_json::from_slice(head)
        .map_err(|e| bad(format!("malformed inference request: {e}")))?;

    let row = service::resolve_memo(&state, name, &selector(version)?).await?;
    let model = service::compiled(&state, &row).await?;
    let mut values: Vec<Option<Value>> = vec![None; model.inputs().len()];
    for input in &req.inputs {
        let slot = model
            .inputs()
            .iter()
            .position(|i| i.name == input.name)
            .ok_or_else(|| {
                bad(format!(
                    "unexpected input {:?}; the model takes {}",
                    input.name,
                    names(&model)
                ))
            })?;
        let size = input
            .parameters
            .get("binary_data_size")
            .and_then(Json::as_u64)
            .map(|n| n as usize);
        let tensor = match size {
            Some(n) => {
                if binary.len() < n {
                    return Err(bad(format!(
                        "input {:?} claims {n} binary bytes but {} remain",
                        input.name,
                        binary.len()
                    )));
                }
                let (chunk, rest) = binary.split_at(n);
                binary = rest;
                decode_binary(input, chunk)?
            }
            None => decode_json(input)?,
        };
        check_type(&model, slot, &tensor)?;
        values[slot] = Some(Value::Tensor(tensor));
    }
    let missing: Vec<&str> = model
        .inputs()
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(i, _)| i.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!("missing input(s): {}", missing.join(", "))));
    }
    let inputs: Vec<Value> = values.into_iter().flatten().collect();
    let m = model.clone();
    let outputs = tokio::task::spawn_blocking(move || m.run(inputs))
        .await
        .map_err(|e| {
            OipError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("inference failed: {e}"),
            )
        })?
        .map_err(|e| bad(format!("inference failed: {e}")))?;

    let binary_default = req
        .parameters
        .get("binary_data_output")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let wanted: Vec<(usize, bool)> = match &req.outputs {
        Some(list) => list
            .iter()
            .map(|o| {
                let i = model
                    .outputs()
                    .iter()
                    .position(|m| m.name == o.name)
                    .ok_or_else(|| {
                        bad(format!(
                            "unexpected output {:?}; the model has {}",
                            o.name,
                            output_names(&model)
                        ))
                    })?;
                Ok((
                    i,
                    o.parameters
                        .get("binary_data")
                        .and_then(Json::as_bool)
                        .unwrap_or(binary_default),
                ))
            })
            .collect::<Result<_, OipError>>()?,
        None => (0..model.outputs().len())
            .map(|i| (i, binary_default))
            .collect(),
    };
    let mut response = InferResponse {
        model_name: row.model.clone(),
        model_version: row.version.to_string(),
        id: req.id,
        outputs: Vec::new(),
    };
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for (i, as_binary) in wanted {
        let tensor = as_tensor(&outputs[i]);
        let (dt, json, bytes) = encode(&tensor);
        let mut out = InferOutput {
            name: model.outputs()[i].name.clone(),
            datatype: dt.into(),
            shape: tensor.shape.clone(),
            parameters: Map::new(),
            data: None,
        };
        if as_binary {
            out.parameters
                .insert("binary_data_size".into(), Json::from(bytes.len()));
            blobs.push(bytes);
        } else {
            out.data = Some(json);
        }
        response.outputs.push(out);
    }
    let head = serde_json::to_vec(&response)
        .map_err(|e| OipError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    if blobs.is_empty() {
        return Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            head,
        )
            .into_response());
    }
    let head_len = head.len();
    let mut body = head;
    for b in blobs {
        body.extend_from_slice(&b);
    }
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    resp.headers_mut()
        .insert(HEADER_LENGTH, HeaderValue::from(head_len));
    Ok(resp)
}

fn names(model: &Engine) -> String {
    model
        .inputs()
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn output_names(model: &Engine) -> String {
    model
        .outputs()
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn shape_of(input: &InferInput) -> Result<Vec<usize>, OipError> {
    input
        .shape
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                bad(format!(
                    "input {:?} has a negative dimension {d}",
                    input.name
                ))
            })
        })
        .collect()
}

fn flatten(v: &Json, out: &mut Vec<Json>) {
    match v {
        Json::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

fn decode_json(input: &InferInput) -> Result<Tensor, OipError> {
    let shape = shape_of(input)?;
    let mut flat = Vec::new();
    flatten(
        input.data.as_ref().ok_or_else(|| {
            bad(format!(
                "input {:?} has neither data nor binary_data_size",
                input.name
            ))
        })?,
        &mut flat,
    );
    let wrong = |what: &str| {
        bad(format!(
            "input {:?}: every element must be {what}",
            input.name
        ))
    };
    let data = match input.datatype.as_str() {
        "FP32" => Data::F32(
            flat.iter()
                .map(|v| v.as_f64().map(|f| f as f32))
                .collect::<Option<_>>()
                .ok_or_else(|| wrong("a number"))?,
        ),
        "FP64" => Data::F64(
            flat.iter()
                .map(Json::as_f64)
                .collect::<Option<_>>()
                .ok_or_else(|| wrong("a number"))?,
        ),
        "INT64" | "INT32" | "INT16" | "INT8" | "UINT8" | "UINT16" | "UINT32" | "UINT64" => {
            Data::I64(
                flat.iter()
                    .map(Json::as_i64)
                    .collect::<Option<_>>()
                    .ok_or_else(|| wrong("an integer"))?,
            )
        }
        "BOOL" => Data::Bool(
            flat.iter()
                .map(Json::as_bool)
                .collect::<Option<_>>()
                .ok_or_else(|| wrong("a boolean"))?,
        ),
        "BYTES" => Data::Str(
            flat.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| wrong("a string"))?,
        ),
        other => {
            return Err(bad(format!(
                "input {:?}: datatype {other} is not supported",
                input.name
            )));
        }
    };
    Tensor::new(shape, data).map_err(|e| bad(format!("input {:?}: {e}", input.name)))
}

fn decode_binary(input: &InferInput, bytes: &[u8]) -> Result<Tensor, OipError> {
    let shape = shape_of(input)?;
    let n: usize = shape.iter().product();
    let need = |size: usize| -> Result<(), OipError> {
        if bytes.len() == n * size {
            Ok(())
        } else {
            Err(bad(format!(
                "input {:?}: {} binary bytes for {n} elements of {}",
                input.name,
                bytes.len(),
                input.datatype
            )))
        }
    };
    macro_rules! le {
        ($t:ty, $size:expr, $map:expr) => {{
            need($size)?;
            bytes
                .chunks_exact($size)
                .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $size])))
                .map($map)
                .collect()
        }};
    }
    let data = match input.datatype.as_str() {
        "FP32" => Data::F32(le!(f32, 4, |x| x)),
        "FP64" => Data::F64(le!(f64, 8, |x| x)),
        "INT64" => Data::I64(le!(i64, 8, |x| x)),
        "INT32" => Data::I64(le!(i32, 4, i64::from)),
        "INT16" => Data::I64(le!(i16, 2, i64::from)),
        "UINT32" => Data::I64(le!(u32, 4, i64::from)),
        "INT8" => {
            need(1)?;
            Data::I64(bytes.iter().map(|&b| i64::from(b as i8)).collect())
        }
        "UINT8" => {
            need(1)?;
            Data::I64(bytes.iter().map(|&b| i64::from(b)).collect())
        }
        "BOOL" => {
            need(1)?;
            Data::Bool(bytes.iter().map(|&b| b != 0).collect())
        }
        "BYTES" => {
            let mut out = Vec::with_capacity(n);
            let mut rest = bytes;
            while rest.len() >= 4 {
                let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                if rest.len() < 4 + len {
                    return Err(bad(format!(
                        "input {:?}: a BYTES element runs past the data",
                        input.name
                    )));
                }
                out.push(String::from_utf8_lossy(&rest[4..4 + len]).into_owned());
                rest = &rest[4 + len..];
            }
            if !rest.is_empty() || out.len() != n {
                return Err(bad(format!(
                    "input {:?}: {} BYTES elements for shape {:?}",
                    input.name,
                    out.len(),
                    input.shape
                )));
            }
            Data::Str(out)
        }
        other => {
            return Err(bad(format!(
                "input {:?}: datatype {other} is not supported",
                input.name
            )));
        }
    };
    Tensor::new(shape, data).map_err(|e| bad(format!("input {:?}: {e}", input.name)))
}

fn check_type(model: &Engine, slot: usize, tensor: &Tensor) -> Result<(), OipError> {
    let io = &model.inputs()[slot];
    let ok = match (&io.ty, &tensor.data) {
        (ValueType::Tensor { elem, .. }, data) => matches!(
            (elem, data),
            (retort_onnx::ElemType::Float, Data::F32(_))
                | (retort_onnx::ElemType::Double, Data::F64(_))
                | (
                    retort_onnx::ElemType::Int64 | retort_onnx::ElemType::Int32,
                    Data::I64(_)
                )
                | (retort_onnx::ElemType::String, Data::Str(_))
                | (retort_onnx::ElemType::Bool, Data::Bool(_))
        ),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let (want, _) = datatype(&io.ty);
        Err(bad(format!(
            "input {:?} must be {want}, got {}",
            io.name,
            tensor.data.kind()
        )))
    }
}

fn as_tensor(v: &Value) -> Tensor {
    match v {
        Value::Tensor(t) => t.clone(),
        Value::MapSeq { keys, values } => {
            let cols = keys.len().max(1);
            Tensor {
                shape: vec![values.len() / cols, cols],
                data: Data::F32(values.clone()),
            }
        }
    }
}

fn encode(t: &Tensor) -> (&'static str, Vec<Json>, Vec<u8>) {
    match &t.data {
        Data::F32(v) => (
            "FP32",
            v.iter()
                .map(|&x| {
                    serde_json::Number::from_f64(f64::from(x)).map_or(Json::Null, Json::Number)
                })
                .collect(),
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        Data::F64(v) => (
            "FP64",
            v.iter()
                .map(|&x| serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number))
                .collect(),
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        Data::I64(v) => (
            "INT64",
            v.iter().map(|&x| Json::from(x)).collect(),
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        Data::Bool(v) => (
            "BOOL",
            v.iter().map(|&x| Json::from(x)).collect(),
            v.iter().map(|&x| u8::from(x)).collect(),
        ),
        Data::Str(v) => (
            "BYTES",
            v.iter().map(|x| Json::from(x.as_str())).collect(),
            v.iter()
                .flat_map(|s| (s.len() as u32).to_le_bytes().into_iter().chain(s.bytes()))
                .collect(),
        ),
    }
}
