//! The engine alone on the workbench's fair-price model, without the rest of the pricing
//! bench: a demo catalogue in a temporary SQLite database, the model trained by the
//! `train_fair_price` job with its defaults (as the workbench trains it), the catalogue's
//! input tensors built by the model's `Scorer` (as scoring builds them), repeated to the
//! batch size, then one call over the whole batch on one thread: the native engine, and
//! ONNX Runtime on the same tensors when `RETORT_BENCH_ONNXRUNTIME_LIB` names its library.
//! Prints figures; asserts nothing.
//!
//! `cargo bench -p retort --bench fair_price` — settings from the environment:
//! `RETORT_BENCH_CATALOGUE` (demo products, default 100000), `RETORT_BENCH_ROWS` (rows per
//! call, default 1000000), `RETORT_BENCH_REPEAT` (calls timed per engine, default 3; the
//! best is printed), `RETORT_BENCH_MODEL` (an ONNX file: deployed instead of training, and
//! written there after training when it does not exist yet), `RETORT_BENCH_DUMP` (a
//! folder: the model and the catalogue's input tensors are written there as `model.onnx`
//! and `input_<i>.pb`, for `cargo bench -p retort-onnx --bench model_dir`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::http::Method;
use prost::Message;
use retort::entities::job::worker::{self, WorkerConfig};
use retort::entities::model::schema::DeployMeta;
use retort::entities::model::service::{self as models, Selector};
use retort::kernel::inference::{Engine, Runtime};
use retort::testing::{TestDb, get, send_json};
use retort_onnx::proto::{TensorProto, data_type};
use retort_onnx::{Data, Tensor, Value};
use serde_json::json;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `value` with its rows repeated (cyclically) to `rows` rows.
fn tile(value: &Value, rows: usize) -> Value {
    let Value::Tensor(t) = value else {
        panic!("the fair-price model takes tensors")
    };
    let have = t.shape.first().copied().unwrap_or(1).max(1);
    let width = t.data.len() / have;
    let n = rows * width;
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

/// A tensor as an ONNX `TensorProto` named `name`.
fn to_proto(name: &str, value: &Value) -> TensorProto {
    let Value::Tensor(t) = value else {
        panic!("the fair-price model takes tensors")
    };
    let mut p = TensorProto {
        name: name.to_owned(),
        dims: t.shape.iter().map(|&d| d as i64).collect(),
        ..Default::default()
    };
    match &t.data {
        Data::Str(v) => {
            p.data_type = data_type::STRING;
            p.string_data = v.iter().map(|s| s.as_bytes().to_vec()).collect();
        }
        Data::I64(v) => {
            p.data_type = data_type::INT64;
            p.int64_data = v.clone();
        }
        Data::F32(v) => {
            p.data_type = data_type::FLOAT;
            p.float_data = v.clone();
        }
        Data::F64(v) => {
            p.data_type = data_type::DOUBLE;
            p.double_data = v.clone();
        }
        Data::Bool(v) => {
            p.data_type = data_type::BOOL;
            p.int32_data = v.iter().map(|&b| i32::from(b)).collect();
        }
    }
    p
}

/// Trains the fair-price model with the job's defaults, as the workbench does.
async fn train(db: &TestDb) {
    let state = db.state();
    let router = retort::app::build_router(state.clone());
    let config = WorkerConfig {
        poll: Duration::from_millis(20),
        ..WorkerConfig::default()
    };
    let pool = worker::spawn(state, 1, config);
    let r = send_json(
        &router,
        Method::POST,
        "/api/pricing/fair-price-model/train",
        &json!({}),
    )
    .await;
    let id = &r.json["id"];
    let started = Instant::now();
    loop {
        let r = get(&router, &format!("/api/jobs/{id}")).await;
        match r.json["status"].as_str().unwrap_or("") {
            "succeeded" => break,
            "failed" | "cancelled" => panic!("training failed: {}", r.json),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    println!(
        "trained the fair-price model in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    pool.shutdown().await;
}

/// The best of `repeat` calls, in seconds.
fn best(engine: &Engine, inputs: &[Value], repeat: usize) -> f64 {
    (0..repeat.max(1))
        .map(|_| {
            let input = inputs.to_vec();
            let started = Instant::now();
            std::hint::black_box(engine.run(input).unwrap());
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

#[tokio::main]
async fn main() {
    let catalogue_rows = env("RETORT_BENCH_CATALOGUE", 100_000);
    let rows = env("RETORT_BENCH_ROWS", 1_000_000);
    let repeat = env("RETORT_BENCH_REPEAT", 3);
    let model_file = std::env::var("RETORT_BENCH_MODEL").ok().map(PathBuf::from);

    let db = TestDb::sqlite().await;
    let started = Instant::now();
    retort::demo::load(&db.db, catalogue_rows, 42, 0)
        .await
        .unwrap();
    println!(
        "demo catalogue: {catalogue_rows} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let state = db.state();
    match model_file.as_deref().filter(|p| p.exists()) {
        Some(path) => {
            let meta = DeployMeta {
                description: "the fair-price model, from a file".into(),
                framework: "retort-learn gbdt".into(),
                metrics: json!({}),
                feature_names: None,
                alias: Some("production".into()),
                check: None,
            };
            models::deploy(&state, "fair-price", meta, std::fs::read(path).unwrap())
                .await
                .unwrap();
            println!("model: {}", path.display());
        }
        None => train(&db).await,
    }
    let row = models::resolve(&state, "fair-price", &Selector::Default)
        .await
        .unwrap();
    let (bytes, _) = models::onnx_file(&state, "fair-price", row.version)
        .await
        .unwrap();
    if let Some(path) = model_file.as_deref().filter(|p| !p.exists()) {
        std::fs::write(path, &bytes).unwrap();
        println!("model written to {}", path.display());
    }
    let scorer = retort::entities::model::scorer(&state, &row).await.unwrap();
    let catalogue = retort::entities::product::catalogue(&state.db, 100_000)
        .await
        .unwrap();
    let inputs = scorer
        .inputs(catalogue.len(), |c| catalogue.column(c))
        .unwrap();
    if let Ok(dir) = std::env::var("RETORT_BENCH_DUMP") {
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("model.onnx"), &bytes).unwrap();
        for (i, (name, value)) in scorer.input_names().iter().zip(&inputs).enumerate() {
            std::fs::write(
                dir.join(format!("input_{i}.pb")),
                to_proto(name, value).encode_to_vec(),
            )
            .unwrap();
        }
        println!("model and inputs written to {}", dir.display());
    }
    let inputs: Vec<Value> = inputs.iter().map(|v| tile(v, rows)).collect();
    let trees = retort_onnx::proto::ModelProto::decode(bytes.as_slice())
        .map(|m| m.doc_string)
        .unwrap_or_default();

    let native = models::compiled(&state, &row).await.unwrap();
    let native_s = best(&native, &inputs, repeat);
    print!(
        "engine: the fair-price model ({trees}) on {rows} rows, one call, one thread, best of {repeat}: native {native_s:.3} s ({:.0} rows/s)",
        rows as f64 / native_s
    );
    match std::env::var("RETORT_BENCH_ONNXRUNTIME_LIB") {
        Ok(lib) => {
            let rt = Runtime::load(Path::new(&lib)).unwrap();
            let ort = Engine::Runtime(
                rt.session(&bytes, retort_onnx::describe(&bytes).unwrap())
                    .unwrap(),
            );
            let ort_s = best(&ort, &inputs, repeat);
            println!(
                ", ONNX Runtime {ort_s:.3} s ({:.0} rows/s); native/ORT speed {:.2}x",
                rows as f64 / ort_s,
                ort_s / native_s
            );
        }
        Err(_) => println!(" (set RETORT_BENCH_ONNXRUNTIME_LIB for ONNX Runtime's figure)"),
    }
}
