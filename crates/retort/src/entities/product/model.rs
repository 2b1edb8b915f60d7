//! The product table: the row type and every SQL statement about products; reads of the
//! catalogue as columns are in `model/columns.rs`, the model scores of products
//! (`product_scores`, `product_score_runs`) in `model/scores.rs`.

mod columns;
mod load;
mod scores;

pub use columns::{catalogue_state, columns, columns_between, groups, id_boundaries};
pub use load::{analyze, drop_indexes, is_empty};
pub use scores::{clear_score_run, scores, swap_in_score_run, write_score_run};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::interface::PriceSet;
use super::schema::{ProductIn, ProductPatch};
use crate::kernel::db::{Backend, Db, get_bool};
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Column, Kind, ListQuery, ListSpec, Sql};

/// A row of `products`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    /// Primary key.
    pub id: i64,
    /// Unique SKU.
    pub sku: String,
    /// Brand.
    pub brand: String,
    /// Line.
    pub line: String,
    /// Category slug.
    pub category: String,
    /// Width in mm.
    pub width_mm: i64,
    /// Aspect ratio.
    pub aspect_ratio: i64,
    /// Rim in inches.
    pub rim_in: i64,
    /// Load index.
    pub load_index: i64,
    /// Speed-rating letter.
    pub speed_rating: String,
    /// Season name.
    pub season: String,
    /// Warranty miles, if any.
    pub tread_warranty_miles: Option<i64>,
    /// Run-flat.
    pub runflat: bool,
    /// Unit cost.
    pub cost: f64,
    /// List price.
    pub list_price: f64,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// Every column, in table order.
const COLUMNS: &str = "id, sku, brand, line, category, width_mm, aspect_ratio, rim_in, load_index, \
speed_rating, season, tread_warranty_miles, runflat, cost, list_price, created_at, updated_at";

/// The writable columns, in the order [`push_values`] binds them.
const WRITABLE: [&str; 14] = [
    "sku",
    "brand",
    "line",
    "category",
    "width_mm",
    "aspect_ratio",
    "rim_in",
    "load_index",
    "speed_rating",
    "season",
    "tread_warranty_miles",
    "runflat",
    "cost",
    "list_price",
];

/// What the product list can filter and sort on.
pub static LIST: ListSpec = ListSpec {
    table: "products",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("sku", Kind::Text).equals(),
        Column::new("brand", Kind::Text).equals(),
        Column::new("line", Kind::Text).equals(),
        Column::new("category", Kind::Text).equals(),
        Column::new("width_mm", Kind::Int).range(),
        Column::new("aspect_ratio", Kind::Int).range(),
        Column::new("rim_in", Kind::Int).range(),
        Column::new("load_index", Kind::Int).range(),
        Column::new("speed_rating", Kind::Text)
            .equals()
            .allowed(super::interface::SpeedRating::NAMES),
        Column::new("season", Kind::Text)
            .equals()
            .allowed(super::interface::Season::NAMES),
        Column::new("tread_warranty_miles", Kind::Int)
            .range()
            .nullable(),
        Column::new("runflat", Kind::Bool).equals(),
        Column::new("cost", Kind::Float).range(),
        Column::new("list_price", Kind::Float).range(),
        Column::new("created_at", Kind::Text),
        Column::new("updated_at", Kind::Text),
    ],
    search: &["sku", "brand", "line"],
};

impl ProductRow {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            sku: row.try_get("sku")?,
            brand: row.try_get("brand")?,
            line: row.try_get("line")?,
            category: row.try_get("category")?,
            width_mm: row.try_get("width_mm")?,
            aspect_ratio: row.try_get("aspect_ratio")?,
            rim_in: row.try_get("rim_in")?,
            load_index: row.try_get("load_index")?,
            speed_rating: row.try_get("speed_rating")?,
            season: row.try_get("season")?,
            tread_warranty_miles: row.try_get("tread_warranty_miles")?,
            runflat: get_bool(row, "runflat")?,
            cost: row.try_get("cost")?,
            list_price: row.try_get("list_price")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// Binds the writable values of `p` as `($a, $b, …, $now, $now)`.
fn push_values(sql: &mut Sql, p: &ProductIn, now: &str) {
    sql.push("(");
    for (i, b) in values(p).into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match b {
            Some(b) => sql.bind(b),
            None => sql.push("NULL"),
        };
    }
    sql.push(", ")
        .bind(Bind::Text(now.to_owned()))
        .push(", ")
        .bind(Bind::Text(now.to_owned()))
        .push(")");
}

