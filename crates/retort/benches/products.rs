//! Product benchmarks: CSV import throughput and list-query latency (filtered, sorted,
//! paginated) at scale. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p retort --bench products` — settings from the environment:
//! `RETORT_BENCH_ROWS` (default 100000), `RETORT_BENCH_BACKEND` (`sqlite`, the default,
//! or `postgres`, which needs `RETORT_TEST_POSTGRES_URL`), `RETORT_BENCH_REPEAT` (30).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use retort::entities::product::service;
use retort::kernel::error::AppError;
use retort::testing::{TestDb, get};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time_query(router: &axum::Router, uri: &str, repeat: usize) -> (f64, f64, i64) {
    let mut times = Vec::with_capacity(repeat);
    let mut total = 0;
    for _ in 0..repeat {
        let started = Instant::now();
        let r = get(router, uri).await;
        times.push(started.elapsed());
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
        total = r.json["total"].as_i64().unwrap_or(0);
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95), total)
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::BadRequest(e.to_string())
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("RETORT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let repeat: usize = std::env::var("RETORT_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let backend = std::env::var("RETORT_BENCH_BACKEND").unwrap_or_else(|_| "sqlite".into());
    let db = match backend.as_str() {
        "postgres" => TestDb::postgres()
            .await
            .expect("RETORT_TEST_POSTGRES_URL must be set for the postgres backend"),
        _ => TestDb::sqlite().await,
    };
    println!("products bench: {rows} rows on {backend}, {repeat} runs per query");

    let csv = retort::demo::catalogue_csv(rows, 42);
    let megabytes = csv.len() as f64 / 1e6;
    let started = Instant::now();
    let report = service::import_products(
        &db.db,
        std::io::Cursor::new(csv.into_bytes()),
        false,
        io_error,
    )
    .await
    .unwrap_or_else(|e| panic!("import failed: {:?}", e.to_problem()));
    let secs = started.elapsed().as_secs_f64();
    println!(
        "import: {} rows ({megabytes:.1} MB) in {secs:.2} s = {:.0} rows/s",
        report.rows,
        report.rows as f64 / secs
    );

    let router = db.router();
    let queries = [
        ("first page, default order", "/api/products?limit=50"),
        (
            "one brand, sort -list_price",
            "/api/products?brand=Pirelli&sort=-list_price&limit=50",
        ),
        (
            "two brands + season + rim range, sort -list_price",
            "/api/products?brand=Pirelli&brand=Toyo&season=winter&rim_in_min=17&rim_in_max=19&sort=-list_price&limit=50",
        ),
        (
            "category + price range, sort list_price",
            "/api/products?category=suv&list_price_min=100&list_price_max=150&sort=list_price&limit=50",
        ),
        (
            "all, sort -list_price",
            "/api/products?sort=-list_price&limit=50",
        ),
        (
            "all, sort brand,-rim_in",
            "/api/products?sort=brand,-rim_in&limit=50",
        ),
        ("text search q=sport", "/api/products?q=sport&limit=50"),
        (
            "warranty range, sort -tread_warranty_miles",
            "/api/products?tread_warranty_miles_min=60000&sort=-tread_warranty_miles&limit=50",
        ),
    ];
    println!(
        "{:<55} {:>9} {:>9} {:>9}",
        "list query", "p50 ms", "p95 ms", "total"
    );
    for (name, uri) in queries {
        let (p50, p95, total) = time_query(&router, uri, repeat).await;
        println!("{name:<55} {p50:>9.2} {p95:>9.2} {total:>9}");
    }

    // Deep pagination: follow next_cursor 100 pages into a filtered, sorted list.
    let mut uri = "/api/products?season=summer&sort=-list_price&limit=50".to_owned();
    let mut times = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        let r = get(&router, &uri).await;
        times.push(started.elapsed());
        match r.json["next_cursor"].as_str() {
            Some(c) => {
                uri = format!("/api/products?season=summer&sort=-list_price&limit=50&cursor={c}")
            }
            None => break,
        }
    }
    let last = times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0;
    times.sort();
    println!(
        "{:<55} {:>9.2} {:>9.2} {:>9}",
        format!(
            "cursor pages 1-{} (summer, -list_price); last {last:.2} ms",
            times.len()
        ),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        ""
    );
}
