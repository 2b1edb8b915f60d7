//! The dashboard's serving: the shell at every page path without shadowing the API, the
//! asset table against the `web/` folder, caching, ETags and compression.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::{ASSETS, PAGES, version};
use crate::testing::{TestDb, TestResponse, get};

async fn router() -> (TestDb, Router) {
    let db = TestDb::sqlite().await;
    let router = db.router();
    (db, router)
}

/// `GET uri` with extra request headers.
async fn get_with(
    router: &Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut builder = Request::get(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(builder.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

fn files_under(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, base, out);
        } else {
            out.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

#[test]
fn every_file_of_the_web_folder_is_in_the_asset_table() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut files = Vec::new();
    files_under(&base, &base, &mut files);
    files.retain(|f| f != "index.html" && !f.ends_with(".md"));
    files.sort();
    let mut listed: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn the_shell_has_no_inline_script_and_loads_nothing_from_another_host() {
    let shell = super::assets::SHELL;
    for tag in shell.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap_or("");
        assert!(open.contains("src="), "inline script: <script{open}>");
    }
    let handler = shell.split_whitespace().any(|word| {
        word.starts_with("on")
            && word.contains('=')
            && word[2..]
                .split('=')
                .next()
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_lowercase()))
    });
    assert!(!handler, "inline event handler in the shell");
    assert!(
        !shell.contains("http://") && !shell.contains("https://"),
        "the shell names another host"
    );
}

#[test]
fn our_modules_name_no_other_host() {
    for asset in ASSETS.iter().filter(|a| !a.path.starts_with("vendor/")) {
        let text = String::from_utf8_lossy(asset.bytes);
        // The SVG namespace is a name, not a request.
        let text = text.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{} names another host",
            asset.path
        );
    }
}

#[tokio::test]
async fn every_page_path_answers_the_shell_with_a_strict_policy() {
    let (_db, router) = router().await;
    for page in PAGES {
        let uri = page
            .replace("{sku}", "MIC-PS4-2254517")
            .replace("{name}", "fair-price")
            .replace("{id}", "7");
        let r = get(&router, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.header("content-type").starts_with("text/html"), "{uri}");
        assert_eq!(r.header("cache-control"), "no-cache", "{uri}");
        let csp = r.header("content-security-policy");
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap_or("");
        assert_eq!(script_src.trim(), "script-src 'self'", "{uri}: {csp}");
        assert!(
            r.text
                .contains(&format!("/assets/{}/js/main.js", version())),
            "{uri}"
        );
        assert!(!r.text.contains("{{ASSETS}}") && !r.text.contains("{{PRELOAD}}"));
        let preload = format!(
            "<link rel=\"modulepreload\" href=\"/assets/{}/js/pages/explorer.js\">",
            version()
        );
        assert!(
            r.text.contains(&preload),
            "{uri}: every module is preloaded"
        );
    }
}

#[tokio::test]
async fn the_shell_shadows_no_api_documentation_or_probe() {
    let (_db, router) = router().await;
    let r = get(&router, "/api/products").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("application/json"));
    for uri in ["/healthz", "/readyz", "/openapi.json", "/v2"] {
        let r = get(&router, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(!r.header("content-type").starts_with("text/html"), "{uri}");
    }
    assert!(get(&router, "/docs/").await.text.contains("swagger-ui"));
    for uri in [
        "/api/nothing",
        "/nowhere",
        "/products",
        "/products/a/b",
        "/assets/x",
    ] {
        let r: TestResponse = get(&router, uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            r.header("content-type"),
            "application/problem+json",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn assets_of_the_current_version_are_cached_for_a_year_with_an_etag() {
    let (_db, router) = router().await;
    let uri = format!("/assets/{}/js/main.js", version());
    let (status, headers, body) = get_with(&router, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(!body.is_empty());
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, headers, body) = get_with(&router, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers["etag"], etag.as_str());
    assert!(body.is_empty());
    let css = get(&router, &format!("/assets/{}/app.css", version())).await;
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
}

#[tokio::test]
async fn assets_asked_for_under_another_version_are_served_but_revalidated() {
    let (_db, router) = router().await;
    let r = get(&router, "/assets/0123456789ab/js/main.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-cache");
    let r = get(&router, &format!("/assets/{}/js/nothing.js", version())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn the_plotly_bundle_goes_out_gzipped_to_clients_that_accept_it() {
    let (_db, router) = router().await;
    let uri = format!("/assets/{}/vendor/plotly.min.js", version());
    let (status, headers, body) = get_with(&router, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    let full = ASSETS
        .iter()
        .find(|a| a.path == "vendor/plotly.min.js")
        .unwrap()
        .bytes
        .len();
    assert!(body.len() < full / 2, "{} of {full} bytes", body.len());
    let (_, headers, body) = get_with(&router, &uri, &[]).await;
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(body.len(), full);
}
