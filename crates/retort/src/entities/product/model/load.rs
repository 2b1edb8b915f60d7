//! Bulk loads into the catalogue: whether it is empty, its secondary indexes dropped for
//! the load, and the planner's statistics refreshed after it.

use sqlx::{AnyConnection, Row};

use crate::kernel::db::Db;

/// Whether the catalogue has no products.
pub async fn is_empty(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM products LIMIT 1) AS one")
        .fetch_one(conn)
        .await?;
    Ok(row.try_get::<i64, _>(0)? == 0)
}

/// Drops the catalogue's secondary indexes for a bulk load into it, inside `conn`'s
/// write transaction (see [`Db::drop_indexes`]).
pub async fn drop_indexes(
    conn: &mut AnyConnection,
) -> Result<crate::kernel::db::DroppedIndexes, sqlx::Error> {
    Db::drop_indexes(conn, "products").await
}

/// Refreshes the planner's statistics of `products` (after a large write).
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    db.analyze("products").await
}
