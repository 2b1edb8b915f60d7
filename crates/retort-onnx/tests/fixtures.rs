//! Every model fixture (exported from scikit-learn, XGBoost and LightGBM by
//! `fixtures/models/make_fixtures.py`) runs on the native engine and matches what
//! onnxruntime computed, within 1e-5 relative (plus 1e-6 absolute for values near zero).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use retort_onnx::{Data, Keys, Model, Tensor, Value};
use serde_json::Value as Json;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models")
}

fn fixture_names() -> Vec<String> {
    let index: Json =
        serde_json::from_slice(&std::fs::read(fixtures_dir().join("index.json")).unwrap()).unwrap();
    let list = index
        .as_array()
        .cloned()
        .or_else(|| index["fixtures"].as_array().cloned())
        .unwrap();
    list.iter()
        .map(|f| {
            f.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| f["name"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn to_tensor(spec: &Json) -> Tensor {
    let shape: Vec<usize> = spec["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = spec["data"].as_array().unwrap();
    let data = match spec["dtype"].as_str().unwrap() {
        "float32" | "float" => Data::F32(
            data.iter()
                .map(|v| v.as_f64().map_or(f32::NAN, |f| f as f32))
                .collect(),
        ),
        "float64" | "double" => Data::F64(
            data.iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect(),
        ),
        "int64" | "int32" => Data::I64(data.iter().map(|v| v.as_i64().unwrap()).collect()),
        "string" => Data::Str(
            data.iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
        ),
        "bool" => Data::Bool(data.iter().map(|v| v.as_bool().unwrap()).collect()),
        other => panic!("dtype {other}"),
    };
    Tensor::new(shape, data).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-5 * a.abs().max(b.abs()) + 1e-6
}

fn check_output(fixture: &str, name: &str, got: &Value, want: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let dtype = want["dtype"].as_str().unwrap();
    match got {
        Value::MapSeq { keys, values } => {
            let rows = want["data"].as_array().unwrap();
            let n = keys.len();
            for (r, row) in rows.iter().enumerate() {
                let row = row.as_object().unwrap();
                for (k, v) in row {
                    let col = match keys {
                        Keys::I64(ks) => ks.iter().position(|x| x.to_string() == *k),
                        Keys::Str(ks) => ks.iter().position(|x| x == k),
                    };
                    match col {
                        Some(c) => {
                            let g = f64::from(values[r * n + c]);
                            if !close(g, v.as_f64().unwrap()) {
                                problems
                                    .push(format!("{fixture}.{name}[{r}][{k}]: got {g}, want {v}"));
                            }
                        }
                        None => problems.push(format!("{fixture}.{name}: no key {k} in {keys:?}")),
                    }
                }
            }
        }
        Value::Tensor(t) => {
            let want_data = want["data"].as_array().unwrap();
            if t.data.len() != want_data.len() {
                problems.push(format!(
                    "{fixture}.{name}: {} values, want {} ({dtype})",
                    t.data.len(),
                    want_data.len()
                ));
                return problems;
            }
            for (i, w) in want_data.iter().enumerate() {
                let ok = match &t.data {
                    Data::F32(v) => close(f64::from(v[i]), w.as_f64().unwrap_or(f64::NAN)),
                    Data::F64(v) => close(v[i], w.as_f64().unwrap_or(f64::NAN)),
                    Data::I64(v) => Some(v[i]) == w.as_i64(),
                    Data::Str(v) => Some(v[i].as_str()) == w.as_str(),
                    Data::Bool(v) => Some(v[i]) == w.as_bool(),
                };
                if !ok {
                    let g = match &t.data {
                        Data::F32(v) => v[i].to_string(),
                        Data::F64(v) => v[i].to_string(),
                        Data::I64(v) => v[i].to_string(),
                        Data::Str(v) => v[i].clone(),
                        Data::Bool(v) => v[i].to_string(),
                    };
                    problems.push(format!("{fixture}.{name}[{i}]: got {g}, want {w}"));
                    if problems.len() > 5 {
                        break;
                    }
                }
            }
        }
    }
    problems
}

fn run_fixture(name: &str) -> Vec<String> {
    let dir = fixtures_dir();
    let bytes = std::fs::read(dir.join(format!("{name}.onnx"))).unwrap();
    let spec: Json =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap();
    let model = match Model::load(&bytes) {
        Ok(m) => m,
        Err(e) => return vec![format!("{name}: load failed: {e}")],
    };
    let inputs: Vec<Value> = model
        .inputs
        .iter()
        .map(|i| Value::Tensor(to_tensor(&spec["inputs"][&i.name])))
        .collect();
    let outputs = match model.run(inputs) {
        Ok(o) => o,
        Err(e) => return vec![format!("{name}: run failed: {e}")],
    };
    let mut problems = Vec::new();
    for (info, got) in model.outputs.iter().zip(&outputs) {
        match spec["outputs"].get(&info.name) {
            Some(want) => problems.extend(check_output(name, &info.name, got, want)),
            None => problems.push(format!("{name}: no expected output {}", info.name)),
        }
    }
    problems
}

#[test]
fn every_fixture_matches_onnxruntime() {
    let names = fixture_names();
    assert!(names.len() >= 20, "only {} fixtures", names.len());
    let mut problems = Vec::new();
    for name in &names {
        problems.extend(run_fixture(name));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_classifier_predicts_the_labels_the_original_library_predicts() {
    for name in fixture_names() {
        let dir = fixtures_dir();
        let spec: Json =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        if spec["task"] != "classification" {
            continue;
        }
        let model = Model::load(&std::fs::read(dir.join(format!("{name}.onnx"))).unwrap()).unwrap();
        let inputs = model
            .inputs
            .iter()
            .map(|i| Value::Tensor(to_tensor(&spec["inputs"][&i.name])))
            .collect();
        let outputs = model.run(inputs).unwrap();
        let Value::Tensor(labels) = &outputs[0] else {
            panic!("{name}: the first output is not the labels")
        };
        let want = spec["library"]["predict"].as_array().unwrap();
        let got: Vec<Json> = match &labels.data {
            Data::I64(v) => v.iter().map(|&x| Json::from(x)).collect(),
            Data::Str(v) => v.iter().map(|x| Json::from(x.as_str())).collect(),
            other => panic!("{name}: labels are {}", other.kind()),
        };
        assert_eq!(&got, want, "{name}");
    }
}
