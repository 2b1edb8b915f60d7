//! The rules for brands: create, read, change, delete, list, import.

use std::io;

use tokio::io::AsyncRead;

use super::model::{self, BrandRow, LIST};
use super::schema::{BrandIn, BrandPatch};
use crate::kernel::csv_import::{CsvBatches, Keyed, lock, read_csv};
use crate::kernel::db::Db;
use crate::kernel::error::{AppError, AppResult};
use crate::kernel::pagination::Page;
use crate::kernel::query::ListQuery;
use crate::kernel::time;

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("no brand with id {id}"))
}

fn name_conflict(name: Option<&str>) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    move |err| match &err {
        sqlx::Error::Database(e) if e.is_unique_violation() => AppError::Conflict(format!(
            "a brand named {:?} already exists",
            name.unwrap_or("")
        )),
        _ => AppError::from(err),
    }
}

/// Creates a brand; 409 if the name exists.
pub async fn create_brand(db: &Db, input: &BrandIn) -> AppResult<BrandRow> {
    model::insert(db, input, &time::now())
        .await
        .map_err(name_conflict(Some(&input.name)))
}

/// The brand with `id`; 404 if none.
pub async fn get_brand(db: &Db, id: i64) -> AppResult<BrandRow> {
    model::find(db, id).await?.ok_or_else(|| not_found(id))
}

/// Changes a brand (PUT sends every field, PATCH some); 404 if missing, 409 on a taken name.
pub async fn update_brand(db: &Db, id: i64, patch: &BrandPatch) -> AppResult<BrandRow> {
    model::update(db, id, patch, &time::now())
        .await
        .map_err(name_conflict(patch.name.as_deref()))?
        .ok_or_else(|| not_found(id))
}

/// Deletes a brand; 404 if missing.
pub async fn delete_brand(db: &Db, id: i64) -> AppResult<()> {
    if model::delete(db, id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of brands for the query parameters.
pub async fn list_brands(db: &Db, pairs: &[(String, String)]) -> AppResult<Page<BrandRow>> {
    let query = ListQuery::parse(&LIST, pairs, &[]).map_err(AppError::Validation)?;
    Ok(model::list(db, &query).await?)
}

impl Keyed for BrandIn {
    fn key(&self) -> (&'static str, std::borrow::Cow<'_, str>) {
        ("name", self.name.as_str().into())
    }
}

/// Imports brands from CSV (`name,tier`), all or nothing; with `upsert` an existing name
/// gets the file's tier, without it an existing name is an error for its row.
pub async fn import_brands<R>(
    db: &Db,
    input: R,
    upsert: bool,
    io_error: fn(io::Error) -> AppError,
) -> AppResult<u64>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let mut csv: CsvBatches<BrandIn> = read_csv(input, io_error);
    let now = time::now();
    let mut tx = db.begin_write().await?;
    while let Some(batch) = csv.batches.recv().await {
        // Existing names are checked even after other errors, so the report names every
        // bad row; nothing more is written once there is one.
        if !upsert {
            let names: Vec<&str> = batch.iter().map(|(_, b)| b.name.as_str()).collect();
            let taken = model::existing(&mut tx, &names).await?;
            if !taken.is_empty() {
                let mut log = lock(&csv.log);
                for (row, b) in batch.iter().filter(|(_, b)| taken.contains(&b.name)) {
                    log.push(
                        *row,
                        "name",
                        format!(
                            "a brand named {:?} already exists (import with upsert to update it)",
                            b.name
                        ),
                    );
                }
                continue;
            }
        }
        if lock(&csv.log).total() > 0 {
            continue;
        }
        let rows: Vec<BrandIn> = batch.into_iter().map(|(_, b)| b).collect();
        model::insert_many(&mut tx, &rows, upsert, &now).await?;
    }
    let rows = csv.finish().await?;
    tx.commit().await?;
    Ok(rows)
}
