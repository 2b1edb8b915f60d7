//! Tensors of the inference protocol: decoding JSON and binary inputs, checking them
//! against the model, and encoding outputs.

use retort_onnx::{Data, Tensor, Value, ValueType};
use serde_json::Value as Json;

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

pub(super) fn shape_of(input: &InferInput) -> Result<Vec<usize>, OipError> {
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

pub(super) fn flatten(v: &Json, out: &mut Vec<Json>) {
    match v {
        Json::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

pub(super) fn decode_json(input: &InferInput) -> Result<Tensor, OipError> {
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

pub(super) fn decode_binary(input: &InferInput, bytes: &[u8]) -> Result<Tensor, OipError> {
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
