//! The hand-made seeds of the `onnx_model` fuzz target (in `fuzz/seeds/onnx_model`) stay
//! valid: each loads and runs a batch of two rows, so the fuzzer starts from graphs that
//! reach every operator the fixtures leave out.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use retort_onnx::{Data, ElemType, Model, Tensor, Value, ValueType};

#[test]
fn every_fuzz_seed_loads_and_runs_a_small_batch() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/onnx_model");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let model = Model::load(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let inputs = model
            .inputs
            .iter()
            .map(|i| {
                let ValueType::Tensor { elem, shape } = &i.ty else {
                    panic!("{}: input {} is not a tensor", path.display(), i.name)
                };
                let width = shape.as_ref().and_then(|s| s.get(1).copied().flatten());
                let width = width.unwrap_or(1);
                let data = match elem {
                    ElemType::String => Data::Str(vec!["a".into(); 2 * width]),
                    _ => Data::F32((0..2 * width).map(|v| v as f32 / 4.0).collect()),
                };
                Value::Tensor(Tensor::new(vec![2, width], data).unwrap())
            })
            .collect();
        model
            .run(inputs)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        seen += 1;
    }
    assert!(seen >= 2, "only {seen} seeds");
}
