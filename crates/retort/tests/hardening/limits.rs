//! Sizes and counts: every one bounded before anything is allocated or computed (time
//! and connections are in `time.rs`).

use std::io::Write;

use retort::testing::TestDb;
use serde_json::json;

use super::{App, detail, fixture, limits};

/// The README's pipeline model deployed as `price`, on an app with `limits`.
async fn with_price_model(db: &TestDb, l: retort::kernel::config::Limits) -> App {
    let app = App::start(db, l).await;
    let r = app.deploy("price", fixture("pipeline_regressor")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    app
}

fn infer_binary(json: &str, binary: &[u8]) -> (Vec<u8>, String) {
    let mut body = json.as_bytes().to_vec();
    body.extend_from_slice(binary);
    (body, json.len().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bytes_input_declaring_a_trillion_rows_is_refused_before_allocating() {
    let db = TestDb::sqlite().await;
    let app = with_price_model(&db, limits(|_| {})).await;
    let head = r#"{"inputs":[{"name":"brand","shape":[1099511627776,1],"datatype":"BYTES","parameters":{"binary_data_size":0}}]}"#;
    let (body, len) = infer_binary(head, b"");
    let r = app
        .send(
            "POST",
            "/v2/models/price/infer",
            &[
                ("content-type", "application/octet-stream"),
                ("inference-header-content-length", &len),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    let e = r.json["error"].as_str().unwrap();
    assert!(e.contains("brand") && e.contains("1099511627776"), "{e}");
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shape_whose_product_overflows_is_refused() {
    let db = TestDb::sqlite().await;
    let app = with_price_model(&db, limits(|_| {})).await;
    for shape in ["[1099511627776,16777216]", "[4294967296,4294967296,16]"] {
        let head = format!(
            r#"{{"inputs":[{{"name":"width_mm","shape":{shape},"datatype":"FP32","parameters":{{"binary_data_size":8}}}}]}}"#
        );
        let (body, len) = infer_binary(&head, &[0; 8]);
        let r = app
            .send(
                "POST",
                "/v2/models/price/infer",
                &[("inference-header-content-length", &len)],
                body,
            )
            .await;
        assert!(
            matches!(r.status, 400 | 413),
            "{shape}: {} {}",
            r.status,
            r.text
        );
        assert!(
            r.json["error"].as_str().unwrap().contains("width_mm"),
            "{}",
            r.text
        );
    }
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tensor_data_must_match_its_shape() {
    let db = TestDb::sqlite().await;
    let app = with_price_model(&db, limits(|_| {})).await;
    let body = json!({"inputs": [{"name": "width_mm", "shape": [2, 1], "datatype": "FP32", "data": [1, 2, 3]}]});
    let r = app.post_json("/v2/models/price/infer", &body).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.json["error"].as_str().unwrap().contains("2 elements"),
        "{}",
        r.text
    );
    // Binary data shorter than the shape says.
    let head = r#"{"inputs":[{"name":"width_mm","shape":[4,1],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"#;
    let (body, len) = infer_binary(head, &[0; 8]);
    let r = app
        .send(
            "POST",
            "/v2/models/price/infer",
            &[("inference-header-content-length", &len)],
            body,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_and_elements_are_capped_the_same_on_both_predict_apis() {
    let db = TestDb::sqlite().await;
    let app = with_price_model(
        &db,
        limits(|l| {
            l.max_rows = 10;
            l.max_tensor_elements = 40;
        }),
    )
    .await;
    let row = json!({"width_mm": 225, "aspect_ratio": 45, "rim_in": 17, "load_index": 94,
        "tread_warranty_miles": null, "tier": "premium", "season": "summer"});
    let r = app
        .post_json(
            "/api/models/price/predict",
            &json!({"rows": vec![row.clone(); 11]}),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(
        detail(&r).contains("11 rows") && detail(&r).contains("--max-rows"),
        "{}",
        r.text
    );
    // Seven columns: six rows are 42 values, past 40.
    let r = app
        .post_json(
            "/api/models/price/predict",
            &json!({"rows": vec![row.clone(); 6]}),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(detail(&r).contains("--max-tensor-elements"), "{}", r.text);
    let r = app
        .post_json("/api/models/price/predict", &json!({"rows": vec![row; 5]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = json!({"inputs": [{"name": "width_mm", "shape": [11, 1], "datatype": "FP32", "data": vec![1.0; 11]}]});
    let r = app.post_json("/v2/models/price/infer", &body).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(
        r.json["error"].as_str().unwrap().contains("11 rows"),
        "{}",
        r.text
    );
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_tiny_values_is_refused_before_it_is_parsed_whole() {
    let db = TestDb::sqlite().await;
    let app = with_price_model(
        &db,
        limits(|l| {
            l.max_rows = 1000;
            l.max_tensor_elements = 1000;
        }),
    )
    .await;
    let body = format!("{{\"rows\": [{}{{}}]}}", "{},".repeat(200_000));
    let r = app
        .send(
            "POST",
            "/api/models/price/predict",
            &[("content-type", "application/json")],
            body,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(detail(&r).contains("JSON values"), "{}", r.text);
    app.assert_healthy().await;
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    // A stored (uncompressed) deflate stream in a gzip frame is enough to test limits on
    // what comes out; a real compressor is not a dependency.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut crc = Crc::new();
    crc.update(bytes);
    let mut rest = bytes;
    loop {
        let take = rest.len().min(65_535);
        let last = take == rest.len();
        out.push(u8::from(last));
        let len = take as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        if last {
            break;
        }
    }
    out.extend_from_slice(&crc.0.to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out
}

struct Crc(u32);

impl Crc {
    fn new() -> Self {
        Self(0)
    }
    fn update(&mut self, bytes: &[u8]) {
        let mut c = !self.0;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        self.0 = !c;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_bodies_are_limited_after_inflating_and_a_corrupt_one_is_a_400() {
    let db = TestDb::sqlite().await;
    let app = with_price_model(&db, limits(|l| l.predict_limit = 10_000)).await;
    let big = json!({"inputs": [{"name": "width_mm", "shape": [4000, 1], "datatype": "FP32", "data": vec![1.0; 4000]}]}).to_string();
    let small = gzip(big.as_bytes());
    let r = app
        .send(
            "POST",
            "/v2/models/price/infer",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            small,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    let r = app
        .send(
            "POST",
            "/v2/models/price/infer",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            b"\x1f\x8b\x08\x00this is not deflate".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_metadata_fields_are_bounded() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    let boundary = "XyZ";
    let mut body = Vec::new();
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        "d".repeat(100_000)
    )
    .unwrap();
    let r = app
        .send(
            "POST",
            "/api/models/m/versions",
            &[(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )],
            body,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(detail(&r).contains("description"), "{}", r.text);
    app.assert_healthy().await;
}
