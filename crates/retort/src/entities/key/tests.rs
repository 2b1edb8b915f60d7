//! Key tests: every operation of the router against every kind of caller (no key, each
//! role, a revoked key, an expired key); the dashboard's session and its cross-site rule;
//! anonymous access, the host allow-list and the job-start allowance; no secret stored.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use super::model::{self, KeyRow};
use super::schema::KeyIn;
use super::service;
use crate::db_test;
use crate::kernel::auth::{Access, AccessConfig, AccessTable, AllowedHosts, Permission, Role};
use crate::kernel::db::Db;
use crate::testing::{TestResponse, call_as, send_request};

async fn key(db: &Db, name: &str, roles: &[Role]) -> String {
    let input = KeyIn {
        name: name.into(),
        roles: roles.to_vec(),
        expires_in_days: None,
    };
    service::create_key(db, &input).await.unwrap().secret
}

/// A key whose expiry has passed.
async fn expired_key(db: &Db) -> String {
    let (id, key) = crate::entities::key::interface::generate().unwrap();
    let row = KeyRow {
        id,
        name: "expired".into(),
        roles: "admin".into(),
        secret_sha256: crate::entities::key::interface::digest(&key),
        created_at: "2020-01-01T00:00:00.000000Z".into(),
        expires_at: Some("2020-02-01T00:00:00.000000Z".into()),
        revoked_at: None,
        last_used_at: None,
    };
    model::insert(db, &row).await.unwrap();
    key
}

/// A concrete path for a route template: every `{param}` becomes `1`.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in template.chars() {
        match c {
            '{' => inside = true,
            '}' => {
                inside = false;
                out.push('1');
            }
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

fn document() -> serde_json::Value {
    serde_json::to_value(crate::app::openapi()).unwrap()
}

#[test]
fn every_operation_of_the_document_declares_its_access() {
    let doc = document();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(
                op.get("security").is_some(),
                "{} {path} declares no access: wrap its routes! in kernel::auth::allow",
                method.to_uppercase()
            );
        }
    }
    let table = AccessTable::from_document(&doc);
    assert_eq!(table.operations().len(), operations);
    assert!(operations > 60, "only {operations} operations");
    assert!(doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
}

#[test]
fn the_public_operations_are_the_probes_and_sign_in() {
    let table = AccessTable::from_document(&document());
    let public: Vec<String> = table
        .operations()
        .into_iter()
        .filter(|(_, _, a)| *a == Access::Public)
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        public,
        [
            "DELETE /api/session",
            "POST /api/session",
            "GET /healthz",
            "GET /readyz",
            "GET /v2/health/live",
            "GET /v2/health/ready",
        ]
    );
}

/// What a caller holding `roles` should get from an operation that needs `access`:
/// `None` when the gate lets it through (the handler answers whatever it answers).
fn expected(access: Access, roles: Option<&[Role]>) -> Option<StatusCode> {
    match (access, roles) {
        (Access::Public, _) => None,
        (_, None) => Some(StatusCode::UNAUTHORIZED),
        (Access::SignedIn, Some(_)) => None,
        (Access::Needs(p), Some(roles)) => {
            if roles.iter().any(|r| r.permissions().contains(&p)) {
                None
            } else {
                Some(StatusCode::FORBIDDEN)
            }
        }
    }
}

