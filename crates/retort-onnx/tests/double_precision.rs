//! Double-precision pipelines (`fixtures/models/double_fixtures.py`): the native engine
//! computes what scikit-learn computes — scalers, imputation, linear models and tree
//! splits in double, the float32 rounding only where scikit-learn's trees make it — so
//! its predictions equal the library's own to 1e-9 relative, not only onnxruntime's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use retort_onnx::{Data, Model, Tensor, Value};
use serde_json::Value as Json;

const FIXTURES: [&str; 4] = [
    "double_scaler_forest",
    "double_scaler_boosting",
    "double_imputer_linear",
    "double_scaler_logistic",
];

fn load(name: &str) -> (Model, Json) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let model = Model::load(&std::fs::read(dir.join(format!("{name}.onnx"))).unwrap()).unwrap();
    let spec =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap();
    (model, spec)
}

fn input(spec: &Json) -> Value {
    let x = &spec["inputs"]["X"];
    let shape: Vec<usize> = x["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = x["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    Value::Tensor(Tensor::new(shape, Data::F64(data)).unwrap())
}

fn doubles(v: &Value) -> Vec<f64> {
    let Value::Tensor(t) = v else {
        panic!("not a tensor")
    };
    match &t.data {
        Data::F64(v) => v.clone(),
        other => panic!("the output is {}, not double", other.kind()),
    }
}

fn relative(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

#[test]
fn double_pipelines_predict_what_scikit_learn_predicts() {
    for name in FIXTURES {
        let (model, spec) = load(name);
        let outputs = model.run(vec![input(&spec)]).unwrap();
        let want = spec["library"]["predict"].as_array().unwrap();
        if spec["task"] == "classification" {
            let Value::Tensor(labels) = &outputs[0] else {
                panic!("{name}: labels")
            };
            let Data::I64(labels) = &labels.data else {
                panic!("{name}: labels are {}", labels.data.kind())
            };
            let want: Vec<i64> = want.iter().map(|v| v.as_i64().unwrap()).collect();
            assert_eq!(labels, &want, "{name}");
            let probs = doubles(&outputs[1]);
            let want: Vec<f64> = spec["library"]["predict_proba"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|p| p.as_f64().unwrap()))
                .collect();
            assert_eq!(probs.len(), want.len(), "{name}");
            // Probabilities near 0 come out of `1 − p` in the graph: within 1e-12 of
            // scikit-learn's absolutely, else 1e-9 relatively.
            for (i, (g, w)) in probs.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-12 || relative(*g, *w) <= 1e-9,
                    "{name} probability {i}: {g} vs {w}"
                );
            }
            continue;
        }
        let got = doubles(&outputs[0]);
        assert_eq!(got.len(), want.len(), "{name}");
        let mut worst = 0.0f64;
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let w = w.as_f64().unwrap();
            let r = relative(*g, w);
            worst = worst.max(r);
            assert!(
                r <= 1e-9,
                "{name} row {i}: {g} vs scikit-learn's {w} ({r:e})"
            );
        }
        eprintln!("{name}: largest relative difference from scikit-learn {worst:e}");
    }
}
