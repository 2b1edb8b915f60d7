//! Importing products from CSV: every row validated, all or nothing, optionally
//! replacing products whose sku exists.

use std::io;

use tokio::io::AsyncRead;

use super::model;
use super::schema::{ImportReport, ProductIn};
use crate::kernel::csv_import::{CsvBatches, Keyed, lock, read_csv};
use crate::kernel::db::Db;
use crate::kernel::error::AppError;

impl Keyed for ProductIn {
    fn key(&self) -> (&'static str, std::borrow::Cow<'_, str>) {
        ("sku", self.sku.as_str().into())
    }
}

/// Imports at least this large refresh the planner's statistics.
const ANALYZE_AFTER_ROWS: u64 = 10_000;

/// Imports products from CSV read from `input`; nothing is written unless every row is
/// valid. Without `upsert`, a sku that already exists is an error for its row.
pub async fn import_products<R>(
    db: &Db,
    input: R,
    upsert: bool,
    io_error: fn(io::Error) -> AppError,
) -> Result<ImportReport, AppError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let mut csv: CsvBatches<ProductIn> = read_csv(input, io_error);
    let now = crate::kernel::time::now();
    let mut tx = db.begin_write().await?;
    // Into an empty catalogue, the indexes are built once at the end.
    let dropped = if model::is_empty(&mut tx).await? {
        Some(model::drop_indexes(&mut tx).await?)
    } else {
        None
    };
    let (inserted, updated) = write_batches(&mut tx, &mut csv, upsert, &now).await?;
    let rows = csv.finish().await?;
    if let Some(dropped) = dropped {
        Db::rebuild_indexes(&mut tx, dropped).await?;
    }
    tx.commit().await?;
    if rows >= ANALYZE_AFTER_ROWS {
        model::analyze(db).await?;
    }
    Ok(ImportReport {
        rows,
        inserted,
        updated,
    })
}

/// Writes every batch of `csv` while it has no error; (inserted, updated).
async fn write_batches(
    tx: &mut sqlx::AnyConnection,
    csv: &mut CsvBatches<ProductIn>,
    upsert: bool,
    now: &str,
) -> Result<(u64, u64), AppError> {
    let (mut inserted, mut updated) = (0u64, 0u64);
    while let Some(batch) = csv.batches.recv().await {
        let skus: Vec<&str> = batch.iter().map(|(_, p)| p.sku.as_str()).collect();
        let existing = model::existing_skus(tx, &skus).await?;
        if !upsert && !existing.is_empty() {
            let mut log = lock(&csv.log);
            for (row, p) in batch.iter().filter(|(_, p)| existing.contains(&p.sku)) {
                log.push(
                    *row,
                    "sku",
                    format!(
                        "a product with sku {:?} already exists (import with upsert to replace it)",
                        p.sku
                    ),
                );
            }
            continue;
        }
        if lock(&csv.log).total() > 0 {
            continue; // keep reading to report every error, but write nothing more
        }
        let rows: Vec<ProductIn> = batch.into_iter().map(|(_, p)| p).collect();
        model::insert_many(tx, &rows, upsert, now)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(
                    "another writer created some of these skus during the import; retry it".into(),
                ),
                _ => AppError::from(e),
            })?;
        updated += existing.len() as u64;
        inserted += (rows.len() - existing.len()) as u64;
    }
    Ok((inserted, updated))
}
