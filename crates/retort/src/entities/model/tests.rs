//! Model registry tests: deploys of real fixtures, versions, aliases, downloads, and
//! predictions checked against what onnxruntime computed — on SQLite and PostgreSQL.

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::testing::{TestResponse, call, get, send_json};

pub(super) fn fixture(name: &str) -> (Vec<u8>, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let onnx = std::fs::read(dir.join(format!("{name}.onnx"))).unwrap();
    let spec =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap();
    (onnx, spec)
}

async fn deploy(router: &Router, name: &str, query: &str, bytes: Vec<u8>) -> TestResponse {
    call(
        router,
        Method::POST,
        &format!("/api/models/{name}/versions{query}"),
        Some("application/octet-stream"),
        bytes,
    )
    .await
}

/// The fixture's test rows as predict rows, with the fixture's column names.
pub(super) fn rows(spec: &Value) -> Vec<Value> {
    let names: Vec<String> = spec["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let inputs = spec["inputs"].as_object().unwrap();
    let n = inputs.values().next().unwrap()["shape"][0]
        .as_u64()
        .unwrap() as usize;
    (0..n)
        .map(|r| {
            let mut row = serde_json::Map::new();
            if inputs.len() == 1 {
                let input = inputs.values().next().unwrap();
                let width = input["shape"][1].as_u64().unwrap() as usize;
                for (c, name) in names.iter().enumerate() {
                    row.insert(name.clone(), input["data"][r * width + c].clone());
                }
            } else {
                for (name, input) in inputs {
                    row.insert(name.clone(), input["data"][r].clone());
                }
            }
            Value::Object(row)
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()) + 1e-6
}

db_test! {
    async fn a_deployed_regressor_predicts_what_onnxruntime_computed(db: TestDb) {
        let router = db.router();
        let (onnx, spec) = fixture("pipeline_regressor");
        let r = deploy(&router, "price", "?framework=sklearn&description=GB%20pipeline&metrics=%7B%22r2%22%3A0.97%7D", onnx).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.header("location"), "/api/models/price/versions/1");
        assert_eq!(r.json["backend"], "native");
        assert_eq!(r.json["metrics"]["r2"], 0.97);
        assert_eq!(r.json["signature"]["task"], "regression");
        let p = send_json(&router, Method::POST, "/api/models/price/predict", &json!({ "rows": rows(&spec) })).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        assert_eq!(p.json["version"], 1);
        let want = spec["outputs"]["variable"]["data"].as_array().unwrap();
        let got = p.json["predictions"].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(close(g.as_f64().unwrap(), w.as_f64().unwrap()), "{g} vs {w}");
        }
    }
}

