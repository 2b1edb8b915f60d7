//! The `price_scores` table (the mispricing analysis of a fair-price model) and the
//! planted mispricings of the demo.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::schema::MispricedOut;
use crate::entities::brand::interface::Tier;
use crate::entities::product::interface::{Season, SpeedRating};
use crate::kernel::db::{Db, get_bool};
use crate::kernel::query::{Bind, Column, Kind, ListSpec, Sql};

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

/// The products with a model's scores and their brand's tier, in id order: everything
/// the analysis needs (its own columns still zero, filled in by the analysis).
pub async fn scored_products(db: &Db, model: &str) -> Result<Vec<MispricedOut>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT p.id, p.sku, p.brand, b.tier, p.line, p.category, p.width_mm, p.aspect_ratio, \
             p.rim_in, p.load_index, p.speed_rating, p.season, p.tread_warranty_miles, p.runflat, \
             p.cost, p.list_price, s.score AS fair_price, CAST(0 AS DOUBLE PRECISION) AS gap, \
             CAST(0 AS DOUBLE PRECISION) AS gap_pct, CAST(0 AS DOUBLE PRECISION) AS log_ratio, 'fair' AS direction, \
             CAST(0 AS DOUBLE PRECISION) AS mispricing, CAST(NULL AS DOUBLE PRECISION) AS peer_z, \
             CAST(0 AS BIGINT) AS peer_count, s.version, s.scored_at \
             FROM products p JOIN product_scores s ON s.product_id = p.id AND s.model = ",
            " LEFT JOIN brands b ON b.name = p.brand ORDER BY p.id",
        ],
        vec![Bind::Text(model.into())],
    );
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter().map(MispricedOut::from_row).collect()
}

/// Replaces a model's analysis with `rows` (of `scored` products scored) in one
/// transaction.
pub async fn replace_scores(
    db: &Db,
    model: &str,
    rows: &[MispricedOut],
    scored: usize,
    facets: &str,
) -> Result<(), sqlx::Error> {
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    Sql::with(
        backend,
        &["DELETE FROM price_scores WHERE model = ", ""],
        vec![Bind::Text(model.into())],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    for chunk in rows.chunks(400) {
        let mut sql = Sql::new(backend);
        sql.push("INSERT INTO price_scores (model, ")
            .push(COLUMNS)
            .push(") VALUES ");
        for (i, r) in chunk.iter().enumerate() {
            let text = |s: &str| Bind::Text(s.to_owned());
            let opt_text = |s: &Option<String>| s.as_deref().map_or(Bind::Null, text);
            let values = [
                text(model),
                Bind::Int(r.id),
                text(&r.sku),
                text(&r.brand),
                opt_text(&r.tier),
                text(&r.line),
                text(&r.category),
                Bind::Int(r.width_mm),
                Bind::Int(r.aspect_ratio),
                Bind::Int(r.rim_in),
                Bind::Int(r.load_index),
                text(&r.speed_rating),
                text(&r.season),
                r.tread_warranty_miles.map_or(Bind::NullInt, Bind::Int),
                Bind::Bool(r.runflat),
                Bind::Float(r.cost),
                Bind::Float(r.list_price),
                Bind::Float(r.fair_price),
                Bind::Float(r.gap),
                Bind::Float(r.gap_pct),
                Bind::Float(r.log_ratio),
                text(&r.direction),
                Bind::Float(r.mispricing),
                r.peer_z.map_or(Bind::NullFloat, Bind::Float),
                Bind::Int(r.peer_count),
                Bind::Int(r.version),
                text(&r.scored_at),
            ];
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind_list(values);
            sql.push(")");
        }
        sql.query().execute(&mut *tx).await?;
    }
    Sql::with(
        backend,
        &["DELETE FROM price_score_state WHERE model = ", ""],
        vec![Bind::Text(model.into())],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    if let Some(first) = rows.first() {
        Sql::with(
            backend,
            &[
                "INSERT INTO price_score_state (model, version, scored_at, products, facets) VALUES (",
                ", ",
                ", ",
                ", ",
                ", ",
                ")",
            ],
            vec![
                Bind::Text(model.into()),
                Bind::Int(first.version),
                Bind::Text(first.scored_at.clone()),
                Bind::Int(scored as i64),
                Bind::Text(facets.into()),
            ],
        )
        .query()
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The model's analysis as of when: the version scored, when, and how many products.
pub async fn score_state(db: &Db, model: &str) -> Result<Option<(i64, String, i64)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT version, scored_at, products FROM price_score_state WHERE model = ",
            "",
        ],
        vec![Bind::Text(model.into())],
    );
    match sql.query().fetch_optional(db.pool()).await? {
        Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))),
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

/// When the catalogue last changed (the newest product `updated_at`), and its size.
pub async fn catalogue_state(db: &Db) -> Result<(Option<String>, i64), sqlx::Error> {
    let row = sqlx::query("SELECT MAX(updated_at), COUNT(*) FROM products")
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
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

/// Value counts of `column` (one of [`FACETS`]) among the rows `sql_where` selects.
pub fn facet_sql(column: &'static str, mut sql: Sql) -> Sql {
    sql.push(" GROUP BY ")
        .push(column)
        .push(" ORDER BY COUNT(*) DESC, ")
        .push(column)
        .push(" LIMIT 200");
    sql
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
