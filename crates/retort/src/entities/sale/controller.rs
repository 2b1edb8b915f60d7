//! HTTP handlers for sales.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::schema::{SaleImportReport, SaleIn, SaleListParams, SaleOut, SalePatch};
use super::service;
use crate::kernel::csv_upload;
use crate::kernel::error::{AppResult, Problem};
use crate::kernel::extract::{Id, QueryPairs, ValidJson};
use crate::kernel::openapi::{BadQuery, CsvBody, JsonBody, Unavailable};
use crate::kernel::pagination::Page;
use crate::kernel::state::AppState;

/// Records one week of sales of a product.
#[utoipa::path(post, path = "/api/sales", tag = "sales", request_body = SaleIn,
    responses(
        (status = 201, description = "Created; `Location` names it", body = SaleOut, headers(("location" = String, description = "URL of the sale"))),
        (status = 409, description = "The product has a sale that week", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (an unknown sku, a week that is not a Monday, …)", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn create_sale(
    State(state): State<AppState>,
    ValidJson(input): ValidJson<SaleIn>,
) -> AppResult<impl IntoResponse> {
    let row = service::create_sale(&state.db, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/sales/{}", row.id))],
        Json(SaleOut::from(row)),
    ))
}

/// Lists sales: `sku` (repeatable), `week_min`/`week_max`, price and units ranges.
#[utoipa::path(get, path = "/api/sales", tag = "sales",
    params(SaleListParams),
    responses(
        (status = 200, description = "One page of sales", body = Page<SaleOut>),
        BadQuery, Unavailable,
    ))]
pub async fn list_sales(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<SaleOut>>> {
    let page = service::list_sales(&state.db, &pairs)
        .await?
        .map(SaleOut::from);
    Ok(Json(page))
}

/// Fetches a sale.
#[utoipa::path(get, path = "/api/sales/{id}", tag = "sales", params(("id" = i64, Path, description = "Sale id")),
    responses(
        (status = 200, description = "The sale", body = SaleOut),
        (status = 404, description = "No such sale", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn get_sale(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<SaleOut>> {
    Ok(Json(service::get_sale(&state.db, id).await?.into()))
}

/// Changes a sale's price or units.
#[utoipa::path(patch, path = "/api/sales/{id}", tag = "sales", request_body = SalePatch, params(("id" = i64, Path, description = "Sale id")),
    responses(
        (status = 200, description = "The sale as changed", body = SaleOut),
        (status = 404, description = "No such sale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn patch_sale(
    State(state): State<AppState>,
    Id(id): Id,
    ValidJson(patch): ValidJson<SalePatch>,
) -> AppResult<Json<SaleOut>> {
    Ok(Json(
        service::patch_sale(&state.db, id, &patch).await?.into(),
    ))
}

/// Deletes a sale.
#[utoipa::path(delete, path = "/api/sales/{id}", tag = "sales", params(("id" = i64, Path, description = "Sale id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such sale", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn delete_sale(State(state): State<AppState>, Id(id): Id) -> AppResult<StatusCode> {
    service::delete_sale(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports sales from CSV (`sku,week,price,units`), all or nothing; `?upsert=true`
/// replaces existing product-weeks.
#[utoipa::path(post, path = "/api/sales/import", tag = "sales",
    params(("upsert" = Option<bool>, Query, description = "Replace existing product-weeks instead of reporting them")),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row: sku,week,price,units"),
    responses(
        (status = 200, description = "Every row imported", body = SaleImportReport),
        (status = 422, description = "Bad rows, or a bad `upsert`; nothing imported", body = Problem, content_type = "application/problem+json"),
        CsvBody, Unavailable,
    ))]
pub async fn import_sales(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
    request: Request,
) -> AppResult<Json<SaleImportReport>> {
    let upsert = csv_upload::import_upsert(&pairs)?;
    let body = csv_upload::receive_csv(request, &state.limits)
        .await?
        .reader()?;
    let rows = service::import_sales(&state.db, body, upsert, csv_upload::local_error).await?;
    Ok(Json(SaleImportReport { rows }))
}
