//! The `brands` table.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::schema::{BrandIn, BrandPatch};
use crate::kernel::db::{Backend, Db};
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Column, Kind, ListQuery, ListSpec, Sql};

/// A row of `brands`.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandRow {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Tier, if set.
    pub tier: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, tier, created_at, updated_at";

/// What the brand list can filter and sort on.
pub static LIST: ListSpec = ListSpec {
    table: "brands",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("name", Kind::Text).equals(),
        Column::new("tier", Kind::Text)
            .equals()
            .nullable()
            .allowed(super::interface::Tier::NAMES),
        Column::new("created_at", Kind::Text),
        Column::new("updated_at", Kind::Text),
    ],
    search: &["name"],
};

impl BrandRow {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            tier: r.try_get("tier")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

fn tier(b: &BrandIn) -> Bind {
    b.tier.map_or(Bind::Null, |t| Bind::Text(t.as_str().into()))
}

/// Inserts one brand; a duplicate name is a unique violation.
pub async fn insert(db: &Db, b: &BrandIn, now: &str) -> Result<BrandRow, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "INSERT INTO brands (name, tier, created_at, updated_at) VALUES (",
            ", ",
            ", ",
            ", ",
            &format!(") RETURNING {COLUMNS}"),
        ],
        vec![
            Bind::Text(b.name.clone()),
            tier(b),
            Bind::Text(now.into()),
            Bind::Text(now.into()),
        ],
    );
    BrandRow::from_row(&sql.query().fetch_one(db.pool()).await?)
}

/// Inserts many brands; with `upsert`, an existing name gets the new tier.
pub async fn insert_many(
    conn: &mut AnyConnection,
    rows: &[BrandIn],
    upsert: bool,
    now: &str,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(Backend::of(conn));
    sql.push("INSERT INTO brands (name, tier, created_at, updated_at) VALUES ");
    for (i, b) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(Bind::Text(b.name.clone()))
            .push(", ")
            .bind(tier(b))
            .push(", ");
        sql.bind(Bind::Text(now.into()))
            .push(", ")
            .bind(Bind::Text(now.into()))
            .push(")");
    }
    if upsert {
        sql.push(" ON CONFLICT (name) DO UPDATE SET tier = excluded.tier, updated_at = excluded.updated_at");
    }
    sql.query().execute(conn).await.map(|_| ())
}

/// Which of `names` exist already.
pub async fn existing(
    conn: &mut AnyConnection,
    names: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new(Backend::of(conn));
    sql.push("SELECT name FROM brands WHERE name IN (");
    sql.bind_list(names.iter().map(|n| Bind::Text((*n).to_owned())));
    sql.push(")");
    sql.query()
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// The brand with `id`.
pub async fn find(db: &Db, id: i64) -> Result<Option<BrandRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[&format!("SELECT {COLUMNS} FROM brands WHERE id = "), ""],
        vec![Bind::Int(id)],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(BrandRow::from_row)
        .transpose()
}

/// Changes brand `id`: `name` if given, `tier` if given (null unsets it).
pub async fn update(
    db: &Db,
    id: i64,
    patch: &BrandPatch,
    now: &str,
) -> Result<Option<BrandRow>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("UPDATE brands SET updated_at = ")
        .bind(Bind::Text(now.into()));
    if let Some(name) = &patch.name {
        sql.push(", name = ").bind(Bind::Text(name.clone()));
    }
    if let Some(tier) = patch.tier {
        sql.push(", tier = ")
            .bind(tier.map_or(Bind::Null, |t| Bind::Text(t.as_str().into())));
    }
    sql.push(" WHERE id = ")
        .bind(Bind::Int(id))
        .push(" RETURNING ")
        .push(COLUMNS);
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(BrandRow::from_row)
        .transpose()
}

/// Deletes brand `id`; whether it existed.
pub async fn delete(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &["DELETE FROM brands WHERE id = ", ""],
        vec![Bind::Int(id)],
    );
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// One page of brands.
pub async fn list(db: &Db, query: &ListQuery) -> Result<Page<BrandRow>, sqlx::Error> {
    query.fetch(db, COLUMNS, BrandRow::from_row).await
}

/// Every brand's tier (null when unset), by name.
pub async fn tiers(
    db: &Db,
) -> Result<std::collections::HashMap<String, Option<String>>, sqlx::Error> {
    sqlx::query("SELECT name, tier FROM brands")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
