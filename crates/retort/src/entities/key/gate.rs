//! The gate every API route passes: who is calling (a bearer key, the dashboard's session
//! cookie, or the server's anonymous role), whether the route's declared access lets
//! them, whether a cookie-authenticated change came from this site, and the per-key
//! allowance of job starts. Routes are matched against the [`AccessTable`] read from the
//! OpenAPI document, so an operation that declares nothing is refused to everyone.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::service;
use crate::kernel::auth::{Access, AccessTable, Permission, Principal, Via, host_name};
use crate::kernel::error::AppError;
use crate::kernel::state::AppState;

/// The dashboard's session cookie.
pub const SESSION_COOKIE: &str = "retort_session";

/// The gate's state: the app and what each operation needs.
#[derive(Clone)]
pub struct Gate {
    /// The app.
    pub state: AppState,
    /// What each operation needs.
    pub table: Arc<AccessTable>,
}

/// Whether a method changes state (and so needs the cross-site check with a cookie).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether the request came from a page of this server: its `Origin` names the `Host` it
/// was sent to; without `Origin`, `Sec-Fetch-Site` says `same-origin`. Neither: no.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        return match authority {
            Some(authority) => !host.is_empty() && authority.eq_ignore_ascii_case(host),
            None => false, // "null" and other schemes
        };
    }
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// The bearer key of the request: `Ok(None)` without an `Authorization` header, 401 for
/// another scheme.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    match text.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(key.trim())),
        _ => Err(AppError::Unauthorized(
            "the Authorization header must be `Bearer <key>`".into(),
        )),
    }
}

/// Who is calling: the bearer key, else the session cookie, else the anonymous role; 401
/// when none of them applies or the credential does not work.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Principal, AppError> {
    if let Some(key) = bearer(headers)? {
        return service::authenticate_key(&state.db, key).await;
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        return service::authenticate_session(&state.db, token).await;
    }
    match state.access.anonymous {
        Some(role) => Ok(Principal::anonymous(role)),
        None => Err(AppError::Unauthorized(
            "this route needs a credential: send `Authorization: Bearer <key>` \
             (`retort keys create` makes one) or sign in to the dashboard"
                .into(),
        )),
    }
}

/// The gate itself, as a route layer (it needs the matched route).
pub async fn authorize(State(gate): State<Gate>, mut req: Request, next: Next) -> Response {
    match check(&gate, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) if req.uri().path().starts_with("/v2") => protocol_error(e),
        Err(e) => e.into_response(),
    }
}

/// A refusal on the inference protocol's routes, in its form (`{"error": …}`), with the
/// same status and headers (`WWW-Authenticate`, `Retry-After`) as the problem document.
fn protocol_error(e: AppError) -> Response {
    let detail = e.to_problem().detail;
    let mut response = e.into_response();
    let body = serde_json::json!({ "error": detail }).to_string();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    *response.body_mut() = axum::body::Body::from(body);
    response
}

async fn check(gate: &Gate, req: &mut Request) -> Result<(), AppError> {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let Some(access) = gate.table.get(method.as_str(), &route) else {
        tracing::error!(%method, %route, "a route without a declared permission was called");
        return Err(AppError::Forbidden(format!(
            "{method} {route} declares no permission, so no one may call it"
        )));
    };
    if access == Access::Public {
        return Ok(());
    }
    let principal = identify(&gate.state, req.headers()).await?;
    if principal.via == Via::Session && is_unsafe(&method) && !same_origin(req.headers()) {
        return Err(AppError::Forbidden(
            "a change made with the dashboard's session must come from the dashboard's own \
             origin (Origin or Sec-Fetch-Site); other clients send `Authorization: Bearer <key>`"
                .into(),
        ));
    }
    if let Access::Needs(permission) = access {
        if !principal.can(permission) {
            return Err(AppError::Forbidden(format!(
                "this needs the `{}` permission, which {} (roles: {}) does not hold",
                permission.as_str(),
                match &principal.key_id {
                    Some(id) => format!("the key {id} ({})", principal.name),
                    None => "an anonymous caller".into(),
                },
                principal.role_names(),
            )));
        }
        if permission == Permission::JobsStart && is_unsafe(&method) {
            let who = principal.key_id.as_deref().unwrap_or("anonymous");
            if let Err(retry_after) = gate.state.access.take_job_start(who) {
                return Err(AppError::TooManyRequests {
                    detail: format!(
                        "this key may start {} jobs a minute; retry in {retry_after} s",
                        gate.state.access.job_starts_per_minute
                    ),
                    retry_after,
                });
            }
        }
    }
    req.extensions_mut().insert(principal);
    Ok(())
}

/// Answers only the hosts the server is configured for (`--allowed-hosts`): a request
/// naming another `Host` gets 421, one without `Host` 400. A page on another site whose
/// name was rebound to this machine's address (DNS rebinding) is turned away here.
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let hosts = &state.access.hosts;
    if *hosts != crate::kernel::auth::AllowedHosts::Any {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
        match host {
            None => {
                return AppError::BadRequest("the request has no Host header".into())
                    .into_response();
            }
            Some(host) if !hosts.allows(&host) => {
                let name: String = host_name(&host).chars().take(100).collect();
                return AppError::Misdirected(format!(
                    "this server does not answer for the host {name:?}; start it with \
                     --allowed-hosts naming it"
                ))
                .into_response();
            }
            Some(_) => {}
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_reads_origin_then_fetch_metadata() {
        let host = ("host", "127.0.0.1:8000");
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8000")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!same_origin(&headers(&[host])));
        // Origin wins over Sec-Fetch-Site.
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "same-origin")
        ])));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let h = headers(&[("cookie", "a=1; retort_session=abc ; b=2")]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
