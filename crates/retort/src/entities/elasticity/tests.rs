//! Elasticities estimated from the demo's sales history recover the elasticities the
//! history was generated with; the endpoint queues an estimation when there is none or
//! the history changed.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::entities::pricing::tests::finish;
use crate::testing::{get, send_json};

db_test! {
    async fn estimates_recover_the_generated_elasticities(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        let none = get(&router, "/api/pricing/elasticities").await;
        assert_eq!(none.status, StatusCode::NOT_FOUND, "no sales yet: {}", none.text);
        crate::demo::load(&state.db, 600, 5, 600).await.unwrap();
        let first = get(&router, "/api/pricing/elasticities").await;
        assert_eq!(first.status, StatusCode::NOT_FOUND);
        assert!(first.text.contains("POST /api/pricing/elasticities/estimate"), "a read queues nothing: {}", first.text);
        // The background refresh queues the estimation, once.
        let job = crate::entities::elasticity::service::refresh_stale(&state).await.unwrap();
        assert!(job.is_some());
        assert_eq!(crate::entities::elasticity::service::refresh_stale(&state).await.unwrap(), job);
        let queued = get(&router, "/api/pricing/elasticities").await;
        assert!(queued.text.contains("is estimating them"), "{}", queued.text);
        let r = send_json(&router, Method::POST, "/api/pricing/elasticities/estimate", &json!({})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(finish(&state, &router, r.header("location")).await["status"], "succeeded");
        let out = get(&router, "/api/pricing/elasticities").await;
        assert_eq!(out.status, StatusCode::OK, "{}", out.text);
        assert_eq!(out.json["sales_rows"], 600 * 52);
        assert_eq!(out.json["stale"], false);
        let items = out.json["items"].as_array().unwrap();
        assert!(items.len() >= 12, "categories × tiers: {}", out.json);
        for (category, truth) in crate::demo::ELASTICITY {
            let rows: Vec<_> = items.iter().filter(|e| e["category"] == category).collect();
            assert!(!rows.is_empty(), "{category}");
            for e in rows {
                let (est, se) = (e["elasticity"].as_f64().unwrap(), e["std_error"].as_f64().unwrap());
                assert!(se > 0.0 && se < 0.5, "{e}");
                assert!((est - truth).abs() < 4.0 * se + 0.25, "{category}: {est} ± {se} vs {truth}");
            }
        }
        let chart = get(&router, "/api/pricing/charts/elasticities").await;
        assert_eq!(chart.status, StatusCode::OK);
        let trace = &chart.json["data"][0];
        assert_eq!(trace["type"], "bar");
        assert_eq!(trace["error_y"]["array"].as_array().unwrap().len(), trace["y"].as_array().unwrap().len());
    }
}
