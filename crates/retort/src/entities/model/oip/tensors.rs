//! Tensors of the inference protocol: decoding JSON and binary inputs, checking them
//! against the model, and encoding outputs.

use retort_onnx::{Data, Tensor, Value, ValueType};
use serde_json::Value as Json;

use axum::http::StatusCode;

use super::{InferInput, OipError, bad, datatype};
use crate::kernel::inference::Engine;

pub(super) fn names(model: &Engine) -> String {
    model
        .inputs()
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn output_names(model: &Engine) -> String {
    model
        .outputs()
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What one request may still carry: elements across its inputs, and rows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    /// Elements left for the request's remaining inputs.
    pub elements: usize,
    /// The configured element cap, for messages.
    pub max_elements: usize,
    /// Rows (the first dimension) one input may have.
    pub max_rows: usize,
}

fn too_large(message: String) -> OipError {
    OipError(StatusCode::PAYLOAD_TOO_LARGE, message)
}

/// The input's shape and element count, every product checked: no negative or
/// overflowing dimension, rows and elements within the request's budget (which it
/// consumes).
pub(super) fn shape_of(
    input: &InferInput,
    budget: &mut Budget,
) -> Result<(Vec<usize>, usize), OipError> {
    let name = &input.name;
    if input.shape.len() > MAX_RANK {
        return Err(bad(format!(
            "input {name:?} has {} dimensions; at most {MAX_RANK} are taken",
            input.shape.len()
        )));
    }
    let mut shape = Vec::with_capacity(input.shape.len());
    let mut count: usize = 1;
    for &d in &input.shape {
        let d = usize::try_from(d)
            .map_err(|_| bad(format!("input {name:?} has a negative dimension {d}")))?;
        count = count.checked_mul(d).ok_or_else(|| {
            too_large(format!(
                "input {name:?}: shape {:?} has more elements than can be counted",
                input.shape
            ))
        })?;
        shape.push(d);
    }
    if let Some(&rows) = shape.first()
        && rows > budget.max_rows
    {
        return Err(too_large(format!(
            "input {name:?} has {rows} rows; at most {} are taken per request (--max-rows)",
            budget.max_rows
        )));
    }
    if count > budget.elements {
        return Err(too_large(format!(
            "input {name:?}: shape {:?} is {count} elements; at most {} are taken per request, all inputs together (--max-tensor-elements)",
            input.shape, budget.max_elements
        )));
    }
    budget.elements -= count;
    Ok((shape, count))
}

/// The most dimensions an input may have.
const MAX_RANK: usize = 8;

/// Visits the leaves of nested arrays in order, without copying them.
fn leaves<'a>(v: &'a Json, out: &mut Vec<&'a Json>, cap: usize) -> bool {
    match v {
        Json::Array(items) => items.iter().all(|i| leaves(i, out, cap)),
        other => {
            if out.len() == cap {
                return false;
            }
            out.push(other);
            true
        }
    }
}

pub(super) fn decode_json(input: &InferInput, budget: &mut Budget) -> Result<Tensor, OipError> {
    let (shape, n) = shape_of(input, budget)?;
    let data = input.data.as_ref().ok_or_else(|| {
        bad(format!(
            "input {:?} has neither data nor binary_data_size",
            input.name
        ))
    })?;
    let mut flat = Vec::with_capacity(n.min(1 << 16));
    if !leaves(data, &mut flat, n) || flat.len() != n {
        return Err(bad(format!(
            "input {:?}: shape {:?} is {n} elements but data holds {}",
            input.name,
            input.shape,
            if flat.len() == n {
                format!("more than {n}")
            } else {
                flat.len().to_string()
            }
        )));
    }
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
                .map(|v| v.as_f64())
                .collect::<Option<_>>()
                .ok_or_else(|| wrong("a number"))?,
        ),
        "INT64" | "INT32" | "INT16" | "INT8" | "UINT8" | "UINT16" | "UINT32" | "UINT64" => {
            Data::I64(
                flat.iter()
                    .map(|v| v.as_i64())
                    .collect::<Option<_>>()
                    .ok_or_else(|| wrong("an integer"))?,
            )
        }
        "BOOL" => Data::Bool(
            flat.iter()
                .map(|v| v.as_bool())
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

pub(super) fn decode_binary(
    input: &InferInput,
    bytes: &[u8],
    budget: &mut Budget,
) -> Result<Tensor, OipError> {
    let (shape, n) = shape_of(input, budget)?;
    let need = |size: usize| -> Result<(), OipError> {
        if n.checked_mul(size) == Some(bytes.len()) {
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
            // Each element takes at least its 4-byte length: the data, not the declared
            // shape, bounds what is allocated.
            let mut out = Vec::with_capacity(n.min(bytes.len() / 4));
            let mut rest = bytes;
            while let Some((head, tail)) = rest.split_first_chunk::<4>() {
                let len = u32::from_le_bytes(*head) as usize;
                if tail.len() < len || out.len() == n {
                    return Err(bad(format!(
                        "input {:?}: the BYTES data does not hold {n} elements of the lengths it gives",
                        input.name
                    )));
                }
                let (text, after) = tail.split_at(len);
                out.push(String::from_utf8_lossy(text).into_owned());
                rest = after;
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

pub(super) fn check_type(model: &Engine, slot: usize, tensor: &Tensor) -> Result<(), OipError> {
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

pub(super) fn as_tensor(v: &Value) -> Tensor {
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

pub(super) fn encode(t: &Tensor) -> (&'static str, Vec<Json>, Vec<u8>) {
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
