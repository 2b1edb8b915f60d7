//! The `price_proposals` and `price_proposal_items` tables, and what an optimisation
//! reads: the products in scope with their tier and baseline units.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::schema::{ItemOut, OptimizationOut, Totals};
use crate::kernel::db::Db;
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Column, Kind, ListQuery, ListSpec, Sql};

/// Columns of a proposal, as [`OptimizationOut::from_row`] reads them.
pub const COLUMNS: &str =
    "id, status, job_id, params, totals, error, decided_by, created_at, updated_at";
/// Columns of an item, as [`ItemOut::from_row`] reads them.
pub const ITEM_COLUMNS: &str = "id, product_id, sku, brand, category, tier, old_price, new_price, change_pct, cost, baseline_units, elasticity, lower, upper, expected_units, profit_delta, revenue_delta, binding, status";

/// What the optimisation list can filter and sort on.
pub static LIST: ListSpec = ListSpec {
    table: "price_proposals",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("status", Kind::Text).equals().allowed(&[
            "queued",
            "running",
            "ready",
            "failed",
            "accepted",
            "partially_accepted",
            "rejected",
        ]),
        Column::new("created_at", Kind::Text),
    ],
    search: &[],
};

/// What a proposal's item list can filter and sort on.
pub static ITEMS: ListSpec = ListSpec {
    table: "price_proposal_items",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("sku", Kind::Text).equals(),
        Column::new("brand", Kind::Text).equals(),
        Column::new("category", Kind::Text).equals(),
        Column::new("tier", Kind::Text)
            .equals()
            .nullable()
            .allowed(&["premium", "mid", "economy"]),
        Column::new("status", Kind::Text)
            .equals()
            .allowed(&["pending", "accepted", "rejected"]),
        Column::new("old_price", Kind::Float).range(),
        Column::new("new_price", Kind::Float).range(),
        Column::new("change_pct", Kind::Float).range(),
        Column::new("profit_delta", Kind::Float).range(),
        Column::new("revenue_delta", Kind::Float).range(),
        Column::new("elasticity", Kind::Float).range(),
        Column::new("baseline_units", Kind::Float).range(),
    ],
    search: &["sku", "brand"],
};

/// The `binding` filter: each constraint name with its fixed predicate.
pub const BINDING_FILTERS: [(&str, &str); 6] = [
    ("max_increase", "binding LIKE '%max_increase%'"),
    ("max_decrease", "binding LIKE '%max_decrease%'"),
    ("min_margin", "binding LIKE '%min_margin%'"),
    ("zero_demand", "binding LIKE '%zero_demand%'"),
    ("ladder_above", "binding LIKE '%ladder_above%'"),
    ("ladder_below", "binding LIKE '%ladder_below%'"),
];

