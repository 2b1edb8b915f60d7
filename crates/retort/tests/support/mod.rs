//! Helpers of the integration tests: an HTTP client, servers in process and as the real
//! binary, free ports.

#![allow(clippy::unwrap_used, dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use retort::testing::TestDb;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub json: Value,
    pub text: String,
}

pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let headers: Vec<(&str, &str)> = content_type
        .map(|ct| ("content-type", ct))
        .into_iter()
        .collect();
    send(addr, method, path, &headers, body.as_bytes().to_vec()).await
}

/// Sends one request with these headers and body over a new connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    // The test admin unless the test chose a credential (`authorization: none` sends none).
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        builder = builder.header(
            "authorization",
            format!("Bearer {}", retort::testing::TEST_ADMIN_KEY),
        );
    }
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("authorization") && *v == "none" {
            continue;
        }
        builder = builder.header(*k, *v);
    }
    let response = client
        .request(builder.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A server on a random port over `db`, stopped through the returned sender.
pub async fn spawn_app(
    db: &TestDb,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(retort::app::serve(listener, db.state(), async move {
        let _ = stopped.await;
    }));
    (addr, stop, server)
}

pub fn product(sku: &str) -> Value {
    json!({
        "sku": sku, "brand": "Bridgestone", "line": "Turanza", "category": "touring",
        "width_mm": 215, "aspect_ratio": 60, "rim_in": 16, "load_index": 95,
        "speed_rating": "V", "season": "all_season", "runflat": true, "cost": 90.0, "list_price": 139.5
    })
}

/// Runs the real `retort` binary.
pub fn retort() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_retort"));
    cmd.env_remove("RETORT_DATABASE_URL")
        .env_remove("RETORT_BIND")
        .env("RETORT_ADMIN_KEY", retort::testing::TEST_ADMIN_KEY);
    cmd
}

/// `retort serve` on a free port of 127.0.0.1 over `url`, with no job workers; `admin_key`
/// says whether it gets the test admin key (`RETORT_ADMIN_KEY`). Its standard error is
/// piped (take it from `child.stderr`). Returns once the port answers.
pub async fn serve_binary(url: &str, admin_key: bool) -> (SocketAddr, Server) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = retort();
    if !admin_key {
        cmd.env_remove("RETORT_ADMIN_KEY");
    }
    let child = cmd
        .args([
            "serve",
            "--bind",
            &addr.to_string(),
            "--database-url",
            url,
            "--workers",
            "0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_until_up(addr).await;
    (addr, server)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn wait_until_up(addr: SocketAddr) {
    for _ in 0..200 {
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start on {addr}");
}
