//! The `score_fair_prices` job: score every product with a fair-price model version
//! (through the same batch scoring as `score_products`), then write the mispricing
//! analysis — gap, relative gap, peer z-score — into `price_scores` in one transaction.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value as Json, json};

use super::model;
use super::schema::MispricedOut;
use serde::{Deserialize, Serialize};

use crate::entities::product::score::{ScoreProducts, score_all};
use crate::kernel::error::FieldError;
use crate::kernel::jobs::{Job, JobContext, JobError};

/// Fewer peers than this and the z-score is null.
pub const MIN_PEERS: usize = 5;

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
    let mut seconds = serde_json::Map::new();
    let mut lap = Instant::now();
    let mut stage = |name: &str| {
        seconds.insert(name.to_owned(), json!(lap.elapsed().as_secs_f64()));
        lap = Instant::now();
    };
    let scored = score_all(
        ctx,
        ScoreProducts {
            filters: json!({}),
            model: name.clone(),
            version,
        },
    )
    .await?;
    stage("score");
    ctx.progress(0.95, "computing gaps and peer z-scores")
        .await?;
    let rows = scored_products(&ctx.state.db, &name)
        .await
        .map_err(failed)?;
    stage("read_scored");
    let scored_count = rows.len();
    let (rows, facets) = ctx
        .cpu(move || {
            let rows = analyse(rows);
            let facets = facet_counts(&rows);
            (rows, facets)
        })
        .await?;
    stage("analyse");
    let db = &ctx.state.db;
    let Some((version, scored_at)) = rows.first().map(|r| (r.version, r.scored_at.clone())) else {
        // No product has a positive fair price: the model has no analysis.
        model::forget(db, &name).await.map_err(failed)?;
        ctx.state.memo.forget_prefix(&memo_key(&name));
        for old in model::orphan_keys(db, &name, "").await.map_err(failed)? {
            model::delete_key(db, &old).await.map_err(failed)?;
        }
        return Ok(
            json!({ "model": name, "version": version, "scored": scored["scored"], "analysed": 0 }),
        );
    };
    // The run's rows go in under their own key in short transactions, become the
    // model's in one small one, and the previous run's rows go after: no write holds
    // the lock long enough to starve this job's lease renewal.
    let key = model::run_key(&name, ctx.job_id);
    ctx.progress(0.96, "writing the analysis").await?;
    model::write_run(db, &key, &rows).await.map_err(failed)?;
    stage("write");
    ctx.progress(0.98, "publishing the analysis").await?;
    model::publish_run(db, &name, &key, version, &scored_at, scored_count, &facets)
        .await
        .map_err(failed)?;
    ctx.state.memo.forget_prefix(&memo_key(&name));
    stage("publish");
    for old in model::orphan_keys(db, &name, &key).await.map_err(failed)? {
        model::delete_key(db, &old).await.map_err(failed)?;
    }
    stage("delete_previous");
    // Fresh statistics, so the planner picks the mispricing-ordered indexes.
    model::analyze(db).await.map_err(failed)?;
    stage("analyze");
    let analysed = rows.len();
    let index = {
        let key = key.clone();
        ctx.cpu(move || super::index::ScoreIndex::from_rows(&key, &rows))
            .await?
    };
    super::service::keep_index(&ctx.state, &name, version, &scored_at, index);
    stage("index");
    Ok(
        json!({ "model": name, "version": version, "scored": scored["scored"], "analysed": analysed, "scoring": scored["seconds"], "seconds": seconds }),
    )
}

