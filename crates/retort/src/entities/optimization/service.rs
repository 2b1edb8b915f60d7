//! The rules of price optimisation: check a request, queue it, solve it in the
//! `optimize_prices` job (products in scope, baseline units from recent sales,
//! elasticities by category and tier, the QP), and accept or reject the proposal —
//! prices and the audit trail in one transaction, each product decided once.

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use retort_learn::optimize::{self, Constraints, Item, Objective, Problem, Tier};
use serde_json::{Value as Json, json};

use super::model::{self, ScopeProduct};
use super::schema::{DecisionOut, ItemOut, OptimizationIn, OptimizationOut, Totals};
use crate::entities::elasticity::service as elasticities;
use crate::entities::price_change::model as changes;
use crate::entities::product::score::filter_pairs;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::jobs::{BoxFuture, JobContext, JobError, JobKind};
use crate::kernel::state::AppState;
use crate::kernel::time;

/// Products one optimisation may cover.
pub const MAX_PRODUCTS: usize = 50_000;
/// Elasticities are capped at this (demand must fall as price rises for the QP to be
/// convex; an estimate at or above it is treated as this).
pub const MAX_ELASTICITY: f64 = -0.1;

const FIELDS: [&str; 7] = [
    "scope",
    "objective",
    "max_change_pct",
    "min_margin_pct",
    "price_ladder",
    "price_ending",
    "baseline_weeks",
];

/// Reads a request, every bad field reported: defaults filled in.
pub fn params_from_json(body: &Json) -> Result<OptimizationIn, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "expected an object with \"scope\"",
        )]);
    };
    for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(format!("/{k}"), "is not a known field"));
    }
    let scope = match obj.get("scope").and_then(Json::as_object) {
        None => {
            errors.push(FieldError::new(
                "/scope",
                "is required: {\"filters\": {product filters}} or {\"skus\": [...]}",
            ));
            json!({})
        }
        Some(s) => {
            match (s.get("filters"), s.get("skus")) {
                (Some(f), None) => {
                    if let Err(e) = filter_pairs(f) {
                        errors.extend(
                            e.into_iter()
                                .map(|e| FieldError::new(format!("/scope{}", e.path), e.message)),
                        );
                    }
                }
                (None, Some(Json::Array(skus))) => {
                    if skus.is_empty() || skus.len() > MAX_PRODUCTS {
                        errors.push(FieldError::new(
                            "/scope/skus",
                            format!("must list 1 to {MAX_PRODUCTS} skus"),
                        ));
                    }
                    for (i, s) in skus.iter().enumerate() {
                        if !s.as_str().is_some_and(|s| !s.trim().is_empty()) {
                            errors.push(FieldError::new(
                                format!("/scope/skus/{i}"),
                                "must be a sku (text)",
                            ));
                        }
                    }
                }
                (None, Some(_)) => {
                    errors.push(FieldError::new("/scope/skus", "must be a list of skus"))
                }
                _ => errors.push(FieldError::new(
                    "/scope",
                    "give exactly one of \"filters\" or \"skus\"",
                )),
            }
            for k in s.keys().filter(|k| *k != "filters" && *k != "skus") {
                errors.push(FieldError::new(
                    format!("/scope/{k}"),
                    "is not a known field",
                ));
            }
            Json::Object(s.clone())
        }
    };
    let objective = match obj.get("objective") {
        None => "profit".to_owned(),
        Some(Json::String(o)) if o == "profit" || o == "revenue" => o.clone(),
        Some(_) => {
            errors.push(FieldError::new(
                "/objective",
                "must be \"profit\" or \"revenue\"",
            ));
            String::new()
        }
    };
    let mut number = |name: &str,
                      default: Option<f64>,
                      lo: f64,
                      hi: f64,
                      lo_open: bool,
                      hi_open: bool|
     -> Option<f64> {
        match obj.get(name) {
            None => default,
            Some(Json::Null) if default.is_none() => None,
            Some(v) => match v.as_f64() {
                Some(x)
                    if (if lo_open { x > lo } else { x >= lo })
                        && (if hi_open { x < hi } else { x <= hi }) =>
                {
                    Some(x)
                }
                _ => {
                    let (l, h) = (
                        if lo_open { "above" } else { "from" },
                        if hi_open { "below" } else { "to" },
                    );
                    errors.push(FieldError::new(
                        format!("/{name}"),
                        format!("must be a number {l} {lo} {h} {hi}"),
                    ));
                    default
                }
            },
        }
    };
    let max_change_pct =
        number("max_change_pct", Some(10.0), 0.0, 100.0, true, true).unwrap_or(10.0);
    let min_margin_pct = number("min_margin_pct", None, 0.0, 100.0, false, true);
    let price_ending = number("price_ending", None, 0.0, 1.0, false, true);
    let baseline_weeks =
        number("baseline_weeks", Some(13.0), 1.0, 52.0, false, false).unwrap_or(13.0);
    if baseline_weeks.fract() != 0.0 {
        errors.push(FieldError::new(
            "/baseline_weeks",
            "must be a whole number of weeks",
        ));
    }
    let price_ladder = match obj.get("price_ladder") {
        None => true,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("/price_ladder", "must be true or false"));
            true
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(OptimizationIn {
        scope,
        objective,
        max_change_pct,
        min_margin_pct,
        price_ladder,
        price_ending,
        baseline_weeks: baseline_weeks as i64,
    })
}

