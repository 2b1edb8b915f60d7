//! The native engine alone on a model and its inputs read from a folder (`model.onnx`,
//! `input_0.pb`, `input_1.pb`, … as ONNX `TensorProto`s, in the model's input order —
//! `cargo bench -p retort --bench fair_price` writes the fair-price model's with
//! `RETORT_BENCH_DUMP`): the inputs' rows repeated to the batch size, one call over the
//! whole batch on one thread. Prints figures; asserts nothing about time.
//!
//! `RETORT_BENCH_DIR=/tmp/fair-price cargo bench -p retort-onnx --bench model_dir` —
//! settings from the environment: `RETORT_BENCH_ROWS` (rows per call, default 1000000),
//! `RETORT_BENCH_REPEAT` (calls timed, default 3; the best is printed),
//! `RETORT_BENCH_SAVE` (a file: the first output's values written there, little-endian),
//! `RETORT_BENCH_COMPARE` (a file written by `RETORT_BENCH_SAVE`: the first output is
//! compared with it bit for bit, and the run fails when they differ).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::time::Instant;

use prost::Message;
use retort_onnx::proto::TensorProto;
use retort_onnx::{Data, Model, Tensor, Value};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `t` with its rows repeated (cyclically) to `rows` rows.
fn tile(t: &Tensor, rows: usize) -> Value {
    let have = t.shape.first().copied().unwrap_or(1).max(1);
    let n = rows * (t.data.len() / have);
    let data = match &t.data {
        Data::Str(v) => Data::Str(v.iter().cycle().take(n).cloned().collect()),
        Data::I64(v) => Data::I64(v.iter().cycle().take(n).copied().collect()),
        Data::F32(v) => Data::F32(v.iter().cycle().take(n).copied().collect()),
        Data::F64(v) => Data::F64(v.iter().cycle().take(n).copied().collect()),
        Data::Bool(v) => Data::Bool(v.iter().cycle().take(n).copied().collect()),
    };
    let mut shape = t.shape.clone();
    if let Some(first) = shape.first_mut() {
        *first = rows;
    }
    Value::Tensor(Tensor::new(shape, data).unwrap())
}

/// The first output's values as little-endian bytes (f32, f64 or i64 elements).
fn bytes_of(outputs: &[Value]) -> Vec<u8> {
    let Some(Value::Tensor(t)) = outputs.first() else {
        panic!("the first output is not a tensor")
    };
    match &t.data {
        Data::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Data::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Data::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        other => panic!("cannot compare a {} output", other.kind()),
    }
}

fn main() {
    let Ok(dir) = std::env::var("RETORT_BENCH_DIR") else {
        println!("set RETORT_BENCH_DIR to a folder with model.onnx and input_<i>.pb");
        return;
    };
    let dir = PathBuf::from(dir);
    let rows = env("RETORT_BENCH_ROWS", 1_000_000);
    let repeat = env("RETORT_BENCH_REPEAT", 3);
    let model = Model::load(&std::fs::read(dir.join("model.onnx")).unwrap()).unwrap();
    let inputs: Vec<Value> = (0..model.inputs.len())
        .map(|i| {
            let bytes = std::fs::read(dir.join(format!("input_{i}.pb"))).unwrap();
            let proto = TensorProto::decode(bytes.as_slice()).unwrap();
            tile(&Tensor::from_proto(&proto).unwrap(), rows)
        })
        .collect();
    let mut best = f64::INFINITY;
    let mut outputs = Vec::new();
    for _ in 0..repeat.max(1) {
        let input = inputs.clone();
        let started = Instant::now();
        outputs = model.run(input).unwrap();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{}: {rows} rows, one call, one thread, best of {repeat}: {best:.3} s ({:.0} rows/s)",
        dir.display(),
        rows as f64 / best
    );
    let got = bytes_of(&outputs);
    if let Ok(path) = std::env::var("RETORT_BENCH_SAVE") {
        std::fs::write(&path, &got).unwrap();
        println!("first output written to {path}");
    }
    if let Ok(path) = std::env::var("RETORT_BENCH_COMPARE") {
        let want = std::fs::read(&path).unwrap();
        assert_eq!(want.len(), got.len(), "the outputs differ in length");
        let differ = want
            .chunks(4)
            .zip(got.chunks(4))
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(differ, 0, "{differ} output elements differ from {path}");
        println!("first output identical, bit for bit, to {path}");
    }
}
