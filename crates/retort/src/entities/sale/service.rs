//! The rules for sales: a sale names an existing product by sku, one per product and
//! week; imports are all or nothing.

use std::io;

use tokio::io::AsyncRead;

use super::model::{self, LIST, SaleRow};
use super::schema::{SaleIn, SalePatch};
use crate::kernel::csv_import::{CsvBatches, lock, read_csv};
use crate::kernel::db::Db;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::pagination::Page;
use crate::kernel::query::ListQuery;
use crate::kernel::time;

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("no sale with id {id}"))
}

/// Records a sale; 422 for an unknown sku, 409 if the product has a sale that week.
pub async fn create_sale(db: &Db, input: &SaleIn) -> AppResult<SaleRow> {
    let mut tx = db.begin_write().await?;
    let ids = crate::entities::product::ids_by_sku_on(&mut tx, &[input.sku.as_str()]).await?;
    let Some(&pid) = ids.get(&input.sku) else {
        return Err(AppError::Validation(vec![FieldError::new(
            "/sku",
            format!("no product has sku {:?}", input.sku),
        )]));
    };
    let conflicts = model::insert_many(&mut tx, &[(pid, input)], false, &time::now()).await?;
    if !conflicts.is_empty() {
        return Err(AppError::Conflict(format!(
            "{} already has a sale in the week of {}",
            input.sku, input.week
        )));
    }
    tx.commit().await?;
    let page = list_sales(
        db,
        &[
            ("sku".into(), input.sku.clone()),
            ("week_min".into(), input.week.clone()),
            ("week_max".into(), input.week.clone()),
        ],
    )
    .await?;
    page.items
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the new sale is not readable")))
}

/// The sale with `id`; 404 if none.
pub async fn get_sale(db: &Db, id: i64) -> AppResult<SaleRow> {
    model::find(db, id).await?.ok_or_else(|| not_found(id))
}

/// Changes price or units; 404 if missing.
pub async fn patch_sale(db: &Db, id: i64, patch: &SalePatch) -> AppResult<SaleRow> {
    if !model::update(db, id, patch, &time::now()).await? {
        return Err(not_found(id));
    }
    get_sale(db, id).await
}

/// Deletes a sale; 404 if missing.
pub async fn delete_sale(db: &Db, id: i64) -> AppResult<()> {
    if model::delete(db, id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of sales for the query parameters (`sku`, `week_min`, `week_max`, …).
pub async fn list_sales(db: &Db, pairs: &[(String, String)]) -> AppResult<Page<SaleRow>> {
    let query = ListQuery::parse(&LIST, pairs, &[]).map_err(AppError::Validation)?;
    Ok(model::list(db, &query).await?)
}

/// Imports sales from CSV (`sku,week,price,units`), all or nothing: an unknown sku, or
/// (without `upsert`) a product-week that has a sale, is an error for its row.
pub async fn import_sales<R>(
    db: &Db,
    input: R,
    upsert: bool,
    io_error: fn(io::Error) -> AppError,
) -> AppResult<u64>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let mut csv: CsvBatches<SaleIn> = read_csv(input, io_error);
    let now = time::now();
    let mut tx = db.begin_write().await?;
    while let Some(batch) = csv.batches.recv().await {
        let mut skus: Vec<&str> = batch.iter().map(|(_, s)| s.sku.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        let ids = crate::entities::product::ids_by_sku_on(&mut tx, &skus).await?;
        let mut rows = Vec::with_capacity(batch.len());
        {
            let mut log = lock(&csv.log);
            for (row, s) in &batch {
                match ids.get(&s.sku) {
                    Some(&pid) => rows.push((pid, s, *row)),
                    None => log.push(*row, "sku", format!("no product has sku {:?}", s.sku)),
                }
            }
        }
        if lock(&csv.log).total() > 0 && upsert {
            continue;
        }
        // Without upsert, existing product-weeks are found by inserting (the transaction
        // is rolled back if anything is wrong), so they are named even after other errors.
        let values: Vec<(i64, &SaleIn)> = rows.iter().map(|(pid, s, _)| (*pid, *s)).collect();
        let conflicts = model::insert_many(&mut tx, &values, upsert, &now).await?;
        let mut log = lock(&csv.log);
        for (pid, week) in conflicts {
            if let Some((_, s, row)) = rows.iter().find(|(p, s, _)| *p == pid && s.week == week) {
                log.push(*row, "week", format!("{} already has a sale in the week of {week} (import with upsert to replace it)", s.sku));
            }
        }
    }
    let rows = csv.finish().await?;
    tx.commit().await?;
    Ok(rows)
}
