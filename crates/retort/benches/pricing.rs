//! Pricing workbench benchmarks: demo generation, fair-price training and scoring,
//! mispriced-query latency at scale, and optimisation time for 10,000 and 50,000
//! products. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p retort --bench pricing` — settings from the environment:
//! `RETORT_BENCH_ROWS` (catalogue for the mispricing part, default 1000000),
//! `RETORT_BENCH_OPT_ROWS` (catalogue with sales for the optimisation part, default
//! 60000); 0 skips a part. `RETORT_BENCH_BACKEND` (`sqlite`, the default, or `postgres`, which needs
//! `RETORT_TEST_POSTGRES_URL`), `RETORT_BENCH_REPEAT` (30).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{Method, StatusCode};
use retort::entities::job::worker::{self, WorkerConfig};
use retort::testing::{TestDb, get, send_json};
use serde_json::{Value, json};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn database() -> TestDb {
    match std::env::var("RETORT_BENCH_BACKEND").as_deref() {
        Ok("postgres") => TestDb::postgres()
            .await
            .expect("RETORT_TEST_POSTGRES_URL must be set for the postgres backend"),
        _ => TestDb::sqlite().await,
    }
}

/// Workers as `serve` runs them (a 30 s lease), polling often.
fn config() -> WorkerConfig {
    WorkerConfig {
        poll: Duration::from_millis(20),
        ..WorkerConfig::default()
    }
}

