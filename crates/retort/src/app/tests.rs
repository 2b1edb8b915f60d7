//! App-level tests: the OpenAPI document against the routes and the parsers, security
//! headers, request ids, probes and fallbacks.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::openapi;
use crate::db_test;
use crate::entities::product::schema::{ProductIn, ProductPatch};
use crate::kernel::extract::Parse;
use crate::testing::{call, get, send_json};

fn doc() -> Value {
    serde_json::to_value(openapi()).unwrap()
}

fn documented_operations() -> Vec<String> {
    let doc = doc();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    ops
}

#[test]
fn the_document_is_openapi_3_1_and_every_operation_has_a_declared_tag() {
    let doc = doc();
    assert_eq!(doc["openapi"], "3.1.0");
    let declared: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut unique = declared.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        declared.len(),
        "a tag is declared twice: {declared:?}"
    );
    let operations = documented_operations();
    assert!(operations.len() > 60, "{}", operations.len());
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for tag in op["tags"].as_array().unwrap() {
                let tag = tag.as_str().unwrap();
                assert!(
                    declared.contains(&tag),
                    "{method} {path}: tag {tag:?} is not declared"
                );
            }
        }
    }
}

#[test]
fn every_operation_id_is_unique() {
    let doc = doc();
    let mut seen = std::collections::HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or("").to_owned();
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id:?} of {method} {path} is also {other}'s");
            }
        }
    }
}

#[test]
fn every_operation_that_needs_the_database_documents_503_and_every_json_body_400_413_415() {
    let no_database = ["GET /healthz", "GET /v2", "GET /v2/health/live"];
    let doc = doc();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().unwrap();
            if !no_database.contains(&name.as_str()) {
                assert!(
                    responses.contains_key("503"),
                    "{name} does not document 503"
                );
            }
            // The inference protocol answers every bad request with a 400 of its own.
            let protocol = path.starts_with("/v2");
            if !protocol
                && op["requestBody"]["content"]
                    .get("application/json")
                    .is_some()
            {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{name} does not document {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_documented_response_has_a_description() {
    let doc = doc();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let d = response["description"].as_str().unwrap_or("");
                assert!(!d.is_empty(), "{method} {path} {status} has no description");
            }
        }
    }
}

db_test! {
    async fn every_documented_operation_is_routed(db: TestDb) {
        let router = db.router();
        for op in documented_operations() {
            let (method, path) = op.split_once(' ').unwrap();
            let uri = path.replace("{id}", "1").replace("{name}", "m").replace("{version}", "1").replace("{alias}", "a");
            let r = call(&router, method.parse().unwrap(), &uri, Some("application/json"), "{}").await;
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{op}");
            let no_route = r.json["detail"].as_str().unwrap_or("").starts_with("no route");
            assert!(!no_route, "{op} is documented but not routed");
        }
    }
}

/// Parses `value` set on `field` of a valid product; whether it was accepted.
fn accepts_in(field: &str, value: Value) -> bool {
    let mut body = json!({
        "sku": "S-1", "brand": "B", "line": "L", "category": "passenger", "width_mm": 205,
        "aspect_ratio": 55, "rim_in": 16, "load_index": 91, "speed_rating": "H",
        "season": "summer", "runflat": false, "cost": 50.0, "list_price": 80.0
    });
    body[field] = value;
    ProductIn::parse(body.as_object().unwrap()).is_ok()
}

fn accepts_patch(field: &str, value: Value) -> bool {
    ProductPatch::parse(json!({ field: value }).as_object().unwrap()).is_ok()
}

