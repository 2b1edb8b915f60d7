//! Security headers on every response, set in one place (the secure.py set).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy for HTML pages: everything from this origin, no inline script.
/// Inline styles are allowed because the bundled Swagger UI sets them.
pub const HTML_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
frame-ancestors 'self'; base-uri 'self'; form-action 'self'";

fn set_if_absent(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers; API and document responses are never cached.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    set_if_absent(
        headers,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    set_if_absent(headers, header::X_FRAME_OPTIONS, "SAMEORIGIN");
    set_if_absent(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_if_absent(
        headers,
        header::REFERRER_POLICY,
        "no-referrer, strict-origin-when-cross-origin",
    );
    set_if_absent(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if is_html {
        set_if_absent(headers, header::CONTENT_SECURITY_POLICY, HTML_CSP);
    }
    let is_api = path.starts_with("/api/")
        || path == "/api"
        || path == "/openapi.json"
        || path.starts_with("/v2")
        || path == "/healthz"
        || path == "/readyz";
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.remove(header::SERVER);
    response
}
