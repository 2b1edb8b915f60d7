//! The `jobs` table: enqueue, claim with a lease, renew, report, finish, cancel, read.

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::kernel::db::{Backend, Db};
use crate::kernel::query::{Bind, Column, Kind, ListSpec, Sql};
use crate::kernel::time;

/// A row of `jobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    /// Primary key.
    pub id: i64,
    /// Kind name.
    pub kind: String,
    /// Parameters, JSON text.
    pub params: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// 0..1.
    pub progress: f64,
    /// The last progress message.
    pub message: String,
    /// Runs started so far.
    pub attempts: i64,
    /// Runs allowed.
    pub max_attempts: i64,
    /// Result, JSON text.
    pub result: Option<String>,
    /// The last error.
    pub error: Option<String>,
    /// Whether cancellation was asked for.
    pub cancel_requested: bool,
    /// Not before this time.
    pub run_after: String,
    /// Times.
    pub created_at: String,
    /// First start.
    pub started_at: Option<String>,
    /// End.
    pub finished_at: Option<String>,
    /// Last change.
    pub updated_at: String,
}

const COLUMNS: &str = "id, kind, params, status, progress, message, attempts, max_attempts, result, error, \
cancel_requested, run_after, created_at, started_at, finished_at, updated_at";

/// What the job list can filter and sort on.
pub static LIST: ListSpec = ListSpec {
    table: "jobs",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("kind", Kind::Text).equals(),
        Column::new("status", Kind::Text).equals().allowed(&[
            "queued",
            "running",
            "succeeded",
            "failed",
            "cancelled",
        ]),
        Column::new("created_at", Kind::Text),
        Column::new("updated_at", Kind::Text),
    ],
    search: &["kind"],
};

impl JobRow {
    /// Reads a row selected with [`COLUMNS`].
    pub fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            params: r.try_get("params")?,
            status: r.try_get("status")?,
            progress: r.try_get("progress")?,
            message: r.try_get("message")?,
            attempts: r.try_get("attempts")?,
            max_attempts: r.try_get("max_attempts")?,
            result: r.try_get("result")?,
            error: r.try_get("error")?,
            cancel_requested: r.try_get::<i64, _>("cancel_requested")? != 0,
            run_after: r.try_get("run_after")?,
            created_at: r.try_get("created_at")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// Whether the job has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "failed" | "cancelled")
    }
}

fn later(d: Duration) -> String {
    time::after(d)
}

fn text(s: &str) -> Bind {
    Bind::Text(s.to_owned())
}