db_test! {
    async fn every_operation_answers_every_kind_of_caller_as_declared(db: TestDb) {
        let router = db.router();
        let mut callers: Vec<(String, Option<String>, Option<Vec<Role>>)> = vec![("no key".into(), None, None)];
        for role in Role::ALL {
            callers.push((role.as_str().into(), Some(key(&db.db, role.as_str(), &[role]).await), Some(vec![role])));
        }
        let revoked = key(&db.db, "revoked", &[Role::Admin]).await;
        let id = crate::entities::key::interface::parse(&revoked).unwrap().to_owned();
        service::revoke_key(&db.db, &id).await.unwrap();
        callers.push(("revoked key".into(), Some(revoked), None));
        callers.push(("expired key".into(), Some(expired_key(&db.db).await), None));
        callers.push(("not a key".into(), Some("hunter2".into()), None));
        let table = AccessTable::from_document(&document());
        let mut checked = 0;
        for (method, path, access) in table.operations() {
            let uri = concrete(&path);
            for (who, secret, roles) in &callers {
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                let r = call_as(&router, secret.as_deref(), method.clone(), &uri, None, Body::empty()).await;
                match expected(access, roles.as_deref()) {
                    Some(status) => {
                        assert_eq!(r.status, status, "{method} {path} as {who}: {}", r.text);
                        if path.starts_with("/v2") {
                            // The inference protocol's own error form.
                            assert_eq!(r.header("content-type"), "application/json", "{method} {path} as {who}");
                            assert!(r.json["error"].is_string(), "{method} {path} as {who}: {}", r.text);
                        } else {
                            assert_eq!(r.header("content-type"), "application/problem+json", "{method} {path} as {who}");
                        }
                        if status == StatusCode::UNAUTHORIZED {
                            assert!(r.header("www-authenticate").starts_with("Bearer"), "{method} {path} as {who}");
                        }
                        if let (StatusCode::FORBIDDEN, Access::Needs(p)) = (status, access) {
                            let detail = r.json["detail"].as_str().or(r.json["error"].as_str()).unwrap();
                            assert!(detail.contains(p.as_str()), "{}", r.text);
                        }
                    }
                    None => assert!(
                        r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::FORBIDDEN,
                        "{method} {path} as {who} was refused: {} {}", r.status, r.text
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked > 500, "{checked}");
    }
}

async fn with_headers(
    router: &axum::Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> TestResponse {
    let mut builder = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    send_request(router, builder.body(Body::from(body.to_owned())).unwrap()).await
}

fn session_cookie(r: &TestResponse) -> String {
    let set = r.header("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

db_test! {
    async fn a_dashboard_session_acts_as_its_key_until_sign_out_or_revocation(db: TestDb) {
        let router = db.router();
        let secret = key(&db.db, "ana", &[Role::Analyst]).await;
        let host = ("host", "127.0.0.1:8000");
        let json = ("content-type", "application/json");
        let body = json!({"key": secret}).to_string();
        let r = with_headers(&router, Method::POST, "/api/session", &[host, json, ("origin", "http://127.0.0.1:8000")], &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["name"], "ana");
        assert!(r.header("set-cookie").contains("Secure"), "loopback gets Secure: {}", r.header("set-cookie"));
        let cookie = session_cookie(&r);
        let token = cookie.split_once('=').unwrap().1.to_owned();
        let c = ("cookie", cookie.as_str());
        let me = with_headers(&router, Method::GET, "/api/session", &[host, c], "").await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json["via"], "session");
        assert!(me.json["permissions"].as_array().unwrap().contains(&json!("jobs:start")));
        assert_eq!(with_headers(&router, Method::GET, "/api/products", &[host, c], "").await.status, StatusCode::OK);
        // A change with the cookie must come from this origin.
        let brand = json!({"name": "Kumho"}).to_string();
        let r = with_headers(&router, Method::POST, "/api/brands", &[host, c, json], &brand).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no Origin, no Sec-Fetch-Site: {}", r.text);
        let r = with_headers(&router, Method::POST, "/api/brands", &[host, c, json, ("origin", "http://evil.example")], &brand).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = with_headers(&router, Method::POST, "/api/brands", &[host, c, json, ("sec-fetch-site", "cross-site")], &brand).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = with_headers(&router, Method::POST, "/api/brands", &[host, c, json, ("origin", "http://127.0.0.1:8000")], &brand).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = with_headers(&router, Method::POST, "/api/brands", &[host, c, json, ("sec-fetch-site", "same-origin")], &json!({"name": "Nexen"}).to_string()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        // The role still applies: an analyst cannot accept.
        let r = with_headers(&router, Method::POST, "/api/pricing/optimizations/1/accept", &[host, c, json, ("origin", "http://127.0.0.1:8000")], "{}").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Sign-out ends it on the server: the old cookie no longer works.
        let r = with_headers(&router, Method::DELETE, "/api/session", &[host, c], "").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert!(r.header("set-cookie").contains("Max-Age=0"));
        assert_eq!(with_headers(&router, Method::GET, "/api/products", &[host, c], "").await.status, StatusCode::UNAUTHORIZED);
        // Revoking the key ends its other sessions.
        let r = with_headers(&router, Method::POST, "/api/session", &[host, json], &body).await;
        let cookie = session_cookie(&r);
        let c = ("cookie", cookie.as_str());
        assert_eq!(with_headers(&router, Method::GET, "/api/session", &[host, c], "").await.status, StatusCode::OK);
        let id = crate::entities::key::interface::parse(&secret).unwrap().to_owned();
        let r = crate::testing::call(&router, Method::DELETE, &format!("/api/keys/{id}"), None, "").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["active"], false);
        assert_eq!(with_headers(&router, Method::GET, "/api/session", &[host, c], "").await.status, StatusCode::UNAUTHORIZED);
        // Neither the key nor a session token is stored.
        let stored = model::dump(&db.db).await.unwrap();
        for value in &stored {
            let random = &secret[17..];
            assert!(!value.contains(random), "the key's secret is stored: {value}");
            assert!(!value.contains(&token), "a session token is stored: {value}");
        }
    }
}

db_test! {
    async fn sign_in_refuses_other_sites_and_bad_keys(db: TestDb) {
        let router = db.router();
        let secret = key(&db.db, "bo", &[Role::Viewer]).await;
        let body = json!({"key": secret}).to_string();
        let json = ("content-type", "application/json");
        let host = ("host", "localhost:8000");
        let r = with_headers(&router, Method::POST, "/api/session", &[host, json, ("origin", "http://evil.example")], &body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.header("set-cookie").is_empty());
        let r = with_headers(&router, Method::POST, "/api/session", &[host, json], &json!({"key": "rtk_nope"}).to_string()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = with_headers(&router, Method::POST, "/api/session", &[host, json], "{}").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Over plain HTTP to a named host the cookie cannot be Secure (browsers would drop it).
        let r = with_headers(&router, Method::POST, "/api/session", &[("host", "retort.internal"), json], &body).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.header("set-cookie").contains("Secure"));
        let r = with_headers(&router, Method::POST, "/api/session", &[("host", "retort.internal"), ("x-forwarded-proto", "https"), json], &body).await;
        assert!(r.header("set-cookie").contains("Secure"));
    }
}

db_test! {
    async fn keys_are_created_listed_and_revoked_by_admins_and_the_secret_shown_once(db: TestDb) {
        let router = db.router();
        let r = crate::testing::send_json(&router, Method::POST, "/api/keys", &json!({"name": "ci", "roles": ["predictor", "viewer"], "expires_in_days": 90})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let secret = r.json["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("rtk_"));
        assert_eq!(r.json["roles"], json!(["viewer", "predictor"]));
        let twice = crate::testing::send_json(&router, Method::POST, "/api/keys", &json!({"name": "t", "roles": ["viewer", "viewer"]})).await;
        assert_eq!(twice.status, StatusCode::CREATED, "{}", twice.text);
        assert_eq!(twice.json["roles"], json!(["viewer"]));
        assert!(r.json["expires_at"].is_string());
        let list = crate::testing::get(&router, "/api/keys").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(!list.text.contains(&secret) && !list.text.contains("secret"), "{}", list.text);
        assert_eq!(list.json["items"].as_array().unwrap().len(), 3, "{}", list.text);
        let bad = crate::testing::send_json(&router, Method::POST, "/api/keys", &json!({"name": " ", "roles": ["boss"], "expires_in_days": 0, "secret": "x"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.error_paths(), ["/name", "/roles", "/expires_in_days", "/secret"], "{}", bad.text);
        let r = call_as(&router, Some(&secret), Method::GET, "/api/keys", None, Body::empty()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.json["detail"].as_str().unwrap().contains("keys:manage"));
        let id = crate::entities::key::interface::parse(&secret).unwrap().to_owned();
        assert_eq!(call_as(&router, Some(&secret), Method::GET, "/api/products", None, Body::empty()).await.status, StatusCode::OK);
        assert_eq!(crate::testing::call(&router, Method::DELETE, &format!("/api/keys/{id}"), None, "").await.status, StatusCode::OK);
        assert_eq!(crate::testing::call(&router, Method::DELETE, &format!("/api/keys/{id}"), None, "").await.status, StatusCode::OK);
        assert_eq!(crate::testing::call(&router, Method::DELETE, "/api/keys/nosuchkey", None, "").await.status, StatusCode::NOT_FOUND);
        let r = call_as(&router, Some(&secret), Method::GET, "/api/products", None, Body::empty()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.json["detail"].as_str().unwrap().contains("revoked"));
    }
}

db_test! {
    async fn the_first_admin_key_is_made_once(db: TestDb) {
        // The test database holds the test admin key already: nothing is made.
        assert_eq!(service::first_admin_key(&db.db).await.unwrap(), None);
    }
}

#[tokio::test]
async fn an_empty_database_gets_one_admin_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("k.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let first = service::first_admin_key(&db).await.unwrap().unwrap();
    let principal = service::authenticate_key(&db, &first).await.unwrap();
    assert_eq!(principal.roles, [Role::Admin]);
    assert_eq!(service::first_admin_key(&db).await.unwrap(), None);
    assert!(service::seed_admin_key(&db, "not a key").await.is_err());
    db.close().await;
}

db_test! {
    async fn anonymous_callers_get_the_configured_role_only(db: TestDb) {
        let state = db.state().with_access(AccessConfig::new(Some(Role::Viewer), AllowedHosts::Any, 0));
        let router = crate::app::build_router(state);
        let r = call_as(&router, None, Method::GET, "/api/products", None, Body::empty()).await;
        assert_eq!(r.status, StatusCode::OK);
        let me = call_as(&router, None, Method::GET, "/api/session", None, Body::empty()).await;
        assert_eq!(me.json["via"], "anonymous");
        let r = call_as(&router, None, Method::POST, "/api/brands", Some("application/json"), r#"{"name":"X"}"#).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A key still counts for more than the anonymous role.
        let r = call_as(&router, Some(crate::testing::TEST_ADMIN_KEY), Method::POST, "/api/brands", Some("application/json"), r#"{"name":"X"}"#).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
}

db_test! {
    async fn hosts_outside_the_allow_list_are_turned_away(db: TestDb) {
        let state = db.state().with_access(AccessConfig::new(None, AllowedHosts::for_bind([127, 0, 0, 1].into()), 0));
        let router = crate::app::build_router(state);
        let r = with_headers(&router, Method::GET, "/healthz", &[("host", "rebound.example:8000")], "").await;
        assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST);
        assert!(r.json["detail"].as_str().unwrap().contains("rebound.example"));
        let r = with_headers(&router, Method::GET, "/healthz", &[], "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        for host in ["localhost:8000", "127.0.0.1:8000", "[::1]:8000"] {
            let r = with_headers(&router, Method::GET, "/healthz", &[("host", host)], "").await;
            assert_eq!(r.status, StatusCode::OK, "{host}");
        }
    }
}

db_test! {
    async fn a_key_starting_jobs_too_fast_gets_429_with_retry_after(db: TestDb) {
        let state = db.state().with_access(AccessConfig::new(None, AllowedHosts::Any, 2));
        let router = crate::app::build_router(state);
        let analyst = key(&db.db, "ana", &[Role::Analyst]).await;
        let start = |key: String| {
            let router = router.clone();
            async move {
                call_as(&router, Some(&key), Method::POST, "/api/pricing/elasticities/estimate", Some("application/json"), "{}").await
            }
        };
        for _ in 0..2 {
            let r = start(analyst.clone()).await;
            assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        }
        let r = start(analyst.clone()).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        assert!(r.header("retry-after").parse::<u64>().unwrap() >= 1);
        // Reads are not limited, and another key has its own allowance.
        assert_eq!(call_as(&router, Some(&analyst), Method::GET, "/api/jobs", None, Body::empty()).await.status, StatusCode::OK);
        let r = start(crate::testing::TEST_ADMIN_KEY.to_owned()).await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
}

db_test! {
    async fn a_route_that_takes_a_body_refuses_a_post_without_one(db: TestDb) {
        let router = db.router();
        for uri in ["/api/pricing/fair-price-model/train", "/api/pricing/mispriced/score", "/api/pricing/optimizations/1/accept"] {
            let r = crate::testing::call(&router, Method::POST, uri, None, "").await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text);
            assert!(r.json["detail"].as_str().unwrap().contains("{}"), "{}", r.text);
        }
        // JSON null is not an empty object either.
        for uri in ["/api/pricing/fair-price-model/train", "/api/pricing/mispriced/score"] {
            let r = crate::testing::call(&router, Method::POST, uri, Some("application/json"), "null").await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {}", r.text);
        }
    }
}

#[test]
fn permissions_in_the_document_match_the_roles() {
    // Every permission a route needs is granted by some role below admin or by admin.
    let table = AccessTable::from_document(&document());
    for (_, _, access) in table.operations() {
        if let Access::Needs(p) = access {
            assert!(Role::Admin.permissions().contains(&p));
        }
    }
    assert!(
        table.get("POST", "/api/pricing/optimizations/{id}/accept")
            == Some(Access::Needs(Permission::DecisionsApprove))
    );
    assert!(table.get("HEAD", "/api/products") == Some(Access::Needs(Permission::Read)));
}
