//! Keys: create (the secret shown once), list, revoke; authenticate a bearer key or a
//! session token; the first admin key of a new database.

use std::time::Duration;

use super::interface;
use super::model::{self, KeyRow};
use super::schema::{KeyCreated, KeyIn, KeyOut, roles_of};
use crate::kernel::auth::{Principal, Role, Via};
use crate::kernel::db::Db;
use crate::kernel::error::{AppError, AppResult};
use crate::kernel::time;

/// How long a dashboard session lasts (never past its key's expiry).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// How stale `last_used_at` may get before a request writes it again: one write per key
/// per minute at most, not one per request.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The most keys a listing shows.
const LIST_CAP: i64 = 1000;

fn random_failed(e: String) -> AppError {
    AppError::Internal(anyhow::anyhow!(e))
}

fn row_for(
    id: String,
    key: &str,
    name: &str,
    roles: &[Role],
    expires_in_hours: Option<u64>,
) -> KeyRow {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    KeyRow {
        id,
        name: name.to_owned(),
        roles: names.join(","),
        secret_sha256: interface::digest(key),
        created_at: time::now(),
        expires_at: expires_in_hours.map(|h| time::after(Duration::from_secs(h * 3600))),
        revoked_at: None,
        last_used_at: None,
    }
}

/// Creates a key; the secret is in the answer and nowhere else.
pub async fn create_key(db: &Db, input: &KeyIn) -> AppResult<KeyCreated> {
    let hours = input.expires_in_days.map(|d| u64::from(d) * 24);
    create_key_for(db, &input.name, &input.roles, hours).await
}

/// Creates a key living `hours` (or until revoked).
async fn create_key_for(
    db: &Db,
    name: &str,
    roles: &[Role],
    hours: Option<u64>,
) -> AppResult<KeyCreated> {
    let (id, key) = interface::generate().map_err(random_failed)?;
    let row = row_for(id, &key, name, roles, hours);
    model::insert(db, &row).await?;
    Ok(KeyCreated {
        key: KeyOut::of(row, &time::now()),
        secret: key,
    })
}

/// The newest keys, newest first.
pub async fn list_keys(db: &Db) -> AppResult<Vec<KeyOut>> {
    let now = time::now();
    Ok(model::list(db, LIST_CAP)
        .await?
        .into_iter()
        .map(|r| KeyOut::of(r, &now))
        .collect())
}

/// Revokes key `id` and ends its sessions; revoking twice is not an error.
pub async fn revoke_key(db: &Db, id: &str) -> AppResult<KeyOut> {
    let now = time::now();
    match model::revoke(db, id, &now).await? {
        Some(row) => Ok(KeyOut::of(row, &now)),
        None => Err(AppError::NotFound(format!("no key {id:?}"))),
    }
}

/// The caller a stored key stands for, if it works now.
fn principal_of(db: &Db, row: KeyRow, via: Via) -> AppResult<Principal> {
    let now = time::now();
    if row.revoked_at.is_some() {
        return Err(AppError::Unauthorized(format!(
            "the key {} was revoked",
            row.id
        )));
    }
    if row.expires_at.as_deref().is_some_and(|e| e <= now.as_str()) {
        return Err(AppError::Unauthorized(format!(
            "the key {} expired",
            row.id
        )));
    }
    let stale = time::format(::time::OffsetDateTime::now_utc() - TOUCH_EVERY);
    if row
        .last_used_at
        .as_deref()
        .is_none_or(|t| t < stale.as_str())
    {
        // Off the request's path: a busy database delays the record, not the request.
        let (db, id) = (db.clone(), row.id.clone());
        tokio::spawn(async move {
            if let Err(e) = model::touch(&db, &id, &now).await {
                tracing::debug!(error = %e, key = %id, "recording a key's last use failed");
            }
        });
    }
    Ok(Principal {
        roles: roles_of(&row),
        key_id: Some(row.id),
        name: row.name,
        via,
    })
}

/// The caller a bearer key stands for; 401 for a malformed, unknown, revoked or expired
/// key. The stored digest is compared in constant time.
pub async fn authenticate_key(db: &Db, key: &str) -> AppResult<Principal> {
    let Some(id) = interface::parse(key) else {
        return Err(AppError::Unauthorized(
            "not a Retort key (they read rtk_<id>_<secret>)".into(),
        ));
    };
    let Some(row) = model::find(db, id).await? else {
        return Err(AppError::Unauthorized("unknown key".into()));
    };
    if !interface::same_digest(&row.secret_sha256, &interface::digest(key)) {
        return Err(AppError::Unauthorized("unknown key".into()));
    }
    principal_of(db, row, Via::Bearer)
}