/// Adds a queued job; returns its id.
pub async fn enqueue(
    db: &Db,
    kind: &str,
    params: &str,
    max_attempts: i64,
) -> Result<i64, sqlx::Error> {
    insert(db.backend(), kind, params, None, max_attempts, "")
        .query()
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

/// Adds a queued job on `conn` (inside the caller's transaction); returns its id.
pub async fn enqueue_on(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    params: &str,
    max_attempts: i64,
) -> Result<i64, sqlx::Error> {
    insert(
        crate::kernel::db::Backend::of(conn),
        kind,
        params,
        None,
        max_attempts,
        "",
    )
    .query()
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// The INSERT of a queued job, with its de-duplication key if any; `tail` follows the
/// values (e.g. a conflict clause). It returns the id.
fn insert(
    backend: crate::kernel::db::Backend,
    kind: &str,
    params: &str,
    key: Option<&str>,
    max_attempts: i64,
    tail: &str,
) -> Sql {
    let now = time::now();
    let end = format!("){tail} RETURNING id");
    Sql::with(
        backend,
        &[
            "INSERT INTO jobs (kind, params, status, max_attempts, run_after, created_at, updated_at, dedupe_key) VALUES (",
            ", ",
            ", 'queued', ",
            ", ",
            ", ",
            ", ",
            ", ",
            &end,
        ],
        vec![
            text(kind),
            text(params),
            Bind::Int(max_attempts),
            text(&now),
            text(&now),
            text(&now),
            key.map_or(Bind::Null, text),
        ],
    )
}

/// Adds a queued job unless one with the same `key` is queued: the job's id, and whether
/// it is new. The unique index on queued keys decides between concurrent starts.
pub async fn enqueue_once(
    db: &Db,
    kind: &str,
    params: &str,
    key: &str,
    max_attempts: i64,
) -> Result<(i64, bool), sqlx::Error> {
    // A queued job found by its key can be claimed before it is read back; then there
    // is no queued twin any more and the next insert goes through.
    for _ in 0..3 {
        let insert = insert(
            db.backend(),
            kind,
            params,
            Some(key),
            max_attempts,
            " ON CONFLICT DO NOTHING",
        );
        if let Some(row) = insert.query().fetch_optional(db.pool()).await? {
            return Ok((row.try_get(0)?, true));
        }
        let sql = Sql::with(
            db.backend(),
            &[
                "SELECT id FROM jobs WHERE dedupe_key = ",
                " AND status = 'queued' ORDER BY id LIMIT 1",
            ],
            vec![text(key)],
        );
        if let Some(row) = sql.query().fetch_optional(db.pool()).await? {
            return Ok((row.try_get(0)?, false));
        }
    }
    Err(sqlx::Error::Protocol(
        "a queued twin of this job kept appearing and disappearing".into(),
    ))
}

/// A queued or running job of `kind` with exactly `params`.
pub async fn pending(db: &Db, kind: &str, params: &str) -> Result<Option<i64>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT id FROM jobs WHERE kind = ",
            " AND params = ",
            " AND status IN ('queued', 'running') ORDER BY id LIMIT 1",
        ],
        vec![text(kind), text(params)],
    );
    match sql.query().fetch_optional(db.pool()).await? {
        Some(r) => Ok(Some(r.try_get(0)?)),
        None => Ok(None),
    }
}

/// The job with `id`.
pub async fn find(db: &Db, id: i64) -> Result<Option<JobRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[&format!("SELECT {COLUMNS} FROM jobs WHERE id = "), ""],
        vec![Bind::Int(id)],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(JobRow::from_row)
        .transpose()
}

/// Claims the oldest runnable job of `kinds` for `owner`: a queued job due now, or a
/// running one whose lease ran out (its worker died). One claim per job, however many
/// workers ask at once: SQLite serialises writers; PostgreSQL skips rows another
/// transaction has locked.
pub async fn claim(
    db: &Db,
    owner: &str,
    lease: Duration,
    kinds: &[&str],
) -> Result<Option<JobRow>, sqlx::Error> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let now = time::now();
    let mut sql = Sql::new(db.backend());
    sql.push("UPDATE jobs SET status = 'running', lease_owner = ")
        .bind(text(owner));
    sql.push(", lease_until = ").bind(text(&later(lease)));
    sql.push(", attempts = attempts + 1, started_at = COALESCE(started_at, ")
        .bind(text(&now));
    sql.push("), updated_at = ").bind(text(&now));
    sql.push(" WHERE id = (SELECT id FROM jobs WHERE ((status = 'queued' AND run_after <= ")
        .bind(text(&now));
    sql.push(") OR (status = 'running' AND lease_until < ")
        .bind(text(&now));
    sql.push(")) AND kind IN (");
    sql.bind_list(kinds.iter().map(|k| text(k)));
    sql.push(") ORDER BY id LIMIT 1");
    if db.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.push(") RETURNING ").push(COLUMNS);
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(JobRow::from_row)
        .transpose()
}

