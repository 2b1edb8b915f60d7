//! The database: one connection pool over SQLite or PostgreSQL, one code path for both.
//!
//! Queries go through `sqlx::Any`, so entity models write portable SQL with `$1`-style
//! placeholders. The few differences between the two (migrations, booleans) live here.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// A SQLite connection's page cache, in KiB.
pub const CACHE_KIB: u32 = 65_536;

/// Index definitions dropped for a bulk load, to be built again before it commits.
#[derive(Debug)]
#[must_use = "the dropped indexes must be rebuilt before the transaction commits"]
pub struct DroppedIndexes(Vec<String>);

/// Which database engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded; the default.
    Sqlite,
    /// PostgreSQL, for several replicas and workers sharing one database.
    Postgres,
}

impl Backend {
    /// The backend a connection talks to.
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Self::Sqlite
        } else {
            Self::Postgres
        }
    }
}

/// A pooled connection to the app's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite database's file, for [`crate::kernel::bulk`] (none on PostgreSQL or
    /// for an in-memory database).
    sqlite_file: Option<std::sync::Arc<std::path::PathBuf>>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `url` (`sqlite://path`, created if missing, or `postgres://…`).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL {url:?}: use sqlite://FILE or postgres://…");
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let mut sqlite_file = None;
        let pool = match backend {
            Backend::Sqlite => {
                // Validate the URL with the native parser so a typo fails here, clearly.
                let native = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("invalid SQLite URL {url:?}"))?;
                if !url.contains(":memory:") && !url.contains("mode=memory") {
                    sqlite_file = Some(std::sync::Arc::new(native.get_filename().to_owned()));
                }
                let url = sqlite_url_creating(url);
                options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the one writer; the busy timeout
                            // makes a second writer wait instead of failing. A 64 MiB cache
                            // per connection. No memory-mapped I/O: each connection maps
                            // the file on its own and every page it touches counts in the
                            // process's resident set once per mapping (scoring a million
                            // products peaked at 1.27 GB with a 1 GiB map, 0.95 GB without,
                            // and took no longer; docs/BENCHMARKS.md).
                            let pragmas = format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                                 PRAGMA cache_size = -{CACHE_KIB}; PRAGMA mmap_size = 0;"
                            );
                            sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                                .execute(conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            Backend::Postgres => options.max_connections(16).connect(url).await,
        }
        .with_context(|| format!("cannot connect to {}", redact(url)))?;
        Ok(Self {
            pool,
            backend,
            sqlite_file,
        })
    }

    /// Applies every pending migration for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying migrations")?;
        Ok(())
    }

    /// The pool, for entity models.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The SQLite database's file (none on PostgreSQL or in memory).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref().map(|p| p.as_path())
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write: on SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting up to the busy timeout for another writer. A plain
    /// `BEGIN` reads first and is upgraded at its first write, which in WAL mode fails at
    /// once with "database is locked" when another connection wrote meanwhile (the busy
    /// timeout does not cover it): two clients posting sales at once saw ~25 % of their
    /// requests fail that way. PostgreSQL's row locks need no such step.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Checks the database answers, for readiness probes.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Refreshes the planner's statistics for `table` after a bulk load, so the first
    /// queries pick the right indexes. On PostgreSQL it also vacuums, which marks the pages
    /// all-visible so counts can run on the indexes alone (a 1M-row count: see
    /// docs/BENCHMARKS.md). `table` is an entity's own constant, never input.
    pub async fn analyze(&self, table: &'static str) -> Result<(), sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => format!("ANALYZE {table}"),
            Backend::Postgres => format!("VACUUM (ANALYZE) {table}"),
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Drops the secondary indexes of `table` (an entity's own constant, never input)
    /// inside the caller's write transaction, for a bulk load into the empty table, and
    /// returns them to [`Self::rebuild_indexes`] before the commit: building an index
    /// once from sorted rows is much cheaper than a million inserts at random places in
    /// six of them. If the transaction rolls back, so do the drops. SQLite only, and
    /// only indexes that enforce nothing (a `UNIQUE` column's or index stays, so
    /// duplicates are still found row by row); nothing on PostgreSQL.
    pub async fn drop_indexes(
        conn: &mut sqlx::AnyConnection,
        table: &'static str,
    ) -> Result<DroppedIndexes, sqlx::Error> {
        if Backend::of(conn) != Backend::Sqlite {
            return Ok(DroppedIndexes(Vec::new()));
        }
        let rows = sqlx::query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        let mut dropped = Vec::with_capacity(rows.len());
        for row in rows {
            let (name, sql): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            // Names and definitions come from the schema the migrations wrote.
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .execute(&mut *conn)
                .await?;
            dropped.push(sql);
        }
        Ok(DroppedIndexes(dropped))
    }

    /// Builds the indexes [`Self::drop_indexes`] dropped again, in the same transaction.
    pub async fn rebuild_indexes(
        conn: &mut sqlx::AnyConnection,
        dropped: DroppedIndexes,
    ) -> Result<(), sqlx::Error> {
        for sql in dropped.0 {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Closes every connection, waiting for checked-out ones to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Reads a boolean column: PostgreSQL stores `BOOLEAN`, SQLite an integer 0 or 1.
pub fn get_bool(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

/// Adds `mode=rwc` so a missing SQLite file is created, unless the URL sets a mode.
fn sqlite_url_creating(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Hides a password in a database URL before it is logged or shown.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("sqlite://retort.db"), "sqlite://retort.db");
    }

    #[test]
    fn sqlite_urls_get_create_mode_unless_they_choose_one() {
        assert_eq!(
            sqlite_url_creating("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}

#[cfg(test)]
mod bulk_tests {
    use super::Db;

    async fn indexes(db: &Db) -> Vec<String> {
        let rows = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bulk_t' ORDER BY name",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        rows.iter()
            .map(|r| sqlx::Row::try_get::<String, _>(r, 0).unwrap())
            .collect()
    }

    async fn count(db: &Db) -> i64 {
        let row = sqlx::query("SELECT COUNT(*) FROM bulk_t")
            .fetch_one(db.pool())
            .await
            .unwrap();
        sqlx::Row::try_get(&row, 0).unwrap()
    }

    #[tokio::test]
    async fn indexes_dropped_for_a_bulk_load_come_back_on_commit_and_on_rollback() {
        let test = crate::testing::TestDb::sqlite().await;
        let db = &test.db;
        sqlx::raw_sql(
            "CREATE TABLE bulk_t (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, v REAL, w INTEGER); \
             CREATE INDEX bulk_t_v_idx ON bulk_t (v); \
             CREATE UNIQUE INDEX bulk_t_w_idx ON bulk_t (w); \
             CREATE INDEX bulk_t_code_v_idx ON bulk_t (code, v)",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let before = indexes(db).await;
        assert_eq!(before.len(), 4, "{before:?}"); // with the UNIQUE column's own

        // Rolled back: the drops go with it.
        let mut tx = db.begin_write().await.unwrap();
        let dropped = Db::drop_indexes(&mut tx, "bulk_t").await.unwrap();
        sqlx::query("INSERT INTO bulk_t (code, v, w) VALUES ('a', 1.0, 1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(dropped);
        tx.rollback().await.unwrap();
        assert_eq!(indexes(db).await, before);
        assert_eq!(count(db).await, 0);

        // Committed: only the plain indexes were dropped, and they are built again.
        let mut tx = db.begin_write().await.unwrap();
        let dropped = Db::drop_indexes(&mut tx, "bulk_t").await.unwrap();
        assert_eq!(dropped.0.len(), 2, "{dropped:?}");
        for i in 0..1000 {
            sqlx::query("INSERT INTO bulk_t (code, v, w) VALUES ($1, $2, $3)")
                .bind(format!("c{i}"))
                .bind(f64::from(i % 7))
                .bind(i64::from(i))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        // Uniqueness is still enforced during the load.
        for duplicate in [
            "INSERT INTO bulk_t (code, v, w) VALUES ('c1', 0, 5000)",
            "INSERT INTO bulk_t (code, v, w) VALUES ('new', 0, 1)",
        ] {
            let e = sqlx::query(duplicate).execute(&mut *tx).await.unwrap_err();
            assert!(
                matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()),
                "{e}"
            );
        }
        Db::rebuild_indexes(&mut tx, dropped).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(indexes(db).await, before);
        assert_eq!(count(db).await, 1000);
    }
}
