//! Retort: fast, validated, documented web APIs for a data-science team's models and analyses.

pub mod app;
/// Command-line interface: argument definitions and what each subcommand does.
pub mod cli;
/// The synthetic demo catalogue.
pub mod demo;
/// The entities, one folder each, and the one registry that mounts them.
pub mod entities;
/// Everything shared by the entities; it knows no entity.
pub mod kernel;
/// The HTTP server loop: header deadlines, a connection cap, graceful shutdown.
pub mod server;
/// Test support: fresh databases per test on SQLite and PostgreSQL.
#[doc(hidden)]
pub mod testing;
pub mod web;
