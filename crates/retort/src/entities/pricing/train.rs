//! The `train_fair_price` job: gradient-boosted trees on product attributes, trained
//! natively (retort-learn), with a train/holdout split; the model is stored as a standard
//! ONNX tree ensemble in the model registry (metrics with the version, the `production`
//! alias moved to it), and a `score_fair_prices` job is queued for the catalogue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use retort_learn::conformal;
use retort_learn::gbdt::{self, Dataset, Feature, Params};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::score::ScoreFairPrices;

use crate::entities::model::schema::DeployMeta;
use crate::entities::model::service as models;
use crate::entities::product::Catalogue;
use crate::kernel::db::Db;
use crate::kernel::error::{AppError, FieldError};
use crate::kernel::jobs::{Job, JobContext, JobError};

/// The default name of the fair-price model.
pub const DEFAULT_MODEL: &str = "fair-price";
/// Fewer products than this cannot make a model worth the name.
pub const MIN_PRODUCTS: usize = 50;

/// The job: train a fair-price model on the catalogue, deploy it, queue its scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainFairPrice {
    /// Holdout share, 0.05–0.5.
    pub holdout: f64,
    /// Coverage of the fair-price interval, 0.5–0.99.
    pub interval_coverage: f64,
    /// Learning rate, 0.001–1.
    pub learning_rate: f64,
    /// Tree depth, 1–12.
    pub max_depth: i64,
    /// Most products trained on (an even, seeded sample beyond).
    pub max_rows: i64,
    /// Fewest training rows in a leaf.
    pub min_samples_leaf: i64,
    /// The model's name.
    pub model: String,
    /// Seed of the samples.
    pub seed: i64,
    /// Trees per pass.
    pub trees: i64,
}

impl Job for TrainFairPrice {
    const KIND: &'static str = "train_fair_price";

    /// Every number in range, whole where it must be, the model name well formed; the
    /// defaults filled in.
    fn parse(params: &Json) -> Result<Self, Vec<FieldError>> {
        let checked = check(params)?;
        serde_json::from_value(checked).map_err(|e| vec![FieldError::new("", e.to_string())])
    }

    async fn run(self, ctx: &JobContext) -> Result<Json, JobError> {
        let trained = train(ctx, &self).await?;
        let job = crate::entities::job::service::start_job(
            &ctx.state,
            &ScoreFairPrices {
                model: trained["model"].as_str().unwrap_or_default().to_owned(),
                version: trained["version"].as_i64().unwrap_or(0),
            },
        )
        .await?;
        let mut out = trained;
        out["score_job"] = json!(job.id);
        Ok(out)
    }
}

/// Training parameters with their ranges and defaults: (name, min, max, default).
const NUMBERS: [(&str, f64, f64, f64); 8] = [
    ("trees", 1.0, 2000.0, 300.0),
    ("learning_rate", 0.001, 1.0, 0.1),
    ("max_depth", 1.0, 12.0, 6.0),
    ("min_samples_leaf", 1.0, 10_000.0, 20.0),
    ("holdout", 0.05, 0.5, 0.2),
    ("interval_coverage", 0.5, 0.99, 0.9),
    ("seed", 0.0, 4_294_967_295.0, 42.0),
    ("max_rows", 100.0, 5_000_000.0, 200_000.0),
];

/// Checks training parameters: every number in range, whole where it must be, the model
/// name well formed; returns them with the defaults filled in.
pub fn check(params: &Json) -> Result<Json, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = params.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "expected an object of training parameters (or {})",
        )]);
    };
    let mut out = serde_json::Map::new();
    for key in obj.keys() {
        if key != "model" && !NUMBERS.iter().any(|(n, ..)| n == key) {
            errors.push(FieldError::new(format!("/{key}"), "is not a known field"));
        }
    }
    match obj.get("model") {
        None => {
            out.insert("model".into(), json!(DEFAULT_MODEL));
        }
        Some(Json::String(s)) if valid_name(s) => {
            out.insert("model".into(), json!(s));
        }
        Some(_) => errors.push(FieldError::new(
            "/model",
            "must be a model name: 1–64 letters, digits, '-', '_' or '.'",
        )),
    }
    for (name, min, max, default) in NUMBERS {
        let value = match obj.get(name) {
            None => default,
            Some(v) => match v.as_f64() {
                Some(x) if (min..=max).contains(&x) => x,
                _ => {
                    errors.push(FieldError::new(
                        format!("/{name}"),
                        format!("must be a number from {min} to {max}"),
                    ));
                    continue;
                }
            },
        };
        let whole = !matches!(name, "learning_rate" | "holdout" | "interval_coverage");
        if whole && value.fract() != 0.0 {
            errors.push(FieldError::new(
                format!("/{name}"),
                "must be a whole number",
            ));
            continue;
        }
        out.insert(
            name.into(),
            if whole {
                json!(value as i64)
            } else {
                json!(value)
            },
        );
    }
    if errors.is_empty() {
        Ok(Json::Object(out))
    } else {
        Err(errors)
    }
}

