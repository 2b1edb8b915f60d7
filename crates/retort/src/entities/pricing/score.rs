//! The `score_fair_prices` job: score every product with a fair-price model version
//! (through the same chunked reading and prediction as `score_products`), compute the
//! mispricing analysis — gap, relative gap, peer z-score — in memory, write it into
//! `price_scores` under the run's key in short transactions, and publish it.

use std::time::Instant;

use serde_json::{Value as Json, json};

use super::index::ScoreIndex;
use super::model;
use serde::{Deserialize, Serialize};

use crate::entities::product::score::ScoredChunks;
use crate::kernel::error::FieldError;
use crate::kernel::jobs::{Job, JobContext, JobError};

/// The job: score the catalogue with a fair-price model version and write the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreFairPrices {
    /// The fair-price model's name.
    pub model: String,
    /// The version that scores.
    pub version: i64,
}

impl Job for ScoreFairPrices {
    const KIND: &'static str = "score_fair_prices";

    fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.model.is_empty() {
            errors.push(FieldError::new(
                "/model",
                "is required: the fair-price model's name",
            ));
        }
        if self.version < 1 {
            errors.push(FieldError::new(
                "/version",
                "is required: a version number from 1",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    async fn run(self, ctx: &JobContext) -> Result<Json, JobError> {
        score_fair_prices(ctx, self).await
    }
}

/// Scores the catalogue with the job's model version and writes the analysis.
pub async fn score_fair_prices(ctx: &JobContext, job: ScoreFairPrices) -> Result<Json, JobError> {
    let failed = JobError::from;
    let ScoreFairPrices {
        model: name,
        version,
    } = job;
    let db = &ctx.state.db;
    let mut seconds = serde_json::Map::new();
    let mut lap = Instant::now();
    let mut stage = |name: &str| {
        seconds.insert(name.to_owned(), json!(lap.elapsed().as_secs_f64()));
        lap = Instant::now();
    };
    // Read and predict the catalogue chunk by chunk, keeping each product's attributes
    // and analysis in the run's in-memory index.
    let key = model::run_key(&name, ctx.job_id);
    let tiers = crate::entities::brand::tiers(db).await.map_err(failed)?;
    let mut chunks = ScoredChunks::start(ctx, &name, version, None).await?;
    let total = chunks.total;
    let mut index = ScoreIndex::new(&key, version, "");
    let (mut read, mut scored, mut unscored) = (0usize, 0usize, 0usize);
    while let Some((chunk, values)) = chunks.next().await? {
        for (i, score) in values.into_iter().enumerate() {
            let tier = tiers.get(&chunk.brand[i]).and_then(Option::as_deref);
            if score.is_finite() {
                scored += 1;
            } else {
                unscored += 1;
            }
            index.push_scored(&chunk, i, chunk.list_price[i], score, tier);
        }
        read += chunk.len();
        ctx.progress(
            0.9 * read as f64 / total.max(1) as f64,
            format!("scored {read} of {total} products"),
        )
        .await?;
    }
    let scoring = json!({ "read": chunks.read_s, "predict": chunks.predict_s });
    stage("score");
    ctx.progress(0.9, "computing peer z-scores").await?;
    let scored_at = crate::kernel::time::now();
    let mut index = ctx
        .cpu(move || {
            index.finish();
            index
        })
        .await?;
    index.set_scored_at(&scored_at);
    stage("analyse");
    if index.is_empty() {
        // No product has a positive fair price: the model has no analysis.
        model::forget(db, &name).await.map_err(failed)?;
        ctx.state.memo.forget_prefix(&memo_key(&name));
        for old in model::orphan_keys(db, &name, "").await.map_err(failed)? {
            model::delete_key(db, &old).await.map_err(failed)?;
        }
        return Ok(
            json!({ "model": name, "version": version, "scored": scored, "unscored": unscored, "analysed": 0, "scoring": scoring, "seconds": seconds }),
        );
    }
    // The run's rows go in under their own key in short transactions, become the
    // model's in one small one, and the previous run's rows go after: no write holds
    // the lock long enough to starve this job's lease renewal.
    ctx.progress(0.92, "writing the analysis").await?;
    model::write_run(db, &key, index.len(), |i| index.scored(i))
        .await
        .map_err(failed)?;
    stage("write");
    ctx.progress(0.98, "publishing the analysis").await?;
    model::publish_run(db, &name, &key, version, &scored_at, scored)
        .await
        .map_err(failed)?;
    let analysed = index.len();
    super::service::keep_index(&ctx.state, &name, version, &scored_at, index);
    ctx.state.memo.forget_prefix(&memo_key(&name));
    stage("publish");
    for old in model::orphan_keys(db, &name, &key).await.map_err(failed)? {
        model::delete_key(db, &old).await.map_err(failed)?;
    }
    stage("delete_previous");
    Ok(
        json!({ "model": name, "version": version, "scored": scored, "unscored": unscored, "analysed": analysed, "scoring": scoring, "seconds": seconds }),
    )
}

/// Forgets every remembered scoring state, so the next read sees that the catalogue
/// changed (and queues a re-scoring).
pub fn catalogue_changed(state: &crate::kernel::state::AppState) {
    state.memo.forget_prefix("pricing-scoring:");
}

/// The memo key prefix of a model's scoring state.
pub fn memo_key(model: &str) -> String {
    format!("pricing-scoring:{model}:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::product::Catalogue;

    /// Products 0..n of one peer group with the given list prices.
    fn catalogue(list: &[f64]) -> Catalogue {
        let mut c = Catalogue::default();
        for (i, price) in list.iter().enumerate() {
            c.id.push(i as i64);
            c.sku.push(format!("S{i}"));
            c.brand.push("B".into());
            c.line.push("L".into());
            c.category.push("passenger".into());
            c.width_mm.push(205);
            c.aspect_ratio.push(55);
            c.rim_in.push(16);
            c.load_index.push(91);
            c.speed_rating.push("H".into());
            c.season.push("summer".into());
            c.tread_warranty_miles.push(None);
            c.runflat.push(false);
            c.cost.push(10.0);
            c.list_price.push(*price);
        }
        c
    }

    fn analyse(list: &[f64], fair: &[f64]) -> ScoreIndex {
        let c = catalogue(list);
        let mut index = ScoreIndex::new("k", 1, "t");
        for (i, f) in fair.iter().enumerate() {
            index.push_scored(&c, i, c.list_price[i], *f, None);
        }
        index.finish();
        index
    }

    #[test]
    fn gaps_are_relative_to_the_fair_price_and_peers_give_a_z_score() {
        let mut list: Vec<f64> = (0..9).map(|i| 100.0 + f64::from(i)).collect();
        list.extend([150.0, 80.0]);
        let mut fair = vec![100.0; 10];
        fair.push(-1.0);
        let out = analyse(&list, &fair);
        assert_eq!(out.len(), 10, "a non-positive fair price is dropped");
        let top = out.row(9);
        assert_eq!((top.gap, top.gap_pct), (50.0, 50.0));
        assert!((top.log_ratio - 1.5f64.ln()).abs() < 1e-12);
        assert_eq!(top.mispricing, top.log_ratio);
        assert_eq!(top.peer_count, 10);
        assert!(top.peer_z.unwrap_or(0.0) > 2.5, "{:?}", top.peer_z);
        let few = analyse(&[100.0, 90.0], &[90.0, 100.0]);
        assert_eq!(few.row(0).peer_z, None, "fewer than 5 peers");
        let under = few.row(1);
        assert!(under.log_ratio < 0.0 && under.gap == -10.0 && under.direction == "under");
    }
}
