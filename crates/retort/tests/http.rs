//! End-to-end flows over real HTTP: the server on a random port (in process, and the
//! `retort` binary itself), talked to with an HTTP client.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use retort::testing::TestDb;
use serde_json::{Value, json};

mod access;
mod hardening;
mod support;

use support::{
    Server, free_port, product, request, retort, serve_binary, spawn_app, wait_until_up,
};

async fn create_then_list_over_http(db: TestDb) {
    let (addr, stop, server) = spawn_app(&db).await;
    let created = request(
        addr,
        "POST",
        "/api/products",
        Some("application/json"),
        &product("HTTP-1").to_string(),
    )
    .await;
    assert_eq!(created.status, 201);
    let location = created.headers["location"].to_str().unwrap().to_owned();
    let fetched = request(addr, "GET", &location, None, "").await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json["sku"], "HTTP-1");
    assert_eq!(fetched.headers["cache-control"], "no-store");
    assert!(fetched.headers.contains_key("x-request-id"));
    let listed = request(
        addr,
        "GET",
        "/api/products?season=all_season&runflat=true",
        None,
        "",
    )
    .await;
    assert_eq!(listed.json["total"], 1);
    let csv = "sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,runflat,cost,list_price\n\
               HTTP-2,Kumho,Ecsta,performance,245,40,18,97,W,summer,no,70,119\n";
    let imported = request(addr, "POST", "/api/products/import", Some("text/csv"), csv).await;
    assert_eq!(imported.status, 200, "{}", imported.json);
    assert_eq!(imported.json["inserted"], 1);
    let docs = request(addr, "GET", "/openapi.json", None, "").await;
    assert_eq!(docs.json["openapi"], "3.1.0");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_then_list_over_http_on_sqlite() {
    create_then_list_over_http(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_then_list_over_http_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        create_then_list_over_http(db).await;
    }
}

/// An upload in flight when shutdown begins still completes, and the server then stops.
async fn shutdown_lets_an_in_flight_request_finish(db: TestDb) {
    let (addr, stop, server) = spawn_app(&db).await;
    let body = "sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,runflat,cost,list_price\n\
                SLOW-1,Kumho,Ecsta,performance,245,40,18,97,W,summer,no,70,119\n";
    let (first, rest) = body.split_at(40);
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/products/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rtk_testadmin234_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    // Time for the server to read the headers and check the key (a loaded machine is slow).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    if server.is_finished() {
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        panic!("the server stopped with a request in flight: {text}");
    }
    stream.write_all(rest.as_bytes()).unwrap();
    let reply = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_on_sqlite() {
    shutdown_lets_an_in_flight_request_finish(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        shutdown_lets_an_in_flight_request_finish(db).await;
    }
}

