//! The fidelity check at deploy: a sample with the library's predictions, checked before
//! the version is stored, over HTTP on both databases.

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::tests::{fixture, rows};
use crate::db_test;
use crate::testing::{TestResponse, call, get};

/// A multipart deploy of `onnx` with these text fields.
async fn deploy_with(
    router: &Router,
    name: &str,
    onnx: &[u8],
    fields: &[(&str, String)],
) -> TestResponse {
    let boundary = "retort-fidelity-boundary";
    let mut body = Vec::new();
    for (field, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(onnx);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    call(
        router,
        Method::POST,
        &format!("/api/models/{name}/versions"),
        Some(&ct),
        body,
    )
    .await
}

db_test! {
    async fn a_sample_that_matches_is_stored_with_the_version(db: TestDb) {
        let router = db.router();
        let (onnx, spec) = fixture("gradient_boosting_regressor");
        let expected = spec["outputs"]["variable"]["data"].clone();
        let sample = json!({"rows": rows(&spec), "expected": expected}).to_string();
        let features = spec["feature_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(",");
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features.clone()), ("check_sample", sample)]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let f = &r.json["fidelity"];
        assert_eq!(f["rows"], 20, "{f}");
        assert_eq!(f["passed"], true, "{f}");
        assert_eq!(f["accepted"], false, "{f}");
        assert!(f["max_rel_diff"].as_f64().unwrap() <= 1e-6, "{f}");
        // Kept on the version.
        let v = get(&router, "/api/models/gb/versions/1").await;
        assert_eq!(v.json["fidelity"], *f);
        // Without a sample there is no check.
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features)]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(r.json["fidelity"].is_null());
    }
}

db_test! {
    async fn predictions_beyond_the_tolerance_are_refused_unless_accepted(db: TestDb) {
        let router = db.router();
        let (onnx, spec) = fixture("gradient_boosting_regressor");
        let features = spec["feature_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(",");
        // The library's answers, with rows 3 and 7 off by 1 % and 5 %.
        let mut expected: Vec<Value> = spec["outputs"]["variable"]["data"].as_array().unwrap().clone();
        expected[3] = json!(expected[3].as_f64().unwrap() * 1.01);
        expected[7] = json!(expected[7].as_f64().unwrap() * 1.05);
        let sample = json!({"rows": rows(&spec), "expected": expected}).to_string();
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features.clone()), ("check_sample", sample.clone())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.error_paths(), ["/check_sample"]);
        let message = r.json["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("on 2 of 20 rows"), "{message}");
        assert!(message.find("row 7").unwrap() < message.find("row 3").unwrap(), "largest first: {message}");
        assert!(message.contains("tensor(float)") && message.contains("DoubleTensorType"), "{message}");
        // Nothing was stored.
        assert_eq!(get(&router, "/api/models/gb").await.status, StatusCode::NOT_FOUND);
        // A looser tolerance passes; accepting stores the report.
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features.clone()), ("check_sample", sample.clone()), ("fidelity_tolerance", "0.1".into())]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["fidelity"]["passed"], true);
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features.clone()), ("check_sample", sample), ("accept_fidelity", "true".into())]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let f = &r.json["fidelity"];
        assert_eq!((f["passed"].clone(), f["accepted"].clone(), f["differing"].clone()), (json!(false), json!(true), json!(2)), "{f}");
        assert_eq!(f["worst"][0]["row"], 7);
        // A CSV sample with the expected column, and one with a bad cell.
        let names: Vec<&str> = features.split(',').collect();
        let mut csv = format!("{},expected\n", features);
        for (row, want) in rows(&spec).iter().zip(spec["outputs"]["variable"]["data"].as_array().unwrap()) {
            let cells: Vec<String> = names.iter().map(|n| row[*n].to_string()).collect();
            csv.push_str(&format!("{},{}\n", cells.join(","), want));
        }
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features.clone()), ("check_sample", csv.clone())]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["fidelity"]["rows"], 20);
        let bad = csv.replacen(&format!("\n{}", rows(&spec)[0][names[0]]), "\nwide", 1);
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features.clone()), ("check_sample", bad)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.error_paths(), [format!("/check_sample/0/{}", names[0])]);
        let r = deploy_with(&router, "gb", &onnx, &[("feature_names", features), ("check_sample", "{\"rows\": [], \"expected\": [1]}".into())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
}

db_test! {
    async fn a_classifier_is_checked_on_its_labels(db: TestDb) {
        let router = db.router();
        let (onnx, spec) = fixture("random_forest_classifier_string_labels");
        let features = spec["feature_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(",");
        let labels = spec["library"]["predict"].clone();
        let sample = json!({"rows": rows(&spec), "expected": labels}).to_string();
        let r = deploy_with(&router, "cls", &onnx, &[("feature_names", features.clone()), ("check_sample", sample)]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["fidelity"]["label_agreement"], 1.0);
        let mut wrong: Vec<Value> = spec["library"]["predict"].as_array().unwrap().clone();
        wrong[0] = json!("no-such-label");
        let sample = json!({"rows": rows(&spec), "expected": wrong}).to_string();
        let r = deploy_with(&router, "cls", &onnx, &[("feature_names", features), ("check_sample", sample)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("labels agree on 95.00 %"), "{}", r.text);
    }
}
