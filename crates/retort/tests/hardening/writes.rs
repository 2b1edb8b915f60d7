//! Writes: concurrent writers never see a 5xx and nothing is lost; a write never
//! overwrites what its client did not see.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use retort::testing::TestDb;
use serde_json::{Value, json};

use super::{App, limits};

fn product(sku: &str) -> Value {
    json!({
        "sku": sku, "brand": "Kumho", "line": "Ecsta", "category": "performance",
        "width_mm": 245, "aspect_ratio": 40, "rim_in": 18, "load_index": 97,
        "speed_rating": "W", "season": "summer", "runflat": false, "cost": 70.0, "list_price": 119.0
    })
}

async fn if_match_guards_a_product_against_lost_updates(db: TestDb) {
    let app = App::start(&db, limits(|_| {})).await;
    let created = app.post_json("/api/products", &product("ETAG-1")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let read = app.get(&path).await;
    let tag = read.headers["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with('"') && tag.len() > 10, "{tag}");
    let patch = |price: f64, tag: String| {
        let path = path.clone();
        let app = &app;
        async move {
            app.send(
                "PATCH",
                &path,
                &[("content-type", "application/json"), ("if-match", &tag)],
                json!({ "list_price": price }).to_string(),
            )
            .await
        }
    };
    let first = patch(129.0, tag.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let new_tag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_tag, tag);
    // A second client still holding the old tag is refused: the first change stays.
    let stale = patch(99.0, tag).await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    assert_eq!(app.get(&path).await.json["list_price"], 129.0);
    let put = app
        .send(
            "PUT",
            &path,
            &[
                ("content-type", "application/json"),
                ("if-match", "\"nope\""),
            ],
            product("ETAG-1").to_string(),
        )
        .await;
    assert_eq!(put.status, 412, "{}", put.text);
    assert_eq!(patch(139.0, new_tag).await.status, 200);
    assert_eq!(patch(149.0, "*".into()).await.status, 200);
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_guards_a_product_against_lost_updates_on_sqlite() {
    if_match_guards_a_product_against_lost_updates(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_guards_a_product_against_lost_updates_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        if_match_guards_a_product_against_lost_updates(db).await;
    }
}

/// How long the concurrent-writers test runs: `RETORT_STRESS_SECS`, 5 s by default (CI
/// runs it for 30).
fn stress_time() -> Duration {
    Duration::from_secs(
        std::env::var("RETORT_STRESS_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    )
}

/// What the writers did, counted.
#[derive(Default)]
struct Tally {
    products: AtomicU64,
    imported: AtomicU64,
    sales: AtomicU64,
    brands: AtomicU64,
    patches: AtomicU64,
    requests: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_writers_of_every_kind_see_no_5xx_and_lose_nothing_on_sqlite() {
    let db = TestDb::sqlite().await;
    let app = Arc::new(App::start(&db, limits(|_| {})).await);
    // A product every writer's sales and patches hang on.
    let base = app.post_json("/api/products", &product("BASE-0")).await;
    assert_eq!(base.status, 201);
    let base_path = base.headers["location"].to_str().unwrap().to_owned();
    let tally = Arc::new(Tally::default());
    let until = Instant::now() + stress_time();
    let mut writers = Vec::new();
    for w in 0..8u64 {
        let (app, tally, base_path) = (app.clone(), tally.clone(), base_path.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < until {
                i += 1;
                let kind = (w + i) % 5;
                let r = match kind {
                    0 => {
                        let r = app.post_json("/api/products", &product(&format!("W{w}-P{i}"))).await;
                        if r.status == 201 {
                            tally.products.fetch_add(1, Ordering::Relaxed);
                        }
                        r
                    }
                    1 => {
                        let csv = (0..10)
                            .map(|k| format!("W{w}-I{i}-{k},Kumho,Ecsta,performance,245,40,18,97,W,summer,no,70,119\n"))
                            .collect::<String>();
                        let body = format!("sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,runflat,cost,list_price\n{csv}");
                        let r = app.send("POST", "/api/products/import", &[("content-type", "text/csv")], body).await;
                        if r.status == 200 {
                            tally.imported.fetch_add(10, Ordering::Relaxed);
                        }
                        r
                    }
                    2 => {
                        // A distinct Monday per writer and step, far from every other.
                        let day = 7 * (w * 20_000 + i);
                        let week = time_of(day);
                        let r = app
                            .post_json("/api/sales", &json!({"sku": "BASE-0", "week": week, "price": 99.0, "units": 3}))
                            .await;
                        if r.status == 201 {
                            tally.sales.fetch_add(1, Ordering::Relaxed);
                        }
                        r
                    }
                    3 => {
                        let body = format!("name,tier\nBrand-{w}-{i},mid\n");
                        let r = app.send("POST", "/api/brands/import", &[("content-type", "text/csv")], body).await;
                        if r.status == 200 {
                            tally.brands.fetch_add(1, Ordering::Relaxed);
                        }
                        r
                    }
                    _ => {
                        let r = app
                            .send(
                                "PATCH",
                                &base_path,
                                &[("content-type", "application/json")],
                                json!({"list_price": 100.0 + (i % 50) as f64}).to_string(),
                            )
                            .await;
                        if r.status == 200 {
                            tally.patches.fetch_add(1, Ordering::Relaxed);
                        }
                        r
                    }
                };
                tally.requests.fetch_add(1, Ordering::Relaxed);
                assert!(r.status < 500, "writer {w} kind {kind}: {} {}", r.status, r.text);
                assert!(r.status < 300, "writer {w} kind {kind}: {} {}", r.status, r.text);
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let products =
        tally.products.load(Ordering::Relaxed) + tally.imported.load(Ordering::Relaxed) + 1;
    assert_eq!(
        app.get("/api/products?limit=1").await.json["total"],
        products
    );
    assert_eq!(
        app.get("/api/sales?limit=1").await.json["total"],
        tally.sales.load(Ordering::Relaxed)
    );
    assert_eq!(
        app.get("/api/brands?limit=1").await.json["total"],
        tally.brands.load(Ordering::Relaxed)
    );
    assert!(tally.patches.load(Ordering::Relaxed) > 0);
    eprintln!(
        "concurrent writers: {} requests in {:?}, no 5xx",
        tally.requests.load(Ordering::Relaxed),
        stress_time()
    );
    app.assert_healthy().await;
}

/// The Monday `days` days after 2000-01-03 (a Monday), as `YYYY-MM-DD`.
fn time_of(days: u64) -> String {
    let date = time::Date::from_calendar_date(2000, time::Month::January, 3).unwrap()
        + time::Duration::days(days as i64);
    date.to_string()
}
