//! The rules of price optimisation: check a request, queue it, solve it in the
//! `optimize_prices` job (products in scope, baseline units from recent sales,
//! elasticities by category and tier, the QP), and accept or reject the proposal —
//! prices and the audit trail in one transaction, each product decided once.

use std::collections::HashMap;

use retort_learn::optimize::{self, Constraints, DemandModel, Item, Objective, Tier};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::model::{self, ScopeProduct};
use super::schema::{ItemOut, OptimizationOut, Totals};
use crate::entities::elasticity::service as elasticities;
use crate::entities::product::score::filter_pairs;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::jobs::{Job, JobContext, JobError};
use crate::kernel::state::AppState;
use crate::kernel::time;

/// Products one optimisation may cover.
pub const MAX_PRODUCTS: usize = 50_000;
/// Elasticities are capped at this (demand must fall as price rises for the QP to be
/// convex; an estimate at or above it is treated as this).
pub const MAX_ELASTICITY: f64 = -0.1;

/// The ids of the products in scope; 422 naming unknown skus, an empty scope or one
/// over the limit.
async fn scope_ids(state: &AppState, scope: &Json) -> AppResult<Vec<i64>> {
    let db = &state.db;
    if let Some(Json::Array(skus)) = scope.get("skus") {
        let skus: Vec<String> = skus
            .iter()
            .filter_map(|s| s.as_str().map(|s| s.trim().to_owned()))
            .collect();
        let found = crate::entities::product::ids_by_sku(db, &skus).await?;
        let errors: Vec<FieldError> = skus
            .iter()
            .enumerate()
            .filter(|(_, s)| !found.contains_key(*s))
            .map(|(i, s)| {
                FieldError::new(
                    format!("/scope/skus/{i}"),
                    format!("no product with sku {s:?}"),
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut ids: Vec<i64> = found.into_values().collect();
        ids.sort_unstable();
        ids.dedup();
        return Ok(ids);
    }
    let pairs =
        filter_pairs(scope.get("filters").unwrap_or(&json!({}))).map_err(AppError::Validation)?;
    let ids = crate::entities::product::ids_matching(db, &pairs, MAX_PRODUCTS + 1).await?;
    if ids.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "/scope/filters",
            "selects no products",
        )]));
    }
    if ids.len() > MAX_PRODUCTS {
        return Err(AppError::Validation(vec![FieldError::new(
            "/scope/filters",
            format!("selects more than {MAX_PRODUCTS} products; narrow the filters"),
        )]));
    }
    Ok(ids)
}

/// Checks a request and queues it: the proposal and its job are written in one
/// transaction. The optimisation, queued.
pub async fn start(state: &AppState, body: &Json) -> AppResult<OptimizationOut> {
    let params = super::params::params_from_json(body).map_err(AppError::Validation)?;
    scope_ids(state, &params.scope).await?;
    let (estimates, _) = crate::entities::elasticity::estimates(&state.db).await?;
    if estimates.is_empty() {
        let job = elasticities::ensure_job(state).await?;
        return Err(AppError::Conflict(format!(
            "no price elasticities estimated yet; job {job} is estimating them from the sales history — try again when it has finished"
        )));
    }
    let stored = serde_json::to_string(&params).map_err(|e| AppError::Internal(e.into()))?;
    let now = time::now();
    let mut tx = state.db.begin_write().await?;
    let id = model::insert(&mut tx, &stored, &now).await?;
    let job =
        crate::entities::job::service::enqueue_job(&mut tx, &OptimizePrices { optimization: id })
            .await?;
    model::set_state(
        &mut tx,
        state.db.backend(),
        id,
        "queued",
        (Some(job), None, None),
        &now,
    )
    .await?;
    tx.commit().await?;
    get(state, id).await
}

/// The optimisation with `id`; 404 if none.
pub async fn get(state: &AppState, id: i64) -> AppResult<OptimizationOut> {
    model::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no optimization with id {id}")))
}

/// The job: solve an optimisation and store its proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizePrices {
    /// The optimisation's id.
    pub optimization: i64,
}

impl Job for OptimizePrices {
    const KIND: &'static str = "optimize_prices";

    fn check(&self) -> Result<(), Vec<FieldError>> {
        if self.optimization >= 1 {
            Ok(())
        } else {
            Err(vec![FieldError::new(
                "/optimization",
                "is required: an optimization id",
            )])
        }
    }

