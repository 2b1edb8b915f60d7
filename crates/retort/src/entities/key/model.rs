//! The `api_keys` and `key_sessions` tables.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::kernel::db::{Backend, Db};
use crate::kernel::query::{Bind, Sql};

/// A row of `api_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// Public id.
    pub id: String,
    /// Who or what holds it.
    pub name: String,
    /// Role names, comma-separated.
    pub roles: String,
    /// SHA-256 of the whole key, hex.
    pub secret_sha256: String,
    /// Created.
    pub created_at: String,
    /// When it stops working, if ever.
    pub expires_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it last authenticated a request (to the minute).
    pub last_used_at: Option<String>,
}

const COLUMNS: &str =
    "id, name, roles, secret_sha256, created_at, expires_at, revoked_at, last_used_at";

impl KeyRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            roles: r.try_get("roles")?,
            secret_sha256: r.try_get("secret_sha256")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
            last_used_at: r.try_get("last_used_at")?,
        })
    }
}

fn opt(text: Option<&String>) -> Bind {
    text.map_or(Bind::Null, |t| Bind::Text(t.clone()))
}

fn insert_sql(backend: Backend, row: &KeyRow) -> Sql {
    Sql::with(
        backend,
        &[
            "INSERT INTO api_keys (id, name, roles, secret_sha256, created_at, expires_at) VALUES (",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ")",
        ],
        vec![
            Bind::Text(row.id.clone()),
            Bind::Text(row.name.clone()),
            Bind::Text(row.roles.clone()),
            Bind::Text(row.secret_sha256.clone()),
            Bind::Text(row.created_at.clone()),
            opt(row.expires_at.as_ref()),
        ],
    )
}

/// Inserts a key; a taken id is a unique violation.
pub async fn insert(db: &Db, row: &KeyRow) -> Result<(), sqlx::Error> {
    insert_sql(db.backend(), row)
        .query()
        .execute(db.pool())
        .await
        .map(|_| ())
}

/// Inserts `row` only if the table holds no key at all, in one write transaction (two
/// replicas starting on an empty database create one first key, not two). Whether it
/// was inserted.
pub async fn insert_if_none(db: &Db, row: &KeyRow) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        // Serialises concurrent first starts on PostgreSQL, where BEGIN takes no lock.
        sqlx::query("LOCK TABLE api_keys IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    let any: Option<AnyRow> = sqlx::query("SELECT id FROM api_keys LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    if any.is_some() {
        return Ok(false);
    }
    insert_sql(db.backend(), row)
        .query()
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// The key with public id `id`.
pub async fn find(db: &Db, id: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[&format!("SELECT {COLUMNS} FROM api_keys WHERE id = "), ""],
        vec![Bind::Text(id.to_owned())],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(KeyRow::from_row)
        .transpose()
}

/// The newest `limit` keys, newest first.
pub async fn list(db: &Db, limit: i64) -> Result<Vec<KeyRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            &format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, id LIMIT "),
            "",
        ],
        vec![Bind::Int(limit)],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(KeyRow::from_row)
        .collect()
}

/// Revokes key `id` (if not revoked already) and ends its sessions, in one transaction;
/// the key as it is now, or `None` if there is no such key.
pub async fn revoke(db: &Db, id: &str, now: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    Sql::with(
        db.backend(),
        &[
            "UPDATE api_keys SET revoked_at = ",
            " WHERE id = ",
            " AND revoked_at IS NULL",
        ],
        vec![Bind::Text(now.to_owned()), Bind::Text(id.to_owned())],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    Sql::with(
        db.backend(),
        &["DELETE FROM key_sessions WHERE key_id = ", ""],
        vec![Bind::Text(id.to_owned())],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    let row = Sql::with(
        db.backend(),
        &[&format!("SELECT {COLUMNS} FROM api_keys WHERE id = "), ""],
        vec![Bind::Text(id.to_owned())],
    )
    .query()
    .fetch_optional(&mut *tx)
    .await?
    .as_ref()
    .map(KeyRow::from_row)
    .transpose()?;
    tx.commit().await?;
    Ok(row)
}

/// Records that key `id` was used at `now`.
pub async fn touch(db: &Db, id: &str, now: &str) -> Result<(), sqlx::Error> {
    Sql::with(
        db.backend(),
        &["UPDATE api_keys SET last_used_at = ", " WHERE id = ", ""],
        vec![Bind::Text(now.to_owned()), Bind::Text(id.to_owned())],
    )
    .query()
    .execute(db.pool())
    .await
    .map(|_| ())
}

/// Starts a session for key `key_id`, and drops the sessions that have expired.
pub async fn insert_session(
    db: &Db,
    token_sha256: &str,
    key_id: &str,
    now: &str,
    expires_at: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    Sql::with(
        db.backend(),
        &["DELETE FROM key_sessions WHERE expires_at <= ", ""],
        vec![Bind::Text(now.to_owned())],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    Sql::with(
        db.backend(),
        &[
            "INSERT INTO key_sessions (token_sha256, key_id, created_at, expires_at) VALUES (",
            ", ",
            ", ",
            ", ",
            ")",
        ],
        vec![
            Bind::Text(token_sha256.to_owned()),
            Bind::Text(key_id.to_owned()),
            Bind::Text(now.to_owned()),
            Bind::Text(expires_at.to_owned()),
        ],
    )
    .query()
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The key of the unexpired session whose token has this digest.
pub async fn find_session(
    db: &Db,
    token_sha256: &str,
    now: &str,
) -> Result<Option<KeyRow>, sqlx::Error> {
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("k.{c}")).collect();
    let sql = Sql::with(
        db.backend(),
        &[
            &format!(
                "SELECT {} FROM key_sessions s JOIN api_keys k ON k.id = s.key_id \
                 WHERE s.token_sha256 = ",
                columns.join(", ")
            ),
            " AND s.expires_at > ",
            "",
        ],
        vec![
            Bind::Text(token_sha256.to_owned()),
            Bind::Text(now.to_owned()),
        ],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(KeyRow::from_row)
        .transpose()
}

/// Ends the session whose token has this digest; whether there was one.
pub async fn delete_session(db: &Db, token_sha256: &str) -> Result<bool, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &["DELETE FROM key_sessions WHERE token_sha256 = ", ""],
        vec![Bind::Text(token_sha256.to_owned())],
    );
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// Every stored value of both tables as text, for the test that no secret is stored.
#[cfg(test)]
pub async fn dump(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let mut out = Vec::new();
    for row in sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys"
    )))
    .fetch_all(db.pool())
    .await?
    {
        let row = KeyRow::from_row(&row)?;
        out.extend([
            row.id,
            row.name,
            row.roles,
            row.secret_sha256,
            row.created_at,
        ]);
    }
    for row in sqlx::query("SELECT token_sha256, key_id FROM key_sessions")
        .fetch_all(db.pool())
        .await?
    {
        out.push(row.try_get(0)?);
        out.push(row.try_get(1)?);
    }
    Ok(out)
}
