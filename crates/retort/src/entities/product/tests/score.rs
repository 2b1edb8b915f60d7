//! The score_products job (run with `run_pending_jobs`, no workers): scores match the model's predictions, filters narrow the set,
//! a cancelled run leaves the previous scores intact, bad requests are 422 at start.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{create, sample};
use crate::db_test;
use crate::entities::product::scores;
use crate::testing::{call, get, run_pending_jobs, send_json};

async fn deploy_linear(router: &axum::Router) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let onnx = std::fs::read(dir.join("linear_regression.onnx")).unwrap();
    let r = call(
        router,
        Method::POST,
        "/api/models/price/versions?feature_names=width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles",
        Some("application/octet-stream"),
        onnx,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn seed(router: &axum::Router, n: usize) {
    for i in 0..n {
        let mut p = sample(&format!("S-{i}"));
        p["rim_in"] = json!(14 + (i % 8) as i64);
        p["width_mm"] = json!(185 + (i % 10) as i64 * 10);
        create(router, p).await;
    }
}

db_test! {
    async fn scoring_writes_the_models_prediction_for_every_product(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        deploy_linear(&router).await;
        seed(&router, 30).await;
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "price"})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(r.json["kind"], "score_products");
        run_pending_jobs(&state).await;
        let job = get(&router, r.header("location")).await.json;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["result"]["scored"], 30);
        let written = scores(&state.db, "price").await.unwrap();
        assert_eq!(written.len(), 30);
        // The same prediction the predict endpoint gives for the first product.
        let first = get(&router, &format!("/api/products/{}", written[0].0)).await.json;
        let row: serde_json::Map<String, Value> = ["width_mm", "aspect_ratio", "rim_in", "load_index", "tread_warranty_miles"]
            .iter()
            .map(|k| (k.to_string(), first[*k].clone()))
            .collect();
        let p = send_json(&router, Method::POST, "/api/models/price/predict", &json!({"rows": [row]})).await;
        assert!((p.json["predictions"][0].as_f64().unwrap() - written[0].1).abs() < 1e-9);
    }
}

db_test! {
    async fn filters_narrow_the_scored_set(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        deploy_linear(&router).await;
        seed(&router, 16).await;
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "price", "filters": {"rim_in": [14, 15]}})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "rim_in is a range filter: {}", r.text);
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "price", "filters": {"rim_in_max": 15}})).await;
        run_pending_jobs(&state).await;
        let job = get(&router, r.header("location")).await.json;
        assert_eq!(job["result"]["scored"], 4);
        assert_eq!(scores(&state.db, "price").await.unwrap().len(), 4);
    }
}

db_test! {
    async fn a_cancelled_run_leaves_the_previous_scores_intact(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        deploy_linear(&router).await;
        seed(&router, 5).await;
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "price"})).await;
        run_pending_jobs(&state).await;
        assert_eq!(get(&router, r.header("location")).await.json["status"], "succeeded");
        let before = scores(&state.db, "price").await.unwrap();
        // A new run, cancelled before it starts, changes nothing.
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "price"})).await;
        let location = r.header("location").to_owned();
        call(&router, Method::POST, &format!("{location}/cancel"), None, "").await;
        assert_eq!(get(&router, &location).await.json["status"], "cancelled");
        assert_eq!(scores(&state.db, "price").await.unwrap(), before);
    }
}

db_test! {
    async fn bad_scoring_requests_are_422_when_started(db: TestDb) {
        let router = db.router();
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "nope", "colour": 1})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_paths(), ["/colour"]);
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "nope"})).await;
        assert_eq!(r.error_paths(), ["/model"]);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
        let onnx = std::fs::read(dir.join("random_forest_classifier.onnx")).unwrap();
        call(&router, Method::POST, "/api/models/cls/versions", Some("application/octet-stream"), onnx).await;
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "cls"})).await;
        let messages: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
        assert!(messages.iter().any(|m| m.contains("not a regression model")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("not a product field")), "{messages:?}");
        assert_eq!(get(&router, "/api/jobs").await.json["total"], 0);
    }
}

db_test! {
    async fn products_the_model_cannot_score_are_left_unscored(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        deploy_linear(&router).await;
        seed(&router, 3).await;
        let mut p = sample("NO-WARRANTY");
        p["tread_warranty_miles"] = Value::Null;
        create(&router, p).await;
        let r = send_json(&router, Method::POST, "/api/products/score", &json!({"model": "price"})).await;
        run_pending_jobs(&state).await;
        let job = get(&router, r.header("location")).await.json;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!((job["result"]["scored"].as_i64(), job["result"]["unscored"].as_i64()), (Some(3), Some(1)), "{job}");
        assert_eq!(scores(&state.db, "price").await.unwrap().len(), 3);
    }
}

db_test! {
    async fn id_ranges_cut_the_catalogue_into_equal_parts_whatever_the_gaps(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        seed(&router, 25).await;
        for id in [3, 4, 5, 17] {
            let r = call(&router, Method::DELETE, &format!("/api/products/{id}"), None, "").await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        }
        let bounds = crate::entities::product::model::id_boundaries(&state.db, 10).await.unwrap();
        assert_eq!(bounds, vec![13, 24, 25], "the 10th and 20th of 21 products, and the last");
        let mut walked = Vec::new();
        let mut after = i64::MIN;
        for upto in bounds {
            let part = crate::entities::product::model::columns_between(&state.db, None, after, upto).await.unwrap();
            assert!(part.len() <= 10);
            walked.extend(part.id);
            after = upto;
        }
        let all = crate::entities::product::catalogue(&state.db, 7).await.unwrap();
        assert_eq!(walked, all.id);
        assert_eq!(walked.len(), 21);
    }
}

db_test! {
    async fn a_sample_read_in_chunks_holds_the_chosen_products_only(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        seed(&router, 12).await;
        let all = crate::entities::product::catalogue(&state.db, 5).await.unwrap();
        // Places at chunk edges (chunks of 4), the last product, and one past the end.
        let positions = [0, 3, 4, 7, 8, 11, 40];
        let sample = crate::entities::product::catalogue_at(&state.db, &positions, 4).await.unwrap();
        assert_eq!(sample, all.clone().select(&positions));
        let ids: Vec<i64> = positions[..6].iter().map(|&p| all.id[p]).collect();
        assert_eq!(sample.id, ids);
        assert_eq!(sample.sku.len(), 6);
        assert_eq!(sample.list_price.len(), 6);
        let none = crate::entities::product::catalogue_at(&state.db, &[], 4).await.unwrap();
        assert!(none.is_empty());
    }
}
