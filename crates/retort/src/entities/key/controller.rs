//! HTTP handlers of keys (`/api/keys`, admins) and of the dashboard's session
//! (`/api/session`: who am I, sign in, sign out).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::gate::{SESSION_COOKIE, cookie, same_origin};
use super::schema::{Caller, KeyCreated, KeyIn, KeyList, KeyOut, SignIn};
use super::service;
use crate::kernel::auth::{Principal, is_loopback_host};
use crate::kernel::error::{AppError, AppResult, Problem};
use crate::kernel::extract::ValidJson;
use crate::kernel::openapi::{JsonBody, Unavailable};
use crate::kernel::state::AppState;

/// Every key, newest first (the newest 1,000); never a secret.
#[utoipa::path(get, path = "/api/keys", tag = "access",
    responses(
        (status = 200, description = "The keys", body = KeyList),
        Unavailable,
    ))]
pub async fn list_keys(State(state): State<AppState>) -> AppResult<Json<KeyList>> {
    Ok(Json(KeyList {
        items: service::list_keys(&state.db).await?,
    }))
}

/// Creates a key with roles and an optional lifetime. The answer holds the key's secret
/// (`secret`), shown this once: only its SHA-256 is stored.
#[utoipa::path(post, path = "/api/keys", tag = "access",
    request_body = KeyIn,
    responses(
        (status = 201, description = "Created; the secret is in the body, this once", body = KeyCreated,
            headers(("location" = String, description = "URL of the key"))),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: Principal,
    ValidJson(input): ValidJson<KeyIn>,
) -> AppResult<Response> {
    let created = service::create_key(&state.db, &input).await?;
    tracing::info!(key = %created.key.id, name = %created.key.name, by = %caller.name, "key created");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/keys/{}", created.key.id))],
        Json(created),
    )
        .into_response())
}

/// Revokes a key: at once, on every replica, it and its dashboard sessions stop working.
/// Revoking a revoked key changes nothing.
#[utoipa::path(delete, path = "/api/keys/{id}", tag = "access",
    params(("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 200, description = "The key, revoked", body = KeyOut),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> AppResult<Json<KeyOut>> {
    if id.len() > 64 {
        return Err(AppError::NotFound("no such key".into()));
    }
    let key = service::revoke_key(&state.db, &id).await?;
    tracing::info!(key = %key.id, by = %caller.name, "key revoked");
    Ok(Json(key))
}

/// Who the credential of this request is: name, roles and permissions (the dashboard
/// shows it and hides what the roles cannot do).
#[utoipa::path(get, path = "/api/session", tag = "access",
    responses((status = 200, description = "The caller", body = Caller)))]
pub async fn whoami(caller: Principal) -> Json<Caller> {
    Json(Caller::from(&caller))
}

/// Whether cookies for this request may be `Secure`: browsers keep them over HTTPS and on
/// loopback addresses (a secure context even over plain HTTP), and drop them elsewhere.
fn secure_cookie(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let https_origin = headers
        .get(header::ORIGIN)
        .is_some_and(|v| v.as_bytes().starts_with(b"https://"));
    is_loopback_host(host) || forwarded_https || https_origin
}

fn session_cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

/// Signs in to the dashboard: exchanges a key for a session cookie (`HttpOnly`,
/// `SameSite=Strict`, `Secure` wherever browsers keep it), stored hashed, lasting 12
/// hours or until sign-out or the key's revocation. Only from this server's own pages.
#[utoipa::path(post, path = "/api/session", tag = "access",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = Caller,
            headers(("set-cookie" = String, description = "The session cookie"))),
        (status = 401, description = "The key is unknown, revoked or expired", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The request came from another site", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No key given", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(input): ValidJson<SignIn>,
) -> AppResult<Response> {
    // A sign-in from another site would plant that site's key in this browser.
    let from_elsewhere = headers.contains_key(header::ORIGIN) && !same_origin(&headers)
        || headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site" || v.as_bytes() == b"same-site");
    if from_elsewhere {
        return Err(AppError::Forbidden(
            "sign in from this server's own sign-in page".into(),
        ));
    }
    let (principal, token, lifetime) = service::sign_in(&state.db, &input.key).await?;
    tracing::info!(key = ?principal.key_id, name = %principal.name, "signed in to the dashboard");
    let mut response = Json(Caller::from(&principal)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, lifetime.as_secs(), secure_cookie(&headers)),
    );
    Ok(response)
}

/// Signs out: the session ends on the server and the cookie is cleared. Without a
/// session it only clears the cookie.
#[utoipa::path(delete, path = "/api/session", tag = "access",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        Unavailable,
    ))]
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        service::sign_out(&state.db, token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, secure_cookie(&headers)),
    );
    Ok(response)
}
