//! `infer`: reads a request (JSON, or JSON then binary tensors), runs the model, and
//! answers with JSON or binary outputs as each output asked.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use retort_onnx::{Tensor, Value};
use serde_json::{Map, Value as Json};

use super::tensors::{
    Budget, as_tensor, check_type, decode_binary, decode_json, encode, names, output_names,
};
use super::{HEADER_LENGTH, InferOutput, InferRequest, InferResponse, OipError, bad, selector};
use crate::entities::model::predict::max_json_values;
use crate::entities::model::service;
use crate::kernel::config::Limits;
use crate::kernel::extract::read_limited;
use crate::kernel::json::parse_json_bounded;
use crate::kernel::state::AppState;

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

/// An inference request read and decoded, before any model is consulted: its JSON part
/// and each input's tensor, in request order.
#[derive(Debug)]
pub struct Decoded {
    /// The JSON part.
    pub request: InferRequest,
    /// One tensor per entry of `request.inputs`.
    pub tensors: Vec<Tensor>,
}

/// Decodes a request body (`json_len` from `Inference-Header-Content-Length` splits the
/// JSON part from the binary tensors): every shape checked, every size within `limits`,
/// nothing sized from a declared shape alone.
pub fn decode(json_len: Option<usize>, body: &[u8], limits: &Limits) -> Result<Decoded, OipError> {
    let (head, mut binary) = match json_len {
        Some(n) if n <= body.len() => body.split_at(n),
        Some(n) => {
            return Err(bad(format!(
                "{HEADER_LENGTH} is {n} but the body has {} bytes",
                body.len()
            )));
        }
        None => (body, &body[body.len()..]),
    };
    let head = parse_json_bounded(head, max_json_values(limits))?;
    let request: InferRequest = serde_json::from_value(head)
        .map_err(|e| bad(format!("malformed inference request: {e}")))?;
    let mut budget = Budget {
        elements: limits.max_tensor_elements,
        max_elements: limits.max_tensor_elements,
        max_rows: limits.max_rows,
    };
    let mut tensors = Vec::with_capacity(request.inputs.len());
    for input in &request.inputs {
        let size = match input.parameters.get("binary_data_size") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "input {:?}: binary_data_size must be a byte count",
                            input.name
                        ))
                    })?,
            ),
        };
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
                decode_binary(input, chunk, &mut budget)?
            }
            None => decode_json(input, &mut budget)?,
        };
        tensors.push(tensor);
    }
    if !binary.is_empty() {
        return Err(bad(format!(
            "{} binary bytes follow the last input's data",
            binary.len()
        )));
    }
    Ok(Decoded { request, tensors })
}

pub(super) async fn infer_with(
    state: AppState,
    name: &str,
    version: Option<&str>,
    request: Request,
) -> Result<Response, OipError> {
    let json_len = header_length(request.headers())?;
    let limits = state.limits.clone();
    let body = read_limited(
        request.into_body(),
        limits.predict_limit,
        limits.body_read_timeout,
    )
    .await?;
    let Decoded {
        request: req,
        tensors,
    } = decode(json_len, &body, &limits)?;

    let row = service::resolve_memo(&state, name, &selector(version)?).await?;
    let model = service::compiled(&state, &row).await?;
    let mut values: Vec<Option<Value>> = vec![None; model.inputs().len()];
    for (input, tensor) in req.inputs.iter().zip(tensors) {
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
        check_type(&model, slot, &tensor)?;
        if values[slot].is_some() {
            return Err(bad(format!("input {:?} is given twice", input.name)));
        }
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
    let outputs = state
        .inference
        .run(move || m.run(inputs))
        .await?
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
