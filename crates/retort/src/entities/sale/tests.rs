//! Sale tests: the entity contract plus its own rules (an existing sku, a Monday, one
//! sale per product and week) and all-or-nothing import — on both databases.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::testing::{call, get, send_json};

async fn product(router: &axum::Router, sku: &str) {
    let body = json!({
        "sku": sku, "brand": "Kumho", "line": "Ecsta", "category": "passenger", "width_mm": 205,
        "aspect_ratio": 55, "rim_in": 16, "load_index": 91, "speed_rating": "H",
        "season": "summer", "runflat": false, "cost": 50.0, "list_price": 80.0
    });
    assert_eq!(
        send_json(router, Method::POST, "/api/products", &body)
            .await
            .status,
        StatusCode::CREATED
    );
}

async fn import(router: &axum::Router, query: &str, csv: String) -> crate::testing::TestResponse {
    call(
        router,
        Method::POST,
        &format!("/api/sales/import{query}"),
        Some("text/csv"),
        csv,
    )
    .await
}

db_test! {
    async fn a_sale_names_an_existing_product_and_a_monday_once(db: TestDb) {
        let router = db.router();
        product(&router, "K-1").await;
        let sale = json!({"sku": "K-1", "week": "2026-11-23", "price": 79.5, "units": 12});
        let r = send_json(&router, Method::POST, "/api/sales", &sale).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["sku"], "K-1");
        let uri = r.header("location").to_owned();
        assert_eq!(send_json(&router, Method::POST, "/api/sales", &sale).await.status, StatusCode::CONFLICT);
        let r = send_json(&router, Method::POST, "/api/sales", &json!({"sku": "NOPE", "week": "2026-11-24", "price": 0, "units": -1, "id": 1})).await;
        let mut paths = r.error_paths();
        paths.sort();
        assert_eq!(paths, ["/id", "/price", "/units", "/week"]);
        let r = send_json(&router, Method::POST, "/api/sales", &json!({"sku": "NOPE", "week": "2026-11-23", "price": 1, "units": 1})).await;
        assert_eq!(r.error_paths(), ["/sku"]);
        let r = send_json(&router, Method::PATCH, &uri, &json!({"units": 15, "week": "2026-11-30"})).await;
        assert_eq!(r.error_paths(), ["/week"], "the week of a sale is fixed");
        let r = send_json(&router, Method::PATCH, &uri, &json!({"units": 15})).await;
        assert_eq!(r.json["units"], 15);
        assert_eq!(call(&router, Method::DELETE, &uri, None, "").await.status, StatusCode::NO_CONTENT);
        assert_eq!(get(&router, &uri).await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn sales_import_all_or_nothing_and_list_by_sku_and_weeks(db: TestDb) {
        let router = db.router();
        product(&router, "A").await;
        product(&router, "B").await;
        let mut csv = String::from("sku,week,price,units\n");
        for week in 0..52 {
            let day = time::Date::from_calendar_date(2026, time::Month::January, 5).unwrap() + time::Duration::weeks(week);
            for sku in ["A", "B"] {
                csv.push_str(&format!("{sku},{day},{:.2},{}\n", 80.0 + week as f64 / 10.0, 10 + week));
            }
        }
        let r = import(&router, "", csv.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["rows"], 104);
        let page = get(&router, "/api/sales?sku=A&week_min=2026-03-02&week_max=2026-03-30&sort=-week").await;
        assert_eq!(page.json["total"], 5);
        assert_eq!(page.json["items"][0]["week"], "2026-03-30");

        // Existing product-weeks, an unknown sku, a Tuesday, a duplicate in the file: all named, nothing written.
        let bad = "sku,week,price,units\nA,2026-01-05,1,1\nC,2027-01-04,1,1\nB,2027-01-05,1,1\nB,2027-01-11,1,1\nB,2027-01-11,2,2\n";
        let r = import(&router, "", bad.into()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let errors: Vec<(i64, &str)> = r.json["row_errors"].as_array().unwrap().iter().map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap())).collect();
        assert_eq!(errors, [(2, "week"), (3, "sku"), (4, "week"), (6, "week")]);
        assert_eq!(get(&router, "/api/sales").await.json["total"], 104);

        let r = import(&router, "?upsert=true", "sku,week,price,units\nA,2026-01-05,99,1\n".into()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let a = get(&router, "/api/sales?sku=A&week_max=2026-01-05").await;
        assert_eq!(a.json["items"][0]["price"], 99.0);
    }
}
