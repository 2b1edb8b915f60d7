//! The `price_scores` table (the mispricing analysis of a fair-price model) and the
//! planted mispricings of the demo; how a scoring run's rows are written, published and
//! cleared is in `model/runs.rs`.

mod runs;

pub use runs::{delete_key, forget, orphan_keys, publish_run, run_key, write_run};

use sqlx::Row;

use crate::entities::brand::interface::Tier;
use crate::entities::product::interface::{Season, SpeedRating};
use crate::kernel::db::Db;

use crate::kernel::query::{Bind, Column, Kind, ListSpec, Sql};

/// What the mispricing list can filter and sort on: every product filter, plus the
/// brand's tier and the analysis' numbers.
pub static LIST: ListSpec = ListSpec {
    table: "price_scores",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("sku", Kind::Text).equals(),
        Column::new("brand", Kind::Text).equals(),
        Column::new("tier", Kind::Text)
            .equals()
            .nullable()
            .allowed(Tier::NAMES),
        Column::new("line", Kind::Text).equals(),
        Column::new("category", Kind::Text).equals(),
        Column::new("width_mm", Kind::Int).range(),
        Column::new("aspect_ratio", Kind::Int).range(),
        Column::new("rim_in", Kind::Int).range(),
        Column::new("load_index", Kind::Int).range(),
        Column::new("speed_rating", Kind::Text)
            .equals()
            .allowed(SpeedRating::NAMES),
        Column::new("season", Kind::Text)
            .equals()
            .allowed(Season::NAMES),
        Column::new("tread_warranty_miles", Kind::Int)
            .range()
            .nullable(),
        Column::new("runflat", Kind::Bool).equals(),
        Column::new("cost", Kind::Float).range(),
        Column::new("list_price", Kind::Float).range(),
        Column::new("fair_price", Kind::Float).range(),
        Column::new("gap", Kind::Float).range(),
        Column::new("gap_pct", Kind::Float).range(),
        Column::new("log_ratio", Kind::Float).range(),
        Column::new("mispricing", Kind::Float).range(),
        Column::new("peer_z", Kind::Float).range().nullable(),
        Column::new("peer_count", Kind::Int).range(),
    ],
    search: &["sku", "brand", "line"],
};

/// Facets: the columns whose value counts the explorer shows next to its filters.
pub const FACETS: [&str; 6] = [
    "brand",
    "tier",
    "category",
    "season",
    "rim_in",
    "speed_rating",
];

/// The model's analysis as of when: the version scored, when, how many products, and
/// the key its rows are stored under.
pub async fn score_state(
    db: &Db,
    model: &str,
) -> Result<Option<(i64, String, i64, String)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT version, scored_at, products, COALESCE(rows_key, model) FROM price_score_state WHERE model = ",
            "",
        ],
        vec![Bind::Text(model.into())],
    );
    match sql.query().fetch_optional(db.pool()).await? {
        Some(row) => Ok(Some((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ))),
        None => Ok(None),
    }
}

/// Every model's scoring state: name, version, when scored, products scored.
pub async fn score_states(db: &Db) -> Result<Vec<(String, i64, String, i64)>, sqlx::Error> {
    sqlx::query("SELECT model, version, scored_at, products FROM price_score_state ORDER BY model")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// The skus of the planted mispricings with their direction.
pub async fn planted(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query("SELECT sku, direction FROM planted_mispricings ORDER BY sku")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// One product as a scoring run stores it: what its analysis is computed from (its
/// attributes are the product's; gaps, ratios and peer z-scores are derived in memory).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredRow {
    /// Product id.
    pub id: i64,
    /// The list price the run compared.
    pub list_price: f64,
    /// The fair price the model predicted, unrounded.
    pub score: f64,
}

/// The rows stored under `key`, in id order.
pub async fn run_rows(db: &Db, key: &str) -> Result<Vec<ScoredRow>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT id, list_price, score FROM price_scores WHERE model = ",
            " ORDER BY id",
        ],
        vec![Bind::Text(key.into())],
    );
    // A SQLite file is read in place, off the async driver (see kernel::bulk).
    let read = crate::kernel::bulk::read(db, &sql, |rows| {
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ScoredRow {
                id: r.get(0)?,
                list_price: r.get(1)?,
                score: r.get(2)?,
            });
        }
        Ok(out)
    });
    if let Some(out) = read.await? {
        return Ok(out);
    }
    let mut rows = sql.query().fetch(db.pool());
    let mut out = Vec::new();
    while let Some(r) = rows.try_next().await? {
        out.push(ScoredRow {
            id: r.try_get(0)?,
            list_price: r.try_get(1)?,
            score: r.try_get(2)?,
        });
    }
    Ok(out)
}

/// Records the demo's planted mispricings: `(sku, formula price, list price, direction)`.
pub async fn insert_planted(
    db: &Db,
    rows: &[(String, f64, f64, String)],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    for chunk in rows.chunks(200) {
        let mut sql = Sql::new(db.backend());
        sql.push(
            "INSERT INTO planted_mispricings (sku, formula_price, list_price, direction) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Bind::Text(r.0.clone()))
                .push(", ")
                .bind(Bind::Float(r.1))
                .push(", ")
                .bind(Bind::Float(r.2))
                .push(", ")
                .bind(Bind::Text(r.3.clone()))
                .push(")");
        }
        sql.query().execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The planted mispricings: `(sku, direction, formula price, list price when planted)`.
pub async fn planted_details(db: &Db) -> Result<Vec<(String, String, f64, f64)>, sqlx::Error> {
    sqlx::query(
        "SELECT sku, direction, formula_price, list_price FROM planted_mispricings ORDER BY sku",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_run_key_belongs_to_its_model_only() {
        let key = super::runs::run_key("fair-price", 12);
        assert!(super::runs::is_key_of(&key, "fair-price"));
        assert!(super::runs::is_key_of("fair-price", "fair-price"));
        assert!(!super::runs::is_key_of(&key, "fair"));
        assert!(!super::runs::is_key_of("fair-price-2@5", "fair-price"));
        assert!(!super::runs::is_key_of("fair-price@", "fair-price"));
        assert!(!super::runs::is_key_of("fair-price@1x", "fair-price"));
    }
}