    async fn run(self, ctx: &JobContext) -> Result<Json, JobError> {
        let id = self.optimization;
        let result = run(ctx, id).await;
        let now = time::now();
        let db = &ctx.state.db;
        let mut conn = db.pool().acquire().await?;
        match &result {
            Err(JobError::Failed(message)) => {
                let _ = model::set_state(
                    &mut conn,
                    db.backend(),
                    id,
                    "failed",
                    (None, None, Some(message)),
                    &now,
                )
                .await;
            }
            Err(_) => {
                let _ = model::set_state(
                    &mut conn,
                    db.backend(),
                    id,
                    "queued",
                    (None, None, None),
                    &now,
                )
                .await;
            }
            Ok(_) => {}
        }
        result
    }
}

/// The elasticity each product is optimised with.
fn elasticity_of(
    items: &[crate::entities::elasticity::schema::ElasticityOut],
    p: &ScopeProduct,
) -> Option<f64> {
    elasticities::lookup(items, &p.category, p.tier.as_deref()).map(|e| e.min(MAX_ELASTICITY))
}

/// A solver message naming items by index, with skus instead.
fn name_items(message: &str, products: &[ScopeProduct]) -> String {
    super::solve::rename_items(message, |i| {
        products.get(i).map(|p| format!("product {}", p.sku))
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Solves optimisation `id` and stores its proposal.
async fn run(ctx: &JobContext, id: i64) -> Result<Json, JobError> {
    let failed = |e: AppError| JobError::from(e);
    let db_failed = |e: sqlx::Error| JobError::from(e);
    let state = &ctx.state;
    let db = &state.db;
    let opt = get(state, id).await.map_err(failed)?;
    let mut conn = db.pool().acquire().await.map_err(db_failed)?;
    let started = model::set_state(
        &mut conn,
        db.backend(),
        id,
        "running",
        (None, None, None),
        &time::now(),
    )
    .await
    .map_err(db_failed)?;
    drop(conn);
    if !started {
        // Run again after its proposal was stored or decided: nothing to do.
        return Ok(json!({ "optimization": id, "status": opt.status, "unchanged": true }));
    }
    let params = opt.params;
    ctx.progress(0.05, "reading the products in scope").await?;
    let ids = scope_ids(state, &params.scope).await.map_err(failed)?;
    let products = scope_products(db, &ids).await.map_err(db_failed)?;
    let last = crate::entities::sale::last_week(db)
        .await
        .map_err(db_failed)?;
    let since = last
        .as_deref()
        .and_then(time::parse_date)
        .map(|d| (d - ::time::Duration::weeks(params.baseline_weeks - 1)).to_string())
        .unwrap_or_default();
    let baseline = crate::entities::sale::mean_units_since(db, &ids, &since)
        .await
        .map_err(db_failed)?;
    let (estimates, _) = crate::entities::elasticity::estimates(db)
        .await
        .map_err(db_failed)?;
    let mut groups: HashMap<(String, i64, i64, i64), u32> = HashMap::new();
    let mut items = Vec::with_capacity(products.len());
    for p in &products {
        let elasticity = elasticity_of(&estimates, p).ok_or_else(|| {
            JobError::Failed(format!(
                "no elasticity estimate for category {:?}: re-estimate with POST /api/pricing/elasticities/estimate",
                p.category
            ))
        })?;
        let tier = match p.tier.as_deref() {
            Some("premium") => Some(Tier::Premium),
            Some("mid") => Some(Tier::Mid),
            Some("economy") => Some(Tier::Economy),
            _ => None,
        };
        let next = groups.len() as u32;
        let group = *groups
            .entry((p.category.clone(), p.size.0, p.size.1, p.size.2))
            .or_insert(next);
        items.push(Item {
            price: p.price,
            cost: p.cost,
            units: baseline.get(&p.id).copied().unwrap_or(0.0),
            elasticity,
            ladder: tier.map(|t| (group, t)),
        });
    }
    let constraints = Constraints {
        max_change: params.max_change_pct / 100.0,
        min_margin: params.min_margin_pct.map(|m| m / 100.0),
        ladder: params.price_ladder,
    };
    let objective = if params.objective == "revenue" {
        Objective::Revenue
    } else {
        Objective::Profit
    };
    ctx.progress(0.2, format!("solving for {} prices", items.len()))
        .await?;
    let ending = params.price_ending;
    let demand =
        DemandModel::parse(&params.demand_model).unwrap_or(DemandModel::ConstantElasticity);
    let (items, mut solved) = ctx
        .cpu(move || super::solve::solve_all(items, constraints, objective, demand, ending))
        .await?
        .map_err(|e| JobError::Failed(name_items(&e.message, &products)))?;
    ctx.progress(0.8, "writing the proposal").await?;
    let mut totals = Totals {
        products: products.len() as i64,
        solve_seconds: solved.stats.0,
        iterations: i64::from(solved.stats.1),
        solver_status: solved.stats.2.clone(),
        demand_model: demand.as_str().to_owned(),
        steps: i64::from(solved.steps),
        ..Totals::default()
    };
    let mut out = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let item = &items[i];
        let new_price = round2(solved.prices[i]);
        let units_after = optimize::expected_units(demand, item, new_price);
        let profit_delta =
            optimize::profit(demand, item, new_price) - optimize::profit(demand, item, item.price);
        let revenue_delta = optimize::revenue(demand, item, new_price)
            - optimize::revenue(demand, item, item.price);
        totals.changed += i64::from((new_price - p.price).abs() >= 0.005);
        totals.revenue_before += optimize::revenue(demand, item, item.price);
        totals.revenue_after += optimize::revenue(demand, item, new_price);
        totals.profit_before += optimize::profit(demand, item, item.price);
        totals.profit_after += optimize::profit(demand, item, new_price);
        totals.units_before += item.units;
        totals.units_after += units_after;
        let mut binding = std::mem::take(&mut solved.binding[i]);
        if ending.is_some() && (new_price - round2(solved.unrounded[i])).abs() >= 0.005 {
            binding.retain(|b| !b.starts_with("max_") && b != "min_margin");
        }
        out.push(ItemOut {
            product_id: p.id,
            sku: p.sku.clone(),
            brand: p.brand.clone(),
            category: p.category.clone(),
            tier: p.tier.clone(),
            old_price: p.price,
            new_price,
            change_pct: (100.0 * (new_price - p.price) / p.price * 1000.0).round() / 1000.0,
            cost: p.cost,
            baseline_units: item.units,
            elasticity: item.elasticity,
            lower: round2(solved.lower[i]),
            upper: round2(solved.upper[i]),
            expected_units: units_after,
            profit_delta,
            revenue_delta,
            binding,
            status: "pending".into(),
        });
    }
    totals.profit_delta = totals.profit_after - totals.profit_before;
    let totals_json =
        serde_json::to_string(&totals).map_err(|e| JobError::Failed(e.to_string()))?;
    let mut tx = db.begin_write().await.map_err(db_failed)?;
    let stored = model::set_state(
        &mut tx,
        db.backend(),
        id,
        "ready",
        (None, Some(&totals_json), None),
        &time::now(),
    )
    .await
    .map_err(db_failed)?;
    if !stored {
        // Another run of this job stored the proposal first; keep that one.
        return Ok(json!({ "optimization": id, "unchanged": true }));
    }
    model::insert_items(&mut tx, db.backend(), id, &out)
        .await
        .map_err(db_failed)?;
    tx.commit().await.map_err(db_failed)?;
    Ok(
        json!({ "optimization": id, "products": out.len(), "changed": totals.changed, "profit_delta": totals.profit_delta }),
    )
}

/// The products with these ids, with their brand's tier, in id order.
async fn scope_products(
    db: &crate::kernel::db::Db,
    ids: &[i64],
) -> Result<Vec<ScopeProduct>, sqlx::Error> {
    let tiers = crate::entities::brand::tiers(db).await?;
    Ok(crate::entities::product::find_many(db, ids)
        .await?
        .into_iter()
        .map(|p| ScopeProduct {
            tier: tiers.get(&p.brand).cloned().flatten(),
            id: p.id,
            sku: p.sku,
            brand: p.brand,
            category: p.category,
            size: (p.width_mm, p.aspect_ratio, p.rim_in),
            price: p.list_price,
            cost: p.cost,
        })
        .collect())
}
