//! Product tests: parsing at the boundary, and every endpoint through the router on a
//! fresh database (SQLite, and PostgreSQL when configured).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::schema::{ProductIn, ProductPatch};
use crate::db_test;
use crate::kernel::config::Limits;
use crate::kernel::extract::Parse;
use crate::testing::{call, get, send_json};

pub(super) fn sample(sku: &str) -> Value {
    json!({
        "sku": sku, "brand": "Michelin", "line": "Pilot Sport 4", "category": "performance",
        "width_mm": 225, "aspect_ratio": 45, "rim_in": 17, "load_index": 94,
        "speed_rating": "Y", "season": "summer", "tread_warranty_miles": 30000,
        "runflat": false, "cost": 128.4, "list_price": 189.99
    })
}

fn parse_in(v: Value) -> Result<ProductIn, Vec<(String, String)>> {
    match v {
        Value::Object(m) => ProductIn::parse(&m),
        _ => Err(vec![]),
    }
}

pub(super) const CSV_HEADER: &str = "sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,tread_warranty_miles,runflat,cost,list_price";

pub(super) fn csv_row(sku: &str, brand: &str, price: f64) -> String {
    format!("{sku},{brand},Line A,passenger,205,55,16,91,H,all_season,,false,60.5,{price}")
}

pub(super) async fn create(router: &axum::Router, body: Value) -> Value {
    let r = send_json(router, Method::POST, "/api/products", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json
}

// --- parsing at the boundary -------------------------------------------------------

#[test]
fn a_valid_product_parses_into_domain_types() {
    let p = parse_in(sample("A-1")).unwrap();
    assert_eq!(p.season, super::interface::Season::Summer);
    assert_eq!(p.speed_rating, super::interface::SpeedRating::Y);
    assert_eq!(p.tread_warranty_miles, Some(30000));
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let mut body = sample("A-1");
    let obj = body.as_object_mut().unwrap();
    obj.remove("brand");
    obj.insert("rim_in".into(), json!(30));
    obj.insert("width_mm".into(), json!("wide"));
    obj.insert("season".into(), json!("spring"));
    obj.insert("speed_rating".into(), json!("X"));
    obj.insert("category".into(), json!("Light Truck"));
    obj.insert("list_price".into(), json!(0));
    obj.insert("id".into(), json!(7));
    obj.insert("colour".into(), json!("black"));
    let mut fields: Vec<String> = parse_in(body)
        .unwrap_err()
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "brand",
            "category",
            "colour",
            "id",
            "list_price",
            "rim_in",
            "season",
            "speed_rating",
            "width_mm"
        ]
    );
}

#[test]
fn a_missing_warranty_means_none_but_a_patch_can_clear_it_with_null() {
    let mut body = sample("A-1");
    body.as_object_mut().unwrap().remove("tread_warranty_miles");
    assert_eq!(parse_in(body).unwrap().tread_warranty_miles, None);
    let patch = json!({"tread_warranty_miles": null});
    let parsed = ProductPatch::parse(patch.as_object().unwrap()).unwrap();
    assert_eq!(parsed.tread_warranty_miles, Some(None));
    let absent = ProductPatch::parse(json!({}).as_object().unwrap()).unwrap();
    assert_eq!(absent.tread_warranty_miles, None);
}

#[test]
fn a_patch_rejects_null_for_required_fields() {
    let err = ProductPatch::parse(json!({"brand": null}).as_object().unwrap()).unwrap_err();
    assert_eq!(
        err,
        vec![("brand".to_string(), "may not be null".to_string())]
    );
}

// --- create, read, change, delete --------------------------------------------------

db_test! {
    async fn create_product_returns_201_with_location_and_the_stored_product(db: TestDb) {
        let router = db.router();
        let r = send_json(&router, Method::POST, "/api/products", &sample("MIC-1")).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let id = r.json["id"].as_i64().unwrap();
        assert_eq!(r.header("location"), format!("/api/products/{id}"));
        assert_eq!(r.json["sku"], "MIC-1");
        assert_eq!(r.json["runflat"], false);
        assert_eq!(r.json["list_price"], 189.99);
        assert_eq!(r.json["created_at"], r.json["updated_at"]);
        let fetched = get(&router, &format!("/api/products/{id}")).await;
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.json, r.json);
    }
}

db_test! {
    async fn create_product_returns_409_when_sku_exists(db: TestDb) {
        let router = db.router();
        create(&router, sample("DUP-1")).await;
        let r = send_json(&router, Method::POST, "/api/products", &sample("DUP-1")).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.header("content-type"), "application/problem+json");
        assert!(r.json["detail"].as_str().unwrap().contains("DUP-1"));
    }
}

