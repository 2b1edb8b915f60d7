//! Model scores of products: a scoring run's rows (`product_score_runs`), swapped into
//! `product_scores` in one transaction, and a model's scores read back.

use sqlx::Row;

use crate::kernel::db::Db;
use crate::kernel::query::{Bind, Sql};

/// Clears what an earlier attempt of scoring run `job_id` wrote.
pub async fn clear_score_run(db: &Db, job_id: i64) -> Result<(), sqlx::Error> {
    Sql::with(
        db.backend(),
        &["DELETE FROM product_score_runs WHERE job_id = ", ""],
        vec![Bind::Int(job_id)],
    )
    .query()
    .execute(db.pool())
    .await
    .map(|_| ())
}

/// Writes the scores `(product id, score)` of run `job_id` (not yet visible).
pub async fn write_score_run(
    db: &Db,
    job_id: i64,
    scores: &[(i64, f64)],
) -> Result<(), sqlx::Error> {
    for chunk in scores.chunks(1000) {
        let mut sql = Sql::new(db.backend());
        sql.push("INSERT INTO product_score_runs (job_id, product_id, score) VALUES ");
        for (i, (id, v)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Bind::Int(job_id))
                .push(", ")
                .bind(Bind::Int(*id))
                .push(", ")
                .bind(Bind::Float(*v))
                .push(")");
        }
        sql.query().execute(db.pool()).await?;
    }
    Ok(())
}

/// Makes run `job_id`'s scores the model's, in one transaction.
pub async fn swap_in_score_run(
    db: &Db,
    job_id: i64,
    model: &str,
    version: i64,
    now: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let backend = db.backend();
    Sql::with(
        backend,
        &["INSERT INTO product_scores (model, product_id, version, score, job_id, scored_at) SELECT ", ", product_id, ", ", score, job_id, ", " FROM product_score_runs WHERE job_id = ", " ON CONFLICT (model, product_id) DO UPDATE SET version = excluded.version, score = excluded.score, job_id = excluded.job_id, scored_at = excluded.scored_at"],
        vec![Bind::Text(model.into()), Bind::Int(version), Bind::Text(now.into()), Bind::Int(job_id)],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    Sql::with(
        backend,
        &["DELETE FROM product_score_runs WHERE job_id = ", ""],
        vec![Bind::Int(job_id)],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A model's scores: `(product id, score, version)` in id order.
pub async fn scores(db: &Db, model: &str) -> Result<Vec<(i64, f64, i64)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT product_id, score, version FROM product_scores WHERE model = ",
            " ORDER BY product_id",
        ],
        vec![Bind::Text(model.into())],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}
