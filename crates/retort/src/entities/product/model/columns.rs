//! The catalogue read whole: as typed columns (what models read), grouped for a sales
//! panel, and its size and last change.

use sqlx::Row;

use super::super::interface::Catalogue;
use crate::kernel::db::{Db, get_bool};
use crate::kernel::query::{Bind, ListQuery, Sql};

/// When the catalogue last changed (the newest `updated_at`) and how many products it has.
pub async fn catalogue_state(db: &Db) -> Result<(Option<String>, i64), sqlx::Error> {
    let row = sqlx::query("SELECT MAX(updated_at), COUNT(*) FROM products")
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Every product's category and brand, by id (what groups a sales panel).
pub async fn groups(
    db: &Db,
) -> Result<std::collections::HashMap<i64, (String, String)>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let sql = Sql::with(
        db.backend(),
        &["SELECT id, category, brand FROM products"],
        vec![],
    );
    // A SQLite file is read in place, off the async driver (see kernel::bulk).
    let read = crate::kernel::bulk::read(db, &sql, |rows| {
        let mut out = std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            out.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
        Ok(out)
    });
    if let Some(out) = read.await? {
        return Ok(out);
    }
    let mut rows = sqlx::query("SELECT id, category, brand FROM products").fetch(db.pool());
    let mut out = std::collections::HashMap::new();
    while let Some(r) = rows.try_next().await? {
        out.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
    }
    Ok(out)
}

/// Ids that cut the catalogue into ranges of `every` products, in id order: the id of
/// every `every`th product and the highest id (none without products). Range `k` is the
/// ids above boundary `k − 1` up to boundary `k`.
pub async fn id_boundaries(db: &Db, every: usize) -> Result<Vec<i64>, sqlx::Error> {
    let every = every.max(1);
    let sql = format!(
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n, COUNT(*) OVER () AS total FROM products) ranked \
         WHERE n % {every} = 0 OR n = total ORDER BY id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Up to `limit` products with ids above `after` (among those `filters` select), in id
/// order, as columns.
pub async fn columns(
    db: &Db,
    filters: Option<&ListQuery>,
    after: i64,
    limit: usize,
) -> Result<Catalogue, sqlx::Error> {
    read_columns(db, filters, after, None, limit).await
}

/// The products with ids above `after` and at most `upto` (among those `filters`
/// select), in id order, as columns: ranges of ids can be read concurrently.
pub async fn columns_between(
    db: &Db,
    filters: Option<&ListQuery>,
    after: i64,
    upto: i64,
) -> Result<Catalogue, sqlx::Error> {
    // No more rows than ids in the range (a bound both databases accept).
    let span = usize::try_from(upto.saturating_sub(after).max(0)).unwrap_or(0);
    read_columns(db, filters, after, Some(upto), span).await
}

async fn read_columns(
    db: &Db,
    filters: Option<&ListQuery>,
    after: i64,
    upto: Option<i64>,
    limit: usize,
) -> Result<Catalogue, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push(
        "SELECT id, sku, brand, line, category, width_mm, aspect_ratio, rim_in, load_index, \
         speed_rating, season, tread_warranty_miles, runflat, cost, list_price FROM ",
    );
    match filters {
        Some(q) => {
            sql.push("(SELECT * FROM products");
            q.push_where(&mut sql);
            sql.push(") f");
        }
        None => {
            sql.push("products");
        }
    }
    sql.push(" WHERE id > ").bind(Bind::Int(after));
    if let Some(upto) = upto {
        sql.push(" AND id <= ").bind(Bind::Int(upto));
    }
    sql.push(&format!(" ORDER BY id LIMIT {limit}"));
    // A SQLite file is read in place, off the async driver (see kernel::bulk).
    if let Some(c) = crate::kernel::bulk::read(db, &sql, |rows| {
        let mut c = Catalogue::with_capacity(0);
        while let Some(r) = rows.next()? {
            c.id.push(r.get(0)?);
            c.sku.push(r.get(1)?);
            c.brand.push(r.get(2)?);
            c.line.push(r.get(3)?);
            c.category.push(r.get(4)?);
            c.width_mm.push(r.get(5)?);
            c.aspect_ratio.push(r.get(6)?);
            c.rim_in.push(r.get(7)?);
            c.load_index.push(r.get(8)?);
            c.speed_rating.push(r.get(9)?);
            c.season.push(r.get(10)?);
            c.tread_warranty_miles.push(r.get(11)?);
            c.runflat.push(r.get(12)?);
            c.cost.push(r.get(13)?);
            c.list_price.push(r.get(14)?);
        }
        Ok(c)
    })
    .await?
    {
        return Ok(c);
    }
    let rows = sql.query().fetch_all(db.pool()).await?;
    let mut c = Catalogue::with_capacity(rows.len());
    for r in &rows {
        c.id.push(r.try_get(0)?);
        c.sku.push(r.try_get(1)?);
        c.brand.push(r.try_get(2)?);
        c.line.push(r.try_get(3)?);
        c.category.push(r.try_get(4)?);
        c.width_mm.push(r.try_get(5)?);
        c.aspect_ratio.push(r.try_get(6)?);
        c.rim_in.push(r.try_get(7)?);
        c.load_index.push(r.try_get(8)?);
        c.speed_rating.push(r.try_get(9)?);
        c.season.push(r.try_get(10)?);
        c.tread_warranty_miles.push(r.try_get(11)?);
        c.runflat.push(get_bool(r, "runflat")?);
        c.cost.push(r.try_get(13)?);
        c.list_price.push(r.try_get(14)?);
    }
    Ok(c)
}
