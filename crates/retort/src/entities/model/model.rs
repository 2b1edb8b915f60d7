//! The registry tables: models, their versions (with the ONNX bytes) and aliases.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::kernel::db::{Backend, Db};
use crate::kernel::query::{Bind, Sql};

/// A row of `models`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
    /// Last deploy or alias change.
    pub updated_at: String,
}

/// A row of `model_versions`, without the ONNX bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    /// Primary key; also the key of the compiled model in memory.
    pub id: i64,
    /// The model's name.
    pub model: String,
    /// The model's id.
    pub model_id: i64,
    /// Version number, from 1.
    pub version: i64,
    /// Free text.
    pub description: String,
    /// Where the model came from, e.g. `sklearn`.
    pub framework: String,
    /// Metrics as a JSON object (text).
    pub metrics: String,
    /// Feature names as a JSON array (text), if given at deploy.
    pub feature_names: Option<String>,
    /// SHA-256 of the ONNX bytes, hex.
    pub sha256: String,
    /// Size of the ONNX file.
    pub size_bytes: i64,
    /// Which engine serves it.
    pub backend: String,
    /// The row signature as JSON (text).
    pub signature: String,
    /// Deploy time.
    pub created_at: String,
    /// For an ensemble version, its members and how they combine (JSON text).
    pub ensemble: Option<String>,
    /// The fidelity check made at deploy (JSON text), if a sample was sent.
    pub fidelity: Option<String>,
}

/// A new version to store.
#[derive(Debug)]
pub struct NewVersion<'a> {
    /// Free text.
    pub description: &'a str,
    /// Framework.
    pub framework: &'a str,
    /// Metrics JSON text.
    pub metrics: &'a str,
    /// Feature names JSON text.
    pub feature_names: Option<&'a str>,
    /// SHA-256 hex.
    pub sha256: &'a str,
    /// Which engine serves it.
    pub backend: &'a str,
    /// Signature JSON text.
    pub signature: &'a str,
    /// The ONNX bytes (empty for an ensemble).
    pub onnx: &'a [u8],
    /// The ensemble spec JSON text, for an ensemble.
    pub ensemble: Option<&'a str>,
    /// The fidelity check JSON text, when a sample was sent.
    pub fidelity: Option<&'a str>,
}

const VERSION_COLUMNS: &str = "v.id, m.name, v.model_id, v.version, v.description, v.framework, v.metrics, \
v.feature_names, v.sha256, v.size_bytes, v.backend, v.signature, v.created_at, v.ensemble, v.fidelity";

fn model_row(r: &AnyRow) -> Result<ModelRow, sqlx::Error> {
    Ok(ModelRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn version_row(r: &AnyRow) -> Result<VersionRow, sqlx::Error> {
    Ok(VersionRow {
        id: r.try_get(0)?,
        model: r.try_get(1)?,
        model_id: r.try_get(2)?,
        version: r.try_get(3)?,
        description: r.try_get(4)?,
        framework: r.try_get(5)?,
        metrics: r.try_get(6)?,
        feature_names: r.try_get(7)?,
        sha256: r.try_get(8)?,
        size_bytes: r.try_get(9)?,
        backend: r.try_get(10)?,
        signature: r.try_get(11)?,
        created_at: r.try_get(12)?,
        ensemble: r.try_get(13)?,
        fidelity: r.try_get(14)?,
    })
}

/// Creates the model `name` if needed and marks it updated; returns it.
pub async fn upsert_model(
    conn: &mut AnyConnection,
    name: &str,
    now: &str,
) -> Result<ModelRow, sqlx::Error> {
    let sql = Sql::with(
        Backend::of(conn),
        &[
            "INSERT INTO models (name, created_at, updated_at) VALUES (",
            ", ",
            ", ",
            ") \
           ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at RETURNING id, name, created_at, updated_at",
        ],
        vec![
            Bind::Text(name.into()),
            Bind::Text(now.into()),
            Bind::Text(now.into()),
        ],
    );
    model_row(&sql.query().fetch_one(conn).await?)
}

/// Stores version `version` of model `model_id`.
pub async fn insert_version(
    conn: &mut AnyConnection,
    model_id: i64,
    version: i64,
    v: &NewVersion<'_>,
    now: &str,
) -> Result<i64, sqlx::Error> {
    let backend = Backend::of(conn);
    let sql = Sql::with(
        backend,
        &[
            "INSERT INTO model_versions (model_id, version, description, framework, metrics, feature_names, sha256, \
             size_bytes, backend, signature, onnx, created_at, ensemble, fidelity) VALUES (",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ", ",
            ") RETURNING id",
        ],
        vec![
            Bind::Int(model_id),
            Bind::Int(version),
            Bind::Text(v.description.into()),
            Bind::Text(v.framework.into()),
            Bind::Text(v.metrics.into()),
            v.feature_names.map_or(Bind::Null, |f| Bind::Text(f.into())),
            Bind::Text(v.sha256.into()),
            Bind::Int(v.onnx.len() as i64),
            Bind::Text(v.backend.into()),
            Bind::Text(v.signature.into()),
            Bind::Blob(v.onnx.to_vec()),
            Bind::Text(now.into()),
            v.ensemble.map_or(Bind::Null, |e| Bind::Text(e.into())),
            v.fidelity.map_or(Bind::Null, |f| Bind::Text(f.into())),
        ],
    );
    sql.query().fetch_one(conn).await?.try_get(0)
}

/// The next version number of model `model_id`.
pub async fn next_version(conn: &mut AnyConnection, model_id: i64) -> Result<i64, sqlx::Error> {
    let sql = Sql::with(
        Backend::of(conn),
        &[
            "SELECT MAX(version) FROM model_versions WHERE model_id = ",
            "",
        ],
        vec![Bind::Int(model_id)],
    );
    let max: Option<i64> = sql.query().fetch_one(conn).await?.try_get(0)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Every model, by name.
pub async fn list_models(db: &Db) -> Result<Vec<ModelRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &["SELECT id, name, created_at, updated_at FROM models ORDER BY name"],
        vec![],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(model_row)
        .collect()
}

/// The model called `name`.
pub async fn find_model(db: &Db, name: &str) -> Result<Option<ModelRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT id, name, created_at, updated_at FROM models WHERE name = ",
            "",
        ],
        vec![Bind::Text(name.into())],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(model_row)
        .transpose()
}

