//! The `elasticities` table.

use sqlx::Row;

use super::schema::ElasticityOut;
use crate::kernel::db::Db;
use crate::kernel::query::{Bind, Sql};

/// Replaces every estimate in one transaction.
pub async fn replace(
    db: &Db,
    items: &[ElasticityOut],
    sales_rows: i64,
    now: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM elasticities")
        .execute(&mut *tx)
        .await?;
    for e in items {
        Sql::with(
            db.backend(),
            &[
                "INSERT INTO elasticities (category, tier, elasticity, std_error, observations, products, sales_rows, estimated_at, zero_share, method) VALUES (",
                ", ", ", ", ", ", ", ", ", ", ", ", ", ", ", ", ", ", ")",
            ],
            vec![
                Bind::Text(e.category.clone()),
                Bind::Text(e.tier.clone().unwrap_or_default()),
                Bind::Float(e.elasticity),
                Bind::Float(e.std_error),
                Bind::Int(e.observations),
                Bind::Int(e.products),
                Bind::Int(sales_rows),
                Bind::Text(now.to_owned()),
                Bind::Float(e.zero_share),
                Bind::Text(e.method.clone()),
            ],
        )
        .query()
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Every estimate with the sales count and time of the run.
pub async fn all(db: &Db) -> Result<(Vec<ElasticityOut>, Option<(i64, String)>), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT category, tier, elasticity, std_error, observations, products, sales_rows, estimated_at, zero_share, method \
         FROM elasticities ORDER BY category, tier",
    )
    .fetch_all(db.pool())
    .await?;
    let mut run = None;
    let items = rows
        .iter()
        .map(|r| {
            run = Some((r.try_get(6)?, r.try_get(7)?));
            let tier: String = r.try_get(1)?;
            Ok(ElasticityOut {
                category: r.try_get(0)?,
                tier: (!tier.is_empty()).then_some(tier),
                elasticity: r.try_get(2)?,
                std_error: r.try_get(3)?,
                observations: r.try_get(4)?,
                products: r.try_get(5)?,
                zero_share: r.try_get(8)?,
                method: r.try_get(9)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((items, run))
}