db_test! {
    async fn create_product_returns_422_listing_every_error_with_pointers(db: TestDb) {
        let router = db.router();
        let body = json!({"sku": "", "rim_in": 11.5, "runflat": "no", "created_at": "x", "extra": 1});
        let r = send_json(&router, Method::POST, "/api/products", &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["status"], 422);
        let paths = r.error_paths();
        for expected in ["/sku", "/brand", "/line", "/category", "/width_mm", "/rim_in", "/runflat", "/created_at", "/extra", "/list_price"] {
            assert!(paths.contains(&expected.to_string()), "{expected} missing from {paths:?}");
        }
        assert_eq!(get(&router, "/api/products").await.json["total"], 0);
    }
}

db_test! {
    async fn malformed_json_is_a_400_naming_line_and_column(db: TestDb) {
        let router = db.router();
        let r = call(&router, Method::POST, "/api/products", Some("application/json"), "{\n  \"sku\": \"A\",,\n}").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let detail = r.json["detail"].as_str().unwrap();
        assert_eq!(detail, "malformed JSON at line 2, column 14: key must be a string");
    }
}

db_test! {
    async fn a_json_body_that_is_not_an_object_is_a_422(db: TestDb) {
        let r = send_json(&db.router(), Method::POST, "/api/products", &json!([1, 2])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_paths(), [""]);
    }
}

db_test! {
    async fn a_body_that_is_not_json_is_a_415(db: TestDb) {
        let router = db.router();
        let r = call(&router, Method::POST, "/api/products", Some("text/plain"), sample("A").to_string()).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let r = call(&router, Method::POST, "/api/products", None, sample("A").to_string()).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

db_test! {
    async fn a_body_over_the_limit_is_a_413(db: TestDb) {
        let router = crate::app::build_router(db.state_with(Limits { body_limit: 64, ..Limits::default() }));
        let r = send_json(&router, Method::POST, "/api/products", &sample("TOO-BIG")).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.header("content-type"), "application/problem+json");
    }
}

db_test! {
    async fn get_product_returns_404_for_a_missing_or_malformed_id(db: TestDb) {
        let router = db.router();
        assert_eq!(get(&router, "/api/products/999").await.status, StatusCode::NOT_FOUND);
        let r = get(&router, "/api/products/abc").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json["status"], 404);
    }
}

db_test! {
    async fn patch_changes_only_the_fields_sent_and_can_clear_the_warranty(db: TestDb) {
        let router = db.router();
        let created = create(&router, sample("P-1")).await;
        let uri = format!("/api/products/{}", created["id"]);
        let r = send_json(&router, Method::PATCH, &uri, &json!({"list_price": 175.0, "tread_warranty_miles": null})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["list_price"], 175.0);
        assert_eq!(r.json["tread_warranty_miles"], Value::Null);
        assert_eq!(r.json["brand"], created["brand"]);
        assert_eq!(r.json["created_at"], created["created_at"]);
        assert!(r.json["updated_at"].as_str() > created["updated_at"].as_str());
    }
}