/// The caller a session token stands for; 401 when the session is unknown, expired,
/// signed out, or its key no longer works.
pub async fn authenticate_session(db: &Db, token: &str) -> AppResult<Principal> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::Unauthorized("no session".into()));
    }
    let digest = interface::digest(token);
    match model::find_session(db, &digest, &time::now()).await? {
        Some(row) => principal_of(db, row, Via::Session),
        None => Err(AppError::Unauthorized(
            "the session ended; sign in again".into(),
        )),
    }
}

/// Exchanges a key for a new session: the caller, the session token (for the cookie
/// only) and how long it lasts.
pub async fn sign_in(db: &Db, key: &str) -> AppResult<(Principal, String, Duration)> {
    let principal = authenticate_key(db, key).await?;
    let Some(key_id) = principal.key_id.clone() else {
        return Err(AppError::Unauthorized("unknown key".into()));
    };
    let token = interface::token().map_err(random_failed)?;
    let now = time::now();
    let mut expires_at = time::after(SESSION_LIFETIME);
    if let Some(row) = model::find(db, &key_id).await?
        && let Some(key_expires) = row.expires_at
        && key_expires < expires_at
    {
        // Never past the key's own expiry (stored times compare as text).
        expires_at = key_expires;
    }
    model::insert_session(db, &interface::digest(&token), &key_id, &now, &expires_at).await?;
    Ok((principal, token, SESSION_LIFETIME))
}

/// Ends the session with this token, if there is one.
pub async fn sign_out(db: &Db, token: &str) -> AppResult<()> {
    if !token.is_empty() && token.len() <= 128 {
        model::delete_session(db, &interface::digest(token)).await?;
    }
    Ok(())
}

/// On a database with no key at all, creates an admin key named `admin` and returns it
/// (to be printed once); `None` when there is a key already.
pub async fn first_admin_key(db: &Db) -> anyhow::Result<Option<String>> {
    let (id, key) = interface::generate().map_err(|e| anyhow::anyhow!(e))?;
    let row = row_for(id, &key, "admin", &[Role::Admin], None);
    Ok(model::insert_if_none(db, &row).await?.then_some(key))
}

/// Makes sure the admin key `key` (from `RETORT_ADMIN_KEY`) exists: inserted if its id
/// is new; an id that exists with another secret is an error; a revoked one stays
/// revoked (with a warning).
pub async fn seed_admin_key(db: &Db, key: &str) -> anyhow::Result<()> {
    seed_key(db, key, "admin (RETORT_ADMIN_KEY)", &[Role::Admin]).await
}

/// Makes sure the key `key`, chosen outside (an environment variable, a test), exists
/// with `name` and `roles`; see [`seed_admin_key`].
pub async fn seed_key(db: &Db, key: &str, name: &str, roles: &[Role]) -> anyhow::Result<()> {
    let Some(id) = interface::parse(key) else {
        anyhow::bail!(
            "not a Retort key (rtk_ + 12 + _ + 52 characters of a-z and 2-7); \
             `retort keys generate` prints a new one"
        );
    };
    match model::find(db, id).await? {
        Some(row) if !interface::same_digest(&row.secret_sha256, &interface::digest(key)) => {
            anyhow::bail!("a different key with the id {id} exists already")
        }
        Some(row) => {
            if row.revoked_at.is_some() {
                tracing::warn!(key = %id, "the seeded key {id} was revoked: it stays revoked");
            }
        }
        None => {
            model::insert(db, &row_for(id.to_owned(), key, name, roles, None)).await?;
            tracing::info!(key = %id, %name, "seeded key stored");
        }
    }
    Ok(())
}

/// Creates a key from the command line; `(key as listed, secret)`.
pub async fn create_key_cli(
    db: &Db,
    name: &str,
    roles: &[Role],
    expires_in: Option<&str>,
) -> anyhow::Result<KeyCreated> {
    let name = name.trim();
    interface::check_name(name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    if roles.is_empty() {
        anyhow::bail!("give at least one --role");
    }
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    let hours = match expires_in {
        Some(text) => {
            Some(interface::parse_lifetime(text).map_err(|e| anyhow::anyhow!("--expires {e}"))?)
        }
        None => None,
    };
    create_key_for(db, name, &roles, hours)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_problem().detail))
}
