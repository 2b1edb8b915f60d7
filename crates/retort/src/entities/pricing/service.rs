//! The rules of the mispricing analysis: the list (with the scoring behind it, re-scored
//! when the model or the catalogue changed), facets, CSV export, and the evaluation
//! against the demo's planted mispricings.

use std::sync::Arc;

use serde_json::Value as Json;

use super::index::ScoreIndex;
use super::model::{self, LIST};
use super::schema::{FacetsOut, IntervalOut, MispricedOut, MispricedPage, ScoringOut};
use super::score::{ScoreFairPrices, memo_key};
use super::train::DEFAULT_MODEL;
use crate::entities::model::service::{self as models, Selector};
use crate::kernel::csv_export;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::query::{Bind, ListQuery};
use crate::kernel::state::AppState;

/// Parameters the mispricing list reads itself (the rest are list filters).
pub const OWN_PARAMS: [&str; 4] = ["model", "direction", "outside_interval", "format"];

/// A mispricing query as read from its parameters.
#[derive(Debug)]
pub struct Parsed {
    /// The fair-price model.
    pub model: String,
    /// The filters, sort and page (not yet limited to a run: [`scoped`] does that).
    pub query: ListQuery,
    /// `outside_interval`, if given.
    pub outside_interval: Option<bool>,
}

/// The model name, direction and interval filter from the query, and the list query
/// for the rest.
pub fn parse(pairs: &[(String, String)]) -> AppResult<Parsed> {
    let mut errors = Vec::new();
    let mut model = DEFAULT_MODEL.to_owned();
    let mut direction = "both";
    let mut outside_interval = None;
    let mut rest: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "model" if !v.trim().is_empty() && !v.contains('\0') => model = v.trim().to_owned(),
            "model" => errors.push(FieldError::query("model", "must be a model name")),
            "direction" => match v.as_str() {
                "over" => direction = "over",
                "under" => direction = "under",
                "both" => direction = "both",
                other => errors.push(FieldError::query(
                    "direction",
                    format!("must be one of over, under, both, got {other:?}"),
                )),
            },
            "outside_interval" => match v.as_str() {
                "true" => outside_interval = Some(true),
                "false" => outside_interval = Some(false),
                other => errors.push(FieldError::query(
                    "outside_interval",
                    format!("must be true or false, got {other:?}"),
                )),
            },
            "format" if v == "csv" || v == "json" => {}
            "format" => errors.push(FieldError::query("format", "must be csv or json")),
            _ => rest.push((k.clone(), v.clone())),
        }
    }
    if !rest.iter().any(|(k, _)| k == "sort") {
        rest.push(("sort".into(), "-mispricing".into()));
    }
    let query = ListQuery::parse(&LIST, &rest, &[]);
    let mut query = match query {
        Ok(q) if errors.is_empty() => q,
        Ok(_) => return Err(AppError::Validation(errors)),
        Err(e) => {
            errors.extend(e);
            return Err(AppError::Validation(errors));
        }
    };
    if direction != "both" {
        query.require_equal("direction", Bind::Text(direction.into()));
    }
    Ok(Parsed {
        model,
        query,
        outside_interval,
    })
}

/// The scoring the query asks about and the query limited to its rows (and to the
/// products outside or inside their interval when `outside_interval` is given: 422
/// naming it when the scored version has no interval).
pub async fn scoped(
    state: &AppState,
    pairs: &[(String, String)],
) -> AppResult<(ScoringOut, ListQuery)> {
    let parsed = parse(pairs)?;
    let scoring = scoring(state, &parsed.model).await?;
    let mut query = scoring.scope(parsed.query);
    if let Some(outside) = parsed.outside_interval {
        let Some(iv) = &scoring.interval else {
            return Err(AppError::Validation(vec![FieldError::query(
                "outside_interval",
                format!(
                    "version {} of model {:?} has no fair-price interval; retrain it with POST /api/pricing/fair-price-model/train",
                    scoring.version, scoring.name
                ),
            )]));
        };
        let q = iv.log_halfwidth;
        if outside {
            // The next number above q (q is finite and not negative): mispricing > q.
            let above = f64::from_bits(q.to_bits() + 1);
            query.require_range("mispricing", Some(Bind::Float(above)), None);
        } else {
            query.require_range("mispricing", None, Some(Bind::Float(q)));
        }
    }
    Ok((scoring, query))
}

