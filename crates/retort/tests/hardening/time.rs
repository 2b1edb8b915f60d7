//! Time and connections: deadlines, timeouts, caps on requests in flight and on event
//! streams, slow clients, panics — none of them can hang or abort the server.

use std::time::Duration;

use axum::routing::get;
use retort::testing::TestDb;
use serde_json::json;

use super::{App, detail, fixture, limits, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predictions_past_their_deadline_are_a_503_while_other_routes_answer() {
    let db = TestDb::sqlite().await;
    let app = App::start(
        &db,
        limits(|l| {
            l.inference_slots = 1;
            l.predict_timeout = Duration::from_millis(1);
        }),
    )
    .await;
    let r = app.deploy("bench", fixture("gb_pipeline_bench")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let signature = app.get("/api/models/bench/versions/1").await.json["signature"].clone();
    let mut row = serde_json::Map::new();
    for c in signature["columns"].as_array().unwrap() {
        let v = match c["dtype"].as_str().unwrap() {
            "string" => json!("x"),
            _ => json!(1),
        };
        row.insert(c["name"].as_str().unwrap().to_owned(), v);
    }
    let rows = vec![serde_json::Value::Object(row); 50_000];
    let addr = app.addr;
    let slow = tokio::spawn(async move {
        send(
            addr,
            "POST",
            "/api/models/bench/predict",
            &[("content-type", "application/json")],
            json!({ "rows": rows }).to_string().into_bytes(),
        )
        .await
    });
    app.assert_healthy().await;
    let r = slow.await.unwrap();
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.headers["retry-after"], "1");
    assert!(
        detail(&r).contains("--predict-timeout") || detail(&r).contains("slots"),
        "{}",
        r.text
    );
    app.assert_healthy().await;
}

/// The app with one extra route under the same middleware.
async fn app_with_route(
    db: &TestDb,
    l: retort::kernel::config::Limits,
    router: axum::Router<retort::kernel::state::AppState>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let state = db.state_with(l);
    let app = retort::app::layered(router.route("/healthz", get(|| async { "ok" })), state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_500_problem_with_the_request_id_and_headers() {
    let db = TestDb::sqlite().await;
    let router = axum::Router::new().route(
        "/api/boom",
        get(|| async {
            if std::env::var_os("NEVER_SET_IN_TESTS").is_none() {
                panic!("a secret detail that must not reach the client");
            }
            "unreachable"
        }),
    );
    let (addr, server) = app_with_route(&db, limits(|_| {}), router).await;
    let r = send(
        addr,
        "GET",
        "/api/boom",
        &[("x-request-id", "req-123")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(r.headers["x-request-id"], "req-123");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(!r.text.contains("secret"), "{}", r.text);
    assert_eq!(
        send(addr, "GET", "/healthz", &[], Vec::new()).await.status,
        200
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_the_request_timeout_is_a_503() {
    let db = TestDb::sqlite().await;
    let router = axum::Router::new().route(
        "/api/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let (addr, server) = app_with_route(
        &db,
        limits(|l| l.request_timeout = Duration::from_millis(100)),
        router,
    )
    .await;
    let r = send(addr, "GET", "/api/slow", &[], Vec::new()).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(
        send(addr, "GET", "/healthz", &[], Vec::new()).await.status,
        200
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_sending_its_body_gets_a_408() {
    let db = TestDb::sqlite().await;
    let app = App::start(
        &db,
        limits(|l| l.body_read_timeout = Duration::from_millis(200)),
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"POST /api/products/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rtk_testadmin234_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\nsku,brand\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_in_flight_cap_are_a_503_and_probes_still_answer() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|l| l.max_concurrent_requests = 1)).await;
    // Hold the one place with an upload that has not finished. Under load another request
    // can take the place first and the upload is refused; then hold it again.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut held = None;
    for _ in 0..50 {
        let mut upload = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        upload
            .write_all(b"POST /api/products/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rtk_testadmin234_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\nsku")
            .await
            .unwrap();
        if app.get("/api/products").await.status == 503 {
            held = Some(upload);
            break;
        }
        let mut answer = [0u8; 64];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(200), upload.read(&mut answer)).await
        {
            assert!(
                n == 0 || answer.starts_with(b"HTTP/1.1 503"),
                "{}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    let held = held.expect("the upload never held the one place");
    let r = app.get("/api/products").await;
    assert_eq!(r.headers["retry-after"], "1");
    assert!(detail(&r).contains("in flight"), "{}", r.text);
    app.assert_healthy().await;
    assert_eq!(app.get("/readyz").await.status, 200);
    drop(held);
    super::eventually("a 200 once the place is free", || async {
        app.get("/api/products").await.status == 200
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_are_capped_and_end_when_the_server_stops() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|l| l.max_sse_streams = 1)).await;
    let job = retort::entities::job::service::enqueue(
        &app.state,
        "score_products",
        &json!({"model": "m", "version": 1, "filters": {}}),
    )
    .await
    .unwrap();
    let mut first = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    first
        .write_all(format!("GET /api/jobs/{job}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rtk_testadmin234_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = first.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let second = app.get(&format!("/api/jobs/{job}/events")).await;
    assert_eq!(second.status, 503, "{}", second.text);
    app.assert_healthy().await;
    // Shutting down ends the open stream at once instead of waiting for the job.
    let stopped = tokio::time::timeout(Duration::from_secs(10), app.stop()).await;
    assert!(stopped.is_ok(), "the server waited for the event stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_short_plain_request_id_is_kept() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    let kept = app
        .send(
            "GET",
            "/healthz",
            &[("x-request-id", "abc-123")],
            Vec::new(),
        )
        .await;
    assert_eq!(kept.headers["x-request-id"], "abc-123");
    let long = "a".repeat(200);
    for bad in [long.as_str(), "<script>alert(1)</script>", "two words"] {
        let r = app
            .send("GET", "/healthz", &[("x-request-id", bad)], Vec::new())
            .await;
        let id = r.headers["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 36, "a fresh UUID: {id}");
    }
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_says_only_that_the_database_is_unreachable() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    assert_eq!(app.get("/readyz").await.status, 200);
    app.state.db.close().await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json["detail"], "database unreachable");
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    let db = TestDb::sqlite().await;
    let app = App::start(
        &db,
        limits(|l| l.header_read_timeout = Duration::from_millis(300)),
    )
    .await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    app.assert_healthy().await;
}
