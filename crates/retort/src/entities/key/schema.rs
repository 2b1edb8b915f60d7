//! Keys and sessions on the wire: `KeyIn` (create), `KeyOut` (never the secret),
//! `KeyCreated` (the secret, once), `SignIn`, and `Caller` (who a credential is).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::interface;
use super::model::KeyRow;
use crate::kernel::auth::{Permission, Principal, Role, Via};
use crate::kernel::extract::Parse;
use crate::kernel::validation::{Cell, Fields, Record};

/// The most role names a key's `roles` may list (repeats included).
const MAX_ROLE_NAMES: usize = 16;

/// A key to create.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ana", "roles": ["approver"], "expires_in_days": 90}))]
pub struct KeyIn {
    /// Who or what will hold it; the audit trail records this name (trimmed; no control
    /// characters).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u001f\u007f-\u009f\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$",
        example = "ana"
    )]
    pub name: String,
    /// Its roles, at least one (a role named twice counts once).
    #[schema(min_items = 1, max_items = 16)]
    pub roles: Vec<Role>,
    /// Days it works; absent or null: until revoked.
    #[schema(minimum = 1, maximum = 3650, example = 90)]
    pub expires_in_days: Option<u32>,
}

fn parse_name(cell: Cell<'_>) -> Result<String, String> {
    let name = match cell {
        Cell::Json(Value::String(s)) => s.trim(),
        _ => return Err("expected a string".into()),
    };
    interface::check_name(name)?;
    Ok(name.to_owned())
}

/// Reads a list of role names (at least one; a role named twice counts once).
pub fn parse_roles(cell: Cell<'_>) -> Result<Vec<Role>, String> {
    let Cell::Json(Value::Array(items)) = cell else {
        return Err("expected an array of role names".into());
    };
    if items.is_empty() || items.len() > MAX_ROLE_NAMES {
        return Err(format!("must name between 1 and {MAX_ROLE_NAMES} roles"));
    }
    let mut roles = Vec::with_capacity(items.len());
    for item in items {
        let name = item.as_str().unwrap_or_default();
        roles.push(crate::kernel::auth::parse_role(name)?);
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

impl Parse for KeyIn {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = KeyIn {
            name: f.required("name", parse_name),
            roles: f.required("roles", parse_roles),
            expires_in_days: f
                .optional_nullable("expires_in_days", |c| {
                    let days = crate::kernel::validation::int_in(
                        c,
                        1,
                        i64::try_from(interface::MAX_LIFETIME_DAYS).unwrap_or(3650),
                    )?;
                    u32::try_from(days).map_err(|e| e.to_string())
                })
                .flatten(),
        };
        f.read_only(&["id", "created_at", "revoked_at", "last_used_at", "secret"]);
        f.finish(value)
    }
}

/// A key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyOut {
    /// Public id (the part after `rtk_` in the key).
    #[schema(example = "k2mzq7xw4rta")]
    pub id: String,
    /// Who or what holds it.
    pub name: String,
    /// Its roles.
    pub roles: Vec<Role>,
    /// Created.
    pub created_at: String,
    /// When it stops working, or null.
    pub expires_at: Option<String>,
    /// When it was revoked, or null.
    pub revoked_at: Option<String>,
    /// When it last authenticated a request (to the minute), or null.
    pub last_used_at: Option<String>,
    /// Whether it works now: not revoked, not expired.
    pub active: bool,
}

/// The role names stored for a key, read back; unknown names are dropped.
pub fn roles_of(row: &KeyRow) -> Vec<Role> {
    row.roles.split(',').filter_map(Role::parse).collect()
}

impl KeyOut {
    /// The listing of `row` as of `now`.
    pub fn of(row: KeyRow, now: &str) -> Self {
        let active = row.revoked_at.is_none() && row.expires_at.as_deref().is_none_or(|e| e > now);
        Self {
            roles: roles_of(&row),
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
            active,
        }
    }
}

/// A new key with its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyCreated {
    /// The key as it will be listed.
    #[serde(flatten)]
    pub key: KeyOut,
    /// The whole key, for `Authorization: Bearer`; it cannot be shown again.
    #[schema(example = "rtk_k2mzq7xw4rta_…")]
    pub secret: String,
}

/// Every key, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyList {
    /// The keys (the newest 1,000).
    pub items: Vec<KeyOut>,
}

/// A key to exchange for a dashboard session.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The whole key.
    #[schema(min_length = 1, max_length = 200)]
    pub key: String,
}

impl Parse for SignIn {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = SignIn {
            // Any text: one that is not a key is a 401 from the check, like a wrong key.
            key: f.required("key", |c| match c {
                Cell::Json(Value::String(text)) if text.len() <= 200 => Ok(text.trim().to_owned()),
                Cell::Json(Value::String(_)) => Err("is longer than any key".into()),
                _ => Err("expected a string".into()),
            }),
        };
        f.finish(value)
    }
}

/// Who the credential of this request is, and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Caller {
    /// The key's name, or `anonymous`.
    pub name: String,
    /// The key's public id; null for an anonymous caller.
    pub key_id: Option<String>,
    /// Its roles.
    pub roles: Vec<Role>,
    /// Every permission its roles grant.
    pub permissions: Vec<Permission>,
    /// How it proved who it is.
    pub via: Via,
}

impl From<&Principal> for Caller {
    fn from(p: &Principal) -> Self {
        Self {
            name: p.name.clone(),
            key_id: p.key_id.clone(),
            roles: p.roles.clone(),
            permissions: p.permissions(),
            via: p.via,
        }
    }
}