fn valid_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The product columns the model reads, in graph order.
pub const FEATURES: [&str; 11] = [
    "brand",
    "line",
    "category",
    "width_mm",
    "aspect_ratio",
    "rim_in",
    "load_index",
    "speed_rating",
    "season",
    "tread_warranty_miles",
    "runflat",
];

/// The catalogue as a training set: the features and the list prices, at most
/// `max_rows` products (an even, seeded sample when there are more). The catalogue is
/// read as columns, the same way scoring reads it ([`features`]).
async fn read_products(
    db: &Db,
    max_rows: usize,
    seed: u64,
) -> Result<(Dataset, Vec<f64>), sqlx::Error> {
    use crate::entities::product;
    // Over `max_rows` products, only the sampled ones are held (read in chunks).
    let (_, n) = product::catalogue_state(db).await?;
    let n = usize::try_from(n).unwrap_or(0);
    let catalogue = if n > max_rows {
        let (sample, _) = gbdt::split_holdout(n, 1.0 - max_rows as f64 / n as f64, seed ^ 0xC0FFEE);
        let mut s = sample;
        s.sort_unstable();
        product::catalogue_at(db, &s, 100_000).await?
    } else {
        product::catalogue(db, 100_000).await?
    };
    Ok((features(&catalogue), catalogue.list_price))
}

/// The fair-price model's features of a catalogue's products, in graph
/// order: text as categories, sizes and ratings as whole numbers, the warranty as a
/// number that may be missing (NaN, which the trees route), run-flat as a flag. Scoring
/// feeds the same catalogue columns to the exported graph by name.
pub fn features(catalogue: &Catalogue) -> Dataset {
    let int = |v: &[i64]| v.iter().map(|&x| x as f64).collect();
    // Each distinct text is held once, a code per row (no string per row).
    let categorical = |name: &str, v: &[String]| Feature::categorical(name, v);
    let numeric = |name: &str, v: &[i64]| Feature::Numeric {
        name: name.into(),
        values: int(v),
        int: true,
    };
    let c = catalogue;
    Dataset {
        features: vec![
            categorical("brand", &c.brand),
            categorical("line", &c.line),
            categorical("category", &c.category),
            numeric("width_mm", &c.width_mm),
            numeric("aspect_ratio", &c.aspect_ratio),
            numeric("rim_in", &c.rim_in),
            numeric("load_index", &c.load_index),
            categorical("speed_rating", &c.speed_rating),
            categorical("season", &c.season),
            Feature::Numeric {
                name: "tread_warranty_miles".into(),
                values: c
                    .tread_warranty_miles
                    .iter()
                    .map(|w| w.map_or(f64::NAN, |v| v as f64))
                    .collect(),
                int: false,
            },
            Feature::Flag {
                name: "runflat".into(),
                values: c.runflat.clone(),
            },
        ],
    }
}

