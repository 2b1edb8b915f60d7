//! The `elasticities` table and the sales panel it is estimated from.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use retort_learn::elasticity::Observation;
use sqlx::Row;

use super::schema::ElasticityOut;
use crate::kernel::db::Db;
use crate::kernel::query::{Bind, Sql};

/// The groups of the panel: (category, tier).
pub type Groups = Vec<(String, Option<String>)>;

/// Every sale as an observation grouped by its product's category and brand tier,
/// streamed (millions of rows; weeks and groups are interned as they arrive).
pub async fn panel(db: &Db) -> Result<(Groups, Vec<Observation>), sqlx::Error> {
    let mut rows = sqlx::query(
        "SELECT s.product_id, s.week, s.price, s.units, p.category, b.tier \
         FROM sales s JOIN products p ON p.id = s.product_id LEFT JOIN brands b ON b.name = p.brand",
    )
    .fetch(db.pool());
    let mut groups: HashMap<(String, Option<String>), usize> = HashMap::new();
    let mut weeks: HashMap<String, i64> = HashMap::new();
    let mut out = Vec::new();
    while let Some(r) = rows.try_next().await? {
        let key: (String, Option<String>) = (r.try_get(4)?, r.try_get(5)?);
        let next = groups.len();
        let group = *groups.entry(key).or_insert(next);
        let week: String = r.try_get(1)?;
        let next = weeks.len() as i64;
        let week = *weeks.entry(week).or_insert(next);
        out.push(Observation {
            group,
            product: r.try_get(0)?,
            week,
            price: r.try_get(2)?,
            units: r.try_get::<i64, _>(3)? as f64,
        });
    }
    let mut list: Vec<((String, Option<String>), usize)> = groups.into_iter().collect();
    list.sort_by_key(|(_, i)| *i);
    Ok((list.into_iter().map(|(k, _)| k).collect(), out))
}

/// How many sales rows there are.
pub async fn sales_rows(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM sales")
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

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
                "INSERT INTO elasticities (category, tier, elasticity, std_error, observations, products, sales_rows, estimated_at) VALUES (",
                ", ", ", ", ", ", ", ", ", ", ", ", ", ", ")",
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
        "SELECT category, tier, elasticity, std_error, observations, products, sales_rows, estimated_at \
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
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((items, run))
}
