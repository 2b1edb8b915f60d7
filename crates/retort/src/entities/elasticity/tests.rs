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
        // The default method, named per group, with the share of weeks that sold nothing.
        assert!(out.json["method"].as_str().unwrap().contains("Poisson pseudo-maximum likelihood"), "{}", out.json);
        for e in items {
            assert_eq!(e["method"], "ppml", "{e}");
            let zeros = e["zero_share"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&zeros), "{e}");
        }
        let chart = get(&router, "/api/pricing/charts/elasticities").await;
        assert_eq!(chart.status, StatusCode::OK);
        let trace = &chart.json["data"][0];
        assert_eq!(trace["type"], "bar");
        assert_eq!(trace["error_y"]["array"].as_array().unwrap().len(), trace["y"].as_array().unwrap().len());
    }
}

db_test! {
    async fn the_log_log_method_is_a_named_alternative_and_bad_choices_are_named(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        crate::demo::load(&state.db, 300, 6, 300).await.unwrap();
        let estimate = |body: serde_json::Value| {
            let router = router.clone();
            async move { send_json(&router, Method::POST, "/api/pricing/elasticities/estimate", &body).await }
        };
        let bad = estimate(json!({"method": "ols", "window": 4})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        let fields: Vec<&str> = bad.json["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap_or_default()).collect();
        assert!(fields.contains(&"/method") && fields.contains(&"/window"), "{}", bad.text);
        assert!(bad.text.contains("ppml, log_log"), "{}", bad.text);
        let wrong_type = estimate(json!({"method": 3})).await;
        assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong_type.text);
        let not_object = estimate(json!(["ppml"])).await;
        assert_eq!(not_object.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_object.text);
        let no_body = crate::testing::call(&router, Method::POST, "/api/pricing/elasticities/estimate", None, String::new()).await;
        assert_eq!(no_body.status, StatusCode::BAD_REQUEST, "{}", no_body.text);

        let r = estimate(json!({"method": "log_log"})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(finish(&state, &router, r.header("location")).await["status"], "succeeded");
        let out = get(&router, "/api/pricing/elasticities").await;
        assert!(out.json["method"].as_str().unwrap().contains("least squares"), "{}", out.json);
        let loglog: Vec<f64> = out.json["items"].as_array().unwrap().iter().map(|e| {
            assert_eq!(e["method"], "log_log", "{e}");
            e["observations"].as_f64().unwrap()
        }).collect();
        let r = estimate(json!({})).await;
        assert_eq!(finish(&state, &router, r.header("location")).await["status"], "succeeded");
        let out = get(&router, "/api/pricing/elasticities").await;
        let ppml: Vec<f64> = out.json["items"].as_array().unwrap().iter().map(|e| {
            assert_eq!(e["method"], "ppml", "{e}");
            e["observations"].as_f64().unwrap()
        }).collect();
        // PPML keeps the weeks that sold nothing; log-log cannot.
        assert_eq!(loglog.len(), ppml.len());
        assert!(loglog.iter().zip(&ppml).all(|(l, p)| l <= p), "{loglog:?} {ppml:?}");
    }
}
