//! The native engine against ONNX Runtime on every model fixture, both on one thread:
//! one row, and a batch of 1,000 rows. Prints figures and ratios; asserts nothing.
//!
//! `RETORT_BENCH_ONNXRUNTIME_LIB=…/libonnxruntime.so.1.32.0 cargo bench -p retort --bench engine`
//! (without the variable only the native engine is timed).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use retort::kernel::inference::{Engine, Runtime};
use retort_onnx::{Data, Model, Tensor, Value};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models")
}

/// The fixture's test rows, repeated to `rows` rows, one tensor per graph input.
fn inputs(engine: &Engine, spec: &Json, rows: usize) -> Vec<Value> {
    engine
        .inputs()
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

/// Mean µs per run, over at least `budget`.
fn time(engine: &Engine, input: &[Value], budget: Duration) -> f64 {
    let mut runs = 0u32;
    let started = Instant::now();
    while started.elapsed() < budget || runs < 5 {
        std::hint::black_box(engine.run(input.to_vec()).unwrap());
        runs += 1;
    }
    started.elapsed().as_secs_f64() / f64::from(runs) * 1e6
}

fn main() {
    let runtime = std::env::var("RETORT_BENCH_ONNXRUNTIME_LIB")
        .ok()
        .map(|p| Runtime::load(Path::new(&p)).unwrap());
    let index: Json =
        serde_json::from_slice(&std::fs::read(dir().join("index.json")).unwrap()).unwrap();
    println!(
        "{:<50} {:>10} {:>10} {:>7} {:>12} {:>12} {:>7}",
        "fixture (µs, one thread)", "1 row", "ORT", "ratio", "1,000 rows", "ORT", "ratio"
    );
    let (mut wins_one, mut wins_batch, mut count) = (0, 0, 0);
    for f in index["fixtures"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(format!("{name}.onnx"))).unwrap();
        let spec: Json =
            serde_json::from_slice(&std::fs::read(dir().join(format!("{name}.json"))).unwrap())
                .unwrap();
        let native = Engine::Native(Model::load(&bytes).unwrap());
        let one = time(
            &native,
            &inputs(&native, &spec, 1),
            Duration::from_millis(200),
        );
        let batch = time(
            &native,
            &inputs(&native, &spec, 1000),
            Duration::from_millis(400),
        );
        match &runtime {
            Some(rt) => {
                let ort = Engine::Runtime(
                    rt.session(&bytes, retort_onnx::describe(&bytes).unwrap())
                        .unwrap(),
                );
                let ort_one = time(&ort, &inputs(&ort, &spec, 1), Duration::from_millis(200));
                let ort_batch = time(&ort, &inputs(&ort, &spec, 1000), Duration::from_millis(400));
                count += 1;
                wins_one += usize::from(one <= ort_one);
                wins_batch += usize::from(batch <= ort_batch);
                println!(
                    "{name:<50} {one:>10.2} {ort_one:>10.2} {:>6.2}x {batch:>12.1} {ort_batch:>12.1} {:>6.2}x",
                    ort_one / one,
                    ort_batch / batch
                );
            }
            None => println!(
                "{name:<50} {one:>10.2} {:>10} {:>7} {batch:>12.1} {:>12} {:>7}",
                "-", "-", "-", "-"
            ),
        }
    }
    if count > 0 {
        println!(
            "native at least as fast as ONNX Runtime: {wins_one}/{count} fixtures for one row, {wins_batch}/{count} for 1,000 rows (ratio = ORT time / native time)"
        );
    }
}
