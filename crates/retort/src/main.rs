//! The `retort` binary: parse the command line and dispatch.

use clap::Parser;

fn main() -> std::process::ExitCode {
    retort::cli::run(retort::cli::Cli::parse())
}
