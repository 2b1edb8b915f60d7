//! The command line: `retort serve`, `retort migrate`, `retort import products FILE`.

mod demo;
mod import;
mod keys;
mod models;
mod serve;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::kernel::config::{DatabaseArgs, LogFormat, ServeArgs};
use crate::kernel::telemetry;

/// Retort: fast, validated, documented web APIs for a data-science team's models and analyses.
#[derive(Debug, Parser)]
#[command(name = "retort", version, about)]
pub struct Cli {
    /// Log line format.
    #[arg(long, global = true, env = "RETORT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (applies pending migrations first).
    Serve(ServeArgs),
    /// Run background job workers without serving HTTP.
    Worker(worker::WorkerArgs),
    /// Generate the demo data (brands, catalogue, sales, planted mispricings) into an
    /// empty database, train the fair-price model, score the catalogue and estimate
    /// elasticities, then exit.
    Demo(demo::DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI 3.1 document (the one served at /openapi.json) and exit.
    Openapi,
    /// Deploy and list models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Import data from a file.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import products from CSV (header row of field names); all rows or none.
    Products(import::ImportArgs),
    /// Import brands from CSV (`name,tier`); all rows or none.
    Brands(import::ImportArgs),
    /// Import weekly sales from CSV (`sku,week,price,units`); all rows or none.
    Sales(import::ImportArgs),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::serve(args).await,
            Command::Migrate(args) => migrate(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Worker(args) => worker::run(args).await,
            Command::Openapi => {
                println!("{}", crate::app::openapi().to_pretty_json()?);
                Ok(ExitCode::SUCCESS)
            }
            Command::Import(ImportCommand::Products(args)) => import::import_products(args).await,
            Command::Import(ImportCommand::Brands(args)) => import::import_brands(args).await,
            Command::Import(ImportCommand::Sales(args)) => import::import_sales(args).await,
            Command::Models(command) => models::run(command).await,
            Command::Keys(command) => keys::run(command).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(args: DatabaseArgs) -> anyhow::Result<ExitCode> {
    let db = crate::kernel::db::Db::connect(&args.database_url).await?;
    db.migrate().await?;
    eprintln!(
        "migrations applied to {}",
        crate::kernel::db::redact(&args.database_url)
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
