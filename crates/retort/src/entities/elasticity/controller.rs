//! HTTP handlers of elasticity estimates.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value as Json_, json};

use super::schema::{ElasticitiesOut, EstimateIn};
use super::service;
use crate::kernel::error::{AppResult, Problem};
use crate::kernel::openapi::{JsonBody, Unavailable};
use crate::kernel::plotly::{COLOURS, figure};
use crate::kernel::state::AppState;

/// One trace of bars: categories, elasticities, error-bar half-widths.
type Bars = (Vec<String>, Vec<f64>, Vec<f64>);

/// Price elasticity of demand per category and brand tier, from the sales history.
#[utoipa::path(
    get, path = "/api/pricing/elasticities", tag = "pricing",
    responses(
        (status = 200, description = "Every estimate", body = ElasticitiesOut),
        (status = 404, description = "No sales, or not estimated yet (a job is queued)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
pub async fn list_elasticities(State(state): State<AppState>) -> AppResult<Json<ElasticitiesOut>> {
    Ok(Json(service::list(&state).await?))
}

/// Re-estimates the elasticities from the sales history, as a background job
/// (`estimate_elasticities`), by Poisson pseudo-maximum likelihood unless the body names
/// another method.
#[utoipa::path(
    post, path = "/api/pricing/elasticities/estimate", tag = "pricing",
    request_body(content = EstimateIn, content_type = "application/json",
        description = "The method; `{}` estimates by `ppml`"),
    responses(
        (status = 202, description = "Queued; `Location` names the job", body = crate::entities::job::schema::JobOut,
            headers(("location" = String, description = "URL of the job"))),
        (status = 422, description = "An unknown method or field, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn estimate_elasticities(
    State(state): State<AppState>,
    request: Request,
) -> AppResult<Response> {
    crate::entities::job::service::start_from_request::<service::EstimateElasticities>(
        &state, request,
    )
    .await
}

/// Elasticity by category with ±1.96 standard-error bars, one trace per brand tier.
#[utoipa::path(
    get, path = "/api/pricing/charts/elasticities", tag = "pricing",
    responses(
        (status = 200, description = "A Plotly figure (data and layout)", body = Object),
        (status = 404, description = "Not estimated yet", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
pub async fn elasticity_chart(State(state): State<AppState>) -> AppResult<Json<Json_>> {
    let estimates = service::list(&state).await?;
    let mut by_tier: BTreeMap<String, Bars> = BTreeMap::new();
    for e in &estimates.items {
        let t = by_tier
            .entry(e.tier.clone().unwrap_or_else(|| "no tier".into()))
            .or_default();
        t.0.push(e.category.clone());
        t.1.push(e.elasticity);
        t.2.push(1.96 * e.std_error);
    }
    let order = ["premium", "mid", "economy", "no tier"];
    let mut tiers: Vec<_> = by_tier.into_iter().collect();
    tiers.sort_by_key(|(t, _)| order.iter().position(|o| o == t).unwrap_or(order.len()));
    let traces = tiers
        .into_iter()
        .enumerate()
        .map(|(i, (tier, (x, y, err)))| {
            json!({
                "type": "bar", "name": tier, "x": x, "y": y,
                "error_y": { "type": "data", "array": err, "visible": true },
                "marker": { "color": COLOURS[i % COLOURS.len()] },
                "hovertemplate": "%{x}: %{y:.2f} ± %{error_y.array:.2f}<extra>%{fullData.name}</extra>",
            })
        })
        .collect();
    let mut fig = figure(
        traces,
        "Price elasticity by category and brand tier (95 % intervals)",
        "category",
        "elasticity",
    );
    fig["layout"]["barmode"] = json!("group");
    Ok(Json(fig))
}
