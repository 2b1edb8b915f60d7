//! The `sales` table (and `sales_view`, which adds the product's sku).

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::schema::{SaleIn, SalePatch};
use crate::kernel::db::{Backend, Db};
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Column, Kind, ListQuery, ListSpec, Sql};

/// A row of `sales_view`.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleRow {
    /// Primary key.
    pub id: i64,
    /// The product's sku.
    pub sku: String,
    /// The Monday the week starts.
    pub week: String,
    /// Average selling price.
    pub price: f64,
    /// Units sold.
    pub units: i64,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

const COLUMNS: &str = "id, sku, week, price, units, created_at, updated_at";

/// What the sales list can filter and sort on.
pub static LIST: ListSpec = ListSpec {
    table: "sales_view",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("sku", Kind::Text).equals(),
        Column::new("week", Kind::Text).range(),
        Column::new("price", Kind::Float).range(),
        Column::new("units", Kind::Int).range(),
        Column::new("created_at", Kind::Text),
        Column::new("updated_at", Kind::Text),
    ],
    search: &["sku"],
};

impl SaleRow {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            sku: r.try_get("sku")?,
            week: r.try_get("week")?,
            price: r.try_get("price")?,
            units: r.try_get("units")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Inserts sales `(product id, sale)`; with `upsert` an existing product-week gets the new
/// price and units, without it existing ones are skipped and returned as
/// `(product id, week)`, so the caller can report them.
pub async fn insert_many(
    conn: &mut AnyConnection,
    rows: &[(i64, &SaleIn)],
    upsert: bool,
    now: &str,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(Backend::of(conn));
    sql.push("INSERT INTO sales (product_id, week, price, units, created_at, updated_at) VALUES ");
    for (i, (pid, s)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(Bind::Int(*pid))
            .push(", ")
            .bind(Bind::Text(s.week.clone()))
            .push(", ");
        sql.bind(Bind::Float(s.price))
            .push(", ")
            .bind(Bind::Int(s.units))
            .push(", ");
        sql.bind(Bind::Text(now.into()))
            .push(", ")
            .bind(Bind::Text(now.into()))
            .push(")");
    }
    if upsert {
        sql.push(" ON CONFLICT (product_id, week) DO UPDATE SET price = excluded.price, units = excluded.units, updated_at = excluded.updated_at");
        sql.query().execute(&mut *conn).await?;
        return Ok(Vec::new());
    }
    sql.push(" ON CONFLICT (product_id, week) DO NOTHING RETURNING product_id, week");
    let inserted: Vec<(i64, String)> = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(rows
        .iter()
        .filter(|(pid, s)| !inserted.iter().any(|(p, w)| p == pid && *w == s.week))
        .map(|(pid, s)| (*pid, s.week.clone()))
        .collect())
}

/// The sale with `id`.
pub async fn find(db: &Db, id: i64) -> Result<Option<SaleRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[&format!("SELECT {COLUMNS} FROM sales_view WHERE id = "), ""],
        vec![Bind::Int(id)],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(SaleRow::from_row)
        .transpose()
}

/// Changes price or units of sale `id`; whether it exists.
pub async fn update(db: &Db, id: i64, patch: &SalePatch, now: &str) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("UPDATE sales SET updated_at = ")
        .bind(Bind::Text(now.into()));
    if let Some(p) = patch.price {
        sql.push(", price = ").bind(Bind::Float(p));
    }
    if let Some(u) = patch.units {
        sql.push(", units = ").bind(Bind::Int(u));
    }
    sql.push(" WHERE id = ").bind(Bind::Int(id));
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// Deletes sale `id`; whether it existed.
pub async fn delete(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &["DELETE FROM sales WHERE id = ", ""],
        vec![Bind::Int(id)],
    );
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// One page of sales.
pub async fn list(db: &Db, query: &ListQuery) -> Result<Page<SaleRow>, sqlx::Error> {
    query.fetch(db, COLUMNS, SaleRow::from_row).await
}