/// Extends `owner`'s lease and records progress; `None` if the lease is lost, else
/// whether cancellation was asked for.
pub async fn heartbeat(
    db: &Db,
    id: i64,
    owner: &str,
    lease: Duration,
    progress: Option<(f64, &str)>,
) -> Result<Option<bool>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("UPDATE jobs SET lease_until = ")
        .bind(text(&later(lease)));
    if let Some((fraction, message)) = progress {
        sql.push(", progress = ")
            .bind(Bind::Float(fraction))
            .push(", message = ")
            .bind(text(message));
        sql.push(", updated_at = ").bind(text(&time::now()));
    }
    sql.push(" WHERE id = ")
        .bind(Bind::Int(id))
        .push(" AND lease_owner = ")
        .bind(text(owner));
    sql.push(" AND status = 'running' RETURNING cancel_requested");
    let row = sql.query().fetch_optional(db.pool()).await?;
    row.map(|r| r.try_get::<i64, _>(0).map(|c| c != 0))
        .transpose()
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done, with this result JSON.
    Succeeded(String),
    /// Failed: queued again after `retry_in`, or failed for good when `None`.
    Failed {
        /// What went wrong.
        error: String,
        /// When to try again; `None` when no attempts remain.
        retry_in: Option<Duration>,
    },
    /// Stopped on request.
    Cancelled,
    /// Given back (the worker is stopping): queued again now.
    Released,
}

/// Records how `owner`'s run of job `id` ended; `false` if the lease was lost meanwhile.
pub async fn finish(db: &Db, id: i64, owner: &str, outcome: &Outcome) -> Result<bool, sqlx::Error> {
    let now = time::now();
    let mut sql = Sql::new(db.backend());
    match outcome {
        Outcome::Succeeded(result) => {
            sql.push("UPDATE jobs SET status = 'succeeded', progress = 1, error = NULL, result = ")
                .bind(text(result));
            sql.push(", finished_at = ").bind(text(&now));
        }
        Outcome::Failed {
            error,
            retry_in: Some(wait),
        } => {
            sql.push("UPDATE jobs SET status = 'queued', error = ")
                .bind(text(error));
            sql.push(", run_after = ").bind(text(&later(*wait)));
        }
        Outcome::Failed {
            error,
            retry_in: None,
        } => {
            sql.push("UPDATE jobs SET status = 'failed', error = ")
                .bind(text(error));
            sql.push(", finished_at = ").bind(text(&now));
        }
        Outcome::Cancelled => {
            sql.push("UPDATE jobs SET status = 'cancelled', finished_at = ")
                .bind(text(&now));
        }
        Outcome::Released => {
            sql.push("UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_after = ")
                .bind(text(&now));
        }
    }
    sql.push(", lease_owner = NULL, lease_until = NULL, updated_at = ")
        .bind(text(&now));
    sql.push(" WHERE id = ")
        .bind(Bind::Int(id))
        .push(" AND lease_owner = ")
        .bind(text(owner));
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// Asks job `id` to stop: a queued job is cancelled at once, a running one sees it at its
/// next progress report. Returns the job as it is now.
pub async fn request_cancel(db: &Db, id: i64) -> Result<Option<JobRow>, sqlx::Error> {
    let now = time::now();
    let queued = Sql::with(
        db.backend(),
        &[
            "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ",
            ", updated_at = ",
            " WHERE id = ",
            " AND status = 'queued'",
        ],
        vec![text(&now), text(&now), Bind::Int(id)],
    );
    queued.query().execute(db.pool()).await?;
    let running = Sql::with(
        db.backend(),
        &[
            "UPDATE jobs SET cancel_requested = 1, updated_at = ",
            " WHERE id = ",
            " AND status = 'running'",
        ],
        vec![text(&now), Bind::Int(id)],
    );
    running.query().execute(db.pool()).await?;
    find(db, id).await
}

/// One page of jobs for a parsed list query.
pub async fn list(
    db: &Db,
    query: &crate::kernel::query::ListQuery,
) -> Result<crate::kernel::pagination::Page<JobRow>, sqlx::Error> {
    query.fetch(db, COLUMNS, JobRow::from_row).await
}
