//! Job figures: how many jobs per second one worker sustains, and the latency of
//! `GET /api/products` with and without CPU-heavy jobs running. Prints; asserts nothing.
//!
//! `cargo bench -p retort --bench jobs` (`RETORT_BENCH_BACKEND=postgres` with
//! `RETORT_TEST_POSTGRES_URL` for PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use retort::entities::job::{service as jobs, worker};
use retort::kernel::error::FieldError;
use retort::kernel::jobs::{BoxFuture, JobContext, JobError, JobKind, JobKinds};
use retort::testing::{TestDb, get};
use serde_json::{Value, json};

/// Does nothing: measures the queue itself.
struct Noop;

impl JobKind for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }
    fn check(&self, params: &Value) -> Result<Value, Vec<FieldError>> {
        Ok(params.clone())
    }
    fn run<'a>(&'a self, _: &'a JobContext, _: Value) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async { Ok(Value::Null) })
    }
}

/// Keeps a core busy for `ms` milliseconds on the blocking pool, reporting progress
/// every 100 ms: a CPU-heavy job done the way job kinds should do it.
struct Spin;

impl JobKind for Spin {
    fn name(&self) -> &'static str {
        "spin"
    }
    fn check(&self, params: &Value) -> Result<Value, Vec<FieldError>> {
        Ok(params.clone())
    }
    fn run<'a>(
        &'a self,
        ctx: &'a JobContext,
        params: Value,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            let total = params["ms"].as_u64().unwrap_or(1000);
            let mut done = 0;
            while done < total {
                ctx.cpu(|| {
                    let until = Instant::now() + Duration::from_millis(100);
                    let mut x = 0u64;
                    while Instant::now() < until {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                })
                .await?;
                done += 100;
                ctx.progress(done as f64 / total as f64, "spinning").await?;
            }
            Ok(Value::Null)
        })
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn list_latency(router: &axum::Router, n: usize) -> (f64, f64) {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let r = get(
            router,
            &format!(
                "/api/products?brand=Pirelli&sort=-list_price&limit=50&rim_in_min={}",
                14 + i % 5
            ),
        )
        .await;
        assert_eq!(r.status, 200);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let backend = std::env::var("RETORT_BENCH_BACKEND").unwrap_or_else(|_| "sqlite".into());
    let db = match backend.as_str() {
        "postgres" => TestDb::postgres()
            .await
            .expect("RETORT_TEST_POSTGRES_URL must be set"),
        _ => TestDb::sqlite().await,
    };
    let state = db
        .state()
        .with_jobs(JobKinds::default().with(Noop).with(Spin));
    let config = worker::WorkerConfig {
        poll: Duration::from_millis(5),
        grace: Duration::from_millis(100),
        ..worker::WorkerConfig::default()
    };
    println!("jobs bench on {backend}");

    // Throughput: 2,000 queued no-op jobs drained by one worker.
    let n = 2000;
    for _ in 0..n {
        jobs::enqueue(&state, "noop", &json!({})).await.unwrap();
    }
    let started = Instant::now();
    let pool = worker::spawn(state.clone(), 1, config.clone());
    loop {
        let r = get(&db.router(), "/api/jobs?status=succeeded&limit=1").await;
        if r.json["total"].as_i64() == Some(n) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    pool.shutdown().await;
    println!(
        "one worker: {n} no-op jobs in {secs:.2} s = {:.0} jobs/s (claim, run, record the end)",
        n as f64 / secs
    );

    // Latency of a list query, idle and with two CPU-heavy jobs running.
    let csv = retort::demo::catalogue_csv(50_000, 42);
    retort::entities::product::service::import_products(
        &state.db,
        std::io::Cursor::new(csv.into_bytes()),
        false,
        |e| retort::kernel::error::AppError::BadRequest(e.to_string()),
    )
    .await
    .unwrap();
    let router = retort::app::build_router(state.clone());
    list_latency(&router, 50).await;
    let (idle50, idle99) = list_latency(&router, 400).await;
    let mut busy = Vec::new();
    for jobs in [1usize, 2] {
        let pool = worker::spawn(state.clone(), jobs, config.clone());
        for _ in 0..jobs {
            jobs::enqueue(&state, "spin", &json!({"ms": 60_000}))
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        busy.push(list_latency(&router, 400).await);
        pool.shutdown().await;
    }
    println!(
        "GET /api/products (50,000 products, filtered, sorted), 400 requests one after another:"
    );
    println!("  idle:                          p50 {idle50:.2} ms  p99 {idle99:.2} ms");
    println!(
        "  1 CPU-heavy job on 2 cores:    p50 {:.2} ms  p99 {:.2} ms",
        busy[0].0, busy[0].1
    );
    println!(
        "  2 CPU-heavy jobs on 2 cores:   p50 {:.2} ms  p99 {:.2} ms",
        busy[1].0, busy[1].1
    );
}