db_test! {
    async fn patch_returns_409_when_the_new_sku_is_taken_and_404_when_missing(db: TestDb) {
        let router = db.router();
        create(&router, sample("TAKEN")).await;
        let other = create(&router, sample("OTHER")).await;
        let uri = format!("/api/products/{}", other["id"]);
        let r = send_json(&router, Method::PATCH, &uri, &json!({"sku": "TAKEN"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = send_json(&router, Method::PATCH, "/api/products/424242", &json!({"brand": "X"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = send_json(&router, Method::PATCH, &uri, &json!({"rim_in": 40, "id": 3})).await;
        assert_eq!(r.error_paths(), ["/rim_in", "/id"]);
    }
}

db_test! {
    async fn put_replaces_every_field_and_requires_them_all(db: TestDb) {
        let router = db.router();
        let created = create(&router, sample("R-1")).await;
        let uri = format!("/api/products/{}", created["id"]);
        let mut replacement = sample("R-1b");
        replacement["brand"] = json!("Pirelli");
        replacement.as_object_mut().unwrap().remove("tread_warranty_miles");
        let r = send_json(&router, Method::PUT, &uri, &replacement).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["sku"], "R-1b");
        assert_eq!(r.json["brand"], "Pirelli");
        assert_eq!(r.json["tread_warranty_miles"], Value::Null);
        assert_eq!(r.json["id"], created["id"]);
        let r = send_json(&router, Method::PUT, &uri, &json!({"brand": "Only"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.error_paths().contains(&"/sku".to_string()));
        assert_eq!(send_json(&router, Method::PUT, "/api/products/999", &sample("Z")).await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn delete_returns_204_then_404(db: TestDb) {
        let router = db.router();
        let created = create(&router, sample("D-1")).await;
        let uri = format!("/api/products/{}", created["id"]);
        let r = call(&router, Method::DELETE, &uri, None, "").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert!(r.text.is_empty());
        assert_eq!(get(&router, &uri).await.status, StatusCode::NOT_FOUND);
        assert_eq!(call(&router, Method::DELETE, &uri, None, "").await.status, StatusCode::NOT_FOUND);
    }
}

// --- listing ---------------------------------------------------------------------

async fn seed(router: &axum::Router) {
    let brands = ["Michelin", "Pirelli", "Goodyear", "Kumho"];
    let seasons = ["summer", "winter", "all_season", "all_weather"];
    for i in 0..24 {
        let mut p = sample(&format!("SKU-{i:03}"));
        p["brand"] = json!(brands[i % 4]);
        p["season"] = json!(seasons[(i / 4) % 4]);
        p["rim_in"] = json!(14 + (i % 6) as i64);
        p["list_price"] = json!(50.0 + (i % 7) as f64 * 10.0);
        p["tread_warranty_miles"] = if i % 3 == 0 {
            Value::Null
        } else {
            json!(40000 + (i % 5) as i64 * 5000)
        };
        p["runflat"] = json!(i % 5 == 0);
        create(router, p).await;
    }
}

fn skus(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap().to_owned())
        .collect()
}

db_test! {
    async fn list_filters_by_repeated_categorical_values_and_ranges(db: TestDb) {
        let router = db.router();
        seed(&router).await;
        let r = get(&router, "/api/products?brand=Michelin&brand=Kumho&rim_in_min=15&rim_in_max=17&limit=100").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for p in r.json["items"].as_array().unwrap() {
            assert!(["Michelin", "Kumho"].contains(&p["brand"].as_str().unwrap()));
            assert!((15..=17).contains(&p["rim_in"].as_i64().unwrap()));
        }
        assert_eq!(r.json["total"].as_i64().unwrap() as usize, r.json["items"].as_array().unwrap().len());
        assert!(r.json["total"].as_i64().unwrap() > 0);
        let r = get(&router, "/api/products?runflat=true&season=summer").await;
        for p in r.json["items"].as_array().unwrap() {
            assert_eq!(p["runflat"], true);
            assert_eq!(p["season"], "summer");
        }
        let r = get(&router, "/api/products?list_price_min=79.5&list_price_max=80.5").await;
        assert!(r.json["items"].as_array().unwrap().iter().all(|p| p["list_price"] == 80.0));
    }
}

db_test! {
    async fn list_searches_sku_brand_and_line_case_insensitively(db: TestDb) {
        let router = db.router();
        seed(&router).await;
        let r = get(&router, "/api/products?q=pIrElLi").await;
        assert_eq!(r.json["total"], 6);
        let r = get(&router, "/api/products?q=sku-01").await;
        assert_eq!(r.json["total"], 10);
        let r = get(&router, "/api/products?q=100%25").await;
        assert_eq!(r.json["total"], 0);
    }
}

db_test! {
    async fn list_pages_through_every_row_exactly_once_in_sort_order(db: TestDb) {
        let router = db.router();
        seed(&router).await;
        for sort in ["-list_price", "brand,-rim_in", "tread_warranty_miles", "-tread_warranty_miles", "sku"] {
            let mut seen = Vec::new();
            let mut uri = format!("/api/products?sort={sort}&limit=5");
            loop {
                let r = get(&router, &uri).await;
                assert_eq!(r.status, StatusCode::OK, "{sort}: {}", r.text);
                assert_eq!(r.json["total"], 24);
                seen.extend(r.json["items"].as_array().unwrap().iter().cloned());
                match r.json["next_cursor"].as_str() {
                    Some(c) => uri = format!("/api/products?sort={sort}&limit=5&cursor={c}"),
                    None => break,
                }
            }
            let mut ids: Vec<i64> = seen.iter().map(|p| p["id"].as_i64().unwrap()).collect();
            assert_eq!(ids.len(), 24, "{sort}");
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), 24, "{sort}: a row appeared twice");
            let whole = get(&router, &format!("/api/products?sort={sort}&limit=100")).await;
            assert_eq!(skus(&json!({"items": seen})), skus(&whole.json), "{sort}");
        }
        let desc = get(&router, "/api/products?sort=-list_price&limit=100").await;
        let prices: Vec<f64> = desc.json["items"].as_array().unwrap().iter().map(|p| p["list_price"].as_f64().unwrap()).collect();
        assert!(prices.windows(2).all(|w| w[0] >= w[1]));
        let warranty = get(&router, "/api/products?sort=tread_warranty_miles&limit=100").await;
        assert_eq!(warranty.json["items"][0]["tread_warranty_miles"], Value::Null);
    }
}

db_test! {
    async fn list_reports_every_bad_parameter_at_once(db: TestDb) {
        let r = get(&db.router(), "/api/products?rim_in_min=x&season=spring&sort=colour&limit=-1&colour=red&cursor=zz").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let paths = r.error_paths();
        for p in ["/rim_in_min", "/season", "/sort", "/limit", "/colour"] {
            assert!(paths.contains(&p.to_string()), "{p} missing from {paths:?}");
        }
        assert_eq!(r.json["errors"][0]["location"], "query");
    }
}

db_test! {
    async fn list_takes_a_limit_up_to_1000_and_refuses_more(db: TestDb) {
        let router = db.router();
        create(&router, sample("ONE")).await;
        let r = get(&router, "/api/products?limit=1000").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["next_cursor"], Value::Null);
        let r = get(&router, "/api/products?limit=100000").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["errors"][0]["path"], "/limit");
    }
}

db_test! {
    async fn a_filter_repeated_thousands_of_times_is_refused_quickly(db: TestDb) {
        let router = db.router();
        let flood = vec!["brand=A"; 5_000].join("&");
        let started = std::time::Instant::now();
        let r = get(&router, &format!("/api/products?{flood}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.json["errors"][0]["message"].as_str().unwrap_or("").contains("1000"), "{}", r.text);
        let few = vec!["brand=Kumho"; 900].join("&");
        let r = get(&router, &format!("/api/products?{few}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}

// --- robustness --------------------------------------------------------------------

db_test! {
    async fn no_input_produces_a_500(db: TestDb) {
        let router = db.router();
        let created = create(&router, sample("ROBUST-1")).await;
        let item = format!("/api/products/{}", created["id"]);
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let bodies = [
            "".to_string(), "null".into(), "1e999".into(), "\"text\"".into(), deep,
            "{\"sku\": \"\\ud800\"}".into(), "{\"rim_in\": 1e300, \"cost\": -0.0}".into(),
            "{\"rim_in\": 18446744073709551616}".into(), "{\"sku\": {\"a\": [1, 2]}}".into(),
            "{\"width_mm\": 225.5, \"tread_warranty_miles\": -1}".into(), "\u{0}\u{1}".into(),
            "{\"sku\": \"ÆØÅ-ü\", \"brand\": \"x\"}".into(), "{}".into(),
            "{\"brand\": \"nul\\u0000byte\"}".into(),
        ];
        for body in &bodies {
            for (method, uri) in [(Method::POST, "/api/products"), (Method::PUT, item.as_str()), (Method::PATCH, item.as_str())] {
                let r = call(&router, method.clone(), uri, Some("application/json"), body.clone()).await;
                let empty_patch = method == Method::PATCH && body.as_str() == "{}";
                if empty_patch {
                    assert_eq!(r.status, StatusCode::OK, "an empty patch changes nothing");
                    continue;
                }
                assert!(r.status.is_client_error(), "{method} {uri} {body:.40}: {} {}", r.status, r.text);
                assert_eq!(r.header("content-type"), "application/problem+json");
            }
        }
        for query in ["limit=1e9", "limit=99999999999999999999", "cursor=%FF%FE", "sort=-", "sort=,,,", "q=%00", "rim_in_min=NaN", "list_price_max=inf", "brand="] {
            let r = get(&router, &format!("/api/products?{query}")).await;
            assert!(r.status == StatusCode::OK || r.status == StatusCode::UNPROCESSABLE_ENTITY, "{query}: {} {}", r.status, r.text);
        }
        for csv in ["\u{0}", "sku,brand\nA\u{0},B\n", "sku\n\"unterminated", "a,b,c\n1,2", "\u{feff}"] {
            let r = import::import(&router, "", csv.to_string()).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{csv:?}: {}", r.text);
        }
        let r = call(&router, Method::POST, "/api/products/import", Some("text/csv"), vec![0xFFu8, 0xFE, 0x00, b'\n']).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
}

mod import;

mod score;
