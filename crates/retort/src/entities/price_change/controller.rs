//! HTTP handlers of the price-change audit trail.

use axum::Json;
use axum::extract::State;

use super::model::{self, LIST, LIST_OF_PRODUCT};
use super::schema::{PriceChangeOut, PriceChangeParams, ProductPriceChangeParams};
use crate::kernel::error::{AppError, AppResult, Problem};
use crate::kernel::extract::{Id, QueryPairs};
use crate::kernel::openapi::{BadQuery, Unavailable};
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, ListQuery, ListSpec};
use crate::kernel::state::AppState;

async fn page(
    state: &AppState,
    spec: &'static ListSpec,
    product: Option<i64>,
    mut pairs: Vec<(String, String)>,
) -> AppResult<Json<Page<PriceChangeOut>>> {
    if !pairs.iter().any(|(k, _)| k == "sort") {
        pairs.push(("sort".into(), "-id".into()));
    }
    let mut query = ListQuery::parse(spec, &pairs, &[]).map_err(AppError::Validation)?;
    if let Some(id) = product {
        query.require_equal("product_id", Bind::Int(id));
    }
    let page = model::list(&state.db, &query).await?;
    Ok(Json(page))
}

/// Every applied price change, newest first, with filters.
#[utoipa::path(
    get, path = "/api/price-changes", tag = "pricing", params(PriceChangeParams),
    responses(
        (status = 200, description = "One page of changes", body = Page<PriceChangeOut>),
        BadQuery, Unavailable,
    )
)]
pub async fn list_price_changes(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<PriceChangeOut>>> {
    page(&state, &LIST, None, pairs).await
}

/// A product's price history: every applied change, newest first.
#[utoipa::path(
    get, path = "/api/products/{id}/price-changes", tag = "products",
    params(("id" = i64, Path, description = "Product id"), ProductPriceChangeParams),
    responses(
        (status = 200, description = "One page of the product's changes", body = Page<PriceChangeOut>),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        BadQuery, Unavailable,
    )
)]
pub async fn product_price_changes(
    State(state): State<AppState>,
    Id(id): Id,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<PriceChangeOut>>> {
    crate::entities::product::service::get_product(&state.db, id).await?;
    page(&state, &LIST_OF_PRODUCT, Some(id), pairs).await
}
