//! Configuration: every setting is a flag with a `RETORT_*` environment variable; no
//! secret has a default in code.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "RETORT_DATABASE_URL",
        default_value = "sqlite://retort.db"
    )]
    pub database_url: String,
}

/// The optional second inference backend.
#[derive(Debug, Clone, Default, Args)]
pub struct RuntimeArgs {
    /// A libonnxruntime shared library, for models whose operators the native engine
    /// lacks. Unset: the one inside an installed `onnxruntime` Python package, if any
    /// (virtualenv, pyenv, user or system site-packages); `none` turns the backend off.
    #[arg(long, env = "RETORT_ONNXRUNTIME_LIB")]
    pub onnxruntime_lib: Option<PathBuf>,
}

impl RuntimeArgs {
    /// Loads the configured (or found) runtime, if any.
    pub fn load(&self) -> anyhow::Result<Option<std::sync::Arc<super::inference::Runtime>>> {
        let path = match &self.onnxruntime_lib {
            Some(p) if p.as_os_str() == "none" => return Ok(None),
            Some(p) => p.clone(),
            None => match super::inference::find_installed() {
                Some(p) => p,
                None => return Ok(None),
            },
        };
        super::inference::Runtime::load(&path)
            .map(Some)
            .map_err(|e| anyhow::anyhow!(e))
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "RETORT_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// Where the data lives.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Request size limits.
    #[command(flatten)]
    pub limits: Limits,
    /// The ONNX Runtime backend.
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// Background job workers in this process (0: none; run `retort worker` elsewhere).
    #[arg(long, env = "RETORT_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Load a synthetic demo catalogue into an empty database before serving.
    #[arg(long, env = "RETORT_DEMO")]
    pub demo: bool,
    /// Products in the demo catalogue.
    #[arg(
        long,
        env = "RETORT_DEMO_PRODUCTS",
        default_value_t = 50_000,
        requires = "demo"
    )]
    pub demo_products: usize,
    /// Seconds that in-flight requests get to finish after SIGTERM or SIGINT.
    #[arg(long, env = "RETORT_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
}

/// Request limits; the app reads them from its state.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest JSON request body, in bytes (larger ones get 413).
    #[arg(long, env = "RETORT_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Largest CSV upload, in bytes (larger ones get 413).
    #[arg(long, env = "RETORT_IMPORT_LIMIT", default_value_t = 512 * 1024 * 1024)]
    pub import_limit: usize,
    /// Largest model upload (an ONNX file), in bytes (larger ones get 413).
    #[arg(long, env = "RETORT_MODEL_LIMIT", default_value_t = 256 * 1024 * 1024)]
    pub model_limit: usize,
    /// Largest predict request body, in bytes (larger ones get 413).
    #[arg(long, env = "RETORT_PREDICT_LIMIT", default_value_t = 64 * 1024 * 1024)]
    pub predict_limit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            import_limit: 512 * 1024 * 1024,
            model_limit: 256 * 1024 * 1024,
            predict_limit: 64 * 1024 * 1024,
        }
    }
}
