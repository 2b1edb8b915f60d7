//! Plotly figures of the mispricing analysis: list against fair price by category, and
//! the distribution of relative gaps.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde_json::{Value as Json_, json};

use super::schema::MispricedParams;
use super::service;
use crate::kernel::error::{AppResult, Problem};
use crate::kernel::extract::QueryPairs;
use crate::kernel::openapi::{BadQuery, Unavailable};
use crate::kernel::plotly::{COLOURS, figure};
use crate::kernel::state::AppState;

/// One trace of points: fair prices, list prices, hover texts.
type Points = (Vec<f64>, Vec<f64>, Vec<String>);

/// Points drawn at most; a larger selection is sampled evenly by id.
pub const MAX_POINTS: i64 = 4000;

/// List price against fair price, one trace per category, the diagonal where they are
/// equal; the same filters as the mispricing list (a sample past 4,000 products).
#[utoipa::path(
    get, path = "/api/pricing/charts/price-scatter", tag = "pricing", params(MispricedParams),
    responses(
        (status = 200, description = "A Plotly figure (data and layout)", body = Object),
        (status = 404, description = "No such model, or not scored yet", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn price_scatter(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Json_>> {
    let (scoring, query) = service::scoped(&state, &pairs).await?;
    let total = service::total(&state, &scoring, &query).await?;
    let step = (total + MAX_POINTS - 1) / MAX_POINTS;
    let rows = service::scatter_points(&state, &scoring, &query, step).await?;
    let mut by_category: BTreeMap<String, Points> = BTreeMap::new();
    let mut top = 0.0f64;
    for (sku, category, list, fair, gap_pct) in rows {
        top = top.max(list).max(fair);
        let entry = by_category.entry(category).or_default();
        entry.0.push(fair);
        entry.1.push(list);
        entry.2.push(format!("{sku} ({gap_pct:+.1} %)"));
    }
    let mut traces: Vec<Json_> = by_category
        .into_iter()
        .enumerate()
        .map(|(i, (category, (x, y, text)))| {
            json!({
                "type": "scatter", "mode": "markers", "name": category,
                "x": x, "y": y, "text": text,
                "hovertemplate": "%{text}<br>fair %{x:$.2f}<br>list %{y:$.2f}<extra>%{fullData.name}</extra>",
                "marker": { "size": 5, "opacity": 0.6, "color": COLOURS[i % COLOURS.len()] },
            })
        })
        .collect();
    traces.push(json!({
        "type": "scatter", "mode": "lines", "name": "list = fair",
        "x": [0.0, top], "y": [0.0, top],
        "line": { "color": "#888", "dash": "dash", "width": 1 }, "hoverinfo": "skip",
    }));
    let title = if step > 1 {
        format!("List vs fair price (every {step}th of {total} products)")
    } else {
        format!("List vs fair price ({total} products)")
    };
    Ok(Json(figure(
        traces,
        &title,
        "fair price ($)",
        "list price ($)",
    )))
}

/// How far list prices are from fair, as a histogram of the relative gap (%), over and
/// under priced in two colours; the same filters as the mispricing list.
#[utoipa::path(
    get, path = "/api/pricing/charts/gap-distribution", tag = "pricing", params(MispricedParams),
    responses(
        (status = 200, description = "A Plotly figure (data and layout)", body = Object),
        (status = 404, description = "No such model, or not scored yet", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn gap_distribution(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Json_>> {
    let (scoring, query) = service::scoped(&state, &pairs).await?;
    let rows = service::gap_pcts(&state, &scoring, &query).await?;
    // Bins of 2 % from −60 % to +60 %; the outermost bins take everything beyond.
    const WIDTH: f64 = 2.0;
    const EDGE: f64 = 60.0;
    let bins = (2.0 * EDGE / WIDTH) as usize;
    let mut counts = vec![0i64; bins];
    for &g in &rows {
        let i = ((g + EDGE) / WIDTH).floor().clamp(0.0, (bins - 1) as f64) as usize;
        counts[i] += 1;
    }
    let centre = |i: usize| -EDGE + WIDTH * (i as f64 + 0.5);
    let half = |over: bool| {
        let (x, y): (Vec<f64>, Vec<i64>) = (0..bins)
            .filter(|&i| (centre(i) > 0.0) == over)
            .map(|i| (centre(i), counts[i]))
            .unzip();
        json!({
            "type": "bar", "name": if over { "over-priced" } else { "under-priced" },
            "x": x, "y": y, "width": WIDTH * 0.95,
            "marker": { "color": if over { "#EF553B" } else { "#636efa" } },
            "hovertemplate": "%{x:+.0f} %: %{y} products<extra></extra>",
        })
    };
    let mut fig = figure(
        vec![half(false), half(true)],
        &format!("Gap to fair price ({} products)", rows.len()),
        "list vs fair price (%)",
        "products",
    );
    fig["layout"]["yaxis"]["type"] = json!("log");
    fig["layout"]["bargap"] = json!(0.05);
    Ok(Json(fig))
}