fn values(p: &ProductIn) -> [Option<Bind>; 14] {
    [
        Some(Bind::Text(p.sku.clone())),
        Some(Bind::Text(p.brand.clone())),
        Some(Bind::Text(p.line.clone())),
        Some(Bind::Text(p.category.clone())),
        Some(Bind::Int(p.width_mm)),
        Some(Bind::Int(p.aspect_ratio)),
        Some(Bind::Int(p.rim_in)),
        Some(Bind::Int(p.load_index)),
        Some(Bind::Text(p.speed_rating.as_str().to_owned())),
        Some(Bind::Text(p.season.as_str().to_owned())),
        p.tread_warranty_miles.map(Bind::Int),
        Some(Bind::Bool(p.runflat)),
        Some(Bind::Float(p.cost)),
        Some(Bind::Float(p.list_price)),
    ]
}

fn insert_head() -> String {
    format!(
        "INSERT INTO products ({}, created_at, updated_at) VALUES ",
        WRITABLE.join(", ")
    )
}

/// Inserts one product and returns it; a duplicate sku is a unique violation.
pub async fn insert(db: &Db, p: &ProductIn, now: &str) -> Result<ProductRow, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push(&insert_head());
    push_values(&mut sql, p, now);
    sql.push(" RETURNING ").push(COLUMNS);
    let row = sql.query().fetch_one(db.pool()).await?;
    ProductRow::from_row(&row)
}

/// Inserts many products in one statement; with `upsert`, an existing sku is replaced
/// (keeping its id and `created_at`).
pub async fn insert_many(
    conn: &mut AnyConnection,
    rows: &[ProductIn],
    upsert: bool,
    now: &str,
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new(Backend::of(conn));
    sql.push(&insert_head());
    for (i, p) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        push_values(&mut sql, p, now);
    }
    if upsert {
        sql.push(" ON CONFLICT (sku) DO UPDATE SET ");
        let sets: Vec<String> = WRITABLE[1..]
            .iter()
            .chain(["updated_at"].iter())
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        sql.push(&sets.join(", "));
    }
    Ok(sql.query().execute(conn).await?.rows_affected())
}

