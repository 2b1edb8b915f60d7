//! Arbitrary bytes as an ONNX model: `Model::load` must refuse or accept them without
//! panicking, and a model it accepts must run a small batch shaped after its declared
//! inputs (1 to 3 rows of zeros, empty strings or false) without panicking, looping or
//! exhausting memory. Errors are fine; only a crash, a timeout or an OOM is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use retort_onnx::{Data, ElemType, Keys, Model, Tensor, Value, ValueType};

/// A batch of `rows` rows for an input declared `ty`. Load has capped the declared width
/// (the product of the dimensions after the first) at `retort_onnx::MAX_WIDTH`.
fn batch(ty: &ValueType, rows: usize) -> Option<Value> {
    let (elem, dims) = match ty {
        ValueType::Tensor { elem, shape } => (*elem, shape.clone()),
        ValueType::MapSeq { .. } => {
            return Some(Value::MapSeq {
                keys: Keys::I64(vec![0]),
                values: vec![0.0; rows],
            });
        }
        ValueType::Other => (ElemType::Float, None),
    };
    let shape: Vec<usize> = match dims {
        None => vec![rows, 1],
        Some(d) if d.is_empty() => Vec::new(),
        Some(d) => std::iter::once(rows)
            .chain(d.iter().skip(1).map(|d| d.unwrap_or(1)))
            .collect(),
    };
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
    let data = match elem {
        ElemType::Float => Data::F32(vec![0.0; n]),
        ElemType::Double => Data::F64(vec![0.0; n]),
        ElemType::Int64 | ElemType::Int32 => Data::I64(vec![0; n]),
        ElemType::String => Data::Str(vec![String::new(); n]),
        ElemType::Bool => Data::Bool(vec![false; n]),
    };
    Tensor::new(shape, data).ok().map(Value::Tensor)
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(model) = Model::load(bytes) else {
        return;
    };
    let rows = 1 + bytes.len() % 3;
    let inputs: Option<Vec<Value>> = model.inputs.iter().map(|i| batch(&i.ty, rows)).collect();
    if let Some(inputs) = inputs {
        let _ = model.run(inputs);
    }
});
