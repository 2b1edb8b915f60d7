//! The `score_products` job: batch-score every product, or a filtered set, with a
//! deployed regression model, into `product_scores` — in chunks, reporting progress,
//! swapping the new scores in at the end so a cancelled run leaves the old ones intact.

use serde_json::{Map, Value as Json, json};
use sqlx::Row;

use super::model::LIST;
use super::schema::ProductOut;
use crate::entities::model::interface::{Signature, Task};
use crate::entities::model::model::VersionRow;
use crate::entities::model::service::{self as models, Selector};
use crate::kernel::db::Db;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::jobs::{BoxFuture, JobContext, JobError, JobKind};
use crate::kernel::query::{Bind, ListQuery, Sql};
use crate::kernel::state::AppState;
use crate::kernel::time;

/// Products scored per step.
const CHUNK: usize = 1000;

/// The job kind.
pub struct ScoreProducts;

/// Product filters as list-query pairs: `{"brand": ["A", "B"], "rim_in_min": 16}`.
pub fn filter_pairs(filters: &Json) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    let Some(obj) = filters.as_object() else {
        return Err(vec![FieldError::new(
            "/filters",
            "expected an object of product filters, e.g. {\"brand\": [\"Kumho\"]}",
        )]);
    };
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in obj {
        let values: Vec<&Json> = match v {
            Json::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in values {
            match item {
                Json::String(s) => pairs.push((k.clone(), s.clone())),
                Json::Number(n) => pairs.push((k.clone(), n.to_string())),
                Json::Bool(b) => pairs.push((k.clone(), b.to_string())),
                _ => errors.push(FieldError::new(
                    format!("/filters/{k}"),
                    "expected a string, number, boolean or a list of them",
                )),
            }
        }
    }
    for (name, _) in &pairs {
        if ["limit", "cursor", "sort"].contains(&name.as_str()) {
            errors.push(FieldError::new(
                format!("/filters/{name}"),
                "is not a filter",
            ));
        }
    }
    if let Err(list_errors) = ListQuery::parse(&LIST, &pairs, &[]) {
        errors.extend(
            list_errors
                .into_iter()
                .map(|e| FieldError::new(format!("/filters{}", e.path), e.message)),
        );
    }
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(errors)
    }
}

impl JobKind for ScoreProducts {
    fn name(&self) -> &'static str {
        "score_products"
    }

    fn check(&self, params: &Json) -> Result<Json, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !params.get("model").is_some_and(Json::is_string) {
            errors.push(FieldError::new(
                "/model",
                "is required: the name of a deployed regression model",
            ));
        }
        if params
            .get("version")
            .and_then(Json::as_i64)
            .is_none_or(|v| v < 1)
        {
            errors.push(FieldError::new(
                "/version",
                "is required: the version number to score with",
            ));
        }
        if let Some(f) = params.get("filters") {
            if let Err(e) = filter_pairs(f) {
                errors.extend(e);
            }
        }
        if errors.is_empty() {
            Ok(params.clone())
        } else {
            Err(errors)
        }
    }

    fn run<'a>(
        &'a self,
        ctx: &'a JobContext,
        params: Json,
    ) -> BoxFuture<'a, Result<Json, JobError>> {
        Box::pin(score_all(ctx, params))
    }
}

/// Scores the products `params` select (`model`, `version`, `filters`) into
/// `product_scores`; a cancelled or failed run leaves the previous scores as they were.
pub async fn score_all(ctx: &JobContext, params: Json) -> Result<Json, JobError> {
    let db = &ctx.state.db;
    clear_run(db, ctx.job_id).await.map_err(JobError::from)?;
    let result = score(ctx, &params).await;
    if result.is_err() {
        let _ = clear_run(db, ctx.job_id).await;
    }
    result
}

async fn clear_run(db: &Db, job_id: i64) -> Result<(), sqlx::Error> {
    Sql::with(
        db.backend(),
        &["DELETE FROM product_score_runs WHERE job_id = ", ""],
        vec![Bind::Int(job_id)],
    )
    .query()
    .execute(db.pool())
    .await
    .map(|_| ())
}