/// Where a model's analysis stands: which version scored the catalogue, whether that is
/// stale (the model's current version or the catalogue changed since), and the job
/// re-scoring it, if one is queued or running. A read: it never queues work — stale
/// analyses are re-scored by [`refresh_stale`], which runs in the background. 404 when
/// the model does not exist or never scored the catalogue; 422 when it cannot score it.
pub async fn scoring(state: &AppState, model: &str) -> AppResult<ScoringOut> {
    let key = format!("{}state", memo_key(model));
    if let Some(s) = state.memo.get::<ScoringOut>(&key) {
        return Ok((*s).clone());
    }
    let row = match models::resolve_memo(state, model, &Selector::Default).await {
        Ok(row) => row,
        Err(AppError::NotFound(_)) => {
            return Err(AppError::NotFound(format!(
                "no model named {model:?}; train one with POST /api/pricing/fair-price-model/train"
            )));
        }
        Err(e) => return Err(e),
    };
    check_can_score(&row, |p| FieldError::query("model", p))?;
    let current = row.version;
    let pending = rescore_pending(state, model, current).await?;
    let Some((version, scored_at, count, rows_key)) = model::score_state(&state.db, model).await?
    else {
        return Err(AppError::NotFound(match pending {
            Some(job) => {
                format!("model {model:?} has not scored the catalogue yet; job {job} is scoring it")
            }
            None => format!(
                "model {model:?} has not scored the catalogue yet; POST /api/pricing/mispriced/score to score it"
            ),
        }));
    };
    let (changed, products) = crate::entities::product::catalogue_state(&state.db).await?;
    let stale = version != current || changed.is_some_and(|c| c > scored_at) || products != count;
    let rescore_job = if stale { pending } else { None };
    let interval = if version == current {
        IntervalOut::of_metrics(&row.metrics)
    } else {
        match models::resolve(state, model, &Selector::Version(version)).await {
            Ok(scored) => IntervalOut::of_metrics(&scored.metrics),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        }
    };
    let out = ScoringOut {
        name: model.to_owned(),
        version,
        scored_at,
        products: count,
        current_version: current,
        stale,
        rescore_job,
        interval,
        rows_key,
    };
    state.memo.put(key, Arc::new(out.clone()));
    Ok(out)
}

/// The in-memory analysis of the scoring behind `scoring`: kept by the run that wrote
/// it, or read from `price_scores` and the products on first use (one build at a time
/// per process; the others wait for it and share it).
pub async fn index(state: &AppState, scoring: &ScoringOut) -> AppResult<Arc<ScoreIndex>> {
    static BUILDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let key = index_key(&scoring.name, scoring.version, &scoring.scored_at);
    if let Some(ix) = state.cache.get::<ScoreIndex>(&key) {
        return Ok(ix);
    }
    // Built on its own task: a request that gives up waiting does not cancel it.
    let (state, scoring) = (state.clone(), scoring.clone());
    let build = tokio::spawn(async move {
        let _one_at_a_time = BUILDING.lock().await;
        if let Some(ix) = state.cache.get::<ScoreIndex>(&key) {
            return Ok(ix);
        }
        let ix = ScoreIndex::build(
            &state.db,
            &scoring.rows_key,
            scoring.version,
            &scoring.scored_at,
        )
        .await?;
        let ix = Arc::new(ix);
        state
            .cache
            .forget_prefix(&format!("price-index:{}:", scoring.name));
        state.cache.put(key, ix.clone());
        Ok::<_, sqlx::Error>(ix)
    });
    Ok(build.await.map_err(|e| AppError::Internal(e.into()))??)
}

/// Reads every scored model's analysis into memory (what a server does as it starts, so
/// that its first list is as fast as the rest).
pub async fn warm(state: &AppState) {
    let Ok(states) = model::score_states(&state.db).await else {
        return;
    };
    for (name, ..) in states {
        if let Ok(scoring) = scoring(state, &name).await {
            if let Err(e) = index(state, &scoring).await {
                tracing::warn!(error = %e.to_problem().detail, model = name, "reading the mispricing analysis failed; the first list will retry");
            }
        }
    }
}

