//! Shared building blocks: configuration, state, errors, database, validation, web plumbing.

pub mod auth;
pub mod bulk;
pub mod columns;
pub mod config;
pub mod csv_export;
pub mod csv_import;
pub mod csv_upload;
pub mod db;
pub mod error;
pub mod extract;
pub mod guard;
pub mod inference;
pub mod jobs;
pub mod json;
pub mod memo;
pub mod openapi;
pub mod pagination;
pub mod plotly;
pub mod query;
pub mod registry;
pub mod security;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod validation;