async fn score(ctx: &JobContext, params: &Json) -> Result<Json, JobError> {
    let failed = |e: AppError| JobError::from(e);
    let state = &ctx.state;
    let name = params["model"].as_str().unwrap_or_default();
    let version = params["version"].as_i64().unwrap_or(0);
    let row = models::resolve(state, name, &Selector::Version(version))
        .await
        .map_err(failed)?;
    let sig: Signature =
        serde_json::from_str(&row.signature).map_err(|e| JobError::Failed(e.to_string()))?;
    let filters = filter_pairs(params.get("filters").unwrap_or(&json!({})))
        .map_err(|e| JobError::Failed(format!("{e:?}")))?;
    let mut scored = 0u64;
    let mut unscored = 0u64;
    let mut cursor: Option<String> = None;
    let total = {
        let query = ListQuery::parse(&LIST, &filters, &[])
            .map_err(|e| JobError::Failed(format!("{e:?}")))?;
        super::model::count(&state.db, &query)
            .await
            .map_err(JobError::from)?
    };
    loop {
        let mut pairs = filters.clone();
        pairs.push(("limit".into(), CHUNK.to_string()));
        if let Some(c) = &cursor {
            pairs.push(("cursor".into(), c.clone()));
        }
        let query =
            ListQuery::parse(&LIST, &pairs, &[]).map_err(|e| JobError::Failed(format!("{e:?}")))?;
        let page = super::model::page(&state.db, &query)
            .await
            .map_err(JobError::from)?;
        if page.items.is_empty() {
            break;
        }
        let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
        let rows: Vec<Json> = page
            .items
            .into_iter()
            .map(|p| row_for(&sig, &ProductOut::from(p)))
            .collect();
        // The model runs on the blocking pool (a chunk is well over the inline size);
        // the CPU slot keeps a core free for requests.
        let slot = ctx.cpu_slot().await;
        let predictions = models::predict_one(state, &row, &json!({ "rows": rows }))
            .await
            .map_err(failed)?;
        drop(slot);
        unscored += write_run(&state.db, ctx.job_id, &ids, &predictions)
            .await
            .map_err(JobError::from)?;
        scored += ids.len() as u64;
        ctx.progress(
            scored as f64 / total.max(1) as f64,
            format!("scored {scored} of {total} products"),
        )
        .await?;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    swap_in(&state.db, ctx.job_id, name, version)
        .await
        .map_err(JobError::from)?;
    Ok(
        json!({ "model": name, "version": version, "scored": scored - unscored, "unscored": unscored, "total": total }),
    )
}

/// The model's columns taken from a product, by name.
fn row_for(sig: &Signature, product: &ProductOut) -> Json {
    let all = serde_json::to_value(product).unwrap_or(Json::Null);
    let row: Map<String, Json> = sig
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                all.get(&c.name).cloned().unwrap_or(Json::Null),
            )
        })
        .collect();
    Json::Object(row)
}

/// Writes the finite predictions of a chunk; how many were not finite (a model can
/// answer NaN, e.g. for a missing input), which are left unscored.
async fn write_run(
    db: &Db,
    job_id: i64,
    ids: &[i64],
    predictions: &[Json],
) -> Result<u64, sqlx::Error> {
    let finite: Vec<(i64, f64)> = ids
        .iter()
        .zip(predictions)
        .filter_map(|(id, p)| p.as_f64().filter(|v| v.is_finite()).map(|v| (*id, v)))
        .collect();
    let skipped = (ids.len() - finite.len()) as u64;
    if finite.is_empty() {
        return Ok(skipped);
    }
    let mut sql = Sql::new(db.backend());
    sql.push("INSERT INTO product_score_runs (job_id, product_id, score) VALUES ");
    for (i, (id, v)) in finite.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(Bind::Int(job_id))
            .push(", ")
            .bind(Bind::Int(*id))
            .push(", ")
            .bind(Bind::Float(*v))
            .push(")");
    }
    sql.query().execute(db.pool()).await?;
    Ok(skipped)
}