/// Which of `skus` already exist.
pub async fn existing_skus(
    conn: &mut AnyConnection,
    skus: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(Backend::of(conn));
    sql.push("SELECT sku FROM products WHERE sku IN (");
    sql.bind_list(skus.iter().map(|s| Bind::Text((*s).to_owned())));
    sql.push(")");
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// The ids of the products with these skus, by sku (unknown skus are absent).
pub async fn ids_by_sku(
    db: &Db,
    skus: &[String],
) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    for chunk in skus.chunks(500) {
        let mut sql = Sql::new(db.backend());
        sql.push("SELECT sku, id FROM products WHERE sku IN (");
        sql.bind_list(chunk.iter().map(|s| Bind::Text(s.clone())));
        sql.push(")");
        for r in sql.query().fetch_all(db.pool()).await? {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
    }
    Ok(out)
}

/// The ids of at most `limit` products matching list filters (already checked), by id.
pub async fn ids_matching(
    db: &Db,
    pairs: &[(String, String)],
    limit: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    let query = ListQuery::parse(&LIST, pairs, &[])
        .map_err(|e| sqlx::Error::Protocol(format!("unchecked product filters: {e:?}")))?;
    let mut sql = Sql::new(db.backend());
    sql.push("SELECT id FROM products");
    query.push_where(&mut sql);
    sql.push(&format!(" ORDER BY id LIMIT {limit}"));
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// The product with `id`, if any.
pub async fn find(db: &Db, id: i64) -> Result<Option<ProductRow>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("SELECT ")
        .push(COLUMNS)
        .push(" FROM products WHERE id = ")
        .bind(Bind::Int(id));
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(ProductRow::from_row)
        .transpose()
}

/// Replaces every writable field of product `id`; `None` if it does not exist (or, with
/// `unchanged_since`, if it changed since that `updated_at`).
pub async fn replace(
    db: &Db,
    id: i64,
    p: &ProductIn,
    now: &str,
    unchanged_since: Option<&str>,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let changes: Vec<(&str, Option<Bind>)> = WRITABLE.iter().copied().zip(values(p)).collect();
    update(db, id, &changes, now, unchanged_since).await
}

/// Changes the fields present in `patch`; `None` if product `id` does not exist (or,
/// with `unchanged_since`, if it changed since that `updated_at`).
pub async fn patch(
    db: &Db,
    id: i64,
    patch: &ProductPatch,
    now: &str,
    unchanged_since: Option<&str>,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let mut changes: Vec<(&str, Option<Bind>)> = Vec::new();
    let mut set = |name, value: Option<Bind>| {
        if value.is_some() {
            changes.push((name, value));
        }
    };
    set("sku", patch.sku.clone().map(Bind::Text));
    set("brand", patch.brand.clone().map(Bind::Text));
    set("line", patch.line.clone().map(Bind::Text));
    set("category", patch.category.clone().map(Bind::Text));
    set("width_mm", patch.width_mm.map(Bind::Int));
    set("aspect_ratio", patch.aspect_ratio.map(Bind::Int));
    set("rim_in", patch.rim_in.map(Bind::Int));
    set("load_index", patch.load_index.map(Bind::Int));
    set(
        "speed_rating",
        patch
            .speed_rating
            .map(|s| Bind::Text(s.as_str().to_owned())),
    );
    set(
        "season",
        patch.season.map(|s| Bind::Text(s.as_str().to_owned())),
    );
    set("runflat", patch.runflat.map(Bind::Bool));
    set("cost", patch.cost.map(Bind::Float));
    set("list_price", patch.list_price.map(Bind::Float));
    if let Some(warranty) = patch.tread_warranty_miles {
        changes.push(("tread_warranty_miles", warranty.map(Bind::Int)));
    }
    if changes.is_empty() {
        return Ok(find(db, id)
            .await?
            .filter(|row| unchanged_since.is_none_or(|t| row.updated_at == t)));
    }
    update(db, id, &changes, now, unchanged_since).await
}

async fn update(
    db: &Db,
    id: i64,
    changes: &[(&str, Option<Bind>)],
    now: &str,
    unchanged_since: Option<&str>,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("UPDATE products SET ");
    for (name, value) in changes {
        sql.push(name).push(" = ");
        match value {
            Some(v) => sql.bind(v.clone()),
            None => sql.push("NULL"),
        };
        sql.push(", ");
    }
    sql.push("updated_at = ").bind(Bind::Text(now.to_owned()));
    sql.push(" WHERE id = ").bind(Bind::Int(id));
    if let Some(at) = unchanged_since {
        sql.push(" AND updated_at = ")
            .bind(Bind::Text(at.to_owned()));
    }
    sql.push(" RETURNING ").push(COLUMNS);
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(ProductRow::from_row)
        .transpose()
}

/// Deletes product `id`; whether it existed.
pub async fn delete(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("DELETE FROM products WHERE id = ")
        .bind(Bind::Int(id));
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// One page of products matching `query`, with the total count.
pub async fn list(db: &Db, query: &ListQuery) -> Result<Page<ProductRow>, sqlx::Error> {
    query.fetch(db, COLUMNS, ProductRow::from_row).await
}

/// How many products match `query`'s filters.
pub async fn count(db: &Db, query: &ListQuery) -> Result<i64, sqlx::Error> {
    query
        .count_sql(db.backend())
        .query()
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

/// The ids of the products with these skus, on a connection (inside the caller's
/// transaction), by sku.
pub async fn ids_by_sku_on(
    conn: &mut AnyConnection,
    skus: &[&str],
) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    for chunk in skus.chunks(500) {
        let mut sql = Sql::new(Backend::of(conn));
        sql.push("SELECT sku, id FROM products WHERE sku IN (");
        sql.bind_list(chunk.iter().map(|s| Bind::Text((*s).to_owned())));
        sql.push(")");
        for r in sql.query().fetch_all(&mut *conn).await? {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
    }
    Ok(out)
}

/// Sets a product's list price to `price` only if it is still `expected` (to the cent).
pub async fn set_price_if(
    conn: &mut AnyConnection,
    product: i64,
    expected: f64,
    price: f64,
    now: &str,
) -> Result<PriceSet, sqlx::Error> {
    let backend = Backend::of(conn);
    let done = Sql::with(
        backend,
        &[
            "UPDATE products SET list_price = ",
            ", updated_at = ",
            " WHERE id = ",
            " AND ABS(list_price - ",
            ") < 0.005",
        ],
        vec![
            Bind::Float(price),
            Bind::Text(now.into()),
            Bind::Int(product),
            Bind::Float(expected),
        ],
    )
    .query()
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(PriceSet::Changed);
    }
    let current = Sql::with(
        backend,
        &["SELECT list_price FROM products WHERE id = ", ""],
        vec![Bind::Int(product)],
    )
    .query()
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match current {
        Some(row) => PriceSet::Moved(row.try_get(0)?),
        None => PriceSet::Gone,
    })
}

/// The products with these ids, in id order (unknown ids are absent).
pub async fn find_many(db: &Db, ids: &[i64]) -> Result<Vec<ProductRow>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(db.backend());
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM products WHERE id IN (");
        sql.bind_list(chunk.iter().map(|&i| Bind::Int(i)));
        sql.push(")");
        for r in sql.query().fetch_all(db.pool()).await? {
            out.push(ProductRow::from_row(&r)?);
        }
    }
    out.sort_by_key(|p| p.id);
    Ok(out)
}
