//! Native engine timings on every fixture: one row, and a batch of 1,000 rows, on one
//! thread. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p retort-onnx --bench engine`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use retort_onnx::{Data, Model, Tensor, Value};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models")
}

/// The fixture's test rows, repeated to `rows` rows, per input.
fn inputs(model: &Model, spec: &Json, rows: usize) -> Vec<Value> {
    model
        .inputs
        .iter()
        .map(|i| {
            let s = &spec["inputs"][&i.name];
            let shape: Vec<usize> = s["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let (n, width) = (shape[0], shape[1..].iter().product::<usize>());
            let data = s["data"].as_array().unwrap();
            let pick = |r: usize, c: usize| &data[(r % n) * width + c];
            let cells = (0..rows).flat_map(|r| (0..width).map(move |c| (r, c)));
            let data = match s["dtype"].as_str().unwrap() {
                "string" => Data::Str(
                    cells
                        .map(|(r, c)| pick(r, c).as_str().unwrap().to_owned())
                        .collect(),
                ),
                "int64" => Data::I64(cells.map(|(r, c)| pick(r, c).as_i64().unwrap()).collect()),
                _ => Data::F32(
                    cells
                        .map(|(r, c)| pick(r, c).as_f64().map_or(f32::NAN, |v| v as f32))
                        .collect(),
                ),
            };
            let mut shape = shape;
            shape[0] = rows;
            Value::Tensor(Tensor::new(shape, data).unwrap())
        })
        .collect()
}

fn time(model: &Model, input: &[Value], budget: Duration) -> f64 {
    let mut runs = 0u32;
    let started = Instant::now();
    while started.elapsed() < budget || runs < 5 {
        std::hint::black_box(model.run(input.to_vec()).unwrap());
        runs += 1;
    }
    started.elapsed().as_secs_f64() / f64::from(runs) * 1e6
}

fn main() {
    let index: Json =
        serde_json::from_slice(&std::fs::read(dir().join("index.json")).unwrap()).unwrap();
    println!(
        "{:<52} {:>12} {:>14} {:>12}",
        "fixture", "1 row µs", "1,000 rows µs", "µs/row"
    );
    for f in index["fixtures"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let model =
            Model::load(&std::fs::read(dir().join(format!("{name}.onnx"))).unwrap()).unwrap();
        let spec: Json =
            serde_json::from_slice(&std::fs::read(dir().join(format!("{name}.json"))).unwrap())
                .unwrap();
        let one = time(
            &model,
            &inputs(&model, &spec, 1),
            Duration::from_millis(200),
        );
        let batch = time(
            &model,
            &inputs(&model, &spec, 1000),
            Duration::from_millis(400),
        );
        println!(
            "{name:<52} {one:>12.2} {batch:>14.1} {:>12.3}",
            batch / 1000.0
        );
    }
}
