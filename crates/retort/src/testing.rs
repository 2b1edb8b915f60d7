//! Test support: every test gets its own fresh database — a SQLite file in a temporary
//! folder, or a new PostgreSQL database when `RETORT_TEST_POSTGRES_URL` is set — and
//! helpers to call the router without a network.

use std::io::Write as _;
use std::sync::Once;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::kernel::config::Limits;
use crate::kernel::db::Db;
use crate::kernel::state::AppState;

/// The variable naming a PostgreSQL server for tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_ENV: &str = "RETORT_TEST_POSTGRES_URL";

/// The admin key every test database holds (named `test-admin`); [`call`] sends it.
pub const TEST_ADMIN_KEY: &str =
    "rtk_testadmin234_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

async fn seed_test_admin(db: &Db) {
    crate::entities::key::service::seed_key(
        db,
        TEST_ADMIN_KEY,
        "test-admin",
        &[crate::kernel::auth::Role::Admin],
    )
    .await
    .unwrap_or_else(|e| panic!("seeding the test admin key: {e:#}"));
}

/// A fresh, migrated database that is removed when dropped.
pub struct TestDb {
    /// The database.
    pub db: Db,
    /// Its URL, for starting the `retort` binary on it.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static SKIP_NOTICE: Once = Once::new();
static RUNTIME_NOTICE: Once = Once::new();

/// The variable naming a libonnxruntime for the runtime-backend tests.
pub const RUNTIME_ENV: &str = "RETORT_TEST_ONNXRUNTIME_LIB";

impl TestDb {
    /// A new SQLite database in its own temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot make a temp dir: {e}"));
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("sqlite: {e:#}"));
        db.migrate()
            .await
            .unwrap_or_else(|e| panic!("sqlite migrate: {e:#}"));
        seed_test_admin(&db).await;
        Self {
            db,
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new PostgreSQL database, or `None` (with a notice on stderr, once per test
    /// binary) when `RETORT_TEST_POSTGRES_URL` is not set. A set but unreachable server
    /// fails the test: it is never skipped silently.
    pub async fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var(POSTGRES_ENV) else {
            SKIP_NOTICE.call_once(|| {
                // Written past the test harness's capture so that it is seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {POSTGRES_ENV} is not set: the PostgreSQL variants of the database \
                     tests pass without running (set it, e.g. to \
                     postgres://postgres@127.0.0.1:5432/postgres, to run them)"
                );
            });
            return None;
        };
        let name = format!("retort_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV}: {e:#}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        admin.close().await;
        let url = with_database(&base, &name);
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("postgres: {e:#}"));
        db.migrate()
            .await
            .unwrap_or_else(|e| panic!("postgres migrate: {e:#}"));
        seed_test_admin(&db).await;
        Some(Self {
            db,
            url,
            _dir: None,
            postgres: Some((base, name)),
        })
    }

    /// App state over this database with default limits.
    pub fn state(&self) -> AppState {
        self.state_with(Limits::default())
    }

    /// App state over this database with the given limits.
    pub fn state_with(&self, limits: Limits) -> AppState {
        AppState::new(self.db.clone(), limits)
    }

    /// App state with ONNX Runtime as the second backend, or `None` (with a notice)
    /// when `RETORT_TEST_ONNXRUNTIME_LIB` is not set. A set but unloadable library fails.
    pub fn state_with_runtime(&self) -> Option<AppState> {
        let Ok(path) = std::env::var(RUNTIME_ENV) else {
            RUNTIME_NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {RUNTIME_ENV} is not set: the ONNX Runtime backend tests pass without running \
                     (set it to a libonnxruntime.so, e.g. from `pip install onnxruntime`, to run them)"
                );
            });
            return None;
        };
        let runtime = crate::kernel::inference::Runtime::load(std::path::Path::new(&path))
            .unwrap_or_else(|e| panic!("{RUNTIME_ENV}: {e}"));
        Some(self.state().with_runtime(Some(runtime)))
    }

    /// The whole app over this database.
    pub fn router(&self) -> Router {
        crate::app::build_router(self.state())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.postgres.take() else {
            return;
        };
        let pool = self.db.clone();
        // Drop runs inside the test's runtime; use a thread with its own to clean up.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                pool.close().await;
                if let Ok(admin) = Db::connect(&base).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(admin.pool())
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(slash) => &head[..scheme_end + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Defines a database test that runs once on SQLite (`<name>::sqlite`) and once on
/// PostgreSQL (`<name>::postgres`, when `RETORT_TEST_POSTGRES_URL` is set).
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($db:ident: TestDb) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($db: $crate::testing::TestDb) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::testing::TestDb::sqlite().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::testing::TestDb::postgres().await {
                    run(db).await
                }
            }
        }
    };
}

/// A response read whole, for assertions.
#[derive(Debug)]
pub struct TestResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Value::Null` if empty or not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
}

impl TestResponse {
    /// A header's value as text, or "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `path` of every validation error, in order.
    pub fn error_paths(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["path"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends one request through `router` as the test admin and reads the response.
pub async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> TestResponse {
    call_as(
        router,
        Some(TEST_ADMIN_KEY),
        method,
        uri,
        content_type,
        body,
    )
    .await
}

/// Sends one request with `key` as its bearer credential (`None`: no credential).
pub async fn call_as(
    router: &Router,
    key: Option<&str>,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> TestResponse {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    let request = builder
        .body(body.into())
        .unwrap_or_else(|e| panic!("bad test request: {e}"));
    send_request(router, request).await
}

/// Sends a prepared request through `router` and reads the response.
pub async fn send_request(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("reading the body: {e}"));
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    TestResponse {
        status,
        headers,
        json,
        text,
    }
}

/// `GET uri`.
pub async fn get(router: &Router, uri: &str) -> TestResponse {
    call(router, Method::GET, uri, None, Body::empty()).await
}

/// A JSON request.
pub async fn send_json(router: &Router, method: Method, uri: &str, body: &Value) -> TestResponse {
    call(
        router,
        method,
        uri,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

/// Runs every due job to its end in this task — and the jobs they queue, and the retries
/// of failed attempts, at once — until none is left; how many attempts ran. No workers,
/// no polling.
pub async fn run_pending_jobs(state: &AppState) -> usize {
    // No backoff: a failed attempt is retried at once, so every job ends here.
    let config = crate::entities::job::worker::WorkerConfig {
        backoff: std::time::Duration::ZERO,
        ..crate::entities::job::worker::WorkerConfig::default()
    };
    let mut ran = 0;
    while crate::entities::job::worker::run_next(state, "test-runner", &config)
        .await
        .unwrap_or_else(|e| panic!("claiming a job failed: {e}"))
    {
        ran += 1;
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_swaps_only_the_path() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
