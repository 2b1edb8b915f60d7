//! The `price_scores` table (the mispricing analysis of a fair-price model) and the
//! planted mispricings of the demo; how a scoring run's rows are written, published and
//! cleared is in `model/runs.rs`.

mod runs;

pub use runs::{delete_key, forget, orphan_keys, publish_run, run_key, write_run};

use sqlx::Row;
use sqlx::any::AnyRow;

use super::schema::MispricedOut;
use crate::entities::brand::interface::Tier;
use crate::entities::product::interface::{Season, SpeedRating};
use crate::kernel::db::{Db, get_bool};
use serde_json::Value as Json;

use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Column, Kind, ListQuery, ListSpec, Sql};

/// Columns of a scored product, in the order [`MispricedOut::from_row`] reads them.
pub const COLUMNS: &str = "id, sku, brand, tier, line, category, width_mm, aspect_ratio, rim_in, load_index, speed_rating, season, tread_warranty_miles, runflat, cost, list_price, fair_price, gap, gap_pct, log_ratio, direction, mispricing, peer_z, peer_count, version, scored_at";

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

impl MispricedOut {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            sku: r.try_get("sku")?,
            brand: r.try_get("brand")?,
            tier: r.try_get("tier")?,
            line: r.try_get("line")?,
            category: r.try_get("category")?,
            width_mm: r.try_get("width_mm")?,
            aspect_ratio: r.try_get("aspect_ratio")?,
            rim_in: r.try_get("rim_in")?,
            load_index: r.try_get("load_index")?,
            speed_rating: r.try_get("speed_rating")?,
            season: r.try_get("season")?,
            tread_warranty_miles: r.try_get("tread_warranty_miles")?,
            runflat: get_bool(r, "runflat")?,
            cost: r.try_get("cost")?,
            list_price: r.try_get("list_price")?,
            fair_price: r.try_get("fair_price")?,
            gap: r.try_get("gap")?,
            gap_pct: r.try_get("gap_pct")?,
            log_ratio: r.try_get("log_ratio")?,
            direction: r.try_get("direction")?,
            mispricing: r.try_get("mispricing")?,
            peer_z: r.try_get("peer_z")?,
            peer_count: r.try_get("peer_count")?,
            version: r.try_get("version")?,
            scored_at: r.try_get("scored_at")?,
        })
    }
}

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

/// The facet counts over all of a model's rows, as stored at scoring.
pub async fn stored_facets(db: &Db, model: &str) -> Result<Option<String>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &["SELECT facets FROM price_score_state WHERE model = ", ""],
        vec![Bind::Text(model.into())],
    );
    match sql.query().fetch_optional(db.pool()).await? {
        Some(row) => row.try_get(0),
        None => Ok(None),
    }
}

/// How many of the analysis' rows match `query`.
pub async fn count(db: &Db, query: &ListQuery) -> Result<i64, sqlx::Error> {
    let mut count = Sql::new(db.backend());
    count.push("SELECT COUNT(*) FROM price_scores");
    query.push_where(&mut count);
    count.query().fetch_one(db.pool()).await?.try_get(0)
}

/// One page of the analysis, with the total count.
pub async fn list(db: &Db, query: &ListQuery) -> Result<Page<MispricedOut>, sqlx::Error> {
    query.fetch(db, COLUMNS, MispricedOut::from_row).await
}

/// One page of the analysis without counting.
pub async fn page(db: &Db, query: &ListQuery) -> Result<Page<MispricedOut>, sqlx::Error> {
    query.fetch_page(db, COLUMNS, MispricedOut::from_row).await
}

/// Value counts of each facet among the rows its query selects (run concurrently), most
/// frequent first, at most 200 values each.
pub async fn facet_counts(
    db: &Db,
    facets: &[(&str, ListQuery)],
) -> Result<Vec<Vec<(Json, i64)>>, sqlx::Error> {
    if let Some((odd, _)) = facets.iter().find(|(f, _)| !FACETS.contains(f)) {
        return Err(sqlx::Error::Protocol(format!("{odd:?} is not a facet")));
    }
    let queries: Vec<Sql> = facets
        .iter()
        .map(|(facet, q)| {
            let mut sql = Sql::new(db.backend());
            sql.push("SELECT ")
                .push(facet)
                .push(", COUNT(*) FROM price_scores");
            q.push_where(&mut sql);
            sql.push(" GROUP BY ")
                .push(facet)
                .push(" ORDER BY COUNT(*) DESC, ")
                .push(facet)
                .push(" LIMIT 200");
            sql
        })
        .collect();
    let results = futures_util::future::try_join_all(
        queries.iter().map(|sql| sql.query().fetch_all(db.pool())),
    )
    .await?;
    results
        .iter()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let value = r
                        .try_get::<Option<String>, _>(0)
                        .map(|v| v.map_or(Json::Null, Json::from))
                        .or_else(|_| r.try_get::<i64, _>(0).map(Json::from))?;
                    Ok((value, r.try_get(1)?))
                })
                .collect()
        })
        .collect()
}

/// Every analysed row of a model as `(sku, mispricing, |gap|, log ratio)`.
pub async fn gaps(db: &Db, model: &str) -> Result<Vec<(String, f64, f64, f64)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT sku, mispricing, ABS(gap), log_ratio FROM price_scores WHERE model = ",
            "",
        ],
        vec![Bind::Text(model.into())],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// `(sku, category, list price, fair price, gap %)` of the rows `query` selects, every
/// `step`th by id.
pub async fn scatter_points(
    db: &Db,
    query: &ListQuery,
    step: i64,
) -> Result<Vec<(String, String, f64, f64, f64)>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("SELECT sku, category, list_price, fair_price, gap_pct FROM price_scores");
    query.push_where(&mut sql);
    if step > 1 {
        sql.push(&format!(" AND id % {step} = 0"));
    }
    sql.push(" ORDER BY id");
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ))
        })
        .collect()
}

/// The relative gaps (%) of the rows `query` selects.
pub async fn gap_pcts(db: &Db, query: &ListQuery) -> Result<Vec<f64>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("SELECT gap_pct FROM price_scores");
    query.push_where(&mut sql);
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Calls `each` with every analysed row of a model, in id order, selecting `columns`.
pub async fn for_each_row(
    db: &Db,
    model: &str,
    columns: &[&str],
    mut each: impl FnMut(&AnyRow) -> Result<(), sqlx::Error>,
) -> Result<(), sqlx::Error> {
    use futures_util::TryStreamExt;
    let sql = Sql::with(
        db.backend(),
        &[
            &format!(
                "SELECT {} FROM price_scores WHERE model = ",
                columns.join(", ")
            ),
            " ORDER BY id",
        ],
        vec![Bind::Text(model.into())],
    );
    let mut rows = sql.query().fetch(db.pool());
    while let Some(r) = rows.try_next().await? {
        each(&r)?;
    }
    Ok(())
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

/// Refreshes the planner's statistics of `price_scores` (after a large write).
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    db.analyze("price_scores").await
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