fn index_key(model: &str, version: i64, scored_at: &str) -> String {
    format!("price-index:{model}:{version}:{scored_at}")
}

/// Keeps `index`, built by the scoring run that just wrote its rows, as the index of
/// that run (so the first list after a run needs no reading in this process).
pub fn keep_index(state: &AppState, model: &str, version: i64, scored_at: &str, index: ScoreIndex) {
    state.cache.forget_prefix(&format!("price-index:{model}:"));
    state
        .cache
        .put(index_key(model, version, scored_at), Arc::new(index));
}

/// What the index cannot evaluate: a filter or sort the list does not parse into.
fn not_evaluated() -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "the mispricing index cannot evaluate this query"
    ))
}

/// A 422 naming `model` (where `field` puts it) when its version cannot score the
/// catalogue.
fn check_can_score(
    row: &crate::entities::model::VersionRow,
    field: impl Fn(String) -> FieldError,
) -> AppResult<()> {
    let problems = crate::entities::product::score::scoring_problems(row)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(
            problems.into_iter().map(field).collect(),
        ))
    }
}

/// The scoring job of `model` at `version` that is queued or running, if any.
async fn rescore_pending(state: &AppState, model: &str, version: i64) -> AppResult<Option<i64>> {
    crate::entities::job::service::pending_job(
        state,
        &ScoreFairPrices {
            model: model.to_owned(),
            version,
        },
    )
    .await
}

