//! The app factory: `build_router(state)` assembles routes, docs and middleware; tests
//! call it too. `serve` runs it on a listener until a shutdown signal.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::entities;
use crate::entities::key::gate::{self, Gate};
use crate::kernel::auth::{Access, AccessTable, allow};
use crate::kernel::error::AppError;
use crate::kernel::guard;
use crate::kernel::openapi;
use crate::kernel::security::security_headers;
use crate::kernel::state::AppState;

/// The header carrying the request id, set on every response and logged.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

fn routes() -> OpenApiRouter<AppState> {
    let (entities, tags) = entities::registry().into_router_and_tags();
    let mut base = openapi::base();
    base.tags.get_or_insert_with(Vec::new).extend(tags);
    OpenApiRouter::with_openapi(base)
        .routes(allow(Access::Public, utoipa_axum::routes!(healthz)))
        .routes(allow(Access::Public, utoipa_axum::routes!(readyz)))
        .merge(entities)
}

/// Builds the whole app for `state`.
pub fn build_router(state: AppState) -> Router {
    let (router, doc) = routes().split_for_parts();
    let base = Arc::new(serde_json::to_value(&doc).unwrap_or_default());
    // Every API route passes the gate, which enforces what the document says it needs.
    let gate = Gate {
        state: state.clone(),
        table: Arc::new(AccessTable::from_document(&base)),
    };
    let router = router
        .route_layer(middleware::from_fn_with_state(gate, gate::authorize))
        .route(
            "/openapi.json",
            get(move |state: State<AppState>| openapi_document(state, base.clone())),
        )
        .merge(crate::web::router())
        .merge(
            // The validator badge would call an outside host; the document is validated
            // in CI instead.
            SwaggerUi::new("/docs").config(
                Config::new(["/openapi.json"])
                    .validator_url("none")
                    .try_it_out_enabled(true),
            ),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    layered(router, state)
}

/// Wraps routes in what every request passes through, outermost first: the request id,
/// the request's log span, the id on the response, the security headers, the panic
/// catcher (inside the two before, so a panic's 500 carries both), the admission guard
/// (in-flight cap, deadlines, body read timeout) and the JSON body limit.
pub fn layered(router: Router<AppState>, state: AppState) -> Router {
    let body_limit = state.limits.body_limit;
    router
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), guard::admit))
        .layer(CatchPanicLayer::custom(guard::panic_response))
        .layer(middleware::from_fn_with_state(state.clone(), gate::check_host))
        .layer(middleware::from_fn(security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(middleware::from_fn(guard::request_id))
        .with_state(state)
}

/// The document: every route, plus a predict path per deployed model.
async fn openapi_document(
    State(state): State<AppState>,
    base: Arc<serde_json::Value>,
) -> Result<Json<serde_json::Value>, AppError> {
    let mut doc = (*base).clone();
    entities::model::docs::document_models(&state, &mut doc).await?;
    Ok(Json(doc))
}

async fn not_found(req: Request) -> AppError {
    AppError::NotFound(format!("no route for {}", req.uri().path()))
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Liveness: the process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is up", body = serde_json::Value)))]
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers within two seconds.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready to serve", body = serde_json::Value),
    (status = 503, description = "The database is not reachable", body = crate::kernel::error::Problem,
        content_type = "application/problem+json"),
))]
async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    // The cause goes to the log only: a probe's answer is public.
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => Ok((
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database did not answer");
            Err(AppError::Unavailable("database unreachable".into()))
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer within 2 s");
            Err(AppError::Unavailable("database unreachable".into()))
        }
    }
}

/// Serves the app on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (new connections are refused meanwhile).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let streams = state.guards.shutdown();
    let headers = state.limits.header_read_timeout;
    crate::server::run(listener, build_router(state), headers, streams, shutdown).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received: finishing in-flight requests"),
        () = terminate => tracing::info!("SIGTERM received: finishing in-flight requests"),
    }
}

#[cfg(test)]
mod tests;
