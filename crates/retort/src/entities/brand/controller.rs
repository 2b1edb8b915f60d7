//! HTTP handlers for brands.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::{BrandIn, BrandListParams, BrandOut, BrandPatch};
use super::service;
use crate::kernel::csv_upload;
use crate::kernel::error::{AppResult, Problem};
use crate::kernel::extract::{Id, QueryPairs, ValidJson};
use crate::kernel::openapi::{BadQuery, CsvBody, JsonBody, Unavailable};
use crate::kernel::pagination::Page;
use crate::kernel::state::AppState;

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrandImportReport {
    /// Data rows read (all written).
    pub rows: u64,
}

/// Creates a brand.
#[utoipa::path(post, path = "/api/brands", tag = "brands", request_body = BrandIn,
    responses(
        (status = 201, description = "Created; `Location` names it", body = BrandOut, headers(("location" = String, description = "URL of the brand"))),
        (status = 409, description = "A brand with this name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn create_brand(
    State(state): State<AppState>,
    ValidJson(input): ValidJson<BrandIn>,
) -> AppResult<impl IntoResponse> {
    let row = service::create_brand(&state.db, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/brands/{}", row.id))],
        Json(BrandOut::from(row)),
    ))
}

/// Lists brands (filters `name`, `tier`; `q` searches names).
#[utoipa::path(get, path = "/api/brands", tag = "brands",
    params(BrandListParams),
    responses(
        (status = 200, description = "One page of brands", body = Page<BrandOut>),
        BadQuery, Unavailable,
    ))]
pub async fn list_brands(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<BrandOut>>> {
    let page = service::list_brands(&state.db, &pairs)
        .await?
        .map(BrandOut::from);
    Ok(Json(page))
}

/// Fetches a brand.
#[utoipa::path(get, path = "/api/brands/{id}", tag = "brands", params(("id" = i64, Path, description = "Brand id")),
    responses(
        (status = 200, description = "The brand", body = BrandOut),
        (status = 404, description = "No such brand", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn get_brand(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<BrandOut>> {
    Ok(Json(service::get_brand(&state.db, id).await?.into()))
}

/// Replaces a brand's fields.
#[utoipa::path(put, path = "/api/brands/{id}", tag = "brands", request_body = BrandIn, params(("id" = i64, Path, description = "Brand id")),
    responses(
        (status = 200, description = "The brand as replaced", body = BrandOut),
        (status = 404, description = "No such brand", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name belongs to another brand", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn replace_brand(
    State(state): State<AppState>,
    Id(id): Id,
    ValidJson(input): ValidJson<BrandIn>,
) -> AppResult<Json<BrandOut>> {
    let patch = BrandPatch {
        name: Some(input.name),
        tier: Some(input.tier),
    };
    Ok(Json(
        service::update_brand(&state.db, id, &patch).await?.into(),
    ))
}

/// Changes some fields of a brand (`tier: null` unsets the tier).
#[utoipa::path(patch, path = "/api/brands/{id}", tag = "brands", request_body = BrandPatch, params(("id" = i64, Path, description = "Brand id")),
    responses(
        (status = 200, description = "The brand as changed", body = BrandOut),
        (status = 404, description = "No such brand", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name belongs to another brand", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    ))]
pub async fn patch_brand(
    State(state): State<AppState>,
    Id(id): Id,
    ValidJson(patch): ValidJson<BrandPatch>,
) -> AppResult<Json<BrandOut>> {
    Ok(Json(
        service::update_brand(&state.db, id, &patch).await?.into(),
    ))
}

/// Deletes a brand.
#[utoipa::path(delete, path = "/api/brands/{id}", tag = "brands", params(("id" = i64, Path, description = "Brand id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such brand", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    ))]
pub async fn delete_brand(State(state): State<AppState>, Id(id): Id) -> AppResult<StatusCode> {
    service::delete_brand(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports brands from CSV (`name,tier`), all or nothing; `?upsert=true` updates tiers of
/// existing names.
#[utoipa::path(post, path = "/api/brands/import", tag = "brands",
    params(("upsert" = Option<bool>, Query, description = "Update existing names instead of reporting them")),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row: name,tier"),
    responses(
        (status = 200, description = "Every row imported", body = BrandImportReport),
        (status = 422, description = "Bad rows, or a bad `upsert`; nothing imported", body = Problem, content_type = "application/problem+json"),
        CsvBody, Unavailable,
    ))]
pub async fn import_brands(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
    request: Request,
) -> AppResult<Json<BrandImportReport>> {
    let upsert = csv_upload::import_upsert(&pairs)?;
    let body = csv_upload::receive_csv(request, &state.limits)
        .await?
        .reader()?;
    let rows = service::import_brands(&state.db, body, upsert, csv_upload::local_error).await?;
    Ok(Json(BrandImportReport { rows }))
}
