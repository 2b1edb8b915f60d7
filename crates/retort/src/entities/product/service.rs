//! The rules for products: what each operation does and which errors it can end in.

use super::model::{self, LIST, ProductRow};
use super::schema::{ProductIn, ProductOut, ProductPatch};
use crate::kernel::db::Db;
use crate::kernel::error::{AppError, AppResult};
use crate::kernel::pagination::Page;
use crate::kernel::query::ListQuery;
use crate::kernel::time;

pub use super::import::import_products;

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("no product with id {id}"))
}

/// Maps a duplicate sku to 409; other database errors pass through.
fn sku_conflict(sku: Option<&str>) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    move |err| match &err {
        sqlx::Error::Database(e) if e.is_unique_violation() => match sku {
            Some(sku) => AppError::Conflict(format!("a product with sku {sku:?} already exists")),
            None => AppError::Conflict("a product with this sku already exists".into()),
        },
        _ => AppError::from(err),
    }
}

/// Creates a product; 409 if its sku exists.
pub async fn create_product(db: &Db, input: &ProductIn) -> AppResult<ProductRow> {
    model::insert(db, input, &time::now())
        .await
        .map_err(sku_conflict(Some(&input.sku)))
}

/// The product with `id`; 404 if there is none.
pub async fn get_product(db: &Db, id: i64) -> AppResult<ProductRow> {
    model::find(db, id).await?.ok_or_else(|| not_found(id))
}

/// The entity tag of a product as sent: a hash of every field it is answered with, so it
/// changes whenever any of them does.
pub fn etag(row: &ProductRow) -> String {
    use sha2::{Digest, Sha256};
    let body = serde_json::to_vec(&ProductOut::from(row.clone())).unwrap_or_default();
    let digest = Sha256::digest(&body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Checks `If-Match` against product `id`: `None` without the header; the `updated_at`
/// the write must still find when a tag matches (or `*`); 412 when none does, 404 when
/// the product does not exist.
async fn precondition(db: &Db, id: i64, if_match: Option<&str>) -> AppResult<Option<String>> {
    let Some(tags) = if_match else {
        return Ok(None);
    };
    let row = model::find(db, id).await?.ok_or_else(|| not_found(id))?;
    let current = etag(&row);
    let matches = tags
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == current);
    if matches {
        Ok(Some(row.updated_at))
    } else {
        Err(changed_since(id, &current))
    }
}

fn changed_since(id: i64, current: &str) -> AppError {
    AppError::PreconditionFailed(format!(
        "product {id} changed since it was read (If-Match does not match its ETag {current}); read it again and retry"
    ))
}

/// Writes with `update` under `If-Match`: 404 if missing, 412 if the product changed
/// since the tag the client sent (checked again by the write itself, so a change between
/// the check and the write is caught too).
async fn conditional<F, Fut>(
    db: &Db,
    id: i64,
    if_match: Option<&str>,
    update: F,
) -> AppResult<ProductRow>
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: std::future::Future<Output = AppResult<Option<ProductRow>>>,
{
    let since = precondition(db, id, if_match).await?;
    let guarded = since.is_some();
    match update(since).await? {
        Some(row) => Ok(row),
        None if guarded => match model::find(db, id).await? {
            Some(row) => Err(changed_since(id, &etag(&row))),
            None => Err(not_found(id)),
        },
        None => Err(not_found(id)),
    }
}

/// Replaces every field of product `id`; 404 if missing, 409 if the new sku is taken, 412
/// if `if_match` is given and the product changed since.
pub async fn replace_product(
    db: &Db,
    id: i64,
    input: &ProductIn,
    if_match: Option<&str>,
) -> AppResult<ProductRow> {
    conditional(db, id, if_match, |since| async move {
        model::replace(db, id, input, &time::now(), since.as_deref())
            .await
            .map_err(sku_conflict(Some(&input.sku)))
    })
    .await
}

/// Changes the fields in `patch`; 404 if missing, 409 if a new sku is taken, 412 if
/// `if_match` is given and the product changed since.
pub async fn patch_product(
    db: &Db,
    id: i64,
    patch: &ProductPatch,
    if_match: Option<&str>,
) -> AppResult<ProductRow> {
    conditional(db, id, if_match, |since| async move {
        model::patch(db, id, patch, &time::now(), since.as_deref())
            .await
            .map_err(sku_conflict(patch.sku.as_deref()))
    })
    .await
}

/// Deletes product `id`; 404 if missing.
pub async fn delete_product(db: &Db, id: i64) -> AppResult<()> {
    if model::delete(db, id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of products for the query parameters `pairs`; 422 for bad parameters.
pub async fn list_products(db: &Db, pairs: &[(String, String)]) -> AppResult<Page<ProductRow>> {
    let query = ListQuery::parse(&LIST, pairs, &[]).map_err(AppError::Validation)?;
    Ok(model::list(db, &query).await?)
}