async fn the_binary_migrates_imports_serves_and_stops_on_sigterm(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();

    let migrate = retort()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let csv_path = dir.path().join("products.csv");
    let mut csv = String::from(
        "sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,tread_warranty_miles,runflat,cost,list_price\n",
    );
    for i in 0..50 {
        csv.push_str(&format!(
            "CLI-{i},Nexen,N'Fera,passenger,205,55,16,91,H,all_season,50000,false,55,{}\n",
            80 + i
        ));
    }
    std::fs::write(&csv_path, csv).unwrap();
    let import = retort()
        .args(["import", "products"])
        .arg(&csv_path)
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(String::from_utf8_lossy(&import.stdout).contains("imported 50 rows"));

    std::fs::write(&csv_path, "sku,brand\nX,Y\n").unwrap();
    let bad = retort()
        .args(["import", "products"])
        .arg(&csv_path)
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("column \"list_price\""));

    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = retort()
        .args([
            "serve",
            "--bind",
            &addr.to_string(),
            "--database-url",
            &url,
            "--log-format",
            "json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    wait_until_up(addr).await;
    let listed = request(
        addr,
        "GET",
        "/api/products?sort=-list_price&limit=1",
        None,
        "",
    )
    .await;
    assert_eq!(listed.json["total"], 50);
    assert_eq!(listed.json["items"][0]["sku"], "CLI-49");
    let request_id = listed.headers["x-request-id"].to_str().unwrap().to_owned();

    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || {
        let status = server.0.wait().unwrap();
        let mut logs = String::new();
        server
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        (status, logs)
    })
    .await
    .unwrap();
    assert!(exit.0.success(), "exit {:?}\n{}", exit.0, exit.1);
    let logged = exit.1.lines().any(|l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| v.to_string().contains(&request_id))
    });
    assert!(
        logged,
        "request id {request_id} not in the JSON logs:\n{}",
        exit.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_migrates_imports_serves_and_stops_on_sigterm_on_sqlite() {
    the_binary_migrates_imports_serves_and_stops_on_sigterm(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_migrates_imports_serves_and_stops_on_sigterm_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        the_binary_migrates_imports_serves_and_stops_on_sigterm(db).await;
    }
}

async fn the_binary_deploys_lists_and_serves_a_model(db: TestDb) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let file = fixtures.join("pipeline_regressor.onnx");
    let spec: Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("pipeline_regressor.json")).unwrap())
            .unwrap();
    let out = retort()
        .args(["models", "deploy"])
        .arg(&file)
        .args([
            "--name",
            "price",
            "--alias",
            "production",
            "--framework",
            "sklearn",
            "--metrics",
            "{\"r2\": 0.9}",
        ])
        .args(["--database-url", &db.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("deployed price version 1"));
    let bad = retort()
        .args(["models", "deploy"])
        .arg(fixtures.join("index.json"))
        .args(["--name", "junk", "--database-url", &db.url])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/file"));
    let list = retort()
        .args(["models", "list", "--database-url", &db.url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("price") && text.contains("production=v1"),
        "{text}"
    );

    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = retort()
        .args([
            "serve",
            "--bind",
            &addr.to_string(),
            "--database-url",
            &db.url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    wait_until_up(addr).await;
    let inputs = spec["inputs"].as_object().unwrap();
    let row: serde_json::Map<String, Value> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), v["data"][0].clone()))
        .collect();
    let body = json!({"rows": [row]}).to_string();
    let reply = request(
        addr,
        "POST",
        "/api/models/price/predict",
        Some("application/json"),
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    let want = spec["outputs"]["variable"]["data"][0].as_f64().unwrap();
    let got = reply.json["predictions"][0].as_f64().unwrap();
    assert!((got - want).abs() <= 1e-5 * want.abs(), "{got} vs {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_deploys_lists_and_serves_a_model_on_sqlite() {
    the_binary_deploys_lists_and_serves_a_model(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_deploys_lists_and_serves_a_model_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        the_binary_deploys_lists_and_serves_a_model(db).await;
    }
}

async fn a_job_started_over_http_is_run_by_a_separate_worker_process(db: TestDb) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let deploy = retort()
        .args(["models", "deploy"])
        .arg(fixtures.join("linear_regression.onnx"))
        .args([
            "--name",
            "price",
            "--feature-names",
            "width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles",
        ])
        .args(["--database-url", &db.url])
        .output()
        .unwrap();
    assert!(
        deploy.status.success(),
        "{}",
        String::from_utf8_lossy(&deploy.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("p.csv");
    let mut csv = String::from(
        "sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,tread_warranty_miles,runflat,cost,list_price\n",
    );
    for i in 0..40 {
        csv.push_str(&format!(
            "W-{i},Nexen,N'Fera,passenger,205,55,16,91,H,all_season,50000,false,55,{}\n",
            80 + i
        ));
    }
    std::fs::write(&csv_path, csv).unwrap();
    assert!(
        retort()
            .args(["import", "products"])
            .arg(&csv_path)
            .args(["--database-url", &db.url])
            .output()
            .unwrap()
            .status
            .success()
    );

    // A server with no workers queues the job…
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let server = retort()
        .args([
            "serve",
            "--workers",
            "0",
            "--bind",
            &addr.to_string(),
            "--database-url",
            &db.url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(server);
    wait_until_up(addr).await;
    let started = request(
        addr,
        "POST",
        "/api/products/score",
        Some("application/json"),
        "{\"model\": \"price\"}",
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.json);
    let location = started.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        request(addr, "GET", &location, None, "").await.json["status"],
        "queued"
    );

    // …and `retort worker`, another process, runs it.
    let worker = retort()
        .args(["worker", "--workers", "1", "--database-url", &db.url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut worker = Server(worker);
    let mut job = Value::Null;
    for _ in 0..300 {
        job = request(addr, "GET", &location, None, "").await.json;
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["scored"], 40);
    let status = Command::new("kill")
        .args(["-TERM", &worker.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || worker.0.wait().unwrap())
        .await
        .unwrap();
    assert!(
        exit.success(),
        "the worker exits cleanly on SIGTERM: {exit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_started_over_http_is_run_by_a_separate_worker_process_on_sqlite() {
    a_job_started_over_http_is_run_by_a_separate_worker_process(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_started_over_http_is_run_by_a_separate_worker_process_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        a_job_started_over_http_is_run_by_a_separate_worker_process(db).await;
    }
}

/// A server whose standard error is closed (a log pipe that went away) keeps serving: log
/// lines that cannot be written are dropped, not turned into a panic and an abort.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_serving_when_its_log_stream_closes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("log.db").display());
    let (addr, mut server) = serve_binary(&url, true).await;
    drop(server.0.stderr.take());
    for _ in 0..3 {
        let r = request(addr, "GET", "/api/products", None, "").await;
        assert_eq!(r.status, 200);
    }
    assert!(server.0.try_wait().unwrap().is_none(), "the server exited");
}
