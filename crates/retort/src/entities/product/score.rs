//! The `score_products` job: batch-score every product, or a filtered set, with a
//! deployed regression model, into `product_scores` — in chunks, reporting progress,
//! swapping the new scores in at the end so a cancelled run leaves the old ones intact.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::Catalogue;
use super::model::{self, LIST};
use crate::entities::job::schema::JobOut;
use crate::entities::model::VersionRow;
use crate::entities::model::interface::{Signature, Task};
use crate::entities::model::service::{self as models, Selector};
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::jobs::{Job, JobContext, JobError};
use crate::kernel::query::ListQuery;
use crate::kernel::state::AppState;
use crate::kernel::time;

/// Products scored per step.
const CHUNK: usize = 50_000;

/// The job: score every product a filter selects with a model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreProducts {
    /// Product filters as the product list takes them, e.g. `{"brand": ["Kumho"]}`.
    #[serde(default = "no_filters")]
    pub filters: Json,
    /// The model's name.
    pub model: String,
    /// The version that scores.
    pub version: i64,
}

fn no_filters() -> Json {
    json!({})
}

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

impl Job for ScoreProducts {
    const KIND: &'static str = "score_products";

    fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.model.is_empty() {
            errors.push(FieldError::new(
                "/model",
                "is required: the name of a deployed regression model",
            ));
        }
        if self.version < 1 {
            errors.push(FieldError::new(
                "/version",
                "is required: the version number to score with",
            ));
        }
        if let Err(e) = filter_pairs(&self.filters) {
            errors.extend(e);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    async fn run(self, ctx: &JobContext) -> Result<Json, JobError> {
        score_all(ctx, self).await
    }
}

/// Scores the products `params` select (`model`, `version`, `filters`) into
/// `product_scores`; a cancelled or failed run leaves the previous scores as they were.
pub async fn score_all(ctx: &JobContext, job: ScoreProducts) -> Result<Json, JobError> {
    let db = &ctx.state.db;
    model::clear_score_run(db, ctx.job_id).await?;
    let result = score(ctx, &job).await;
    if result.is_err() {
        let _ = model::clear_score_run(db, ctx.job_id).await;
    }
    result
}

async fn score(ctx: &JobContext, job: &ScoreProducts) -> Result<Json, JobError> {
    let state = &ctx.state;
    let (name, version) = (job.model.as_str(), job.version);
    let filters = filter_pairs(&job.filters).map_err(AppError::Validation)?;
    let query = ListQuery::parse(&LIST, &filters, &[]).map_err(AppError::Validation)?;
    let mut chunks = ScoredChunks::start(ctx, name, version, Some(query)).await?;
    let total = chunks.total;
    let (mut scored, mut unscored, mut write_s) = (0u64, 0u64, 0.0);
    while let Some((chunk, values)) = chunks.next().await? {
        let lap = Instant::now();
        let n = chunk.len();
        let finite: Vec<(i64, f64)> = chunk
            .id
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_finite())
            .map(|(id, v)| (*id, v))
            .collect();
        unscored += (n - finite.len()) as u64;
        model::write_score_run(&state.db, ctx.job_id, &finite).await?;
        write_s += lap.elapsed().as_secs_f64();
        scored += n as u64;
        ctx.progress(
            scored as f64 / total.max(1) as f64,
            format!("scored {scored} of {total} products"),
        )
        .await?;
    }
    let lap = Instant::now();
    model::swap_in_score_run(&state.db, ctx.job_id, name, version, &time::now()).await?;
    let seconds = json!({
        "read": chunks.read_s,
        "predict": chunks.predict_s,
        "write": write_s,
        "swap_in": lap.elapsed().as_secs_f64(),
    });
    Ok(
        json!({ "model": name, "version": version, "scored": scored - unscored, "unscored": unscored, "total": total, "seconds": seconds }),
    )
}

/// Chunks read ahead of the one being evaluated, each on its own connection.
const READ_AHEAD: usize = 2;

