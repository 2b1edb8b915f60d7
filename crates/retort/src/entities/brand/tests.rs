//! Brand tests: the same contract as every entity — create, conflicts, every bad field at
//! once, partial changes, lists, and all-or-nothing CSV import — on both databases.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::testing::{call, get, send_json};

async fn import(router: &axum::Router, query: &str, csv: &str) -> crate::testing::TestResponse {
    call(
        router,
        Method::POST,
        &format!("/api/brands/import{query}"),
        Some("text/csv"),
        csv.to_owned(),
    )
    .await
}

db_test! {
    async fn brands_are_created_listed_changed_and_deleted(db: TestDb) {
        let router = db.router();
        let r = send_json(&router, Method::POST, "/api/brands", &json!({"name": "Michelin", "tier": "premium"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let uri = r.header("location").to_owned();
        assert_eq!(send_json(&router, Method::POST, "/api/brands", &json!({"name": "Michelin"})).await.status, StatusCode::CONFLICT);
        send_json(&router, Method::POST, "/api/brands", &json!({"name": "Kumho", "tier": "economy"})).await;
        send_json(&router, Method::POST, "/api/brands", &json!({"name": "Unknown"})).await;
        let list = get(&router, "/api/brands?tier=premium&tier=economy&sort=name").await;
        let names: Vec<&str> = list.json["items"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Kumho", "Michelin"]);
        let r = send_json(&router, Method::PATCH, &uri, &json!({"tier": null})).await;
        assert_eq!(r.json["tier"], Value::Null);
        assert_eq!(r.json["name"], "Michelin");
        let r = send_json(&router, Method::PUT, &uri, &json!({"name": "Michelin", "tier": "mid"})).await;
        assert_eq!(r.json["tier"], "mid");
        assert_eq!(call(&router, Method::DELETE, &uri, None, "").await.status, StatusCode::NO_CONTENT);
        assert_eq!(get(&router, &uri).await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn every_bad_field_is_reported_at_once(db: TestDb) {
        let router = db.router();
        let r = send_json(&router, Method::POST, "/api/brands", &json!({"name": "", "tier": "luxury", "id": 3, "x": 1})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut paths = r.error_paths();
        paths.sort();
        assert_eq!(paths, ["/id", "/name", "/tier", "/x"]);
        assert_eq!(get(&router, "/api/brands?tier=luxury").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

db_test! {
    async fn import_writes_all_rows_or_none_and_upserts_tiers(db: TestDb) {
        let router = db.router();
        let r = import(&router, "", "name,tier\nMichelin,premium\nKumho,economy\nNexen,\n").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["rows"], 3);
        let r = import(&router, "", "name,tier\nToyo,mid\nKumho,mid\nBad,gold\nToyo,mid\n").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let errors: Vec<(i64, &str)> = r.json["row_errors"].as_array().unwrap().iter().map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap())).collect();
        assert_eq!(errors, [(3, "name"), (4, "tier"), (5, "name")]);
        assert_eq!(get(&router, "/api/brands").await.json["total"], 3, "nothing of the bad file was written");
        let r = import(&router, "", "name,tier\nKumho,mid\n").await;
        assert_eq!(r.json["row_errors"][0]["column"], "name", "an existing name is an error without upsert");
        let r = import(&router, "?upsert=true", "name,tier\nKumho,mid\nToyo,mid\n").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let kumho = get(&router, "/api/brands?name=Kumho").await;
        assert_eq!(kumho.json["items"][0]["tier"], "mid");
        assert_eq!(get(&router, "/api/brands").await.json["total"], 4);
    }
}
