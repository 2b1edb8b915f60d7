//! Every fixture model takes odd batches (no rows, the wrong width, a scalar, the wrong
//! element type, NaN everywhere) without panicking: each run either succeeds or returns a
//! run error.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use retort_onnx::{Data, ElemType, Model, Tensor, Value, ValueType};

fn fixtures() -> Vec<(String, Model)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "onnx") {
            // Models with operators the engine lacks are served elsewhere.
            if let Ok(m) = Model::load(&std::fs::read(&path).unwrap()) {
                out.push((path.display().to_string(), m));
            }
        }
    }
    assert!(out.len() >= 20, "only {} fixtures load", out.len());
    out
}

/// A tensor of `shape` and element type `elem`: zeros (NaN for floats when `nan`), empty
/// strings or false.
fn filled(shape: Vec<usize>, elem: ElemType, nan: bool) -> Value {
    let n = shape.iter().product();
    let data = match elem {
        ElemType::String => Data::Str(vec![String::new(); n]),
        ElemType::Int64 | ElemType::Int32 => Data::I64(vec![0; n]),
        ElemType::Bool => Data::Bool(vec![false; n]),
        ElemType::Double => Data::F64(vec![if nan { f64::NAN } else { 0.0 }; n]),
        ElemType::Float => Data::F32(vec![if nan { f32::NAN } else { 0.0 }; n]),
    };
    Value::Tensor(Tensor::new(shape, data).unwrap())
}

fn declared(m: &Model) -> Vec<(ElemType, usize)> {
    m.inputs
        .iter()
        .map(|i| match &i.ty {
            ValueType::Tensor { elem, shape } => {
                let width = shape
                    .as_ref()
                    .map_or(1, |s| s.iter().skip(1).map(|d| d.unwrap_or(1)).product());
                (*elem, width)
            }
            _ => (ElemType::Float, 1),
        })
        .collect()
}

#[test]
fn every_fixture_takes_odd_batches_without_panicking() {
    for (name, m) in fixtures() {
        let decl = declared(&m);
        let batches: Vec<Vec<Value>> = vec![
            decl.iter()
                .map(|&(e, w)| filled(vec![0, w], e, false))
                .collect(),
            decl.iter()
                .map(|&(e, w)| filled(vec![2, w + 3], e, false))
                .collect(),
            decl.iter()
                .map(|&(e, w)| filled(vec![1, w.saturating_sub(1)], e, false))
                .collect(),
            decl.iter()
                .map(|&(e, _)| filled(vec![], e, false))
                .collect(),
            decl.iter()
                .map(|&(e, w)| filled(vec![3, w], e, true))
                .collect(),
            decl.iter()
                .map(|&(e, w)| filled(vec![2, 1, w], e, false))
                .collect(),
            decl.iter()
                .map(|&(e, w)| {
                    let other = if e == ElemType::String {
                        ElemType::Float
                    } else {
                        ElemType::String
                    };
                    filled(vec![2, w], other, false)
                })
                .collect(),
        ];
        for batch in batches {
            // Success or a run error are both fine; a panic fails the test.
            let _ = m.run(batch);
        }
        assert!(m.run(Vec::new()).is_err() || m.inputs.is_empty(), "{name}");
    }
}