/// The ids of the products in scope; 422 naming unknown skus, an empty scope or one
/// over the limit.
async fn scope_ids(state: &AppState, scope: &Json) -> AppResult<Vec<i64>> {
    let db = &state.db;
    if let Some(Json::Array(skus)) = scope.get("skus") {
        let skus: Vec<String> = skus
            .iter()
            .filter_map(|s| s.as_str().map(|s| s.trim().to_owned()))
            .collect();
        let found = crate::entities::product::model::ids_by_sku(db, &skus).await?;
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
    let ids = crate::entities::product::model::ids_matching(db, &pairs, MAX_PRODUCTS + 1).await?;
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

/// Checks a request and queues it: 202 with the optimisation and
/// `Location: /api/pricing/optimizations/{id}`.
pub async fn start(state: &AppState, body: &Json) -> AppResult<Response> {
    let params = params_from_json(body).map_err(AppError::Validation)?;
    scope_ids(state, &params.scope).await?;
    let (estimates, _) = crate::entities::elasticity::model::all(&state.db).await?;
    if estimates.is_empty() {
        let job = elasticities::ensure_job(state).await?;
        return Err(AppError::Conflict(format!(
            "no price elasticities estimated yet; job {job} is estimating them from the sales history — try again when it has finished"
        )));
    }
    let stored = serde_json::to_string(&params).map_err(|e| AppError::Internal(e.into()))?;
    let now = time::now();
    let id = model::insert(&state.db, &stored, &now).await?;
    let job = crate::entities::job::service::enqueue(
        state,
        "optimize_prices",
        &json!({ "optimization": id }),
    )
    .await?;
    let mut conn = state.db.pool().acquire().await?;
    model::set_state(
        &mut conn,
        state.db.backend(),
        id,
        "queued",
        (Some(job), None, None),
        &now,
    )
    .await?;
    drop(conn);
    let out = get(state, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/pricing/optimizations/{id}"))],
        axum::Json(out),
    )
        .into_response())
}

/// The optimisation with `id`; 404 if none.
pub async fn get(state: &AppState, id: i64) -> AppResult<OptimizationOut> {
    model::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no optimization with id {id}")))
}

/// The job kind.
pub struct OptimizePrices;

impl JobKind for OptimizePrices {
    fn name(&self) -> &'static str {
        "optimize_prices"
    }

    fn check(&self, params: &Json) -> Result<Json, Vec<FieldError>> {
        match params.get("optimization").and_then(Json::as_i64) {
            Some(id) if id >= 1 => Ok(json!({ "optimization": id })),
            _ => Err(vec![FieldError::new(
                "/optimization",
                "is required: an optimization id",
            )]),
        }
    }

    fn run<'a>(
        &'a self,
        ctx: &'a JobContext,
        params: Json,
    ) -> BoxFuture<'a, Result<Json, JobError>> {
        Box::pin(async move {
            let id = params["optimization"].as_i64().unwrap_or(0);
            let result = run(ctx, id).await;
            let now = time::now();
            let db = &ctx.state.db;
            let mut conn = db
                .pool()
                .acquire()
                .await
                .map_err(|e| JobError::Failed(e.to_string()))?;
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
        })
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
    let mut out = String::new();
    let mut rest = message;
    while let Some(pos) = rest.find("item ") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 5..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<usize>().ok().and_then(|i| products.get(i)) {
            Some(p) => out.push_str(&format!("product {}", p.sku)),
            None => out.push_str(&format!("item {digits}")),
        }
        rest = &after[digits.len()..];
    }
    out.push_str(rest);
    out
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Solves optimisation `id` and stores its proposal.
async fn run(ctx: &JobContext, id: i64) -> Result<Json, JobError> {
    let failed = |e: AppError| JobError::Failed(e.to_problem().detail);
    let db_failed = |e: sqlx::Error| JobError::Failed(AppError::from(e).to_problem().detail);
    let state = &ctx.state;
    let db = &state.db;
    let opt = get(state, id).await.map_err(failed)?;
    let mut conn = db.pool().acquire().await.map_err(db_failed)?;
    model::set_state(
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
    let params = opt.params;
    ctx.progress(0.05, "reading the products in scope").await?;
    let ids = scope_ids(state, &params.scope).await.map_err(failed)?;
    let products = model::scope_products(db, &ids).await.map_err(db_failed)?;
    let last = model::last_week(db).await.map_err(db_failed)?;
    let since = last
        .as_deref()
        .and_then(|w| time::parse_date(w))
        .map(|d| (d - ::time::Duration::weeks(params.baseline_weeks - 1)).to_string())
        .unwrap_or_default();
    let baseline = model::baseline_units(db, &ids, &since)
        .await
        .map_err(db_failed)?;
    let (estimates, _) = crate::entities::elasticity::model::all(db)
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
    let problem = Problem {
        items,
        objective: if params.objective == "revenue" {
            Objective::Revenue
        } else {
            Objective::Profit
        },
        constraints: Constraints {
            max_change: params.max_change_pct / 100.0,
            min_margin: params.min_margin_pct.map(|m| m / 100.0),
            ladder: params.price_ladder,
        },
    };
    ctx.progress(0.2, format!("solving for {} prices", problem.items.len()))
        .await?;
    let ending = params.price_ending;
    let (problem, solved) = ctx
        .cpu(move || {
            let solved = optimize::solve(&problem).map(|s| {
                let prices = match ending {
                    Some(e) => optimize::apply_price_ending(&problem, &s, e),
                    None => s.prices.clone(),
                };
                (s, prices)
            });
            (problem, solved)
        })
        .await?;
    let (solution, prices) =
        solved.map_err(|e| JobError::Failed(name_items(&e.message, &products)))?;
    ctx.progress(0.8, "writing the proposal").await?;
    let mut totals = Totals {
        products: products.len() as i64,
        solve_seconds: solution.solve_seconds,
        iterations: i64::from(solution.iterations),
        solver_status: solution.status.clone(),
        ..Totals::default()
    };
    let mut out = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let item = &problem.items[i];
        let new_price = round2(prices[i]);
        let units_after = optimize::expected_units(item, new_price);
        let profit_delta = optimize::profit(item, new_price) - optimize::profit(item, item.price);
        let revenue_delta =
            optimize::revenue(item, new_price) - optimize::revenue(item, item.price);
        totals.changed += i64::from((new_price - p.price).abs() >= 0.005);
        totals.revenue_before += optimize::revenue(item, item.price);
        totals.revenue_after += optimize::revenue(item, new_price);
        totals.profit_before += optimize::profit(item, item.price);
        totals.profit_after += optimize::profit(item, new_price);
        totals.units_before += item.units;
        totals.units_after += units_after;
        let mut binding: Vec<String> = solution.binding[i]
            .iter()
            .map(|b| b.as_str().to_owned())
            .collect();
        if ending.is_some() && (new_price - round2(solution.prices[i])).abs() >= 0.005 {
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
            lower: round2(solution.lower[i]),
            upper: round2(solution.upper[i]),
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
    let mut tx = db.pool().begin().await.map_err(db_failed)?;
    model::insert_items(&mut tx, db.backend(), id, &out)
        .await
        .map_err(db_failed)?;
    model::set_state(
        &mut tx,
        db.backend(),
        id,
        "ready",
        (None, Some(&totals_json), None),
        &time::now(),
    )
    .await
    .map_err(db_failed)?;
    tx.commit().await.map_err(db_failed)?;
    Ok(
        json!({ "optimization": id, "products": out.len(), "changed": totals.changed, "profit_delta": totals.profit_delta }),
    )
}

/// Who decided, from the body's `actor` (default `api`).
fn actor_of(body: &Json) -> AppResult<String> {
    match body.get("actor") {
        None | Some(Json::Null) => Ok("api".into()),
        Some(Json::String(a))
            if (1..=200).contains(&a.trim().chars().count()) && !a.contains('\0') =>
        {
            Ok(a.trim().into())
        }
        Some(_) => Err(AppError::Validation(vec![FieldError::new(
            "/actor",
            "must be a name of 1 to 200 characters",
        )])),
    }
}

/// The body's optional `skus` list; 422 naming bad entries and skus not in the proposal.
async fn selected_skus(state: &AppState, id: i64, body: &Json) -> AppResult<Option<Vec<String>>> {
    let mut errors = Vec::new();
    if let Some(obj) = body.as_object() {
        for k in obj.keys().filter(|k| *k != "skus" && *k != "actor") {
            errors.push(FieldError::new(format!("/{k}"), "is not a known field"));
        }
    } else if !body.is_null() {
        return Err(AppError::Validation(vec![FieldError::new(
            "",
            "expected an object, e.g. {\"skus\": [...]}",
        )]));
    }
    let skus = match body.get("skus") {
        None | Some(Json::Null) => None,
        Some(Json::Array(list)) => {
            let mut skus = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match s.as_str() {
                    Some(s) => skus.push(s.to_owned()),
                    None => errors.push(FieldError::new(
                        format!("/skus/{i}"),
                        "must be a sku (text)",
                    )),
                }
            }
            if errors.is_empty() {
                let unknown = model::unknown_skus(&state.db, id, &skus).await?;
                for (i, s) in skus.iter().enumerate() {
                    if unknown.contains(s) {
                        errors.push(FieldError::new(
                            format!("/skus/{i}"),
                            format!("{s:?} is not in optimization {id}"),
                        ));
                    }
                }
            }
            Some(skus)
        }
        Some(_) => {
            errors.push(FieldError::new("/skus", "must be a list of skus"));
            None
        }
    };
    if errors.is_empty() {
        Ok(skus)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Accepts all or the selected pending products of a ready proposal: their prices
/// change and an audit row is written for each, in one transaction. Products already
/// decided are left alone, so accepting twice changes nothing the second time.
pub async fn accept(state: &AppState, id: i64, body: &Json) -> AppResult<DecisionOut> {
    decide(state, id, body, true).await
}

/// Rejects all or the selected pending products.
pub async fn reject(state: &AppState, id: i64, body: &Json) -> AppResult<DecisionOut> {
    decide(state, id, body, false).await
}

async fn decide(state: &AppState, id: i64, body: &Json, accept: bool) -> AppResult<DecisionOut> {
    let opt = get(state, id).await?;
    if !matches!(
        opt.status.as_str(),
        "ready" | "partially_accepted" | "accepted" | "rejected"
    ) {
        return Err(AppError::Conflict(format!(
            "optimization {id} is {}: only a ready proposal can be accepted or rejected",
            opt.status
        )));
    }
    let actor = actor_of(body)?;
    let skus = selected_skus(state, id, body).await?;
    let backend = state.db.backend();
    let now = time::now();
    let mut tx = state.db.pool().begin().await?;
    let pending = model::pending_items(&mut tx, backend, id, skus.as_deref()).await?;
    let selected = skus.as_ref().map_or(pending.len(), Vec::len) as i64;
    let mut changed = 0i64;
    for (item, product, sku, _old, new) in &pending {
        if !model::decide_item(
            &mut tx,
            backend,
            *item,
            if accept { "accepted" } else { "rejected" },
        )
        .await?
        {
            continue;
        }
        changed += 1;
        if accept {
            let current = changes::set_price(&mut tx, backend, *product, *new, &now).await?;
            if let Some(old) = current {
                changes::insert(
                    &mut tx,
                    backend,
                    *product,
                    sku,
                    old,
                    *new,
                    Some(id),
                    &actor,
                    &now,
                )
                .await?;
            }
        }
    }
    let counts = model::status_counts(&mut tx, backend, id).await?;
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let (pending_left, accepted, rejected) =
        (count("pending"), count("accepted"), count("rejected"));
    let status = if pending_left == 0 && accepted == 0 {
        "rejected"
    } else if pending_left == 0 && rejected == 0 {
        "accepted"
    } else if accepted > 0 {
        "partially_accepted"
    } else {
        "ready"
    };
    let mut sql = crate::kernel::query::Sql::new(backend);
    sql.push("UPDATE price_proposals SET status = ")
        .bind(crate::kernel::query::Bind::Text(status.into()))
        .push(", decided_by = ")
        .bind(crate::kernel::query::Bind::Text(actor.clone()))
        .push(", updated_at = ")
        .bind(crate::kernel::query::Bind::Text(now.clone()))
        .push(" WHERE id = ")
        .bind(crate::kernel::query::Bind::Int(id));
    sql.query().execute(&mut *tx).await?;
    tx.commit().await?;
    if accept && changed > 0 {
        crate::entities::pricing::score::catalogue_changed(state);
    }
    Ok(DecisionOut {
        changed,
        unchanged: selected - changed,
        optimization: get(state, id).await?,
    })
}