/// Resets the process's peak resident set (Linux), so the next [`peak_rss_mb`] covers
/// only what runs after.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident set in MB since the last reset (Linux), if known.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The process's anonymous resident memory in MB now (heap and stacks, not the
/// memory-mapped database file), if known.
fn anon_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The most anonymous memory seen while waiting in [`wait`] (sampled every 20 ms).
static PEAK_ANON_KB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Waits for job `id`; its JSON and the seconds it took from now.
async fn wait(router: &Router, id: &Value) -> (Value, f64) {
    let started = Instant::now();
    loop {
        if let Some(mb) = anon_rss_mb() {
            PEAK_ANON_KB.fetch_max((mb * 1024.0) as u64, std::sync::atomic::Ordering::Relaxed);
        }
        let r = get(router, &format!("/api/jobs/{id}")).await;
        if ["succeeded", "failed", "cancelled"].contains(&r.json["status"].as_str().unwrap_or("")) {
            assert_eq!(r.json["status"], "succeeded", "{}", r.json);
            return (r.json, started.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn latency(router: &Router, uri: &str, repeat: usize) -> (f64, f64, i64) {
    let mut times = Vec::with_capacity(repeat);
    let mut total = 0;
    for _ in 0..repeat {
        let started = Instant::now();
        let r = get(router, uri).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
        total = r.json["total"].as_i64().unwrap_or(0);
    }
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.95), total)
}

fn state_of(db: &TestDb) -> retort::kernel::state::AppState {
    db.state()
}

/// The trained fair-price model evaluated alone on the whole catalogue's input tensors,
/// one thread: the native engine, and ONNX Runtime on the same tensors when
/// `RETORT_BENCH_ONNXRUNTIME_LIB` names its library.
async fn engine(state: &retort::kernel::state::AppState, rows: usize, trees: i64) {
    use retort::entities::model::service::{self as models, Selector};
    use retort::kernel::inference::{Engine, Runtime};
    let row = models::resolve(state, "fair-price", &Selector::Default)
        .await
        .unwrap();
    let scorer = retort::entities::model::scorer(state, &row).await.unwrap();
    let catalogue = retort::entities::product::catalogue(&state.db, 100_000)
        .await
        .unwrap();
    let inputs = scorer
        .inputs(catalogue.len(), |c| catalogue.column(c))
        .unwrap();
    let native = models::compiled(state, &row).await.unwrap();
    let time = |engine: &Engine| {
        let started = Instant::now();
        std::hint::black_box(engine.run(inputs.clone()).unwrap());
        started.elapsed().as_secs_f64()
    };
    let native_s = time(&native);
    print!(
        "engine: the fair-price model ({} trees) on {rows} rows, one thread: native {native_s:.2} s ({:.0} rows/s)",
        trees,
        rows as f64 / native_s
    );
    match std::env::var("RETORT_BENCH_ONNXRUNTIME_LIB") {
        Ok(lib) => {
            let rt = Runtime::load(std::path::Path::new(&lib)).unwrap();
            let (bytes, _) = models::onnx_file(state, "fair-price", row.version)
                .await
                .unwrap();
            let ort = Engine::Runtime(
                rt.session(&bytes, retort_onnx::describe(&bytes).unwrap())
                    .unwrap(),
            );
            let ort_s = time(&ort);
            println!(
                ", ONNX Runtime {ort_s:.2} s ({:.0} rows/s); native/ORT speed {:.2}x",
                rows as f64 / ort_s,
                ort_s / native_s
            );
        }
        Err(_) => println!(" (set RETORT_BENCH_ONNXRUNTIME_LIB for ONNX Runtime's figure)"),
    }
}

async fn mispricing(rows: usize, repeat: usize) {
    let db = database().await;
    let started = Instant::now();
    let csv = retort::demo::catalogue_csv(rows, 42);
    println!(
        "generate: {rows} products as CSV in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    retort::demo::load(&db.db, rows, 42, 0).await.unwrap();
    drop(csv);
    println!(
        "generate + import: {rows} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let state = db.state();
    let router = retort::app::build_router(state.clone());
    let pool = worker::spawn(state, 1, config());
    let r = send_json(
        &router,
        Method::POST,
        "/api/pricing/fair-price-model/train",
        &json!({}),
    )
    .await;
    let (job, secs) = wait(&router, &r.json["id"]).await;
    let m = &job["result"]["metrics"];
    println!(
        "train: {secs:.1} s on {} rows (holdout {}): R² {:.4}, MAE {:.2}, MAPE {:.2} %, {} rows left out as outliers",
        m["rows_train"],
        m["rows_holdout"],
        m["r2"].as_f64().unwrap(),
        m["mae"].as_f64().unwrap(),
        100.0 * m["mape"].as_f64().unwrap(),
        m["rows_left_out_as_outliers"]
    );
    reset_peak_rss();
    let anon_before = anon_rss_mb().unwrap_or(f64::NAN);
    PEAK_ANON_KB.store(0, std::sync::atomic::Ordering::Relaxed);
    let (score, secs) = wait(&router, &job["result"]["score_job"]).await;
    let anon_peak = PEAK_ANON_KB.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0;
    println!(
        "score: {rows} products in {secs:.1} s ({:.0} products/s), attempt {} of {}, peak RSS {:.0} MB, of it anonymous (heap, not the mapped database file) {anon_before:.0} MB before the job and {anon_peak:.0} MB at most during it (sampled every 20 ms)",
        rows as f64 / secs,
        score["attempts"],
        score["max_attempts"],
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    println!(
        "score stages (s): {} then {}",
        score["result"]["scoring"], score["result"]["seconds"]
    );
    pool.shutdown().await;
    engine(
        &state_of(&db),
        rows,
        job["result"]["params"]["trees"].as_i64().unwrap_or(0),
    )
    .await;
    let e = get(&router, "/api/pricing/evaluation?k=100").await.json;
    println!(
        "planted: {} of {}; precision@100 {:.2}; in the top 2 %: {:.1} % by relative gap, {:.1} % by dollar gap",
        e["planted"],
        e["scored"],
        e["precision_at_k"].as_f64().unwrap(),
        100.0 * e["recall_top_2pct_relative"].as_f64().unwrap(),
        100.0 * e["recall_top_2pct_dollars"].as_f64().unwrap()
    );
    let first = get(&router, "/api/pricing/mispriced?limit=50").await.json;
    let cursor = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let queries = [
        ("default: most mispriced first", "/api/pricing/mispriced?limit=50".to_owned()),
        ("second page (cursor)", format!("/api/pricing/mispriced?limit=50&cursor={cursor}")),
        ("direction=over", "/api/pricing/mispriced?direction=over&limit=50".into()),
        ("brand=Kumho", "/api/pricing/mispriced?brand=Kumho&limit=50".into()),
        ("category=suv, rim 18–20", "/api/pricing/mispriced?category=suv&rim_in_min=18&rim_in_max=20&limit=50".into()),
        ("two brands, under, season", "/api/pricing/mispriced?brand=Michelin&brand=Pirelli&direction=under&season=winter&limit=50".into()),
        ("sort=-gap (dollars)", "/api/pricing/mispriced?sort=-gap&limit=50".into()),
        ("sort=-peer_z, tier=economy", "/api/pricing/mispriced?sort=-peer_z&tier=economy&limit=50".into()),
        ("facets, no filter", "/api/pricing/mispriced/facets".into()),
        ("facets, brand=Kumho", "/api/pricing/mispriced/facets?brand=Kumho".into()),
        ("price scatter figure", "/api/pricing/charts/price-scatter".into()),
    ];
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "query", "p50 ms", "p95 ms", "total"
    );
    for (name, uri) in queries {
        let (p50, p95, total) = latency(&router, &uri, repeat).await;
        println!("{name:<34} {p50:>9.2} {p95:>9.2} {total:>9}");
    }
}

async fn optimisation(rows: usize) {
    let db = database().await;
    let started = Instant::now();
    retort::demo::load(&db.db, rows, 7, rows).await.unwrap();
    println!(
        "optimisation data: {rows} products with 52 weeks of sales in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let state = db.state();
    let router = retort::app::build_router(state.clone());
    let pool = worker::spawn(state, 1, config());
    let r = send_json(
        &router,
        Method::POST,
        "/api/pricing/elasticities/estimate",
        &json!({}),
    )
    .await;
    let (_, secs) = wait(&router, &r.json["id"]).await;
    println!("elasticities: {} sales rows in {secs:.1} s", rows * 52);
    let mut skus = Vec::new();
    let mut cursor: Option<String> = None;
    while skus.len() < 50_000.min(rows) {
        let uri = match &cursor {
            Some(c) => format!("/api/products?limit=1000&cursor={c}"),
            None => "/api/products?limit=1000".into(),
        };
        let page = get(&router, &uri).await.json;
        skus.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["sku"].clone()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    for n in [10_000usize, 50_000] {
        let n = n.min(skus.len());
        for demand in ["constant_elasticity", "linear"] {
            let body = json!({"scope": {"skus": &skus[..n]}, "demand_model": demand, "max_change_pct": 10, "min_margin_pct": 20, "price_ladder": true, "price_ending": 0.99});
            let started = Instant::now();
            let r = send_json(&router, Method::POST, "/api/pricing/optimizations", &body).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
            let (_, _) = wait(&router, &r.json["job_id"]).await;
            let total = started.elapsed().as_secs_f64();
            let id = &r.json["id"];
            let opt = get(&router, &format!("/api/pricing/optimizations/{id}"))
                .await
                .json;
            let t = &opt["totals"];
            println!(
                "optimise {n} products, {demand} demand: {total:.2} s end to end (request to proposal stored), solver {:.2} s in {} steps, {} iterations ({}); {} prices change; weekly profit {:.0} → {:.0}; under constant-elasticity demand {:.0}",
                t["solve_seconds"].as_f64().unwrap(),
                t["steps"],
                t["iterations"],
                t["solver_status"],
                t["changed"],
                t["profit_before"].as_f64().unwrap(),
                t["profit_after"].as_f64().unwrap(),
                constant_elasticity_profit(&router, id).await,
            );
        }
    }
    pool.shutdown().await;
}

/// Weekly profit of a proposal's new prices under constant-elasticity demand, from its
/// items' stored inputs: how the prices would fare if demand is what the elasticities
/// say it is.
async fn constant_elasticity_profit(router: &Router, id: &Value) -> f64 {
    let mut total = 0.0;
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/pricing/optimizations/{id}/items?limit=1000&cursor={c}"),
            None => format!("/api/pricing/optimizations/{id}/items?limit=1000"),
        };
        let page = get(router, &uri).await.json;
        for it in page["items"].as_array().unwrap() {
            let f = |k: &str| it[k].as_f64().unwrap();
            let units =
                f("baseline_units") * (f("new_price") / f("old_price")).powf(f("elasticity"));
            total += (f("new_price") - f("cost")) * units;
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return total;
        }
    }
}

#[tokio::main]
async fn main() {
    let repeat = env("RETORT_BENCH_REPEAT", 30);
    let rows = env("RETORT_BENCH_ROWS", 1_000_000);
    let opt_rows = env("RETORT_BENCH_OPT_ROWS", 60_000);
    println!(
        "pricing bench: {rows} products for mispricing, {opt_rows} with sales for optimisation, {repeat} runs per query"
    );
    if rows > 0 {
        mispricing(rows, repeat).await;
    }
    if opt_rows > 0 {
        optimisation(opt_rows).await;
    }
}
