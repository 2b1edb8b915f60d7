//! HTTP handlers of the mispricing analysis: extract, call one service function, answer.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::schema::{
    EvaluationOut, EvaluationParams, FacetsOut, MAX_K, MispricedPage, MispricedParams,
    ScoreMispricedIn, TrainIn,
};
use super::service;
use super::train::DEFAULT_MODEL;
use crate::kernel::error::{AppError, AppResult, FieldError, Problem};
use crate::kernel::extract::{QueryPairs, json_body};
use crate::kernel::openapi::{BadQuery, JsonBody, Unavailable};
use crate::kernel::state::AppState;

/// Trains the fair-price model as a background job (`train_fair_price`): gradient-boosted
/// trees on the catalogue's attributes with a holdout, stored as the next version of the
/// model with its metrics and the `production` alias; then the catalogue is re-scored.
#[utoipa::path(
    post, path = "/api/pricing/fair-price-model/train", tag = "pricing",
    request_body(content = TrainIn, content_type = "application/json",
        description = "Training parameters; `{}` trains with the defaults"),
    responses(
        (status = 202, description = "Queued; `Location` names the job", body = crate::entities::job::schema::JobOut,
            headers(("location" = String, description = "URL of the job"))),
        (status = 422, description = "Invalid parameters, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn train_fair_price(
    State(state): State<AppState>,
    request: Request,
) -> AppResult<Response> {
    crate::entities::job::service::start_from_request::<super::train::TrainFairPrice>(
        &state, request,
    )
    .await
}

/// Scores the catalogue with a model's current version for the mispricing analysis, as a
/// background job (`score_fair_prices`). Stale analyses are re-scored on their own; this
/// starts one for a model that never scored, or at once.
#[utoipa::path(
    post, path = "/api/pricing/mispriced/score", tag = "pricing",
    request_body(content = ScoreMispricedIn, content_type = "application/json",
        description = "The model; `{}` scores with the fair-price model"),
    responses(
        (status = 202, description = "Queued (or the same job already queued); `Location` names the job",
            body = crate::entities::job::schema::JobOut,
            headers(("location" = String, description = "URL of the job"))),
        (status = 422, description = "No such model, or one that cannot score the catalogue", body = Problem,
            content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn score_mispriced(
    State(state): State<AppState>,
    request: Request,
) -> AppResult<Response> {
    let body = json_body(request, &state).await?;
    let model = service::model_param(&body)?;
    Ok(crate::entities::job::service::accepted(
        service::start_scoring(&state, &model).await?,
    ))
}

fn wants_csv(pairs: &[(String, String)], headers: &HeaderMap) -> bool {
    pairs.iter().any(|(k, v)| k == "format" && v == "csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// The most mispriced products first: list price against the fair-price model, with
/// every product filter, `direction`, sorting and cursor pagination. `format=csv` or
/// `Accept: text/csv` exports the whole query as CSV.
#[utoipa::path(
    get, path = "/api/pricing/mispriced", tag = "pricing", params(MispricedParams),
    responses(
        (status = 200, description = "One page of products, most mispriced first (or the whole query as CSV)",
            content((MispricedPage = "application/json"), (String = "text/csv"))),
        (status = 404, description = "No such model, or the catalogue is not scored yet (a scoring job is queued)", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn list_mispriced(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Response> {
    if !wants_csv(&pairs, &headers) {
        return Ok(Json(service::mispriced(&state, &pairs).await?).into_response());
    }
    // Check the query and the scoring before the first byte goes out.
    service::scoped(&state, &pairs).await?;
    let first = service::mispriced(&state, &service::export_pairs(&pairs, None)).await?;
    let header_line = format!("{}\n", service::CSV_HEADER);
    let chunk = |page: &MispricedPage| page.items.iter().map(service::csv_line).collect::<String>();
    let start = header_line + &chunk(&first);
    let next = first.next_cursor.clone();
    let body = stream::unfold(
        (Some(start), next, state, pairs),
        move |(ready, cursor, state, pairs)| async move {
            if let Some(text) = ready {
                return Some((Ok::<_, std::io::Error>(text), (None, cursor, state, pairs)));
            }
            let cursor = cursor?;
            match service::mispriced(&state, &service::export_pairs(&pairs, Some(&cursor))).await {
                Ok(page) => {
                    let text: String = page.items.iter().map(service::csv_line).collect();
                    Some((Ok(text), (None, page.next_cursor, state, pairs)))
                }
                Err(e) => Some((
                    Err(std::io::Error::other(e.to_problem().detail)),
                    (None, None, state, pairs),
                )),
            }
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mispriced.csv\"",
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Value counts for the explorer's filters: per facet (brand, tier, category, season,
/// rim_in, speed_rating), the counts among rows matching every other filter.
#[utoipa::path(
    get, path = "/api/pricing/mispriced/facets", tag = "pricing", params(MispricedParams),
    responses(
        (status = 200, description = "Facet counts and the total", body = FacetsOut),
        (status = 404, description = "No such model, or not scored yet", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn mispriced_facets(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<FacetsOut>> {
    Ok(Json(service::facets(&state, &pairs).await?))
}

/// How well the analysis finds the demo's planted mispricings: precision@k and the share
/// found in the top 2 % by relative and by dollar gap.
#[utoipa::path(
    get, path = "/api/pricing/evaluation", tag = "pricing", params(EvaluationParams),
    responses(
        (status = 200, description = "The evaluation", body = EvaluationOut),
        (status = 404, description = "No model, no scores, or no planted mispricings", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn pricing_evaluation(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<EvaluationOut>> {
    let mut model = DEFAULT_MODEL.to_owned();
    let mut k = 100;
    let mut errors = Vec::new();
    for (name, value) in &pairs {
        match name.as_str() {
            "model" if !value.trim().is_empty() && !value.contains('\0') => {
                model = value.trim().to_owned()
            }
            "model" => errors.push(FieldError::query("model", "must be a model name")),
            "k" => match value.parse::<i64>() {
                Ok(v) if (1..=MAX_K).contains(&v) => k = v,
                _ => errors.push(FieldError::query(
                    "k",
                    format!("must be a whole number from 1 to {MAX_K}, got {value:?}"),
                )),
            },
            other => errors.push(FieldError::query(other, "is not a known parameter")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Json(
        super::evaluation::evaluation(&state, &model, k).await?,
    ))
}
