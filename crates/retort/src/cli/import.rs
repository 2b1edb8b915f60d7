//! `retort import products FILE.csv [--upsert]`, with a progress bar.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::entities::product::service;
use crate::kernel::config::DatabaseArgs;
use crate::kernel::db::Db;
use crate::kernel::error::AppError;

/// Arguments of a CSV import.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file, with a header row of field names.
    pub file: PathBuf,
    /// Replace products whose sku exists instead of failing.
    #[arg(long)]
    pub upsert: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

fn io_error(err: std::io::Error) -> AppError {
    AppError::BadRequest(format!("reading the file failed: {err}"))
}

/// Imports the file; prints the report, or every row error, and sets the exit code.
pub async fn import_products(args: ImportArgs) -> anyhow::Result<ExitCode> {
    run(&args, |db, reader, upsert| {
        Box::pin(async move {
            service::import_products(&db, reader, upsert, io_error)
                .await
                .map(|r| {
                    (
                        r.rows,
                        format!("{} inserted, {} updated", r.inserted, r.updated),
                    )
                })
        })
    })
    .await
}

/// Imports brands from the file (`name,tier`).
pub async fn import_brands(args: ImportArgs) -> anyhow::Result<ExitCode> {
    run(&args, |db, reader, upsert| {
        Box::pin(async move {
            crate::entities::brand::service::import_brands(&db, reader, upsert, io_error)
                .await
                .map(|rows| {
                    (
                        rows,
                        if upsert {
                            "new or updated".to_owned()
                        } else {
                            "new".to_owned()
                        },
                    )
                })
        })
    })
    .await
}

/// Imports weekly sales from the file (`sku,week,price,units`).
pub async fn import_sales(args: ImportArgs) -> anyhow::Result<ExitCode> {
    run(&args, |db, reader, upsert| {
        Box::pin(async move {
            crate::entities::sale::service::import_sales(&db, reader, upsert, io_error)
                .await
                .map(|rows| (rows, "sales".to_owned()))
        })
    })
    .await
}

type Reader = indicatif::ProgressBarIter<tokio::fs::File>;
type Importer = fn(
    Db,
    Reader,
    bool,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(u64, String), AppError>> + Send>,
>;

/// Opens the file, shows a progress bar while `import` reads it, and prints the outcome:
/// the rows imported, or every row error (exit code 2).
async fn run(args: &ImportArgs, import: Importer) -> anyhow::Result<ExitCode> {
    let file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().await?.len();
    let db = Db::connect(&args.database.database_url).await?;
    db.migrate().await?;
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let result = import(db.clone(), bar.wrap_async_read(file), args.upsert).await;
    bar.finish_and_clear();
    db.close().await;
    match result {
        Ok((rows, what)) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "imported {rows} rows ({what}) in {secs:.2} s ({:.0} rows/s)",
                rows as f64 / secs.max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let problem = err.to_problem();
            eprintln!("import failed: {}", problem.detail);
            for e in problem.row_errors.unwrap_or_default() {
                eprintln!("  row {}, column {:?}: {}", e.row, e.column, e.message);
            }
            if let Some(total) = problem.total_row_errors {
                eprintln!("{total} error(s) in all; nothing was imported");
            }
            Ok(ExitCode::from(2))
        }
    }
}
