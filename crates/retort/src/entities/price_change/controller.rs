//! HTTP handlers of the price-change audit trail.

use axum::Json;
use axum::extract::State;

use super::model::{self, LIST};
use super::schema::{PriceChangePage, PriceChangeParams};
use crate::kernel::error::{AppError, AppResult, Problem};
use crate::kernel::extract::{Id, QueryPairs};
use crate::kernel::query::ListQuery;
use crate::kernel::state::AppState;

async fn page(
    state: &AppState,
    mut pairs: Vec<(String, String)>,
) -> AppResult<Json<PriceChangePage>> {
    if !pairs.iter().any(|(k, _)| k == "sort") {
        pairs.push(("sort".into(), "-id".into()));
    }
    let query = ListQuery::parse(&LIST, &pairs, &[]).map_err(AppError::Validation)?;
    let page = model::list(&state.db, &query).await?;
    Ok(Json(PriceChangePage {
        items: page.items,
        next_cursor: page.next_cursor,
        total: page.total,
    }))
}

/// Every applied price change, newest first, with filters.
#[utoipa::path(
    get, path = "/api/price-changes", tag = "pricing", params(PriceChangeParams),
    responses(
        (status = 200, description = "One page of changes", body = PriceChangePage),
        (status = 422, description = "Invalid parameters, every one listed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_price_changes(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<PriceChangePage>> {
    page(&state, pairs).await
}

/// A product's price history: every applied change, newest first.
#[utoipa::path(
    get, path = "/api/products/{id}/price-changes", tag = "products",
    params(("id" = i64, Path, description = "Product id"), PriceChangeParams),
    responses(
        (status = 200, description = "One page of the product's changes", body = PriceChangePage),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters, every one listed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn product_price_changes(
    State(state): State<AppState>,
    Id(id): Id,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<PriceChangePage>> {
    crate::entities::product::service::get_product(&state.db, id).await?;
    let mut pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "product_id")
        .collect();
    pairs.push(("product_id".into(), id.to_string()));
    page(&state, pairs).await
}