db_test! {
    async fn a_classifier_answers_labels_and_named_probabilities(db: TestDb) {
        let router = db.router();
        for name in ["random_forest_classifier_string_labels", "logistic_multiclass_nozipmap"] {
            let (onnx, spec) = fixture(name);
            let features = spec["feature_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(",");
            let r = deploy(&router, "cls", &format!("?feature_names={features}"), onnx).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let version = r.json["version"].as_i64().unwrap();
            let p = send_json(&router, Method::POST, &format!("/api/models/cls/versions/{version}/predict"), &json!({ "rows": rows(&spec) })).await;
            assert_eq!(p.status, StatusCode::OK, "{}", p.text);
            let preds = p.json["predictions"].as_array().unwrap();
            let labels = spec["library"]["predict"].as_array().unwrap();
            for (pred, label) in preds.iter().zip(labels) {
                assert_eq!(&pred["label"], label, "{name}");
                let total: f64 = pred["probabilities"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
                assert!((total - 1.0).abs() < 1e-4, "{name}: {pred}");
            }
        }
    }
}

db_test! {
    async fn bad_rows_get_one_422_naming_every_cell(db: TestDb) {
        let router = db.router();
        let (onnx, _) = fixture("pipeline_regressor");
        deploy(&router, "price", "", onnx).await;
        let body = json!({"rows": [
            {"width_mm": "wide", "aspect_ratio": 45, "rim_in": 17, "load_index": 94, "tread_warranty_miles": null, "tier": "mid", "season": "summer"},
            {"aspect_ratio": 45, "rim_in": 17, "load_index": 94, "tread_warranty_miles": 1, "tier": null, "season": 3, "colour": "red"},
            7
        ], "extra": true});
        let r = send_json(&router, Method::POST, "/api/models/price/predict", &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let mut paths = r.error_paths();
        paths.sort();
        assert_eq!(paths, ["/extra", "/rows/0/width_mm", "/rows/1/colour", "/rows/1/season", "/rows/1/tier", "/rows/1/width_mm", "/rows/2"]);
        let r = send_json(&router, Method::POST, "/api/models/price/predict", &json!({"rows": []})).await;
        assert_eq!(r.error_paths(), ["/rows"]);
    }
}

db_test! {
    async fn versions_count_up_and_aliases_move_and_protect_versions(db: TestDb) {
        let router = db.router();
        let (a, spec) = fixture("linear_regression");
        let (b, _) = fixture("ridge");
        let features = "width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles";
        assert_eq!(deploy(&router, "lin", &format!("?feature_names={features}"), a.clone()).await.json["version"], 1);
        let second = deploy(&router, "lin", &format!("?feature_names={features}&alias=staging"), b).await;
        assert_eq!(second.json["version"], 2);
        assert_eq!(second.json["aliases"], json!(["staging"]));

        let body = json!({"rows": [rows(&spec)[0].clone()]});
        // No production alias: the latest version answers.
        assert_eq!(send_json(&router, Method::POST, "/api/models/lin/predict", &body).await.json["version"], 2);
        let r = send_json(&router, Method::PUT, "/api/models/lin/aliases/production", &json!({"version": 1})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(send_json(&router, Method::POST, "/api/models/lin/predict", &body).await.json["version"], 1);
        assert_eq!(send_json(&router, Method::POST, "/api/models/lin/aliases/staging/predict", &body).await.json["version"], 2);

        let r = call(&router, Method::DELETE, "/api/models/lin/versions/1", None, "").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        let r = send_json(&router, Method::PUT, "/api/models/lin/aliases/production", &json!({"version": 9})).await;
        assert_eq!(r.error_paths(), ["/version"]);
        send_json(&router, Method::PUT, "/api/models/lin/aliases/production", &json!({"version": 2})).await;
        assert_eq!(call(&router, Method::DELETE, "/api/models/lin/versions/1", None, "").await.status, StatusCode::NO_CONTENT);
        assert_eq!(get(&router, "/api/models/lin/versions/1").await.status, StatusCode::NOT_FOUND);

        let m = get(&router, "/api/models/lin").await;
        assert_eq!(m.json["versions"], json!([2]));
        assert_eq!(m.json["aliases"], json!({"production": 2, "staging": 2}));
        assert_eq!(get(&router, "/api/models").await.json["items"][0]["name"], "lin");
        assert_eq!(call(&router, Method::DELETE, "/api/models/lin/aliases/staging", None, "").await.status, StatusCode::NO_CONTENT);
        assert_eq!(call(&router, Method::DELETE, "/api/models/lin/aliases/staging", None, "").await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn the_onnx_file_downloads_byte_for_byte(db: TestDb) {
        let router = db.router();
        let (onnx, _) = fixture("xgboost_classifier");
        let r = deploy(&router, "xgb", "", onnx.clone()).await;
        let sha = r.json["sha256"].as_str().unwrap().to_owned();
        assert_eq!(r.json["size_bytes"].as_u64().unwrap() as usize, onnx.len());
        let request = axum::http::Request::get("/api/models/xgb/versions/1/onnx").header("authorization", format!("Bearer {}", crate::testing::TEST_ADMIN_KEY)).body(axum::body::Body::empty()).unwrap();
        let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["etag"], format!("\"{sha}\""));
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(bytes.as_ref(), onnx.as_slice());
    }
}

db_test! {
    async fn multipart_uploads_carry_the_file_and_its_metadata(db: TestDb) {
        let router = db.router();
        let (onnx, _) = fixture("ridge");
        let boundary = "retort-test-boundary";
        let mut body = Vec::new();
        for (name, value) in [("framework", "sklearn"), ("alias", "production"), ("metrics", "{\"mae\": 3.5}")] {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(&onnx);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        let r = call(&router, Method::POST, "/api/models/ridge/versions", Some(&ct), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["framework"], "sklearn");
        assert_eq!(r.json["aliases"], json!(["production"]));
        assert_eq!(r.json["metrics"]["mae"], 3.5);
    }
}

db_test! {
    async fn bad_uploads_get_a_422_that_says_why(db: TestDb) {
        let router = db.router();
        let r = deploy(&router, "junk", "", b"not a model at all".to_vec()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_paths(), ["/file"]);
        let r = deploy(&router, "junk", "", Vec::new()).await;
        assert_eq!(r.error_paths(), ["/file"]);
        let (onnx, _) = fixture("linear_regression");
        let r = deploy(&router, "Bad%20Name", "", onnx.clone()).await;
        assert_eq!(r.error_paths(), ["/name"]);
        let r = deploy(&router, "ok", "?feature_names=a,b&metrics=%5B1%5D&alias=7&colour=red", onnx.clone()).await;
        let mut paths = r.error_paths();
        paths.sort();
        assert_eq!(paths, ["/alias", "/colour", "/metrics"]);
        let r = deploy(&router, "ok", "?feature_names=a,b", onnx.clone()).await;
        assert_eq!(r.error_paths(), ["/feature_names"]);
        let r = call(&router, Method::POST, "/api/models/ok/versions", Some("text/plain"), "x").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(get(&router, "/api/models").await.json["items"], json!([]));
        let small = crate::app::build_router(db.state_with(crate::kernel::config::Limits { model_limit: 100, ..Default::default() }));
        assert_eq!(deploy(&small, "big", "", onnx).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

db_test! {
    async fn an_upload_with_operators_the_engine_lacks_names_them(db: TestDb) {
        use prost::Message;
        use retort_onnx::proto::{GraphProto, ModelProto, NodeProto, ValueInfoProto};
        let node = |op: &str, i: &str, o: &str| NodeProto { input: vec![i.into()], output: vec![o.into()], op_type: op.into(), ..Default::default() };
        let io = |n: &str| ValueInfoProto { name: n.into(), ..Default::default() };
        let bytes = ModelProto {
            ir_version: 8,
            graph: Some(GraphProto { node: vec![node("Conv", "X", "a"), node("LSTM", "a", "Y")], input: vec![io("X")], output: vec![io("Y")], ..Default::default() }),
            ..Default::default()
        }
        .encode_to_vec();
        let r = deploy(&db.router(), "cnn", "", bytes).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let message = r.json["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("ai.onnx:Conv") && message.contains("ai.onnx:LSTM"), "{message}");
    }
}

db_test! {
    async fn unknown_models_versions_and_aliases_are_404(db: TestDb) {
        let router = db.router();
        let body = json!({"rows": [{"X_0": 1.0}]});
        assert_eq!(send_json(&router, Method::POST, "/api/models/none/predict", &body).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(&router, "/api/models/none").await.status, StatusCode::NOT_FOUND);
        let (onnx, _) = fixture("linear_regression");
        deploy(&router, "lin", "", onnx).await;
        assert_eq!(send_json(&router, Method::POST, "/api/models/lin/versions/5/predict", &body).await.status, StatusCode::NOT_FOUND);
        assert_eq!(send_json(&router, Method::POST, "/api/models/lin/versions/x/predict", &body).await.status, StatusCode::NOT_FOUND);
        assert_eq!(send_json(&router, Method::POST, "/api/models/lin/aliases/gold/predict", &body).await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn a_restarted_server_loads_models_from_the_database(db: TestDb) {
        let (onnx, spec) = fixture("gradient_boosting_regressor");
        let features = spec["feature_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(",");
        deploy(&db.router(), "gb", &format!("?feature_names={features}"), onnx).await;
        // A new state has an empty cache, as a restarted process does.
        let state = db.state();
        assert_eq!(crate::entities::model::service::preload(&state).await.unwrap(), 1);
        assert_eq!(state.models.len(), 1);
        let router = crate::app::build_router(state);
        let p = send_json(&router, Method::POST, "/api/models/gb/predict", &json!({"rows": rows(&spec)})).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        let want = spec["outputs"]["variable"]["data"][0].as_f64().unwrap();
        assert!(close(p.json["predictions"][0].as_f64().unwrap(), want));
    }
}

db_test! {
    async fn an_ensemble_answers_the_weighted_mean_of_its_members(db: TestDb) {
        let router = db.router();
        let features = "width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles";
        let (a, spec) = fixture("gradient_boosting_regressor");
        let (b, spec_b) = fixture("random_forest_regressor");
        deploy(&router, "gb", &format!("?feature_names={features}"), a).await;
        deploy(&router, "rf", &format!("?feature_names={features}&alias=production"), b).await;
        let body = json!({"method": "weighted_mean", "description": "blend", "alias": "production",
            "members": [{"model": "gb", "version": 1, "weight": 3.0}, {"model": "rf", "alias": "production", "weight": 1.0}]});
        // The query's deploy parameters are checked on an ensemble too.
        let bad = send_json(&router, Method::POST, "/api/models/blend/versions?accept_fidelity=-1&fidelity_tolerance=x", &body).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        let mut paths = bad.error_paths();
        paths.sort();
        assert_eq!(paths, ["/accept_fidelity", "/fidelity_tolerance"], "{}", bad.text);
        let r = send_json(&router, Method::POST, "/api/models/blend/versions", &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["backend"], "ensemble");
        assert_eq!(r.json["ensemble"]["members"][1], json!({"model": "rf", "version": 1, "weight": 1.0}));
        let p = send_json(&router, Method::POST, "/api/models/blend/predict", &json!({"rows": rows(&spec)})).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        for (i, got) in p.json["predictions"].as_array().unwrap().iter().enumerate() {
            let ga = spec["outputs"]["variable"]["data"][i].as_f64().unwrap();
            let rb = spec_b["outputs"]["variable"]["data"][i].as_f64().unwrap();
            assert!(close(got.as_f64().unwrap(), (3.0 * ga + rb) / 4.0), "row {i}: {got}");
        }
        // A member of an ensemble cannot be deleted; the ensemble has no ONNX file.
        assert_eq!(call(&router, Method::DELETE, "/api/models/gb/versions/1", None, "").await.status, StatusCode::CONFLICT);
        assert_eq!(get(&router, "/api/models/blend/versions/1/onnx").await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn an_ensemble_of_classifiers_averages_probabilities(db: TestDb) {
        let router = db.router();
        let features = "width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles";
        let (a, spec) = fixture("random_forest_classifier");
        let (b, _) = fixture("gradient_boosting_classifier");
        deploy(&router, "c1", &format!("?feature_names={features}"), a).await;
        deploy(&router, "c2", &format!("?feature_names={features}"), b).await;
        let body = json!({"members": [{"model": "c1"}, {"model": "c2"}]});
        assert_eq!(send_json(&router, Method::POST, "/api/models/cls/versions", &body).await.status, StatusCode::CREATED);
        let p = send_json(&router, Method::POST, "/api/models/cls/predict", &json!({"rows": rows(&spec)})).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        for pred in p.json["predictions"].as_array().unwrap() {
            let probs = pred["probabilities"].as_object().unwrap();
            let total: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
            assert!((total - 1.0).abs() < 1e-4);
            let best = if probs["1"].as_f64() > probs["0"].as_f64() { 1 } else { 0 };
            assert_eq!(pred["label"], best);
        }
    }
}

db_test! {
    async fn a_bad_ensemble_names_every_problem(db: TestDb) {
        let router = db.router();
        let (a, _) = fixture("linear_regression");
        let (b, _) = fixture("pipeline_regressor");
        deploy(&router, "lin", "", a).await;
        deploy(&router, "pipe", "", b).await;
        let body = json!({"method": "median", "members": [{"model": "lin"}, {"model": "nope"}, {"model": "pipe"}, {"weight": -1}]});
        let r = send_json(&router, Method::POST, "/api/models/bad/versions", &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut paths = r.error_paths();
        paths.sort();
        assert_eq!(paths, ["/members/3/model", "/members/3/weight", "/method"]);
        let body = json!({"members": [{"model": "lin"}, {"model": "nope"}, {"model": "pipe"}]});
        let r = send_json(&router, Method::POST, "/api/models/bad/versions", &body).await;
        assert_eq!(r.error_paths(), ["/members/1", "/members/2"]);
        assert_eq!(get(&router, "/api/models/bad").await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn without_onnx_runtime_an_unsupported_graph_is_refused_with_the_way_to_enable_it(db: TestDb) {
        let (onnx, _) = fixture("erf_network");
        let r = deploy(&db.router(), "nn", "", onnx).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let message = r.json["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("ai.onnx:Erf") && message.contains("--onnxruntime-lib"), "{message}");
    }
}

db_test! {
    async fn with_onnx_runtime_an_unsupported_graph_is_served_by_it(db: TestDb) {
        let Some(state) = db.state_with_runtime() else { return };
        let router = crate::app::build_router(state);
        let (onnx, spec) = fixture("erf_network");
        let r = deploy(&router, "nn", "?feature_names=a,b,c", onnx).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["backend"], "onnxruntime");
        let p = send_json(&router, Method::POST, "/api/models/nn/predict", &json!({"rows": rows(&spec)})).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        for (g, w) in p.json["predictions"].as_array().unwrap().iter().zip(spec["outputs"]["Y"]["data"].as_array().unwrap()) {
            assert!(close(g.as_f64().unwrap(), w.as_f64().unwrap()), "{g} vs {w}");
        }
        // Models the native engine can run stay native.
        let (native, _) = fixture("ridge");
        assert_eq!(deploy(&router, "ridge", "", native).await.json["backend"], "native");
    }
}

db_test! {
    async fn the_openapi_document_describes_each_deployed_model(db: TestDb) {
        let router = db.router();
        let (onnx, _) = fixture("pipeline_regressor");
        deploy(&router, "price", "", onnx).await;
        let (cls, _) = fixture("random_forest_classifier_string_labels");
        deploy(&router, "band", "?feature_names=width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles", cls).await;
        let doc = get(&router, "/openapi.json").await.json;
        let price = &doc["paths"]["/api/models/price/predict"]["post"];
        let row = &price["requestBody"]["content"]["application/json"]["schema"]["properties"]["rows"]["items"];
        assert_eq!(row["properties"]["tier"]["type"], "string");
        assert_eq!(row["properties"]["tread_warranty_miles"]["type"], json!(["number", "null"]));
        assert_eq!(row["required"].as_array().unwrap().len(), 7);
        let band = &doc["paths"]["/api/models/band/predict"]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(band["properties"]["predictions"]["items"]["properties"]["label"]["enum"], json!(["cheap", "dear", "fair"]));
        // A new version with other columns changes the document.
        let (lin, _) = fixture("linear_regression");
        deploy(&router, "price", "?feature_names=a,b,c,d,e", lin).await;
        let doc = get(&router, "/openapi.json").await.json;
        let row = &doc["paths"]["/api/models/price/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["rows"]["items"];
        assert_eq!(row["required"], json!(["a", "b", "c", "d", "e"]));
    }
}

db_test! {
    async fn moving_an_alias_under_load_fails_no_request(db: TestDb) {
        let router = db.router();
        let features = "width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles";
        let (a, spec) = fixture("gradient_boosting_regressor");
        let (b, _) = fixture("random_forest_regressor");
        deploy(&router, "m", &format!("?feature_names={features}&alias=production"), a).await;
        deploy(&router, "m", &format!("?feature_names={features}"), b).await;
        let body = json!({"rows": rows(&spec)});
        let mut tasks = Vec::new();
        for i in 0..200 {
            let router = router.clone();
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                if i % 10 == 0 {
                    let v = 1 + (i / 10) % 2;
                    let r = send_json(&router, Method::PUT, "/api/models/m/aliases/production", &json!({"version": v})).await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                }
                send_json(&router, Method::POST, "/api/models/m/predict", &body).await
            }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert!([1, 2].contains(&r.json["version"].as_i64().unwrap()));
            assert_eq!(r.json["predictions"].as_array().unwrap().len(), 20);
        }
    }
}
