//! CSV import tests: every row validated, all or nothing, upsert, header checks, limits.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{CSV_HEADER, create, csv_row, sample};
use crate::db_test;
use crate::kernel::config::Limits;
use crate::testing::{call, get};

pub(super) async fn import(
    router: &axum::Router,
    query: &str,
    body: String,
) -> crate::testing::TestResponse {
    call(
        router,
        Method::POST,
        &format!("/api/products/import{query}"),
        Some("text/csv"),
        body,
    )
    .await
}

db_test! {
    async fn import_inserts_every_row_of_a_valid_file(db: TestDb) {
        let router = db.router();
        let mut csv = format!("\u{feff}{CSV_HEADER}\n");
        for i in 0..1200 {
            csv.push_str(&csv_row(&format!("IMP-{i}"), "Kumho", 80.0 + i as f64 / 100.0));
            csv.push('\n');
        }
        let r = import(&router, "", csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json, json!({"rows": 1200, "inserted": 1200, "updated": 0}));
        let listed = get(&router, "/api/products?sku=IMP-7").await;
        assert_eq!(listed.json["items"][0]["tread_warranty_miles"], Value::Null);
        assert_eq!(listed.json["items"][0]["season"], "all_season");
        assert_eq!(get(&router, "/api/products").await.json["total"], 1200);
    }
}

db_test! {
    async fn import_reports_every_bad_row_and_writes_nothing(db: TestDb) {
        let router = db.router();
        let mut csv = format!("{CSV_HEADER}\n");
        for i in 0..700 {
            csv.push_str(&csv_row(&format!("OK-{i}"), "Kumho", 99.0));
            csv.push('\n');
        }
        csv.push_str("BAD-1,Kumho,L,passenger,205,55,40,91,H,spring,,maybe,60,0\n"); // row 702
        csv.push_str(&csv_row("OK-3", "Kumho", 99.0)); // row 703: duplicate of row 5
        csv.push_str("\nSHORT,Kumho\n"); // row 704
        let r = import(&router, "", csv).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let errors: Vec<(i64, String)> = r.json["row_errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            errors,
            [
                (702, "rim_in".into()),
                (702, "season".into()),
                (702, "runflat".into()),
                (702, "list_price".into()),
                (703, "sku".into()),
                (704, "".into())
            ]
        );
        assert_eq!(r.json["total_row_errors"], 6);
        assert_eq!(get(&router, "/api/products").await.json["total"], 0);
    }
}

db_test! {
    async fn import_caps_the_error_list_but_counts_every_error(db: TestDb) {
        let mut csv = format!("{CSV_HEADER}\n");
        for i in 0..250 {
            csv.push_str(&format!("E-{i},Kumho,L,passenger,205,55,99,91,H,summer,,false,60,70\n"));
        }
        let r = import(&db.router(), "", csv).await;
        assert_eq!(r.json["row_errors"].as_array().unwrap().len(), 100);
        assert_eq!(r.json["total_row_errors"], 250);
    }
}

db_test! {
    async fn import_checks_the_header_once(db: TestDb) {
        let r = import(&db.router(), "", "sku,brand,id,colour\nA,B,1,red\n".into()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let errors = r.json["row_errors"].as_array().unwrap();
        assert!(errors.iter().all(|e| e["row"] == 1), "{errors:?}");
        let columns: Vec<&str> = errors.iter().map(|e| e["column"].as_str().unwrap()).collect();
        for c in ["line", "list_price", "id", "colour"] {
            assert!(columns.contains(&c), "{c} missing from {columns:?}");
        }
        let r = import(&db.router(), "", String::new()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["row_errors"][0]["row"], 1);
    }
}

db_test! {
    async fn import_rejects_existing_skus_unless_upserting(db: TestDb) {
        let router = db.router();
        let existing = create(&router, sample("EXIST-1")).await;
        let csv = format!("{CSV_HEADER}\n{}\n{}\n", csv_row("EXIST-1", "Hankook", 77.0), csv_row("NEW-1", "Hankook", 88.0));
        let r = import(&router, "", csv.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["row_errors"][0]["row"], 2);
        assert_eq!(r.json["row_errors"][0]["column"], "sku");
        assert_eq!(get(&router, "/api/products").await.json["total"], 1);

        let r = import(&router, "?upsert=true", csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json, json!({"rows": 2, "inserted": 1, "updated": 1}));
        let after = get(&router, &format!("/api/products/{}", existing["id"])).await;
        assert_eq!(after.json["brand"], "Hankook");
        assert_eq!(after.json["list_price"], 77.0);
        assert_eq!(after.json["created_at"], existing["created_at"]);
    }
}

db_test! {
    async fn import_needs_text_csv_and_respects_the_upload_limit(db: TestDb) {
        let router = db.router();
        let r = call(&router, Method::POST, "/api/products/import", Some("application/json"), "{}").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let r = import(&router, "?upsert=perhaps", format!("{CSV_HEADER}\n")).await;
        assert_eq!(r.error_paths(), ["/upsert"]);
        let small = crate::app::build_router(db.state_with(Limits { import_limit: 100, ..Limits::default() }));
        let mut csv = format!("{CSV_HEADER}\n");
        for i in 0..10 {
            csv.push_str(&csv_row(&format!("L-{i}"), "Kumho", 50.0));
            csv.push('\n');
        }
        let r = import(&small, "", csv).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
        assert_eq!(get(&router, "/api/products").await.json["total"], 0);
    }
}

db_test! {
    async fn import_names_existing_skus_even_when_other_rows_are_bad(db: TestDb) {
        let router = db.router();
        create(&router, sample("OLD-1")).await;
        let mut csv = format!("{CSV_HEADER}\n");
        csv.push_str("BAD-1,Kumho,L,passenger,205,55,40,91,H,summer,,false,60,70\n"); // row 2: rim
        for i in 0..600 {
            csv.push_str(&csv_row(&format!("NEW-{i}"), "Kumho", 50.0));
            csv.push('\n');
        }
        csv.push_str(&csv_row("OLD-1", "Kumho", 50.0)); // row 603: exists, in a later batch
        csv.push('\n');
        let r = import(&router, "", csv).await;
        let errors: Vec<(i64, String)> = r.json["row_errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(errors, [(2, "rim_in".to_string()), (603, "sku".to_string())]);
        assert_eq!(get(&router, "/api/products").await.json["total"], 1);
    }
}
