//! Reading many rows from SQLite at once, on a blocking thread, straight into the
//! caller's columns.
//!
//! The async driver hands each row from its worker thread to the reading task over a
//! channel, waking the task once per row: reading a million products of fifteen columns
//! took ~14 s that way, most of it thread wake-ups and per-value allocations, against
//! 0.7 s for the same rows read in place (docs/BENCHMARKS.md). For whole-catalogue reads
//! (training, scoring, the in-memory analysis) a model reads through [`read`] instead:
//! a read-only connection of its own to the same file (WAL lets it read beside the
//! pool's writer), a snapshot of what was committed when the statement started. On
//! PostgreSQL, or for an in-memory SQLite database, [`read`] answers `None` and the
//! model reads through the pool as before.

use super::db::Db;
use super::query::{Bind, Sql};

/// Runs `sql` (built for SQLite: `?` placeholders) on a read-only connection of its own
/// on a blocking thread and gives its rows to `read`; `Ok(None)` when the database is
/// not a SQLite file (then the caller reads through the pool).
pub async fn read<T, F>(db: &Db, sql: &Sql, read: F) -> Result<Option<T>, sqlx::Error>
where
    T: Send + 'static,
    F: FnOnce(&mut rusqlite::Rows<'_>) -> rusqlite::Result<T> + Send + 'static,
{
    let Some(file) = db.sqlite_file().map(std::path::Path::to_path_buf) else {
        return Ok(None);
    };
    let (text, binds) = (sql.text.clone(), sql.binds.clone());
    let task = tokio::task::spawn_blocking(move || -> rusqlite::Result<T> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &file,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // As the pool's connections: wait for a lock rather than fail, no memory map.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA mmap_size = 0")?;
        let mut statement = conn.prepare(&text)?;
        for (i, bind) in binds.iter().enumerate() {
            let at = i + 1;
            match bind {
                Bind::Text(s) => statement.raw_bind_parameter(at, s)?,
                Bind::Int(v) => statement.raw_bind_parameter(at, v)?,
                Bind::Float(v) => statement.raw_bind_parameter(at, v)?,
                Bind::Bool(v) => statement.raw_bind_parameter(at, i64::from(*v))?,
                Bind::Blob(v) => statement.raw_bind_parameter(at, v)?,
                Bind::Null => statement.raw_bind_parameter(at, rusqlite::types::Null)?,
                // Written into the SQL text, never bound.
                Bind::NullInt | Bind::NullFloat => {}
            }
        }
        let mut rows = statement.raw_query();
        read(&mut rows)
    });
    match task.await {
        Ok(Ok(value)) => Ok(Some(value)),
        Ok(Err(e)) => Err(sqlx::Error::Io(std::io::Error::other(format!(
            "reading from SQLite: {e}"
        )))),
        Err(e) => Err(sqlx::Error::Io(std::io::Error::other(format!(
            "the reading thread failed: {e}"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::db::Backend;

    #[tokio::test]
    async fn reads_what_the_pool_committed_with_every_kind_of_bound_value() {
        let test = crate::testing::TestDb::sqlite().await;
        let db = &test.db;
        sqlx::raw_sql(
            "CREATE TABLE bulk_r (id INTEGER PRIMARY KEY, t TEXT, f REAL, b INTEGER, x BLOB); \
             INSERT INTO bulk_r (t, f, b, x) VALUES ('a', 1.5, 1, x'00ff'), ('b', 2.5, 0, NULL), (NULL, 3.5, 1, NULL)",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let sql = Sql::with(
            Backend::Sqlite,
            &[
                "SELECT id, t, f, b FROM bulk_r WHERE (t = ",
                " OR t IS ",
                " OR x = ",
                ") AND f > ",
                " AND id >= ",
                " AND b = ",
                " ORDER BY id",
            ],
            vec![
                Bind::Text("a".into()),
                Bind::Null,
                Bind::Blob(vec![0, 255]),
                Bind::Float(1.0),
                Bind::Int(1),
                Bind::Bool(true),
            ],
        );
        let rows = read(db, &sql, |rows| {
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, bool>(3)?,
                ));
            }
            Ok(out)
        })
        .await
        .unwrap();
        assert_eq!(
            rows,
            Some(vec![(1, Some("a".into()), 1.5, true), (3, None, 3.5, true)])
        );
    }

    #[tokio::test]
    async fn a_bad_statement_or_column_is_an_error_not_a_panic() {
        let test = crate::testing::TestDb::sqlite().await;
        let bad = Sql::with(Backend::Sqlite, &["SELECT * FROM no_such_table"], vec![]);
        let e = read(&test.db, &bad, |_| Ok(())).await.unwrap_err();
        assert!(e.to_string().contains("no_such_table"), "{e}");
        let text = Sql::with(Backend::Sqlite, &["SELECT 'x'"], vec![]);
        let e = read(&test.db, &text, |rows| {
            let r = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            r.get::<_, i64>(0)
        })
        .await
        .unwrap_err();
        assert!(e.to_string().contains("reading from SQLite"), "{e}");
    }
}
