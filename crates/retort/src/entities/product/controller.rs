//! HTTP handlers for products: extract, call one service function, answer.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::model::ProductRow;
use super::schema::{
    ImportParams, ImportReport, ProductIn, ProductListParams, ProductOut, ProductPatch, ScoreIn,
};
use super::service;
use crate::kernel::csv_upload;
use crate::kernel::error::{AppError, AppResult, Problem};
use crate::kernel::extract::{Id, QueryPairs, ValidJson};
use crate::kernel::openapi::{BadQuery, CsvBody, JsonBody, Unavailable};
use crate::kernel::pagination::Page;
use crate::kernel::state::AppState;

/// Creates a product.
#[utoipa::path(
    post, path = "/api/products", tag = "products", request_body = ProductIn,
    responses(
        (status = 201, description = "Created; `Location` names the new product", body = ProductOut,
            headers(("location" = String, description = "URL of the new product"))),
        (status = 409, description = "A product with this sku exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn create_product(
    State(state): State<AppState>,
    ValidJson(input): ValidJson<ProductIn>,
) -> AppResult<impl IntoResponse> {
    let row = service::create_product(&state.db, &input).await?;
    let location = format!("/api/products/{}", row.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ProductOut::from(row)),
    ))
}

/// Lists products with filters, search, sorting and cursor pagination.
#[utoipa::path(
    get, path = "/api/products", tag = "products", params(ProductListParams),
    responses(
        (status = 200, description = "One page of products", body = Page<ProductOut>),
        BadQuery, Unavailable,
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> AppResult<Json<Page<ProductOut>>> {
    let page = service::list_products(&state.db, &pairs)
        .await?
        .map(ProductOut::from);
    Ok(Json(page))
}

/// Fetches one product.
#[utoipa::path(
    get, path = "/api/products/{id}", tag = "products", params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product; `ETag` identifies this state of it (send it as `If-Match` to change it safely)",
            body = ProductOut, headers(("etag" = String, description = "The product's entity tag"))),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
pub async fn get_product(State(state): State<AppState>, Id(id): Id) -> AppResult<Response> {
    Ok(with_etag(service::get_product(&state.db, id).await?))
}

/// A product as JSON with its `ETag`.
fn with_etag(row: ProductRow) -> Response {
    let tag = service::etag(&row);
    let mut response = Json(ProductOut::from(row)).into_response();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The `If-Match` header, if any.
fn if_match(headers: &HeaderMap) -> AppResult<Option<&str>> {
    headers
        .get(header::IF_MATCH)
        .map(|v| {
            v.to_str().map_err(|_| {
                AppError::BadRequest("If-Match must be entity tags in plain text".into())
            })
        })
        .transpose()
}

/// Replaces every field of a product.
#[utoipa::path(
    put, path = "/api/products/{id}", tag = "products", request_body = ProductIn,
    params(("id" = i64, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "The ETag read with the product: the write happens only if it is still current")),
    responses(
        (status = 200, description = "The product as replaced, with its new `ETag`", body = ProductOut,
            headers(("etag" = String, description = "The product's entity tag"))),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new sku belongs to another product", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` was sent and the product changed since", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn replace_product(
    State(state): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
    ValidJson(input): ValidJson<ProductIn>,
) -> AppResult<Response> {
    let row = service::replace_product(&state.db, id, &input, if_match(&headers)?).await?;
    Ok(with_etag(row))
}

/// Changes some fields of a product.
#[utoipa::path(
    patch, path = "/api/products/{id}", tag = "products", request_body = ProductPatch,
    params(("id" = i64, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "The ETag read with the product: the write happens only if it is still current")),
    responses(
        (status = 200, description = "The product as changed, with its new `ETag`", body = ProductOut,
            headers(("etag" = String, description = "The product's entity tag"))),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new sku belongs to another product", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` was sent and the product changed since", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, every one listed", body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn patch_product(
    State(state): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
    ValidJson(patch): ValidJson<ProductPatch>,
) -> AppResult<Response> {
    let row = service::patch_product(&state.db, id, &patch, if_match(&headers)?).await?;
    Ok(with_etag(row))
}

/// Deletes a product.
#[utoipa::path(
    delete, path = "/api/products/{id}", tag = "products", params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
pub async fn delete_product(State(state): State<AppState>, Id(id): Id) -> AppResult<StatusCode> {
    service::delete_product(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports products from a CSV body (header row of field names), all or nothing.
#[utoipa::path(
    post, path = "/api/products/import", tag = "products", params(ImportParams),
    request_body(content = String, content_type = "text/csv",
        description = "CSV with a header row naming the ProductIn fields, in any order"),
    responses(
        (status = 200, description = "Every row imported", body = ImportReport),
        (status = 409, description = "A sku of the file was created by another request meanwhile; nothing imported", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows (row, column, message for each, capped), or a bad `upsert`; nothing imported",
            body = Problem, content_type = "application/problem+json"),
        CsvBody, Unavailable,
    )
)]
pub async fn import_products(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
    request: Request,
) -> AppResult<Json<ImportReport>> {
    let upsert = csv_upload::import_upsert(&pairs)?;
    let body = csv_upload::receive_csv(request, &state.limits)
        .await?
        .reader()?;
    Ok(Json(
        service::import_products(&state.db, body, upsert, csv_upload::local_error).await?,
    ))
}

/// Scores every product, or a filtered set, with a deployed regression model, as a
/// background job (`score_products`); the scores land in `product_scores`.
#[utoipa::path(
    post, path = "/api/products/score", tag = "products",
    request_body(content = ScoreIn, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued; `Location` names the job", body = crate::entities::job::schema::JobOut,
            headers(("location" = String, description = "URL of the job"))),
        (status = 422, description = "Unknown model, not a regressor, columns that are not product fields, bad filters",
            body = Problem, content_type = "application/problem+json"),
        JsonBody, Unavailable,
    )
)]
pub async fn score_products(
    State(state): State<AppState>,
    request: Request,
) -> AppResult<axum::response::Response> {
    let body = crate::kernel::extract::json_body(request, &state).await?;
    Ok(crate::entities::job::service::accepted(
        super::score::start_scoring(&state, &body).await?,
    ))
}