/// The products with a model's scores and their brand's tier, in id order: everything
/// the analysis needs (its own columns still zero, filled in by [`analyse`]).
pub async fn scored_products(
    db: &crate::kernel::db::Db,
    model: &str,
) -> Result<Vec<MispricedOut>, sqlx::Error> {
    let tiers = crate::entities::brand::tiers(db).await?;
    Ok(crate::entities::product::with_scores(db, model)
        .await?
        .into_iter()
        .map(|s| {
            let p = s.product;
            MispricedOut {
                tier: tiers.get(&p.brand).cloned().flatten(),
                id: p.id,
                sku: p.sku,
                brand: p.brand,
                line: p.line,
                category: p.category,
                width_mm: p.width_mm,
                aspect_ratio: p.aspect_ratio,
                rim_in: p.rim_in,
                load_index: p.load_index,
                speed_rating: p.speed_rating,
                season: p.season,
                tread_warranty_miles: p.tread_warranty_miles,
                runflat: p.runflat,
                cost: p.cost,
                list_price: p.list_price,
                fair_price: s.score,
                gap: 0.0,
                gap_pct: 0.0,
                log_ratio: 0.0,
                direction: "fair".into(),
                mispricing: 0.0,
                peer_z: None,
                peer_count: 0,
                version: s.version,
                scored_at: s.scored_at,
            }
        })
        .collect())
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

/// Fills in gap, relative gap and peer z-scores; drops rows whose fair price is not a
/// positive number (a model can predict anything).
pub fn analyse(rows: Vec<MispricedOut>) -> Vec<MispricedOut> {
    let mut rows: Vec<MispricedOut> = rows
        .into_iter()
        .filter(|r| r.fair_price.is_finite() && r.fair_price > 0.0 && r.list_price > 0.0)
        .map(|mut r| {
            r.gap = round(r.list_price - r.fair_price, 2);
            r.gap_pct = round(100.0 * (r.list_price - r.fair_price) / r.fair_price, 3);
            r.log_ratio = (r.list_price / r.fair_price).ln();
            r.mispricing = r.log_ratio.abs();
            r.direction = match r.log_ratio {
                x if x > 0.0 => "over",
                x if x < 0.0 => "under",
                _ => "fair",
            }
            .into();
            r.fair_price = round(r.fair_price, 2);
            r
        })
        .collect();
    // Peers: same category, rim size and season. Mean and standard deviation of the log
    // ratio per group, then each product's distance from its group in deviations.
    let mut groups: HashMap<(String, i64, String), (usize, f64, f64)> = HashMap::new();
    for r in &rows {
        let g = groups
            .entry((r.category.clone(), r.rim_in, r.season.clone()))
            .or_insert((0, 0.0, 0.0));
        g.0 += 1;
        g.1 += r.log_ratio;
        g.2 += r.log_ratio * r.log_ratio;
    }
    for r in &mut rows {
        let (n, sum, sq) = groups[&(r.category.clone(), r.rim_in, r.season.clone())];
        r.peer_count = n as i64;
        let mean = sum / n as f64;
        let var = (sq / n as f64 - mean * mean).max(0.0) * n as f64 / (n.max(2) - 1) as f64;
        r.peer_z =
            (n >= MIN_PEERS && var > 0.0).then(|| round((r.log_ratio - mean) / var.sqrt(), 4));
    }
    rows
}

/// Value counts of every facet over `rows`, most frequent first (ties by value), as JSON
/// `{"total": n, "facets": {"brand": [{"value": "Kumho", "count": 7}, …], …}}`.
pub fn facet_counts(rows: &[MispricedOut]) -> String {
    let mut facets = serde_json::Map::new();
    for facet in super::model::FACETS {
        let mut counts: HashMap<String, (Json, i64)> = HashMap::new();
        for r in rows {
            let value = match facet {
                "brand" => json!(r.brand),
                "tier" => json!(r.tier),
                "category" => json!(r.category),
                "season" => json!(r.season),
                "rim_in" => json!(r.rim_in),
                _ => json!(r.speed_rating),
            };
            counts.entry(value.to_string()).or_insert((value, 0)).1 += 1;
        }
        let mut list: Vec<(Json, i64)> = counts.into_values().collect();
        list.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.to_string().cmp(&b.0.to_string()))
        });
        list.truncate(200);
        let list: Vec<Json> = list
            .into_iter()
            .map(|(value, count)| json!({ "value": value, "count": count }))
            .collect();
        facets.insert(facet.to_owned(), Json::Array(list));
    }
    json!({ "total": rows.len(), "facets": facets }).to_string()
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, list: f64, fair: f64) -> MispricedOut {
        MispricedOut {
            id,
            sku: format!("S{id}"),
            brand: "B".into(),
            tier: None,
            line: "L".into(),
            category: "passenger".into(),
            width_mm: 205,
            aspect_ratio: 55,
            rim_in: 16,
            load_index: 91,
            speed_rating: "H".into(),
            season: "summer".into(),
            tread_warranty_miles: None,
            runflat: false,
            cost: 10.0,
            list_price: list,
            fair_price: fair,
            gap: 0.0,
            gap_pct: 0.0,
            log_ratio: 0.0,
            direction: String::new(),
            mispricing: 0.0,
            peer_z: None,
            peer_count: 0,
            version: 1,
            scored_at: String::new(),
        }
    }

    #[test]
    fn gaps_are_relative_to_the_fair_price_and_peers_give_a_z_score() {
        let mut rows: Vec<_> = (0..9).map(|i| row(i, 100.0 + i as f64, 100.0)).collect();
        rows.push(row(9, 150.0, 100.0));
        rows.push(row(10, 80.0, -1.0));
        let out = analyse(rows);
        assert_eq!(out.len(), 10, "a non-positive fair price is dropped");
        let top = &out[9];
        assert_eq!((top.gap, top.gap_pct), (50.0, 50.0));
        assert!((top.log_ratio - 1.5f64.ln()).abs() < 1e-12);
        assert_eq!(top.mispricing, top.log_ratio);
        assert_eq!(top.peer_count, 10);
        assert!(top.peer_z.unwrap_or(0.0) > 2.5, "{:?}", top.peer_z);
        let few = analyse(vec![row(1, 100.0, 90.0), row(2, 90.0, 100.0)]);
        assert_eq!(few[0].peer_z, None, "fewer than 5 peers");
        assert!(few[1].log_ratio < 0.0 && few[1].gap == -10.0);
    }
}
