//! HTTP handlers of price optimisations: start, read, list, review, accept, reject, chart.

use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::model::{self, BINDING_FILTERS, ITEMS, LIST};
use super::schema::{
    DecisionIn, DecisionOut, ItemOut, ItemParams, OptimizationListParams, OptimizationOut,
    OptimizationRequest,
};
use super::service;
use crate::kernel::auth::Principal;
use crate::kernel::error::{AppError, AppResult, FieldError, Problem};
use crate::kernel::extract::{Id, QueryPairs, json_body};
use crate::kernel::openapi::{BadQuery, JsonBody, Unavailable};
use crate::kernel::pagination::Page;
use crate::kernel::plotly::figure;
use crate::kernel::query::{Bind, ListQuery};
use crate::kernel::state::AppState;

/// Computes new prices for a scope of products as a background job: maximise profit
/// (or revenue) under linearised constant-elasticity demand, within a maximum change, a
/// minimum margin and the brand-tier price ladder, as a convex QP. The result is a
/// proposal to review and accept.
#[utoipa::path(
    post, path = "/api/pricing/optimizations", tag = "pricing", request_body = OptimizationRequest,
    responses(
        (status = 202, description = "Queued; `Location` names the optimization", body = OptimizationOut,
            headers(("location" = String, description = "URL of the optimization"))),
        (status = 409, description = "No elasticity estimates yet (a job is queued)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, unknown skus, an empty or too large scope — every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn start_optimization(
    State(state): State<AppState>,
    request: Request,
) -> AppResult<Response> {
    let body = json_body(request, &state).await?;
    let out = service::start(&state, &body).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        [(
            axum::http::header::LOCATION,
            format!("/api/pricing/optimizations/{}", out.id),
        )],
        Json(out),
    )
        .into_response())
}

/// Lists optimizations, newest first.
#[utoipa::path(
    get, path = "/api/pricing/optimizations", tag = "pricing",
    params(OptimizationListParams),
    responses(
        (status = 200, description = "One page of optimizations", body = Page<OptimizationOut>),
        BadQuery, Unavailable,
    )
)]
pub async fn list_optimizations(
    State(state): State<AppState>,
    QueryPairs(mut pairs): QueryPairs,
) -> AppResult<Json<Page<OptimizationOut>>> {
    if !pairs.iter().any(|(k, _)| k == "sort") {
        pairs.push(("sort".into(), "-id".into()));
    }
    let query = ListQuery::parse(&LIST, &pairs, &[]).map_err(AppError::Validation)?;
    let page = model::list(&state.db, &query).await?;
    Ok(Json(page))
}

