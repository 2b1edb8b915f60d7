//! `retort demo` and `serve --demo`: generate the demo data into an empty database, then
//! train the fair-price model, score the catalogue and estimate elasticities — the same
//! job kinds the API queues, run here in the foreground with their progress shown.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::Args;
use serde_json::json;

use crate::entities::elasticity::service as elasticities;
use crate::entities::pricing::{evaluation, score, train};
use crate::kernel::config::DatabaseArgs;
use crate::kernel::db::Db;
use crate::kernel::jobs::{BoxFuture, JobContext, JobError, Progress};
use crate::kernel::state::AppState;

/// `retort demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Products in the catalogue (up to 1,000,000).
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub products: u32,
    /// Products given 52 weeks of sales history, spread evenly over the catalogue (at most
    /// all of them; 0 for none).
    #[arg(long, default_value_t = crate::demo::SALES_PRODUCTS as u32, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub sales_products: u32,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where the data goes.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Progress of a foreground job on standard error: a line when the message changes.
struct Terminal {
    step: &'static str,
    last: Mutex<(String, Instant)>,
}

impl Progress for Terminal {
    fn report(&self, fraction: f64, message: String) -> BoxFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            if let Ok(mut last) = self.last.lock() {
                let shown = last.1.elapsed().as_secs_f64() > 1.0 || fraction >= 1.0;
                if shown && last.0 != message {
                    eprintln!("demo: {}: {message} ({:.0} %)", self.step, 100.0 * fraction);
                    *last = (message, Instant::now());
                }
            }
            Ok(())
        })
    }
}

fn context(state: &AppState, step: &'static str) -> JobContext {
    let progress = Arc::new(Terminal {
        step,
        last: Mutex::new((String::new(), Instant::now())),
    });
    // Foreground runs have no job row; 0 is never a job id.
    JobContext::new(state.clone(), 0, progress)
}

fn failed(step: &str, e: JobError) -> anyhow::Error {
    match e {
        JobError::Failed(m) => anyhow::anyhow!("demo: {step} failed: {m}"),
        other => anyhow::anyhow!("demo: {step} stopped: {other:?}"),
    }
}

/// Loads the demo into `state`'s database if it has no products, then trains, scores and
/// estimates. `Ok(false)` when the database already had products (nothing done).
pub async fn prepare(
    state: &AppState,
    products: usize,
    sales_products: usize,
    seed: u64,
) -> anyhow::Result<bool> {
    let started = Instant::now();
    let selling = sales_products.min(products);
    eprintln!(
        "demo: generating brands, {products} products and 52 weeks of sales for {selling} of them…"
    );
    let report = match crate::demo::load(&state.db, products, seed, selling).await {
        Ok(Some(report)) => report,
        Ok(None) => return Ok(false),
        Err(e) => anyhow::bail!("loading the demo data failed: {}", e.to_problem().detail),
    };
    eprintln!(
        "demo: imported {} brands and {} products ({} with planted mispricings) in {:.1} s",
        report.brands,
        report.products,
        report.planted,
        report.catalogue_time.as_secs_f64()
    );
    eprintln!(
        "demo: imported {} weekly sales in {:.1} s",
        report.sales,
        report.sales_time.as_secs_f64()
    );
    let step = Instant::now();
    let job = <train::TrainFairPrice as crate::kernel::jobs::Job>::parse(&json!({ "seed": seed }))
        .map_err(crate::kernel::error::AppError::Validation)?;
    let trained = train::train(&context(state, "training"), &job)
        .await
        .map_err(|e| failed("training", e))?;
    let metrics = &trained["metrics"];
    eprintln!(
        "demo: trained {} version {} in {:.1} s: holdout R² {:.4}, MAE {:.2}, MAPE {:.2} %",
        trained["model"].as_str().unwrap_or_default(),
        trained["version"],
        step.elapsed().as_secs_f64(),
        metrics["r2"].as_f64().unwrap_or(f64::NAN),
        metrics["mae"].as_f64().unwrap_or(f64::NAN),
        100.0 * metrics["mape"].as_f64().unwrap_or(f64::NAN),
    );
    let step = Instant::now();
    score::score_fair_prices(
        &context(state, "scoring"),
        score::ScoreFairPrices {
            model: trained["model"].as_str().unwrap_or_default().to_owned(),
            version: trained["version"].as_i64().unwrap_or(0),
        },
    )
    .await
    .map_err(|e| failed("scoring", e))?;
    eprintln!(
        "demo: scored the catalogue in {:.1} s",
        step.elapsed().as_secs_f64()
    );
    let step = Instant::now();
    elasticities::run(&context(state, "elasticities"), Default::default())
        .await
        .map_err(|e| failed("estimating elasticities", e))?;
    eprintln!(
        "demo: estimated elasticities in {:.1} s",
        step.elapsed().as_secs_f64()
    );
    let model = trained["model"].as_str().unwrap_or(train::DEFAULT_MODEL);
    match evaluation::evaluation(state, model, 100).await {
        Ok(e) => {
            if let Some(h) = &e.holdout {
                eprintln!(
                    "demo: fair-price model on its holdout: R² {:.3}, MAPE {:.1} %",
                    h.r2,
                    100.0 * h.mape
                );
            }
            if let Some(iv) = &e.interval {
                eprintln!(
                    "demo: fair-price interval ±{:.1} % ({:.0} % asked, {:.1} % of held-out products inside)",
                    100.0 * (iv.log_halfwidth.exp() - 1.0),
                    100.0 * iv.coverage,
                    100.0 * iv.holdout_coverage
                );
            }
            if let Some(p) = &e.planted {
                eprintln!(
                    "demo: planted mispricings found: precision@100 {:.2}, @1000 {:.2}; {:.0} % of them in the top 2 % by relative gap, {:.0} % by dollar gap",
                    p.precision_at_100,
                    p.precision_at_1000,
                    100.0 * p.recall_top_2pct_relative,
                    100.0 * p.recall_top_2pct_dollars
                );
                if let Some(f) = &p.outside_interval {
                    eprintln!(
                        "demo: {} products outside their interval: {:.0} % of them planted, {:.0} % of the planted ones among them",
                        f.flagged,
                        100.0 * f.precision,
                        100.0 * f.recall
                    );
                }
            }
        }
        Err(e) => eprintln!("demo: evaluation unavailable: {}", e.to_problem().detail),
    }
    eprintln!("demo: ready in {:.1} s", started.elapsed().as_secs_f64());
    Ok(true)
}

/// `retort demo`: the demo data, model, scores and elasticities into an empty database.
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&args.database.database_url).await?;
    db.migrate().await?;
    let state = AppState::new(db.clone(), crate::kernel::config::Limits::default());
    let done = prepare(
        &state,
        args.products as usize,
        args.sales_products as usize,
        args.seed,
    )
    .await;
    db.close().await;
    if !done? {
        anyhow::bail!(
            "the database already has products; `retort demo` loads into an empty database (use another --database)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
