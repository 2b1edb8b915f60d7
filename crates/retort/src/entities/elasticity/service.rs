//! The rules of elasticity estimates: the `estimate_elasticities` job, and reading the
//! estimates (re-estimated when the sales history changed).

use std::sync::Arc;

use retort_learn::elasticity;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::model;
use super::schema::{ElasticitiesOut, ElasticityOut, Method};
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::jobs::{Job, JobContext, JobError};
use crate::kernel::state::AppState;
use crate::kernel::time;

const MEMO: &str = "elasticities:";

/// The job: estimate every category and tier's elasticity from the sales history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateElasticities {
    /// How (default `ppml`).
    #[serde(default)]
    pub method: Method,
}

impl Job for EstimateElasticities {
    const KIND: &'static str = "estimate_elasticities";

    /// `{}` or `{"method": "ppml" | "log_log"}`; every problem named by its field.
    fn parse(params: &Json) -> Result<Self, Vec<FieldError>> {
        let Some(fields) = params.as_object() else {
            return Err(vec![FieldError::new(
                "",
                "the parameters are a JSON object, e.g. {}",
            )]);
        };
        let mut errors: Vec<FieldError> = fields
            .keys()
            .filter(|k| k.as_str() != "method")
            .map(|k| FieldError::new(format!("/{k}"), "unknown field: the only one is method"))
            .collect();
        let names = Method::ALL.map(Method::name).join(", ");
        let method = match fields.get("method") {
            None | Some(Json::Null) => Method::default(),
            Some(Json::String(name)) => Method::parse(name).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "/method",
                    format!("unknown method {name:?}: one of {names}"),
                ));
                Method::default()
            }),
            Some(_) => {
                errors.push(FieldError::new(
                    "/method",
                    format!("a method name: one of {names}"),
                ));
                Method::default()
            }
        };
        if errors.is_empty() {
            Ok(Self { method })
        } else {
            Err(errors)
        }
    }

    async fn run(self, ctx: &JobContext) -> Result<Json, JobError> {
        run(ctx, self.method).await
    }
}

/// Reads the sales panel, estimates every category and tier by `method`, replaces the
/// estimates.
pub async fn run(ctx: &JobContext, method: Method) -> Result<Json, JobError> {
    let failed = JobError::from;
    ctx.progress(0.0, "reading the sales history").await?;
    let sales_rows = crate::entities::sale::count_all(&ctx.state.db)
        .await
        .map_err(failed)?;
    let (groups, observations) = panel(&ctx.state.db).await.map_err(failed)?;
    ctx.progress(
        0.6,
        format!(
            "estimating {} groups from {} product-weeks",
            groups.len(),
            observations.len()
        ),
    )
    .await?;
    let n = groups.len();
    let estimates = ctx
        .cpu(move || match method {
            Method::Ppml => elasticity::poisson::estimate(&observations, n),
            Method::LogLog => elasticity::estimate(&observations, n),
        })
        .await?;
    let mut items: Vec<ElasticityOut> = groups
        .into_iter()
        .zip(estimates)
        .filter_map(|((category, tier), e)| {
            e.map(|e| ElasticityOut {
                category,
                tier,
                elasticity: e.elasticity,
                std_error: e.std_error,
                observations: e.observations as i64,
                products: e.products as i64,
                zero_share: e.zero_share,
                method: method.name().into(),
            })
        })
        .collect();
    items.sort_by(|a, b| (&a.category, &a.tier).cmp(&(&b.category, &b.tier)));
    model::replace(&ctx.state.db, &items, sales_rows, &time::now())
        .await
        .map_err(failed)?;
    ctx.state.memo.forget_prefix(MEMO);
    Ok(json!({ "groups": items.len(), "sales_rows": sales_rows, "method": method.name() }))
}

/// The estimates, whether the sales history changed since (`stale`), and the
/// estimation job queued or running, if any. A read: it never queues work — stale or
/// missing estimates are queued by [`refresh_stale`], in the background. 404 while there
/// are none yet.
pub async fn list(state: &AppState) -> AppResult<ElasticitiesOut> {
    let key = format!("{MEMO}list");
    if let Some(out) = state.memo.get::<ElasticitiesOut>(&key) {
        return Ok((*out).clone());
    }
    let (items, run) = model::all(&state.db).await?;
    let method = method_of(&items);
    let sales_rows = crate::entities::sale::count_all(&state.db).await?;
    let pending =
        crate::entities::job::service::pending_job(state, &EstimateElasticities { method }).await?;
    let Some((rows_then, estimated_at)) = run else {
        if sales_rows == 0 {
            return Err(AppError::NotFound(
                "no sales history to estimate elasticities from: import sales first (POST /api/sales/import)".into(),
            ));
        }
        return Err(AppError::NotFound(match pending {
            Some(job) => format!("elasticities have not been estimated yet; job {job} is estimating them"),
            None => "elasticities have not been estimated yet; POST /api/pricing/elasticities/estimate to estimate them".into(),
        }));
    };
    let stale = rows_then != sales_rows;
    let out = ElasticitiesOut {
        items,
        estimated_at,
        sales_rows: rows_then,
        method: method.description().into(),
        stale,
        job: if stale { pending } else { None },
    };
    state.memo.put(key, Arc::new(out.clone()));
    Ok(out)
}