/// Probes the parser at every documented bound, so the document and the rules agree.
fn check_schema_against_parser(schema_name: &str, accepts: fn(&str, Value) -> bool) {
    let doc = doc();
    let schemas = &doc["components"]["schemas"];
    let schema = &schemas[schema_name];
    for (field, prop) in schema["properties"].as_object().unwrap() {
        let is_int = prop["type"] == "integer" || prop["type"][0] == "integer";
        let step = if is_int { json!(1) } else { json!(0.001) };
        let step = step.as_f64().unwrap();
        let num = |f: f64| if is_int { json!(f as i64) } else { json!(f) };
        if let Some(min) = prop["minimum"].as_f64() {
            assert!(
                accepts(field, num(min)),
                "{schema_name}.{field} rejects its minimum {min}"
            );
            assert!(
                !accepts(field, num(min - step)),
                "{schema_name}.{field} accepts below {min}"
            );
        }
        if let Some(max) = prop["exclusiveMaximum"].as_f64() {
            assert!(
                !accepts(field, num(max)),
                "{schema_name}.{field} accepts its exclusive maximum"
            );
            assert!(
                accepts(field, num(max - step)),
                "{schema_name}.{field} rejects just below {max}"
            );
        }
        if let Some(min) = prop["exclusiveMinimum"].as_f64() {
            assert!(
                !accepts(field, num(min)),
                "{schema_name}.{field} accepts its exclusive minimum"
            );
            assert!(
                accepts(field, num(min + step)),
                "{schema_name}.{field} rejects just above {min}"
            );
        }
        if let Some(max) = prop["maximum"].as_f64() {
            assert!(
                accepts(field, num(max)),
                "{schema_name}.{field} rejects its maximum {max}"
            );
            assert!(
                !accepts(field, num(max + step)),
                "{schema_name}.{field} accepts above {max}"
            );
        }
        if let Some(max) = prop["maxLength"].as_u64() {
            let ok = if field == "category" {
                "a".repeat(max as usize)
            } else {
                "A".repeat(max as usize)
            };
            assert!(
                accepts(field, json!(ok)),
                "{schema_name}.{field} rejects length {max}"
            );
            assert!(
                !accepts(field, json!(format!("{ok}A"))),
                "{schema_name}.{field} accepts length {}",
                max + 1
            );
        }
        let nullable = prop["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("null")));
        assert_eq!(
            accepts(field, Value::Null),
            nullable,
            "{schema_name}.{field}: null accepted iff documented nullable"
        );
        let enum_values = prop["$ref"]
            .as_str()
            .and_then(|r| schemas[r.rsplit('/').next().unwrap()]["enum"].as_array());
        if let Some(values) = enum_values {
            for v in values {
                assert!(
                    accepts(field, v.clone()),
                    "{schema_name}.{field} rejects documented {v}"
                );
            }
            assert!(
                !accepts(field, json!("not-a-value")),
                "{schema_name}.{field} accepts an undocumented value"
            );
        }
    }
}

#[test]
fn product_in_bounds_and_enums_match_the_parser() {
    check_schema_against_parser("ProductIn", accepts_in);
}

#[test]
fn product_patch_bounds_and_enums_match_the_parser() {
    check_schema_against_parser("ProductPatch", accepts_patch);
}

#[test]
fn sale_in_bounds_match_the_parser() {
    fn accepts(field: &str, value: Value) -> bool {
        let mut body = json!({"sku": "S-1", "week": "2026-11-23", "price": 10.0, "units": 3});
        body[field] = value;
        crate::entities::sale::schema::SaleIn::parse(body.as_object().unwrap()).is_ok()
    }
    check_schema_against_parser("SaleIn", accepts);
}

#[test]
fn training_parameters_match_the_job_check() {
    fn accepts(field: &str, value: Value) -> bool {
        crate::entities::pricing::train::check(&json!({ field: value })).is_ok()
    }
    check_schema_against_parser("TrainIn", accepts);
}

#[test]
fn optimization_request_bounds_and_enums_match_the_parser() {
    fn accepts(field: &str, value: Value) -> bool {
        let mut body = json!({"scope": {"skus": ["A-1"]}});
        body[field] = value;
        crate::entities::optimization::params::params_from_json(&body).is_ok()
    }
    check_schema_against_parser("OptimizationRequest", accepts);
}

#[test]
fn every_documented_list_parameter_is_accepted_by_the_list_parser() {
    use crate::kernel::query::ListQuery;
    use crate::kernel::query::docs::list_params;
    let lists = [
        crate::entities::product::list_spec(),
        crate::entities::brand::list_spec(),
        crate::entities::sale::list_spec(),
        crate::entities::job::list_spec(),
        crate::entities::pricing::list_spec(),
        crate::entities::price_change::list_spec(),
        crate::entities::optimization::list_specs()[0],
        crate::entities::optimization::list_specs()[1],
    ];
    for spec in lists {
        for param in list_params(spec, "id") {
            let doc = serde_json::to_value(&param).unwrap();
            let schema = if doc["schema"]["type"] == "array" {
                &doc["schema"]["items"]
            } else {
                &doc["schema"]
            };
            let values: Vec<String> = match (&schema["enum"], schema["type"].as_str()) {
                (Value::Array(values), _) => values
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect(),
                (_, Some("integer")) => ["minimum", "maximum"]
                    .iter()
                    .map(|k| schema[k].to_string())
                    .collect(),
                (_, Some("number")) => vec!["-1.5".into(), "1e300".into()],
                (_, Some("boolean")) => vec!["true".into(), "false".into()],
                _ if param.name == "sort" => vec!["id".into(), " -id , id ".into()],
                _ if param.name == "cursor" => vec![String::new()],
                _ => vec!["any text".into(), String::new()],
            };
            for value in values {
                let pairs = vec![(param.name.clone(), value.clone())];
                let parsed = ListQuery::parse(spec, &pairs, &[]);
                assert!(
                    parsed.is_ok(),
                    "{}: {}={value:?} is refused: {parsed:?}",
                    spec.table,
                    param.name
                );
            }
        }
        for bad in ["0", "1001"] {
            let pairs = vec![("limit".to_owned(), bad.to_owned())];
            assert!(
                ListQuery::parse(spec, &pairs, &[]).is_err(),
                "{}: limit={bad}",
                spec.table
            );
        }
    }
}

#[test]
fn product_in_required_fields_are_exactly_those_the_parser_requires() {
    let doc = doc();
    let schema = &doc["components"]["schemas"]["ProductIn"];
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    required.sort();
    let errors = ProductIn::parse(&serde_json::Map::new()).unwrap_err();
    let mut from_parser: Vec<String> = errors.into_iter().map(|(f, _)| f).collect();
    from_parser.sort();
    assert_eq!(required, from_parser);
}

db_test! {
    async fn api_responses_carry_the_security_headers_and_no_store(db: TestDb) {
        let router = db.router();
        for uri in ["/api/products", "/api/products/999", "/healthz", "/openapi.json", "/nowhere"] {
            let r = get(&router, uri).await;
            assert_eq!(r.header("x-frame-options"), "SAMEORIGIN", "{uri}");
            assert_eq!(r.header("x-content-type-options"), "nosniff", "{uri}");
            assert!(r.header("strict-transport-security").starts_with("max-age="), "{uri}");
            assert!(!r.header("referrer-policy").is_empty(), "{uri}");
            assert!(r.headers.get("server").is_none(), "{uri}");
            assert!(!r.header("x-request-id").is_empty(), "{uri}");
        }
        for uri in ["/api/products", "/openapi.json", "/healthz"] {
            assert_eq!(get(&router, uri).await.header("cache-control"), "no-store", "{uri}");
        }
    }
}

db_test! {
    async fn html_pages_carry_a_content_security_policy_without_inline_scripts(db: TestDb) {
        let r = get(&db.router(), "/docs/").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.header("content-type").starts_with("text/html"));
        let csp = r.header("content-security-policy");
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or("");
        assert_eq!(script_src.trim(), "script-src 'self'", "{csp}");
    }
}

