//! The two backends agree: every model fixture gives the same outputs on the native
//! engine and on ONNX Runtime (when `RETORT_TEST_ONNXRUNTIME_LIB` names the library).

use std::path::{Path, PathBuf};

use retort_onnx::{Data, Model, Tensor, Value};
use serde_json::Value as Json;

use super::{Engine, Runtime};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models")
}

fn input(spec: &Json) -> Value {
    let shape: Vec<usize> = spec["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = spec["data"].as_array().unwrap();
    let data = match spec["dtype"].as_str().unwrap() {
        "string" => Data::Str(
            data.iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
        ),
        "int64" => Data::I64(data.iter().map(|v| v.as_i64().unwrap()).collect()),
        _ => Data::F32(
            data.iter()
                .map(|v| v.as_f64().map_or(f32::NAN, |f| f as f32))
                .collect(),
        ),
    };
    Value::Tensor(Tensor::new(shape, data).unwrap())
}

fn numbers(v: &Value) -> Vec<f64> {
    match v {
        Value::Tensor(t) => match &t.data {
            Data::F32(d) => d.iter().map(|&x| f64::from(x)).collect(),
            Data::F64(d) => d.clone(),
            Data::I64(d) => d.iter().map(|&x| x as f64).collect(),
            Data::Bool(d) => d.iter().map(|&x| f64::from(u8::from(x))).collect(),
            Data::Str(d) => d.iter().map(|s| s.len() as f64).collect(),
        },
        Value::MapSeq { values, .. } => values.iter().map(|&x| f64::from(x)).collect(),
    }
}

#[test]
fn both_backends_give_the_same_outputs_on_every_fixture() {
    let Ok(lib) = std::env::var(crate::testing::RUNTIME_ENV) else {
        eprintln!(
            "{} is not set: skipping the runtime comparison",
            crate::testing::RUNTIME_ENV
        );
        return;
    };
    let runtime = Runtime::load(Path::new(&lib)).unwrap();
    let index: Json =
        serde_json::from_slice(&std::fs::read(dir().join("index.json")).unwrap()).unwrap();
    let mut problems = Vec::new();
    for f in index["fixtures"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(format!("{name}.onnx"))).unwrap();
        let spec: Json =
            serde_json::from_slice(&std::fs::read(dir().join(format!("{name}.json"))).unwrap())
                .unwrap();
        let native = Engine::Native(Model::load(&bytes).unwrap());
        let ort = Engine::Runtime(
            runtime
                .session(&bytes, retort_onnx::describe(&bytes).unwrap())
                .unwrap(),
        );
        let inputs: Vec<Value> = native
            .inputs()
            .iter()
            .map(|i| input(&spec["inputs"][&i.name]))
            .collect();
        let a = native.run(inputs.clone()).unwrap();
        let b = ort.run(inputs).unwrap();
        for ((info, x), y) in native.outputs().iter().zip(&a).zip(&b) {
            let (x, y) = (numbers(x), numbers(y));
            let same = x.len() == y.len()
                && x.iter()
                    .zip(&y)
                    .all(|(p, q)| (p - q).abs() <= 1e-5 * p.abs().max(q.abs()) + 1e-6);
            if !same {
                problems.push(format!(
                    "{name}.{}: native {x:?} vs runtime {y:?}",
                    info.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
