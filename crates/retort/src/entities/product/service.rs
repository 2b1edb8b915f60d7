//! The rules for products: what each operation does and which errors it can end in.

use super::model::{self, LIST, ProductRow};
use super::schema::{ProductIn, ProductPatch};
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

/// Replaces every field of product `id`; 404 if missing, 409 if the new sku is taken.
pub async fn replace_product(db: &Db, id: i64, input: &ProductIn) -> AppResult<ProductRow> {
    model::replace(db, id, input, &time::now())
        .await
        .map_err(sku_conflict(Some(&input.sku)))?
        .ok_or_else(|| not_found(id))
}

/// Changes the fields in `patch`; 404 if missing, 409 if a new sku is taken.
pub async fn patch_product(db: &Db, id: i64, patch: &ProductPatch) -> AppResult<ProductRow> {
    model::patch(db, id, patch, &time::now())
        .await
        .map_err(sku_conflict(patch.sku.as_deref()))?
        .ok_or_else(|| not_found(id))
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