/// The optional `model` of a request body (default: the fair-price model); 422 for
/// anything else in it.
pub fn model_param(body: &Json) -> AppResult<String> {
    let mut errors = Vec::new();
    let mut model = DEFAULT_MODEL.to_owned();
    match body {
        Json::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("model", Json::String(m)) if !m.trim().is_empty() && !m.contains('\0') => {
                        model = m.trim().to_owned();
                    }
                    ("model", _) => errors.push(FieldError::new("/model", "must be a model name")),
                    (other, _) => errors.push(FieldError::new(
                        format!("/{}", crate::kernel::validation::pointer_segment(other)),
                        "is not a known field",
                    )),
                }
            }
        }
        _ => errors.push(FieldError::new(
            "",
            "expected an object such as {\"model\": \"fair-price\"}",
        )),
    }
    if errors.is_empty() {
        Ok(model)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Starts scoring the catalogue with `model`'s current version (the mispricing
/// analysis): 202 with the job, the queued one if the same is already queued; 404 for
/// an unknown model, 422 for one that cannot score.
pub async fn start_scoring(
    state: &AppState,
    model: &str,
) -> AppResult<crate::entities::job::schema::JobOut> {
    let row = models::resolve(state, model, &Selector::Default)
        .await
        .map_err(|e| match e {
            AppError::NotFound(d) => AppError::Validation(vec![FieldError::new("/model", d)]),
            other => other,
        })?;
    check_can_score(&row, |p| FieldError::new("/model", p))?;
    crate::entities::job::service::start_job(
        state,
        &ScoreFairPrices {
            model: row.model,
            version: row.version,
        },
    )
    .await
}

/// Queues a re-scoring for every analysis that is stale (its model's current version or
/// the catalogue changed since it was scored), once: a job already queued or running for
/// the same version is left to finish. The ids of the jobs that will do it.
pub async fn refresh_stale(state: &AppState) -> AppResult<Vec<i64>> {
    let mut jobs = Vec::new();
    let states = model::score_states(&state.db).await?;
    if states.is_empty() {
        return Ok(jobs);
    }
    let (changed, products) = crate::entities::product::catalogue_state(&state.db).await?;
    for (name, version, scored_at, count) in states {
        let Ok(row) = models::resolve(state, &name, &Selector::Default).await else {
            continue; // the model was deleted: nothing to re-score with
        };
        if !crate::entities::product::score::scoring_problems(&row)?.is_empty() {
            continue;
        }
        let stale = version != row.version
            || changed.as_ref().is_some_and(|c| *c > scored_at)
            || products != count;
        if stale {
            jobs.push(
                crate::entities::job::service::ensure_job(
                    state,
                    &ScoreFairPrices {
                        model: row.model,
                        version: row.version,
                    },
                )
                .await?,
            );
        }
    }
    Ok(jobs)
}

/// The rows `query` matches.
pub async fn total(state: &AppState, scoring: &ScoringOut, query: &ListQuery) -> AppResult<i64> {
    index(state, scoring)
        .await?
        .count(query)
        .ok_or_else(not_evaluated)
}

/// `(sku, category, list price, fair price, gap %)` of the rows `query` selects whose
/// id is a multiple of `step`, in id order (an even sample for a chart).
pub async fn scatter_points(
    state: &AppState,
    scoring: &ScoringOut,
    query: &ListQuery,
    step: i64,
) -> AppResult<Vec<super::index::Point>> {
    index(state, scoring)
        .await?
        .scatter(query, step)
        .ok_or_else(not_evaluated)
}

/// The relative gaps (%) of the rows `query` selects.
pub async fn gap_pcts(
    state: &AppState,
    scoring: &ScoringOut,
    query: &ListQuery,
) -> AppResult<Vec<f64>> {
    index(state, scoring)
        .await?
        .gap_pcts(query)
        .ok_or_else(not_evaluated)
}

/// One page of mispriced products for the query parameters.
pub async fn mispriced(state: &AppState, pairs: &[(String, String)]) -> AppResult<MispricedPage> {
    let (scoring, query) = scoped(state, pairs).await?;
    let ix = index(state, &scoring).await?;
    let mut page = ix.page(&query).ok_or_else(not_evaluated)?;
    if let Some(iv) = &scoring.interval {
        for row in &mut page.items {
            let (low, high, outside) = iv.around(row.fair_price, row.mispricing);
            row.fair_low = Some(low);
            row.fair_high = Some(high);
            row.outside_interval = Some(outside);
        }
    }
    Ok(MispricedPage {
        items: page.items,
        next_cursor: page.next_cursor,
        total: page.total,
        model: scoring,
    })
}

/// Facet counts: per facet, the value counts among rows matching every *other* filter.
pub async fn facets(state: &AppState, pairs: &[(String, String)]) -> AppResult<FacetsOut> {
    let (scoring, query) = scoped(state, pairs).await?;
    let (facets, total) = index(state, &scoring)
        .await?
        .facets(&query)
        .ok_or_else(not_evaluated)?;
    Ok(FacetsOut { facets, total })
}

/// The CSV header of an export: the columns of a mispriced row.
pub const CSV_HEADER: &str = "id,sku,brand,tier,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,tread_warranty_miles,runflat,cost,list_price,fair_price,gap,gap_pct,log_ratio,direction,mispricing,peer_z,peer_count,version,scored_at,fair_low,fair_high,outside_interval";

/// One row as CSV, every cell through [`csv_export`] (quoted where needed; text that
/// starts like a formula neutralised).
pub fn csv_line(r: &MispricedOut) -> String {
    use csv_export::{number, opt_number, opt_text, text};
    csv_export::line(&[
        number(r.id),
        text(&r.sku),
        text(&r.brand),
        opt_text(r.tier.as_deref()),
        text(&r.line),
        text(&r.category),
        number(r.width_mm),
        number(r.aspect_ratio),
        number(r.rim_in),
        number(r.load_index),
        text(&r.speed_rating),
        text(&r.season),
        opt_number(r.tread_warranty_miles),
        number(r.runflat),
        number(r.cost),
        number(r.list_price),
        number(r.fair_price),
        number(r.gap),
        number(r.gap_pct),
        number(r.log_ratio),
        text(&r.direction),
        number(r.mispricing),
        opt_number(r.peer_z),
        number(r.peer_count),
        number(r.version),
        text(&r.scored_at),
        opt_number(r.fair_low),
        opt_number(r.fair_high),
        opt_number(r.outside_interval),
    ])
}

/// The pairs of the next export page: the same query with a page size and cursor.
pub fn export_pairs(pairs: &[(String, String)], cursor: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !["limit", "cursor", "format"].contains(&k.as_str()))
        .cloned()
        .collect();
    out.push(("limit".into(), "1000".into()));
    if let Some(c) = cursor {
        out.push(("cursor".into(), c.to_owned()));
    }
    out
}