/// Calls `each(product id, week, price, units)` for every sale, streamed (millions of rows).
pub async fn for_each(
    db: &Db,
    mut each: impl FnMut(i64, &str, f64, i64),
) -> Result<(), sqlx::Error> {
    use futures_util::TryStreamExt;
    if db.sqlite_file().is_some() {
        return for_each_in_pages(db, each).await;
    }
    let mut rows = sqlx::query("SELECT product_id, week, price, units FROM sales").fetch(db.pool());
    while let Some(r) = rows.try_next().await? {
        let week: &str = r.try_get(1)?;
        each(r.try_get(0)?, week, r.try_get(2)?, r.try_get(3)?);
    }
    Ok(())
}

/// One page of sales read in place: the weeks as codes into their few distinct texts.
#[derive(Default)]
struct SalesPage {
    last_id: i64,
    product: Vec<i64>,
    week: Vec<u16>,
    weeks: Vec<String>,
    price: Vec<f64>,
    units: Vec<i64>,
}

/// [`for_each`] on a SQLite file: pages of 250,000 sales in id order, each read on a
/// blocking thread (`kernel::bulk`).
async fn for_each_in_pages(
    db: &Db,
    mut each: impl FnMut(i64, &str, f64, i64),
) -> Result<(), sqlx::Error> {
    const PAGE: usize = 250_000;
    let mut after = i64::MIN;
    loop {
        let sql = Sql::with(
            db.backend(),
            &[
                "SELECT id, product_id, week, price, units FROM sales WHERE id > ",
                &format!(" ORDER BY id LIMIT {PAGE}"),
            ],
            vec![Bind::Int(after)],
        );
        let page = crate::kernel::bulk::read(db, &sql, |rows| {
            let mut p = SalesPage::default();
            let mut codes: HashMap<String, u16> = HashMap::new();
            while let Some(r) = rows.next()? {
                p.last_id = r.get(0)?;
                p.product.push(r.get(1)?);
                let week = r.get_ref(2)?.as_str()?;
                let code = match codes.get(week) {
                    Some(&c) => c,
                    None => {
                        let c = u16::try_from(p.weeks.len()).unwrap_or(u16::MAX);
                        p.weeks.push(week.to_owned());
                        codes.insert(week.to_owned(), c);
                        c
                    }
                };
                p.week.push(code);
                p.price.push(r.get(3)?);
                p.units.push(r.get(4)?);
            }
            Ok(p)
        })
        .await?
        .unwrap_or_default();
        let n = page.product.len();
        for i in 0..n {
            let week = page
                .weeks
                .get(usize::from(page.week[i]))
                .map_or("", String::as_str);
            each(page.product[i], week, page.price[i], page.units[i]);
        }
        if n < PAGE {
            return Ok(());
        }
        after = page.last_id;
    }
}

/// How many sales rows there are.
pub async fn count_all(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM sales")
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

/// Mean weekly units per product over the weeks from `since` (a Monday, inclusive).
pub async fn mean_units_since(
    db: &Db,
    ids: &[i64],
    since: &str,
) -> Result<HashMap<i64, f64>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(db.backend());
        sql.push("SELECT product_id, CAST(SUM(units) AS DOUBLE PRECISION), COUNT(*) FROM sales WHERE week >= ")
            .bind(Bind::Text(since.into()))
            .push(" AND product_id IN (");
        sql.bind_list(chunk.iter().map(|&i| Bind::Int(i)));
        sql.push(") GROUP BY product_id");
        for r in sql.query().fetch_all(db.pool()).await? {
            let (id, units, weeks): (i64, f64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            out.insert(id, units / weeks.max(1) as f64);
        }
    }
    Ok(out)
}

/// The latest week in the sales history.
pub async fn last_week(db: &Db) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT MAX(week) FROM sales")
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}