db_test! {
    async fn swagger_ui_is_served_from_the_binary(db: TestDb) {
        let router = db.router();
        let page = get(&router, "/docs/").await;
        assert!(page.text.contains("swagger-ui"), "{}", page.text);
        let init = get(&router, "/docs/swagger-initializer.js").await;
        assert_eq!(init.status, StatusCode::OK);
        assert!(init.text.contains("/openapi.json"));
        assert!(init.text.contains("\"validatorUrl\": \"none\"") || init.text.contains("\"validatorUrl\":\"none\""), "{}", init.text);
        assert!(!page.text.contains("http://") && !page.text.contains("https://"), "the page loads from another host");
        let bundle = get(&router, "/docs/swagger-ui-bundle.js").await;
        assert_eq!(bundle.status, StatusCode::OK);
        assert!(bundle.text.len() > 100_000);
    }
}

db_test! {
    async fn a_request_id_sent_by_the_client_is_echoed(db: TestDb) {
        let router = db.router();
        let request = axum::http::Request::get("/healthz").header("x-request-id", "abc-123").body(axum::body::Body::empty()).unwrap();
        let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
        assert_eq!(response.headers()["x-request-id"], "abc-123");
    }
}

db_test! {
    async fn probes_report_liveness_and_readiness(db: TestDb) {
        let router = db.router();
        assert_eq!(get(&router, "/healthz").await.status, StatusCode::OK);
        assert_eq!(get(&router, "/readyz").await.status, StatusCode::OK);
        db.db.close().await;
        let r = get(&router, "/readyz").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.header("content-type"), "application/problem+json");
        assert_eq!(get(&router, "/healthz").await.status, StatusCode::OK);
    }
}

db_test! {
    async fn unknown_routes_and_methods_answer_with_problems(db: TestDb) {
        let router = db.router();
        let r = get(&router, "/api/nothing").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.header("content-type"), "application/problem+json");
        let r = send_json(&router, Method::DELETE, "/api/products", &json!({})).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.header("content-type"), "application/problem+json");
    }
}
