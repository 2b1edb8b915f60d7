//! Configuration: every setting is a flag with a `RETORT_*` environment variable; no
//! secret has a default in code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Products in the demo catalogue (100–1,000,000).
    #[arg(
        long,
        env = "RETORT_DEMO_PRODUCTS",
        default_value_t = 50_000,
        value_parser = clap::value_parser!(u32).range(100..=1_000_000),
        requires = "demo"
    )]
    pub demo_products: u32,
    /// Seconds that in-flight requests get to finish after SIGTERM or SIGINT.
    #[arg(long, env = "RETORT_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// Who may call without a key, which hosts are answered, job-start allowances.
    #[command(flatten)]
    pub access: AccessArgs,
}

/// Access settings of the HTTP server (docs/SECURITY.md). The first admin key comes
/// from `RETORT_ADMIN_KEY` when set (it is never a flag, so it stays out of process
/// lists); otherwise `serve` makes one on a database that has none and prints it once.
#[derive(Debug, Clone, Args)]
pub struct AccessArgs {
    /// Let requests without a key act with this role (e.g. `viewer` for a read-only
    /// public dashboard). `analyst`, `approver` and `admin` only on a loopback address.
    #[arg(long, env = "RETORT_ANONYMOUS", value_parser = super::auth::parse_role)]
    pub anonymous: Option<super::auth::Role>,
    /// Host names and addresses the server answers (the `Host` header), comma-separated;
    /// `*` for any. Default: the bind address, `localhost` and the loopback addresses,
    /// plus every IP address when bound to all interfaces. Others get 421.
    #[arg(long, env = "RETORT_ALLOWED_HOSTS")]
    pub allowed_hosts: Option<String>,
    /// Jobs one key may start per minute (0: no limit); more get 429 with `Retry-After`.
    #[arg(long, env = "RETORT_JOB_STARTS_PER_MINUTE", default_value_t = 30)]
    pub job_starts_per_minute: u32,
}

impl AccessArgs {
    /// The access configuration of a server bound to `bind`; an anonymous role that
    /// changes things is refused unless the address is loopback.
    pub fn config(&self, bind: SocketAddr) -> anyhow::Result<super::auth::AccessConfig> {
        if let Some(role) = self.anonymous
            && !role.safe_for_anonymous()
            && !bind.ip().is_loopback()
        {
            anyhow::bail!(
                "--anonymous {} would let anyone who reaches {bind} change data; it is allowed \
                 only on a loopback address (127.0.0.1, ::1). Use viewer or predictor, or give \
                 callers keys (`retort keys create`)",
                role.as_str()
            );
        }
        let hosts = match &self.allowed_hosts {
            Some(list) => super::auth::AllowedHosts::parse(list)
                .map_err(|e| anyhow::anyhow!("--allowed-hosts: {e}"))?,
            None => super::auth::AllowedHosts::for_bind(bind.ip()),
        };
        Ok(super::auth::AccessConfig::new(
            self.anonymous,
            hosts,
            self.job_starts_per_minute,
        ))
    }
}

/// Request limits; the app reads them from its state. docs/SECURITY.md lists each, its
/// default, and what a client sees when it hits it.
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
    /// Largest predict request body, in bytes, after decompression (larger ones get 413).
    #[arg(long, env = "RETORT_PREDICT_LIMIT", default_value_t = 64 * 1024 * 1024)]
    pub predict_limit: usize,
    /// Most tensor elements one predict or inference request may carry, all inputs
    /// together (more get 413).
    #[arg(long, env = "RETORT_MAX_TENSOR_ELEMENTS", default_value_t = 16 * 1024 * 1024)]
    pub max_tensor_elements: usize,
    /// Most rows one predict or inference request may carry (more get 413).
    #[arg(long, env = "RETORT_MAX_ROWS", default_value_t = 100_000)]
    pub max_rows: usize,
    /// Longest a prediction may wait for an inference slot and run (e.g. `10s`,
    /// `500ms`); past it the request gets 503 and its result is dropped.
    #[arg(long, env = "RETORT_PREDICT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub predict_timeout: Duration,
    /// Predictions evaluated at once, each on its own thread (0: one per core).
    #[arg(long, env = "RETORT_INFERENCE_SLOTS", default_value_t = 0)]
    pub inference_slots: usize,
    /// Longest a request may take, uploads and streams aside (503 past it).
    #[arg(long, env = "RETORT_REQUEST_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Longest an upload (a CSV import or a model file) may take, reading and writing.
    #[arg(long, env = "RETORT_UPLOAD_TIMEOUT", default_value = "15m", value_parser = parse_duration)]
    pub upload_timeout: Duration,
    /// Longest a request body may go without sending a byte (408 past it).
    #[arg(long, env = "RETORT_BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,
    /// Longest a client may take to send a request's headers, and an idle keep-alive
    /// connection may wait for its next request; then the connection is closed.
    #[arg(long, env = "RETORT_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// Requests handled at once; more get 503 with `Retry-After` (probes never count).
    #[arg(long, env = "RETORT_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Server-Sent Event streams open at once; more get 503 with `Retry-After`.
    #[arg(long, env = "RETORT_MAX_SSE_STREAMS", default_value_t = 128)]
    pub max_sse_streams: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            import_limit: 512 * 1024 * 1024,
            model_limit: 256 * 1024 * 1024,
            predict_limit: 64 * 1024 * 1024,
            max_tensor_elements: 16 * 1024 * 1024,
            max_rows: 100_000,
            predict_timeout: Duration::from_secs(10),
            inference_slots: 0,
            request_timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(15 * 60),
            body_read_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            max_sse_streams: 128,
        }
    }
}

impl Limits {
    /// Inference slots: the configured number, or one per core.
    pub fn inference_threads(&self) -> usize {
        if self.inference_slots > 0 {
            self.inference_slots
        } else {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        }
    }
}

/// Reads a duration: a number of seconds (`10`, `2.5`) or a number with a unit (`500ms`,
/// `10s`, `5m`, `1h`); at least 1 ms, at most a day.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s, 500ms or 5m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m or h")),
    };
    if !(0.001..=86_400.0).contains(&seconds) {
        return Err(format!("{text:?} must be between 1ms and 24h"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_seconds_and_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1e9").is_err());
    }
}