/// One optimization: its status, parameters and totals.
#[utoipa::path(
    get, path = "/api/pricing/optimizations/{id}", tag = "pricing", params(("id" = i64, Path, description = "Optimization id")),
    responses(
        (status = 200, description = "The optimization", body = OptimizationOut),
        (status = 404, description = "No such optimization", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
pub async fn get_optimization(
    State(state): State<AppState>,
    Id(id): Id,
) -> AppResult<Json<OptimizationOut>> {
    Ok(Json(service::get(&state, id).await?))
}

/// A proposal's products: old and new price, expected units, profit change, binding
/// constraints and the inputs used; filterable, sortable (default: largest profit gain
/// first), paginated.
#[utoipa::path(
    get, path = "/api/pricing/optimizations/{id}/items", tag = "pricing",
    params(("id" = i64, Path, description = "Optimization id"), ItemParams),
    responses(
        (status = 200, description = "One page of the proposal", body = Page<ItemOut>),
        (status = 404, description = "No such optimization", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn optimization_items(
    State(state): State<AppState>,
    Id(id): Id,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<ItemOut>>> {
    service::get(&state, id).await?;
    let mut rest: Vec<(String, String)> = Vec::new();
    let mut binding = None;
    let mut errors = Vec::new();
    for (k, v) in pairs {
        if k == "binding" {
            match BINDING_FILTERS.iter().find(|(name, _)| *name == v) {
                Some((_, predicate)) => binding = Some(*predicate),
                None => errors.push(FieldError::query(
                    "binding",
                    format!(
                        "must be one of {}",
                        BINDING_FILTERS.map(|(n, _)| n).join(", ")
                    ),
                )),
            }
        } else {
            rest.push((k, v));
        }
    }
    if !rest.iter().any(|(k, _)| k == "sort") {
        rest.push(("sort".into(), "-profit_delta".into()));
    }
    let mut query = match ListQuery::parse(&ITEMS, &rest, &[]) {
        Ok(q) if errors.is_empty() => q,
        Ok(_) => return Err(AppError::Validation(errors)),
        Err(e) => {
            errors.extend(e);
            return Err(AppError::Validation(errors));
        }
    };
    if let Some(predicate) = binding {
        query.require(predicate);
    }
    query.require_equal("proposal_id", Bind::Int(id));
    let page = model::items(&state.db, &query).await?;
    Ok(Json(page))
}

/// Accepts the proposal, all of it or `{"skus": [...]}`: the prices change and each
/// change is recorded in the audit trail (the actor is the caller's key name), in one
/// transaction. Products already accepted or rejected are left as they are, so
/// accepting twice changes nothing the second time.
#[utoipa::path(
    post, path = "/api/pricing/optimizations/{id}/accept", tag = "pricing",
    params(("id" = i64, Path, description = "Optimization id")),
    request_body(content = DecisionIn, content_type = "application/json",
        description = "Which products (`{}` for every pending one); the decider is the caller"),
    responses(
        (status = 200, description = "What changed", body = DecisionOut),
        (status = 404, description = "No such optimization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The proposal is not ready (queued, running or failed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Skus not in the proposal, an unknown field", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn accept_optimization(
    State(state): State<AppState>,
    Id(id): Id,
    caller: Principal,
    request: Request,
) -> AppResult<Json<DecisionOut>> {
    let body = json_body(request, &state).await?;
    Ok(Json(
        super::review::accept(&state, id, &body, &caller.name).await?,
    ))
}

/// Rejects the proposal's pending products, all or `{"skus": [...]}`; prices stay.
#[utoipa::path(
    post, path = "/api/pricing/optimizations/{id}/reject", tag = "pricing",
    params(("id" = i64, Path, description = "Optimization id")),
    request_body(content = DecisionIn, content_type = "application/json",
        description = "Which products (`{}` for every pending one); the decider is the caller"),
    responses(
        (status = 200, description = "What changed", body = DecisionOut),
        (status = 404, description = "No such optimization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The proposal is not ready", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Skus not in the proposal, an unknown field", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn reject_optimization(
    State(state): State<AppState>,
    Id(id): Id,
    caller: Principal,
    request: Request,
) -> AppResult<Json<DecisionOut>> {
    let body = json_body(request, &state).await?;
    Ok(Json(
        super::review::reject(&state, id, &body, &caller.name).await?,
    ))
}

/// A proposal's weekly profit impact by category: profit now and proposed, side by side.
#[utoipa::path(
    get, path = "/api/pricing/optimizations/{id}/chart", tag = "pricing",
    params(("id" = i64, Path, description = "Optimization id")),
    responses(
        (status = 200, description = "A Plotly figure (data and layout)", body = Object),
        (status = 404, description = "No such optimization", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
pub async fn optimization_chart(
    State(state): State<AppState>,
    Id(id): Id,
) -> AppResult<Json<Json_>> {
    let opt = service::get(&state, id).await?;
    let by_category = model::profit_by_category(&state.db, id).await?;
    let categories: Vec<&String> = by_category.keys().collect();
    let before: Vec<f64> = by_category.values().map(|v| v.0).collect();
    let after: Vec<f64> = by_category.values().map(|v| v.0 + v.1).collect();
    let delta: Vec<String> = by_category
        .values()
        .map(|v| format!("{:+.0} ({} products)", v.1, v.2))
        .collect();
    let title = match &opt.totals {
        Some(t) => format!(
            "Weekly profit by category: {:+.0} in total (optimization {id}, {})",
            t.profit_delta, opt.status
        ),
        None => format!("Optimization {id} is {}", opt.status),
    };
    let mut fig = figure(
        vec![
            json!({ "type": "bar", "name": "current prices", "x": categories, "y": before, "marker": { "color": "#9aa0a6" } }),
            json!({ "type": "bar", "name": "proposed prices", "x": categories, "y": after, "text": delta,
                    "hovertemplate": "%{x}: %{y:$,.0f} (%{text})<extra></extra>", "marker": { "color": "#00cc96" } }),
        ],
        &title,
        "category",
        "expected weekly profit ($)",
    );
    fig["layout"]["barmode"] = json!("group");
    Ok(Json(fig))
}
