//! `retort models deploy FILE.onnx --name NAME [--alias A] [--check-sample FILE.csv]` and
//! `retort models list`:
//! the registry from the command line, straight to the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::entities::model::schema::DeployMeta;
use crate::entities::model::service;
use crate::kernel::config::{DatabaseArgs, Limits, RuntimeArgs};
use crate::kernel::db::Db;
use crate::kernel::state::AppState;

/// What to do with models.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Deploy an ONNX file as the next version of a model.
    Deploy(Box<DeployArgs>),
    /// List models with their versions and aliases.
    List(DatabaseArgs),
}

/// Arguments of `models deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The ONNX file.
    pub file: PathBuf,
    /// The model's name (a-z, 0-9, '.', '_', '-').
    #[arg(long)]
    pub name: String,
    /// Point this alias (e.g. production) at the new version.
    #[arg(long)]
    pub alias: Option<String>,
    /// Free text about this version.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Where the model came from (sklearn, xgboost, lightgbm, pytorch, …).
    #[arg(long, default_value = "")]
    pub framework: String,
    /// Metrics as a JSON object, e.g. '{"r2": 0.97}'.
    #[arg(long)]
    pub metrics: Option<String>,
    /// Column names in graph order, comma-separated.
    #[arg(long)]
    pub feature_names: Option<String>,
    /// A CSV sample to check the version against before it is stored: the model's
    /// columns and a column of the training library's predictions (see --check-column).
    #[arg(long, value_name = "FILE.csv")]
    pub check_sample: Option<PathBuf>,
    /// The column of --check-sample with the expected predictions.
    #[arg(long, default_value = crate::entities::model::fidelity::DEFAULT_COLUMN)]
    pub check_column: String,
    /// Largest relative difference the check allows.
    #[arg(long, default_value_t = crate::entities::model::fidelity::DEFAULT_TOLERANCE)]
    pub fidelity_tolerance: f64,
    /// Store the version even when the check finds differences (the report is kept).
    #[arg(long)]
    pub accept_fidelity: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub runtime: RuntimeArgs,
}

async fn state(database: &DatabaseArgs) -> anyhow::Result<AppState> {
    let db = Db::connect(&database.database_url).await?;
    db.migrate().await?;
    Ok(AppState::new(db, Limits::default()))
}

/// Runs a `models` subcommand.
pub async fn run(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelsCommand::Deploy(args) => deploy(*args).await,
        ModelsCommand::List(database) => list(database).await,
    }
}

async fn deploy(args: DeployArgs) -> anyhow::Result<ExitCode> {
    let bytes = tokio::fs::read(&args.file)
        .await
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let metrics = match &args.metrics {
        Some(m) => serde_json::from_str(m).context("--metrics is not valid JSON")?,
        None => serde_json::json!({}),
    };
    if !metrics.is_object() {
        anyhow::bail!("--metrics must be a JSON object such as '{{\"r2\": 0.97}}'");
    }
    let meta = DeployMeta {
        description: args.description,
        framework: args.framework,
        metrics,
        feature_names: args
            .feature_names
            .map(|f| f.split(',').map(|s| s.trim().to_owned()).collect()),
        alias: args.alias,
        check: None,
    };
    let mut meta = meta;
    if let Some(path) = &args.check_sample {
        if !(0.0..=1.0).contains(&args.fidelity_tolerance) {
            anyhow::bail!("--fidelity-tolerance must be between 0 and 1");
        }
        let sample = tokio::fs::read_to_string(path)
            .await
            .with_context(|| format!("cannot read {}", path.display()))?;
        meta.check = Some(crate::entities::model::fidelity::CheckSpec {
            sample,
            tolerance: args.fidelity_tolerance,
            accept: args.accept_fidelity,
            column: args.check_column.clone(),
        });
    }
    let state = state(&args.database)
        .await?
        .with_runtime(args.runtime.load()?);
    let result = service::deploy(&state, &args.name, meta, bytes).await;
    state.db.close().await;
    match result {
        Ok(v) => {
            if let Some(f) = &v.fidelity {
                println!(
                    "fidelity: {} rows checked, largest relative difference {}{}",
                    f["rows"],
                    f["max_rel_diff"],
                    if f["accepted"] == true {
                        format!(" — {} rows beyond the tolerance, accepted", f["differing"])
                    } else {
                        String::new()
                    }
                );
            }
            println!(
                "deployed {} version {} ({} bytes, sha256 {}, {} columns, {:?}){}",
                v.model,
                v.version,
                v.size_bytes,
                &v.sha256[..12],
                v.signature.columns.len(),
                v.signature.task,
                if v.aliases.is_empty() {
                    String::new()
                } else {
                    format!("; aliases: {}", v.aliases.join(", "))
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let p = e.to_problem();
            eprintln!("deploy failed: {}", p.detail);
            for f in p.errors.unwrap_or_default() {
                eprintln!("  {}: {}", f.path, f.message);
            }
            Ok(ExitCode::from(2))
        }
    }
}

async fn list(database: DatabaseArgs) -> anyhow::Result<ExitCode> {
    let state = state(&database).await?;
    let models = service::list_models(&state)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_problem().detail))?;
    state.db.close().await;
    if models.is_empty() {
        println!("no models deployed");
    }
    for m in models {
        let aliases: Vec<String> = m.aliases.iter().map(|(a, v)| format!("{a}=v{v}")).collect();
        println!(
            "{:<24} versions {:<16} latest {:<6} {}",
            m.name,
            m.versions
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            m.latest_version.map_or("-".into(), |v| format!("v{v}")),
            aliases.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