/// Trains, evaluates on the holdout and deploys; the new version's name, number and
/// metrics.
pub async fn train(ctx: &JobContext, job: &TrainFairPrice) -> Result<Json, JobError> {
    let failed = |e: AppError| JobError::from(e);
    let params = job.to_params();
    let name = job.model.clone();
    let seed = job.seed as u64;
    ctx.progress(0.0, "reading the catalogue").await?;
    let (data, prices) = read_products(&ctx.state.db, job.max_rows as usize, seed)
        .await
        .map_err(|e| failed(e.into()))?;
    if prices.len() < MIN_PRODUCTS {
        return Err(JobError::Failed(format!(
            "the catalogue has {} products; training a fair-price model needs at least {MIN_PRODUCTS}",
            prices.len()
        )));
    }
    let (train_idx, holdout_idx) = gbdt::split_holdout(prices.len(), job.holdout, seed);
    let gbdt_params = Params {
        trees: job.trees as usize,
        learning_rate: job.learning_rate,
        max_depth: job.max_depth as usize,
        min_samples_leaf: job.min_samples_leaf as usize,
        seed,
        log_target: true,
        ..Params::default()
    };
    let total = 2 * gbdt_params.trees;
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (train_data, train_y) = (data.select(&train_idx), pick(&prices, &train_idx));
    let (hold_data, hold_y) = (data.select(&holdout_idx), pick(&prices, &holdout_idx));
    let coverage = job.interval_coverage;
    let started = std::time::Instant::now();
    let training = {
        let (done, stop) = (done.clone(), stop.clone());
        ctx.cpu(move || {
            // Two passes: fit, leave out the training rows the first fit prices far off
            // (gross mispricings would pull the fair price towards themselves), refit.
            let first = gbdt::train(&train_data, &train_y, &gbdt_params, &mut |d, _| {
                done.store(d, Ordering::Relaxed);
                !stop.load(Ordering::Relaxed)
            })?;
            let keep = typical_rows(&train_y, &first.predict(&train_data));
            let trimmed = train_y.len() - keep.len();
            let kept_y = pick(&train_y, &keep);
            let booster = gbdt::train(
                &train_data.select(&keep),
                &kept_y,
                &gbdt_params,
                &mut |d, t| {
                    done.store(t + d, Ordering::Relaxed);
                    !stop.load(Ordering::Relaxed)
                },
            )?;
            let predicted = booster.predict(&hold_data);
            let metrics = gbdt::metrics(&hold_y, &predicted);
            let interval = conformal::calibrate(&hold_y, &predicted, coverage, seed ^ 0x1A7E);
            Ok::<_, gbdt::TrainError>((
                booster.to_onnx(&name_for_graph()),
                (metrics, interval),
                booster.feature_importance(),
                trimmed,
            ))
        })
    };
    tokio::pin!(training);
    let result = loop {
        tokio::select! {
            r = &mut training => break r?,
            () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {
                let d = done.load(Ordering::Relaxed);
                if let Err(e) = ctx.progress(0.9 * d as f64 / total as f64, format!("trained {d} of {total} trees (two passes)")).await {
                    stop.store(true, Ordering::Relaxed);
                    let _ = training.await;
                    return Err(e);
                }
            }
        }
    };
    let (onnx, (metrics, interval), importance, trimmed) =
        result.map_err(|e| JobError::Failed(e.to_string()))?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.progress(0.95, "storing the model").await?;
    let metrics = json!({
        "r2": metrics.r2,
        "mae": metrics.mae,
        "mape": metrics.mape,
        "rmse": metrics.rmse,
        "rows_train": train_idx.len(),
        "rows_holdout": holdout_idx.len(),
        "rows_left_out_as_outliers": trimmed,
        "interval": match &interval {
            Ok(iv) => interval_json(iv),
            Err(e) => json!({ "coverage": coverage, "error": e.to_string() }),
        },
        "training_seconds": seconds,
        "feature_importance": importance
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect::<serde_json::Map<String, Json>>(),
    });
    let meta = DeployMeta {
        description: format!(
            "Fair price from product attributes: {} gradient-boosted trees on log list price, trained on {} products, evaluated on {} held out.",
            total / 2,
            train_idx.len(),
            holdout_idx.len()
        ),
        framework: "retort-learn gbdt".into(),
        metrics: metrics.clone(),
        feature_names: None,
        alias: Some("production".into()),
        check: None,
    };
    let version = models::deploy(&ctx.state, &name, meta, onnx)
        .await
        .map_err(failed)?;
    Ok(json!({ "model": name, "version": version.version, "metrics": metrics, "params": params }))
}

/// The interval as a version's metrics store it (read back by
/// [`super::schema::IntervalOut::of_metrics`]).
fn interval_json(iv: &conformal::Interval) -> Json {
    json!({
        "method": "split_conformal",
        "coverage": iv.coverage,
        "log_halfwidth": iv.log_halfwidth,
        "relative_below": (-iv.log_halfwidth).exp() - 1.0,
        "relative_above": iv.log_halfwidth.exp() - 1.0,
        "calibration_rows": iv.rows,
        "holdout_coverage": iv.holdout_coverage,
    })
}

fn name_for_graph() -> String {
    "retort fair-price gbdt".into()
}

/// Training rows whose log residual lies within 4 robust standard deviations (1.4826 ×
/// the median absolute deviation) of the median residual.
fn typical_rows(actual: &[f64], predicted: &[f64]) -> Vec<usize> {
    let residuals: Vec<f64> = actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| (a / p).ln())
        .collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let centre = median(residuals.clone());
    let mad = median(residuals.iter().map(|r| (r - centre).abs()).collect());
    let limit = 4.0 * 1.4826 * mad.max(1e-6);
    (0..residuals.len())
        .filter(|&i| (residuals[i] - centre).abs() <= limit)
        .collect()
}

fn pick(values: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().map(|&i| values[i]).collect()
}
