//! The dashboard: an app shell (one HTML page) answered at every dashboard path, and its
//! static assets (CSS, ES modules, the vendored plotly.js), all compiled into the binary.
//!
//! Assets are served under `/assets/{version}/…`, where the version is a digest of every
//! asset: a deploy that changes any file changes every URL, so the files can be cached
//! for a year (`immutable`). A request naming another version (a tab opened before a
//! deploy) still gets the current file, revalidated each time. Every asset carries an
//! ETag (`If-None-Match` answers 304), and bodies are gzip-compressed when the client
//! accepts it. The dashboard is not part of the OpenAPI document.

mod assets;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;

pub use assets::{ASSETS, Asset};

use crate::kernel::error::AppError;

/// The paths of the dashboard's pages; each answers the app shell, and the page's own
/// module (chosen in the browser from the URL) draws it.
pub const PAGES: &[&str] = &[
    "/",
    "/explorer",
    "/products/{sku}",
    "/models",
    "/models/{name}",
    "/jobs",
    "/jobs/{id}",
    "/optimizations",
    "/optimizations/{id}",
    "/evaluation",
    "/sign-in",
];

/// What the shell's asset URLs start with, before the version is filled in.
const ASSET_PREFIX_MARK: &str = "{{ASSETS}}";

/// Where the shell lists every module of the dashboard for the browser to fetch at once
/// (`modulepreload`), instead of discovering them import by import.
const PRELOAD_MARK: &str = "{{PRELOAD}}";

/// Cache policy of an asset under the current version: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Cache policy of the shell and of assets asked for under another version.
const REVALIDATE: &str = "no-cache";

/// The app shell with its asset URLs filled in, every asset's ETag, and the version.
struct Catalog {
    version: String,
    shell: String,
    shell_etag: String,
    etags: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut all = Sha256::new();
        let mut etags = Vec::with_capacity(ASSETS.len());
        for asset in ASSETS {
            let digest = Sha256::digest(asset.bytes);
            all.update(asset.path.as_bytes());
            all.update(digest);
            etags.push(format!("W/\"{}\"", &hex(&digest)[..20]));
        }
        all.update(assets::SHELL.as_bytes());
        let version = hex(&all.finalize())[..12].to_owned();
        let prefix = format!("/assets/{version}");
        let preload: Vec<String> = ASSETS
            .iter()
            .filter(|a| a.path.starts_with("js/") && a.path.ends_with(".js"))
            .map(|a| format!("<link rel=\"modulepreload\" href=\"{prefix}/{}\">", a.path))
            .collect();
        let shell = assets::SHELL
            .replace(PRELOAD_MARK, &preload.join("\n  "))
            .replace(ASSET_PREFIX_MARK, &prefix);
        let shell_etag = format!("W/\"{}\"", &hex(&Sha256::digest(shell.as_bytes()))[..20]);
        Catalog {
            version,
            shell,
            shell_etag,
            etags,
        }
    })
}

/// The current asset version: the path segment after `/assets/`.
pub fn version() -> &'static str {
    &catalog().version
}

/// The dashboard's routes: the shell at every page path, the assets under `/assets/`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new();
    for page in PAGES {
        router = router.route(page, get(shell));
    }
    router
        .route("/assets/{version}/{*path}", get(asset))
        .layer(CompressionLayer::new())
}

/// Whether `If-None-Match` names `etag` (or `*`); weak comparison, as for GET.
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = strip(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == ours)
}

fn respond(
    headers: &HeaderMap,
    etag: &str,
    cache: &'static str,
    content_type: &'static str,
    body: &'static [u8],
) -> Response {
    let etag_value = HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (header::ETAG, etag_value),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
    ];
    if matches(headers, etag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        StatusCode::OK,
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// The app shell: one HTML page that loads the dashboard's modules.
async fn shell(headers: HeaderMap) -> Response {
    let c = catalog();
    respond(
        &headers,
        &c.shell_etag,
        REVALIDATE,
        "text/html; charset=utf-8",
        c.shell.as_bytes(),
    )
}

/// One asset, by path, under the current version (cached for a year) or another one.
async fn asset(
    headers: HeaderMap,
    Path((version, path)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let c = catalog();
    let Some((index, asset)) = ASSETS.iter().enumerate().find(|(_, a)| a.path == path) else {
        return Err(AppError::NotFound(format!("no asset {path:?}")));
    };
    let etag = c.etags.get(index).map_or("\"\"", String::as_str);
    let cache = if version == c.version {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    Ok(respond(
        &headers,
        etag,
        cache,
        assets::content_type(asset.path),
        asset.bytes,
    ))
}

#[cfg(test)]
mod tests;