/// Queues an estimation when there is a sales history and no estimate of it, or one of
/// an older history; once (a queued or running one is left to finish). Its job id.
pub async fn refresh_stale(state: &AppState) -> AppResult<Option<i64>> {
    let (items, run) = model::all(&state.db).await?;
    let sales_rows = crate::entities::sale::count_all(&state.db).await?;
    let stale = match run {
        Some((rows_then, _)) => rows_then != sales_rows,
        None => sales_rows > 0,
    };
    if stale {
        // Again by the method of the estimates it replaces.
        let job = EstimateElasticities {
            method: method_of(&items),
        };
        Ok(Some(
            crate::entities::job::service::ensure_job(state, &job).await?,
        ))
    } else {
        Ok(None)
    }
}

/// The method stored estimates were made by (the default when there are none).
fn method_of(items: &[ElasticityOut]) -> Method {
    items
        .first()
        .and_then(|e| Method::parse(&e.method))
        .unwrap_or_default()
}

/// A queued or running estimation job (by the default method), or a new one.
pub async fn ensure_job(state: &AppState) -> AppResult<i64> {
    crate::entities::job::service::ensure_job(state, &EstimateElasticities::default()).await
}

/// The elasticity for a category and tier: the pair's estimate, else the mean of the
/// category's estimates, else `None`.
pub fn lookup(items: &[ElasticityOut], category: &str, tier: Option<&str>) -> Option<f64> {
    items
        .iter()
        .find(|e| e.category == category && e.tier.as_deref() == tier)
        .map(|e| e.elasticity)
        .or_else(|| {
            let same: Vec<f64> = items
                .iter()
                .filter(|e| e.category == category)
                .map(|e| e.elasticity)
                .collect();
            (!same.is_empty()).then(|| same.iter().sum::<f64>() / same.len() as f64)
        })
}

/// The groups of the panel: (category, tier).
pub type Groups = Vec<(String, Option<String>)>;

/// Every sale as an observation grouped by its product's category and brand tier (sales,
/// products and brands each asked through their entity; weeks and groups are interned as
/// the sales stream in).
pub async fn panel(
    db: &crate::kernel::db::Db,
) -> Result<(Groups, Vec<retort_learn::elasticity::Observation>), sqlx::Error> {
    use std::collections::HashMap;
    let products = crate::entities::product::groups(db).await?;
    let tiers = crate::entities::brand::tiers(db).await?;
    let mut groups: HashMap<(String, Option<String>), usize> = HashMap::new();
    // Each product's group, resolved once.
    let mut group_of: HashMap<i64, usize> = HashMap::with_capacity(products.len());
    for (id, (category, brand)) in products {
        let key = (category, tiers.get(&brand).cloned().flatten());
        let next = groups.len();
        let group = *groups.entry(key).or_insert(next);
        group_of.insert(id, group);
    }
    let mut weeks: HashMap<String, i64> = HashMap::new();
    let mut out = Vec::new();
    crate::entities::sale::for_each(db, |product, week, price, units| {
        // A sale always has its product (a foreign key); one deleted meanwhile is skipped.
        let Some(&group) = group_of.get(&product) else {
            return;
        };
        let week = match weeks.get(week) {
            Some(&w) => w,
            None => {
                let w = weeks.len() as i64;
                weeks.insert(week.to_owned(), w);
                w
            }
        };
        out.push(retort_learn::elasticity::Observation {
            group,
            product,
            week,
            price,
            units: units as f64,
        });
    })
    .await?;
    // Only groups that have sales, numbered in order of first appearance as before.
    let mut renumber = vec![usize::MAX; groups.len()];
    let mut first_seen: Vec<usize> = Vec::new();
    for o in &out {
        if renumber[o.group] == usize::MAX {
            renumber[o.group] = first_seen.len();
            first_seen.push(o.group);
        }
    }
    for o in &mut out {
        o.group = renumber[o.group];
    }
    let mut by_index: Vec<Option<(String, Option<String>)>> = vec![None; groups.len()];
    for (key, i) in groups {
        by_index[i] = Some(key);
    }
    let list = first_seen
        .into_iter()
        .filter_map(|g| by_index[g].take())
        .collect();
    Ok((list, out))
}