/// Every version of model `model_id`, oldest first.
pub async fn versions(db: &Db, model_id: i64) -> Result<Vec<VersionRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            &format!(
                "SELECT {VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = "
            ),
            " ORDER BY v.version",
        ],
        vec![Bind::Int(model_id)],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(version_row)
        .collect()
}

/// Every alias of model `model_id` with its version, by alias.
pub async fn aliases(db: &Db, model_id: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT alias, version FROM model_aliases WHERE model_id = ",
            " ORDER BY alias",
        ],
        vec![Bind::Int(model_id)],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Version `version` of model `name`.
pub async fn find_version(
    db: &Db,
    name: &str,
    version: i64,
) -> Result<Option<VersionRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            &format!(
                "SELECT {VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = "
            ),
            " AND v.version = ",
            "",
        ],
        vec![Bind::Text(name.into()), Bind::Int(version)],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(version_row)
        .transpose()
}

/// The version an alias of model `name` points to, if the alias exists.
pub async fn alias_version(db: &Db, name: &str, alias: &str) -> Result<Option<i64>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT a.version FROM model_aliases a JOIN models m ON m.id = a.model_id WHERE m.name = ",
            " AND a.alias = ",
            "",
        ],
        vec![Bind::Text(name.into()), Bind::Text(alias.into())],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// The highest version of model `name`.
pub async fn latest_version(db: &Db, name: &str) -> Result<Option<i64>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "SELECT MAX(v.version) FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = ",
            "",
        ],
        vec![Bind::Text(name.into())],
    );
    sql.query().fetch_one(db.pool()).await?.try_get(0)
}

/// The ONNX bytes of version row `id`.
pub async fn onnx_bytes(db: &Db, id: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &["SELECT onnx FROM model_versions WHERE id = ", ""],
        vec![Bind::Int(id)],
    );
    sql.query()
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// Points `alias` of model `model_id` at `version` (creating or moving it, atomically).
pub async fn set_alias(
    db: &Db,
    model_id: i64,
    alias: &str,
    version: i64,
    now: &str,
) -> Result<(), sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "INSERT INTO model_aliases (model_id, alias, version, updated_at) VALUES (",
            ", ",
            ", ",
            ", ",
            ") \
           ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
        ],
        vec![
            Bind::Int(model_id),
            Bind::Text(alias.into()),
            Bind::Int(version),
            Bind::Text(now.into()),
        ],
    );
    sql.query().execute(db.pool()).await.map(|_| ())
}

/// Removes `alias` of model `model_id`; whether it existed.
pub async fn delete_alias(db: &Db, model_id: i64, alias: &str) -> Result<bool, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "DELETE FROM model_aliases WHERE model_id = ",
            " AND alias = ",
            "",
        ],
        vec![Bind::Int(model_id), Bind::Text(alias.into())],
    );
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// Deletes version row `id` unless an alias points to it; `false` if an alias does.
pub async fn delete_version_unless_aliased(
    db: &Db,
    id: i64,
    model_id: i64,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[
            "DELETE FROM model_versions WHERE id = ",
            " AND NOT EXISTS (SELECT 1 FROM model_aliases WHERE model_id = ",
            " AND version = ",
            ")",
        ],
        vec![Bind::Int(id), Bind::Int(model_id), Bind::Int(version)],
    );
    Ok(sql.query().execute(db.pool()).await?.rows_affected() > 0)
}

/// Every ensemble version, to find the versions they use.
pub async fn ensembles(db: &Db) -> Result<Vec<VersionRow>, sqlx::Error> {
    let sql = Sql::with(
        db.backend(),
        &[&format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.ensemble IS NOT NULL"
        )],
        vec![],
    );
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(version_row)
        .collect()
}