impl OptimizationOut {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
        let params: String = r.try_get("params")?;
        let totals: Option<String> = r.try_get("totals")?;
        Ok(Self {
            id: r.try_get("id")?,
            status: r.try_get("status")?,
            job_id: r.try_get("job_id")?,
            params: stored_params(&params)
                .map_err(decode)?
                .map_err(|e| sqlx::Error::Decode(format!("stored parameters: {e:?}").into()))?,
            totals: totals
                .map(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(decode))
                .transpose()?
                .map(|v| totals_from_json(&v)),
            error: r.try_get("error")?,
            decided_by: r.try_get("decided_by")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Stored parameters; those of proposals from before the demand model was a choice
/// were solved under linear demand.
fn stored_params(
    text: &str,
) -> Result<
    Result<super::schema::OptimizationIn, Vec<crate::kernel::error::FieldError>>,
    serde_json::Error,
> {
    let mut json: serde_json::Value = serde_json::from_str(text)?;
    if let Some(obj) = json.as_object_mut() {
        obj.entry("demand_model").or_insert_with(|| "linear".into());
    }
    Ok(super::params::params_from_json(&json))
}

fn totals_from_json(v: &serde_json::Value) -> Totals {
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    Totals {
        products: v["products"].as_i64().unwrap_or(0),
        changed: v["changed"].as_i64().unwrap_or(0),
        revenue_before: f("revenue_before"),
        revenue_after: f("revenue_after"),
        profit_before: f("profit_before"),
        profit_after: f("profit_after"),
        profit_delta: f("profit_delta"),
        units_before: f("units_before"),
        units_after: f("units_after"),
        solve_seconds: f("solve_seconds"),
        iterations: v["iterations"].as_i64().unwrap_or(0),
        // Proposals from before the demand model was a choice were linear, in one step.
        demand_model: v["demand_model"].as_str().unwrap_or("linear").to_owned(),
        steps: v["steps"].as_i64().unwrap_or(1),
        solver_status: v["solver_status"].as_str().unwrap_or("").to_owned(),
    }
}

impl ItemOut {
    /// Reads a row selected with [`ITEM_COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let binding: String = r.try_get("binding")?;
        Ok(Self {
            product_id: r.try_get("product_id")?,
            sku: r.try_get("sku")?,
            brand: r.try_get("brand")?,
            category: r.try_get("category")?,
            tier: r.try_get("tier")?,
            old_price: r.try_get("old_price")?,
            new_price: r.try_get("new_price")?,
            change_pct: r.try_get("change_pct")?,
            cost: r.try_get("cost")?,
            baseline_units: r.try_get("baseline_units")?,
            elasticity: r.try_get("elasticity")?,
            lower: r.try_get("lower")?,
            upper: r.try_get("upper")?,
            expected_units: r.try_get("expected_units")?,
            profit_delta: r.try_get("profit_delta")?,
            revenue_delta: r.try_get("revenue_delta")?,
            binding: binding
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            status: r.try_get("status")?,
        })
    }
}

/// Adds a queued proposal; its id.
pub async fn insert(conn: &mut AnyConnection, params: &str, now: &str) -> Result<i64, sqlx::Error> {
    Sql::with(
        crate::kernel::db::Backend::of(conn),
        &[
            "INSERT INTO price_proposals (status, params, created_at, updated_at) VALUES ('queued', ",
            ", ",
            ", ",
            ") RETURNING id",
        ],
        vec![Bind::Text(params.into()), Bind::Text(now.into()), Bind::Text(now.into())],
    )
    .query()
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// Sets a proposal's status and, when given, its job, totals and error — only while it
/// is queued, running or failed: a ready or decided proposal never goes back (a job run
/// again after its worker died finds it done). Whether it changed.
pub async fn set_state(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    id: i64,
    status: &str,
    extra: (Option<i64>, Option<&str>, Option<&str>),
    now: &str,
) -> Result<bool, sqlx::Error> {
    let (job, totals, error) = extra;
    let mut sql = Sql::new(backend);
    sql.push("UPDATE price_proposals SET status = ")
        .bind(Bind::Text(status.into()));
    sql.push(", updated_at = ").bind(Bind::Text(now.into()));
    if let Some(j) = job {
        sql.push(", job_id = ").bind(Bind::Int(j));
    }
    if let Some(t) = totals {
        sql.push(", totals = ").bind(Bind::Text(t.into()));
    }
    if let Some(e) = error {
        sql.push(", error = ").bind(Bind::Text(e.into()));
    }
    sql.push(" WHERE id = ")
        .bind(Bind::Int(id))
        .push(" AND status IN ('queued', 'running', 'failed')");
    Ok(sql.query().execute(conn).await?.rows_affected() == 1)
}

/// The proposal with `id`.
pub async fn find(db: &Db, id: i64) -> Result<Option<OptimizationOut>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            &format!("SELECT {COLUMNS} FROM price_proposals WHERE id = "),
            "",
        ],
        vec![Bind::Int(id)],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .map(|r| OptimizationOut::from_row(&r))
        .transpose()
}

/// A product in an optimisation's scope.
#[derive(Debug, Clone)]
pub struct ScopeProduct {
    /// Id.
    pub id: i64,
    /// Sku.
    pub sku: String,
    /// Brand.
    pub brand: String,
    /// Category.
    pub category: String,
    /// Brand tier.
    pub tier: Option<String>,
    /// Size: width, aspect ratio, rim.
    pub size: (i64, i64, i64),
    /// List price now.
    pub price: f64,
    /// Unit cost.
    pub cost: f64,
}

/// Writes a proposal's items.
pub async fn insert_items(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    proposal: i64,
    items: &[ItemOut],
) -> Result<(), sqlx::Error> {
    for chunk in items.chunks(400) {
        let mut sql = Sql::new(backend);
        sql.push("INSERT INTO price_proposal_items (proposal_id, product_id, sku, brand, category, tier, old_price, new_price, change_pct, cost, baseline_units, elasticity, lower, upper, expected_units, profit_delta, revenue_delta, binding, status) VALUES ");
        for (i, it) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind_list([
                Bind::Int(proposal),
                Bind::Int(it.product_id),
                Bind::Text(it.sku.clone()),
                Bind::Text(it.brand.clone()),
                Bind::Text(it.category.clone()),
                it.tier.clone().map_or(Bind::Null, Bind::Text),
                Bind::Float(it.old_price),
                Bind::Float(it.new_price),
                Bind::Float(it.change_pct),
                Bind::Float(it.cost),
                Bind::Float(it.baseline_units),
                Bind::Float(it.elasticity),
                Bind::Float(it.lower),
                Bind::Float(it.upper),
                Bind::Float(it.expected_units),
                Bind::Float(it.profit_delta),
                Bind::Float(it.revenue_delta),
                Bind::Text(it.binding.join(",")),
                Bind::Text(it.status.clone()),
            ]);
            sql.push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The pending items of a proposal (all, or those with these skus): (item id, product
/// id, sku, old price, new price).
pub async fn pending_items(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    proposal: i64,
    skus: Option<&[String]>,
) -> Result<Vec<(i64, i64, String, f64, f64)>, sqlx::Error> {
    let mut sql = Sql::new(backend);
    sql.push("SELECT id, product_id, sku, old_price, new_price FROM price_proposal_items WHERE proposal_id = ")
        .bind(Bind::Int(proposal))
        .push(" AND status = 'pending'");
    if let Some(skus) = skus {
        sql.push(" AND sku IN (");
        sql.bind_list(skus.iter().map(|s| Bind::Text(s.clone())));
        sql.push(")");
    }
    sql.push(" ORDER BY id");
    sql.query()
        .fetch_all(conn)
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

/// Counts of a proposal's items by status.
pub async fn status_counts(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    proposal: i64,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    Sql::with(
        backend,
        &[
            "SELECT status, COUNT(*) FROM price_proposal_items WHERE proposal_id = ",
            " GROUP BY status",
        ],
        vec![Bind::Int(proposal)],
    )
    .query()
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// The skus among `skus` that are not in the proposal.
pub async fn unknown_skus(
    db: &Db,
    proposal: i64,
    skus: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let mut known = std::collections::HashSet::new();
    for chunk in skus.chunks(500) {
        let mut sql = Sql::new(db.backend());
        sql.push("SELECT sku FROM price_proposal_items WHERE proposal_id = ")
            .bind(Bind::Int(proposal))
            .push(" AND sku IN (");
        sql.bind_list(chunk.iter().map(|s| Bind::Text(s.clone())));
        sql.push(")");
        for r in sql.query().fetch_all(db.pool()).await? {
            known.insert(r.try_get::<String, _>(0)?);
        }
    }
    Ok(skus
        .iter()
        .filter(|s| !known.contains(*s))
        .cloned()
        .collect())
}

/// Marks an item decided if it is still pending; whether it was.
pub async fn decide_item(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    item: i64,
    status: &str,
) -> Result<bool, sqlx::Error> {
    let done = Sql::with(
        backend,
        &[
            "UPDATE price_proposal_items SET status = ",
            " WHERE id = ",
            " AND status = 'pending'",
        ],
        vec![Bind::Text(status.into()), Bind::Int(item)],
    )
    .query()
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a decided item back to pending (its product's price moved since the proposal).
pub async fn undecide_item(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    item: i64,
) -> Result<(), sqlx::Error> {
    Sql::with(
        backend,
        &[
            "UPDATE price_proposal_items SET status = 'pending' WHERE id = ",
            "",
        ],
        vec![Bind::Int(item)],
    )
    .query()
    .execute(conn)
    .await
    .map(|_| ())
}

/// One page of optimizations.
pub async fn list(db: &Db, query: &ListQuery) -> Result<Page<OptimizationOut>, sqlx::Error> {
    query.fetch(db, COLUMNS, OptimizationOut::from_row).await
}

/// One page of a proposal's items (`query` already limited to the proposal).
pub async fn items(db: &Db, query: &ListQuery) -> Result<Page<ItemOut>, sqlx::Error> {
    query.fetch(db, ITEM_COLUMNS, ItemOut::from_row).await
}

/// Per category of a proposal: weekly profit at current prices, its change, and how
/// many products.
pub async fn profit_by_category(
    db: &Db,
    id: i64,
) -> Result<std::collections::BTreeMap<String, (f64, f64, i64)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT category, SUM((old_price - cost) * baseline_units), SUM(profit_delta), COUNT(*) FROM price_proposal_items WHERE proposal_id = ",
            " GROUP BY category ORDER BY category",
        ],
        vec![Bind::Int(id)],
    );
    let mut out = std::collections::BTreeMap::new();
    for r in sql.query().fetch_all(db.pool()).await? {
        out.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    Ok(out)
}

/// Records a proposal's status after a decision, and who decided.
pub async fn set_decided(
    conn: &mut AnyConnection,
    backend: crate::kernel::db::Backend,
    id: i64,
    status: &str,
    actor: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE price_proposals SET status = ")
        .bind(Bind::Text(status.into()))
        .push(", decided_by = ")
        .bind(Bind::Text(actor.into()))
        .push(", updated_at = ")
        .bind(Bind::Text(now.into()))
        .push(" WHERE id = ")
        .bind(Bind::Int(id));
    sql.query().execute(conn).await.map(|_| ())
}
