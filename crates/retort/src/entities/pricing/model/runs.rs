//! A scoring run's rows: written under the run's own key in short transactions,
//! published by pointing the model's state at them, and the previous run's rows deleted
//! in chunks — no write holds SQLite's lock long enough to starve a job's lease.

use sqlx::Row;

use super::ScoredRow;
use crate::kernel::db::Db;
use crate::kernel::query::{Bind, Sql};

/// Rows written per statement, and per short transaction when a run is written or
/// cleared: small enough that a job's lease renewal never waits long for the lock.
const WRITE_CHUNK: usize = 400;
const TX_CHUNK: usize = 50;

/// The key a scoring run's rows are stored under: the model's name and the job's id
/// (model names cannot contain `@`).
pub fn run_key(model: &str, job_id: i64) -> String {
    format!("{model}@{job_id}")
}

/// Writes `count` scored rows — `row(i)` for each `i` — under `key` (not yet visible:
/// no state points at it), in short transactions; what an earlier attempt left under
/// the key is removed first.
pub async fn write_run(
    db: &Db,
    key: &str,
    count: usize,
    row: impl Fn(usize) -> ScoredRow + Sync,
) -> Result<(), sqlx::Error> {
    delete_key(db, key).await?;
    let backend = db.backend();
    let mut start = 0;
    while start < count {
        let group_end = (start + WRITE_CHUNK * TX_CHUNK).min(count);
        let mut tx = db.begin_write().await?;
        while start < group_end {
            let end = (start + WRITE_CHUNK).min(group_end);
            let mut sql = Sql::new(backend);
            sql.push("INSERT INTO price_scores (model, id, list_price, score) VALUES ");
            for i in start..end {
                let r = row(i);
                sql.push(if i == start { "(" } else { ", (" });
                sql.bind_list([
                    Bind::Text(key.to_owned()),
                    Bind::Int(r.id),
                    Bind::Float(r.list_price),
                    Bind::Float(r.score),
                ]);
                sql.push(")");
            }
            sql.query().execute(&mut *tx).await?;
            start = end;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Makes the rows under `key` the model's analysis (`scored` products scored) in one
/// small transaction; the key the model's rows had before.
pub async fn publish_run(
    db: &Db,
    model: &str,
    key: &str,
    version: i64,
    scored_at: &str,
    scored: usize,
) -> Result<Option<String>, sqlx::Error> {
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    let before = Sql::with(
        backend,
        &[
            "SELECT COALESCE(rows_key, model) FROM price_score_state WHERE model = ",
            "",
        ],
        vec![Bind::Text(model.into())],
    )
    .query()
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get::<String, _>(0))
    .transpose()?;
    Sql::with(
        backend,
        &["DELETE FROM price_score_state WHERE model = ", ""],
        vec![Bind::Text(model.into())],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    Sql::with(
        backend,
        &[
            "INSERT INTO price_score_state (model, version, scored_at, products, facets, rows_key) VALUES (",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ")",
        ],
        vec![
            Bind::Text(model.into()),
            Bind::Int(version),
            Bind::Text(scored_at.into()),
            Bind::Int(scored as i64),
            Bind::Null,
            Bind::Text(key.into()),
        ],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(before.filter(|b| b != key))
}

/// Forgets a model's analysis (its rows are then orphans, see [`orphan_keys`]).
pub async fn forget(db: &Db, model: &str) -> Result<(), sqlx::Error> {
    Sql::with(
        db.backend(),
        &["DELETE FROM price_score_state WHERE model = ", ""],
        vec![Bind::Text(model.into())],
    )
    .query()
    .execute(db.pool())
    .await
    .map(|_| ())
}

/// Deletes every row stored under `key`, a chunk per short transaction.
pub async fn delete_key(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    let limit = WRITE_CHUNK * TX_CHUNK;
    loop {
        let done = Sql::with(
            db.backend(),
            &[
                "DELETE FROM price_scores WHERE model = ",
                " AND id IN (SELECT id FROM price_scores WHERE model = ",
                &format!(" ORDER BY id LIMIT {limit})"),
            ],
            vec![Bind::Text(key.into()), Bind::Text(key.into())],
        )
        .query()
        .execute(db.pool())
        .await?;
        if done.rows_affected() < limit as u64 {
            return Ok(());
        }
    }
}

/// The keys of a model's rows that its state does not point at (runs that were
/// replaced, or stopped before publishing). Keys are compared in Rust, not by a text
/// range in SQL: a collation may order `@` anywhere.
pub async fn orphan_keys(db: &Db, model: &str, current: &str) -> Result<Vec<String>, sqlx::Error> {
    let keys: Vec<String> = sqlx::query("SELECT DISTINCT model FROM price_scores")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(keys
        .into_iter()
        .filter(|k| k != current && is_key_of(k, model))
        .collect())
}

/// Whether `key` stores rows of `model`: its name (runs from before keys) or
/// `<model>@<job id>`.
pub(super) fn is_key_of(key: &str, model: &str) -> bool {
    key == model
        || key
            .strip_prefix(model)
            .and_then(|rest| rest.strip_prefix('@'))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}