/// Replaces the model's scores of the products this run scored, in one transaction.
async fn swap_in(db: &Db, job_id: i64, model: &str, version: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let backend = db.backend();
    Sql::with(
        backend,
        &["INSERT INTO product_scores (model, product_id, version, score, job_id, scored_at) SELECT ", ", product_id, ", ", score, job_id, ", " FROM product_score_runs WHERE job_id = ", " ON CONFLICT (model, product_id) DO UPDATE SET version = excluded.version, score = excluded.score, job_id = excluded.job_id, scored_at = excluded.scored_at"],
        vec![Bind::Text(model.into()), Bind::Int(version), Bind::Text(time::now()), Bind::Int(job_id)],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    Sql::with(
        backend,
        &["DELETE FROM product_score_runs WHERE job_id = ", ""],
        vec![Bind::Int(job_id)],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Why a model version cannot score the catalogue, if it cannot: an ensemble (scoring
/// runs one graph), a model that is not a regressor, or one that reads columns products
/// do not have. Empty when it can.
pub fn scoring_problems(row: &VersionRow) -> AppResult<Vec<String>> {
    let name = &row.model;
    if row.ensemble.is_some() {
        return Ok(vec![format!(
            "{name} version {} is an ensemble; scoring the catalogue needs a single regression model",
            row.version
        )]);
    }
    let sig: Signature =
        serde_json::from_str(&row.signature).map_err(|e| AppError::Internal(e.into()))?;
    let mut problems = Vec::new();
    if sig.task != Task::Regression {
        problems.push(format!(
            "{name} version {} is not a regression model",
            row.version
        ));
    }
    for c in &sig.columns {
        if !LIST.columns.iter().any(|f| f.name == c.name) {
            problems.push(format!(
                "the model reads column {:?}, which is not a product field",
                c.name
            ));
        }
    }
    Ok(problems)
}

/// Checks a scoring request against the registry (the model exists, is a regressor and
/// reads only product fields), pins the version, and starts the job: 202.
pub async fn start_scoring(state: &AppState, body: &Json) -> AppResult<axum::response::Response> {
    let Some(obj) = body.as_object() else {
        return Err(AppError::Validation(vec![FieldError::new(
            "",
            "expected an object with \"model\"",
        )]));
    };
    let mut errors = Vec::new();
    for k in obj
        .keys()
        .filter(|k| !["model", "version", "alias", "filters"].contains(&k.as_str()))
    {
        errors.push(FieldError::new(format!("/{k}"), "is not a known field"));
    }
    let name = obj
        .get("model")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let selector = match (obj.get("version"), obj.get("alias")) {
        (Some(v), None) => match v.as_i64().filter(|v| *v >= 1) {
            Some(v) => Selector::Version(v),
            None => {
                errors.push(FieldError::new(
                    "/version",
                    "must be a version number from 1",
                ));
                Selector::Default
            }
        },
        (None, Some(a)) => Selector::Alias(a.as_str().unwrap_or_default().to_owned()),
        (None, None) => Selector::Default,
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "/alias",
                "give a version or an alias, not both",
            ));
            Selector::Default
        }
    };
    if let Some(f) = obj.get("filters") {
        if let Err(e) = filter_pairs(f) {
            errors.extend(e);
        }
    }
    if name.is_empty() {
        errors.push(FieldError::new(
            "/model",
            "is required: the name of a deployed regression model",
        ));
    } else if errors.is_empty() {
        match models::resolve(state, &name, &selector).await {
            Ok(row) => {
                for problem in scoring_problems(&row)? {
                    errors.push(FieldError::new("/model", problem));
                }
                if errors.is_empty() {
                    let params = json!({ "model": row.model, "version": row.version, "filters": obj.get("filters").cloned().unwrap_or(json!({})) });
                    return crate::entities::job::service::start(state, "score_products", &params)
                        .await;
                }
            }
            Err(AppError::NotFound(d)) => errors.push(FieldError::new("/model", d)),
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Validation(errors))
}

/// The scores of a model, by product id (for analyses and tests).
pub async fn scores(db: &Db, model: &str) -> Result<Vec<(i64, f64, i64)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT product_id, score, version FROM product_scores WHERE model = ",
            " ORDER BY product_id",
        ],
        vec![Bind::Text(model.into())],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}
