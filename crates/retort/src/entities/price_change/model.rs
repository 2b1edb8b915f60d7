//! The `price_changes` table.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::schema::PriceChangeOut;
use crate::kernel::db::{Backend, Db};
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Column, Kind, ListQuery, ListSpec, Sql};

const COLUMNS: &str = "id, product_id, sku, old_price, new_price, proposal_id, actor, changed_at";

/// What the audit trail can filter and sort on.
pub static LIST: ListSpec = ListSpec {
    table: "price_changes",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("product_id", Kind::Int).equals(),
        Column::new("sku", Kind::Text).equals(),
        Column::new("proposal_id", Kind::Int).equals().nullable(),
        Column::new("actor", Kind::Text).equals(),
        Column::new("changed_at", Kind::Text),
    ],
    search: &["sku", "actor"],
};

/// What one product's price history can filter and sort on: the audit trail's columns,
/// `product_id` only for sorting (the path gives it).
pub static LIST_OF_PRODUCT: ListSpec = ListSpec {
    table: "price_changes",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("product_id", Kind::Int),
        Column::new("sku", Kind::Text).equals(),
        Column::new("proposal_id", Kind::Int).equals().nullable(),
        Column::new("actor", Kind::Text).equals(),
        Column::new("changed_at", Kind::Text),
    ],
    search: &["sku", "actor"],
};

impl PriceChangeOut {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            product_id: r.try_get("product_id")?,
            sku: r.try_get("sku")?,
            old_price: r.try_get("old_price")?,
            new_price: r.try_get("new_price")?,
            proposal_id: r.try_get("proposal_id")?,
            actor: r.try_get("actor")?,
            changed_at: r.try_get("changed_at")?,
        })
    }
}

/// Records a change.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    product: i64,
    sku: &str,
    old: f64,
    new: f64,
    proposal: Option<i64>,
    actor: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    Sql::with(
        Backend::of(conn),
        &[
            "INSERT INTO price_changes (product_id, sku, old_price, new_price, proposal_id, actor, changed_at) VALUES (",
            ", ", ", ", ", ", ", ", ", ", ", ", ")",
        ],
        vec![
            Bind::Int(product),
            Bind::Text(sku.into()),
            Bind::Float(old),
            Bind::Float(new),
            proposal.map_or(Bind::NullInt, Bind::Int),
            Bind::Text(actor.into()),
            Bind::Text(now.into()),
        ],
    )
    .query()
    .execute(conn)
    .await
    .map(|_| ())
}

/// One page of changes.
pub async fn list(db: &Db, query: &ListQuery) -> Result<Page<PriceChangeOut>, sqlx::Error> {
    query.fetch(db, COLUMNS, PriceChangeOut::from_row).await
}
