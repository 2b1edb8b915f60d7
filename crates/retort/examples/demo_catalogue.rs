//! Writes the demo's tire catalogue as CSV on stdout — what `retort import products`
//! reads — to try the workbench on an imported catalogue of any size:
//!
//! `cargo run --release --example demo_catalogue -- 1000000 > products.csv`
//! (rows, default 50,000; an optional seed, default 42). The brands the products name
//! are imported first with `retort import brands` from `--brands`'s output.

#![allow(missing_docs)]

use std::io::Write;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--brands") {
        return write(&retort::demo::brands_csv());
    }
    let rows = match first.map(|a| a.parse::<usize>()) {
        None => 50_000,
        Some(Ok(n)) if (1..=10_000_000).contains(&n) => n,
        Some(_) => {
            eprintln!("usage: demo_catalogue [ROWS (1 to 10,000,000)] [SEED] | --brands");
            return std::process::ExitCode::FAILURE;
        }
    };
    let seed = match args.next().map(|a| a.parse::<u64>()) {
        None => 42,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            eprintln!("the seed must be a whole number");
            return std::process::ExitCode::FAILURE;
        }
    };
    write(&retort::demo::catalogue_csv(rows, seed))
}

fn write(text: &str) -> std::process::ExitCode {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("writing failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