/// The catalogue (or the products a filter selects) read in ranges of 50,000 products,
/// in id order, each scored by a model version on the job's CPU pool: the one path from
/// the products table to a model's predictions that every scoring job walks. The next
/// ranges are read (concurrently) while the current one is evaluated.
pub struct ScoredChunks<'a> {
    ctx: &'a JobContext,
    scorer: crate::entities::model::Scorer,
    query: Option<std::sync::Arc<ListQuery>>,
    reads: std::collections::VecDeque<tokio::task::JoinHandle<Result<Catalogue, sqlx::Error>>>,
    /// The ranges not yet asked for: the id each ends with, and the id before the next.
    boundaries: std::collections::VecDeque<i64>,
    after: i64,
    /// Products selected when the walk started.
    pub total: i64,
    /// Seconds spent waiting for chunks to be read so far.
    pub read_s: f64,
    /// Seconds spent predicting so far.
    pub predict_s: f64,
}

impl<'a> ScoredChunks<'a> {
    /// Loads version `version` of `model` and counts the products `query` selects (all
    /// when `None`).
    pub async fn start(
        ctx: &'a JobContext,
        model: &str,
        version: i64,
        query: Option<ListQuery>,
    ) -> Result<Self, JobError> {
        let state = &ctx.state;
        let row = models::resolve(state, model, &Selector::Version(version)).await?;
        let scorer = crate::entities::model::scorer(state, &row).await?;
        let total = match &query {
            Some(q) => model::count(&state.db, q).await?,
            None => super::catalogue_state(&state.db).await?.1,
        };
        let boundaries = model::id_boundaries(&state.db, CHUNK).await?.into();
        let mut chunks = Self {
            ctx,
            scorer,
            query: query.map(std::sync::Arc::new),
            reads: std::collections::VecDeque::new(),
            boundaries,
            after: i64::MIN,
            total,
            read_s: 0.0,
            predict_s: 0.0,
        };
        chunks.read_ahead();
        Ok(chunks)
    }

    /// Keeps [`READ_AHEAD`] ranges being read, up to the last.
    fn read_ahead(&mut self) {
        while self.reads.len() < READ_AHEAD {
            let Some(upto) = self.boundaries.pop_front() else {
                return;
            };
            let after = std::mem::replace(&mut self.after, upto);
            let (db, query) = (self.ctx.state.db.clone(), self.query.clone());
            self.reads.push_back(tokio::spawn(async move {
                model::columns_between(&db, query.as_deref(), after, upto).await
            }));
        }
    }

    /// The next chunk and its predictions (one per product, possibly not finite), or
    /// `None` past the last product.
    pub async fn next(&mut self) -> Result<Option<(Catalogue, Vec<f64>)>, JobError> {
        let chunk = loop {
            let Some(read) = self.reads.pop_front() else {
                return Ok(None);
            };
            let lap = Instant::now();
            let chunk = read
                .await
                .map_err(|e| JobError::from(AppError::Internal(e.into())))??;
            self.read_s += lap.elapsed().as_secs_f64();
            self.read_ahead();
            // A range whose products were deleted (or filtered out) holds none.
            if !chunk.is_empty() {
                break chunk;
            }
        };
        let n = chunk.len();
        let lap = Instant::now();
        let scorer = self.scorer.clone();
        let (chunk, values) = self
            .ctx
            .cpu(move || {
                let values = scorer.score(n, |c| chunk.column(c));
                (chunk, values)
            })
            .await?;
        self.predict_s += lap.elapsed().as_secs_f64();
        Ok(Some((chunk, values.map_err(JobError::Failed)?)))
    }
}

impl Drop for ScoredChunks<'_> {
    fn drop(&mut self) {
        // A walk given up (a failed or cancelled job) stops reading.
        for read in self.reads.drain(..) {
            read.abort();
        }
    }
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
/// reads only product fields), pins the version, and starts the job (or finds its queued
/// twin).
pub async fn start_scoring(state: &AppState, body: &Json) -> AppResult<JobOut> {
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
                    let job = ScoreProducts {
                        filters: obj.get("filters").cloned().unwrap_or(json!({})),
                        model: row.model,
                        version: row.version,
                    };
                    return crate::entities::job::service::start_job(state, &job).await;
                }
            }
            Err(AppError::NotFound(d)) => errors.push(FieldError::new("/model", d)),
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Validation(errors))
}
