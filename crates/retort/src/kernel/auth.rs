//! Who may do what: the permissions, the roles that bundle them, the caller of a request
//! (its [`Principal`]), and how every route declares what it needs where it is
//! registered: `.routes(allow(Access::Needs(Permission::Read), routes!(handler)))`.
//!
//! The declaration is written into the operation's OpenAPI `security` requirement (the
//! `bearer` scheme, the permission as its scope) and the 401/403/429 answers it may give;
//! the gate reads the same document back into an [`AccessTable`] and enforces it, so the
//! documentation and the enforcement cannot disagree. An operation that declares nothing
//! is refused to everyone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa_axum::router::UtoipaMethodRouter;

use super::error::AppError;
use super::openapi::problem;

mod hosts;
pub use hosts::{AllowedHosts, host_name, is_loopback_host};

/// The name of the security scheme in the OpenAPI document.
pub const SCHEME: &str = "bearer";

/// One thing a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum Permission {
    /// Read everything under `/api`, the `/v2` metadata, and the event streams.
    #[serde(rename = "read")]
    Read,
    /// Call the predict routes and `/v2/…/infer`.
    #[serde(rename = "predict")]
    Predict,
    /// Create, change, delete and import catalogue data (products, brands, sales).
    #[serde(rename = "catalogue:write")]
    CatalogueWrite,
    /// Start scoring, training, elasticity and optimisation jobs.
    #[serde(rename = "jobs:start")]
    JobsStart,
    /// Cancel jobs.
    #[serde(rename = "jobs:cancel")]
    JobsCancel,
    /// Accept or reject an optimisation's proposed prices.
    #[serde(rename = "decisions:approve")]
    DecisionsApprove,
    /// Deploy and delete models and versions, move aliases, build ensembles.
    #[serde(rename = "models:manage")]
    ModelsManage,
    /// Create, list and revoke API keys.
    #[serde(rename = "keys:manage")]
    KeysManage,
}

impl Permission {
    /// Every permission, in the order roles grow.
    pub const ALL: [Permission; 8] = [
        Permission::Read,
        Permission::Predict,
        Permission::CatalogueWrite,
        Permission::JobsStart,
        Permission::JobsCancel,
        Permission::DecisionsApprove,
        Permission::ModelsManage,
        Permission::KeysManage,
    ];

    /// The wire name, e.g. `jobs:start`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Predict => "predict",
            Self::CatalogueWrite => "catalogue:write",
            Self::JobsStart => "jobs:start",
            Self::JobsCancel => "jobs:cancel",
            Self::DecisionsApprove => "decisions:approve",
            Self::ModelsManage => "models:manage",
            Self::KeysManage => "keys:manage",
        }
    }

    /// Reads a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// A named bundle of permissions; a key holds one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Predicts, and nothing else.
    Predictor,
    /// Viewer and predictor, plus catalogue changes and starting or cancelling jobs.
    Analyst,
    /// Analyst, plus accepting and rejecting optimisations.
    Approver,
    /// Everything, models and keys included.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Viewer,
        Role::Predictor,
        Role::Analyst,
        Role::Approver,
        Role::Admin,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Predictor => "predictor",
            Self::Analyst => "analyst",
            Self::Approver => "approver",
            Self::Admin => "admin",
        }
    }

    /// Reads a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The permissions this role grants.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission as P;
        match self {
            Self::Viewer => &[P::Read],
            Self::Predictor => &[P::Predict],
            Self::Analyst => &[
                P::Read,
                P::Predict,
                P::CatalogueWrite,
                P::JobsStart,
                P::JobsCancel,
            ],
            Self::Approver => &[
                P::Read,
                P::Predict,
                P::CatalogueWrite,
                P::JobsStart,
                P::JobsCancel,
                P::DecisionsApprove,
            ],
            Self::Admin => &Permission::ALL,
        }
    }

    /// Whether this role may act without a key on a server bound beyond loopback
    /// (`--anonymous`): only the roles that change nothing.
    pub fn safe_for_anonymous(self) -> bool {
        matches!(self, Self::Viewer | Self::Predictor)
    }
}

/// Parses a comma-free role name for the command line.
pub fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {text:?}; the roles are {}", names.join(", "))
    })
}

/// How a caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The dashboard's session cookie.
    Session,
    /// No credential: the server's `--anonymous` role.
    Anonymous,
}

/// The caller of a request, once authenticated; handlers take it as an extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's public id; `None` for an anonymous caller.
    pub key_id: Option<String>,
    /// The key's name (what the audit trail records), or `anonymous`.
    pub name: String,
    /// The roles it holds.
    pub roles: Vec<Role>,
    /// How it proved it.
    pub via: Via,
}

impl Principal {
    /// The anonymous caller with `role`.
    pub fn anonymous(role: Role) -> Self {
        Self {
            key_id: None,
            name: "anonymous".into(),
            roles: vec![role],
            via: Via::Anonymous,
        }
    }

    /// Whether any of its roles grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.roles
            .iter()
            .any(|r| r.permissions().contains(&permission))
    }

    /// Every permission it holds, in [`Permission::ALL`] order.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.can(*p))
            .collect()
    }

    /// The roles as wire names, comma-separated, for messages.
    pub fn role_names(&self) -> String {
        let names: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        names.join(", ")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| AppError::Unauthorized("this route needs a credential".into()))
    }
}

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with or without a credential (probes, sign-in).
    Public,
    /// Any valid credential, whatever its roles.
    SignedIn,
    /// A credential whose roles grant this permission.
    Needs(Permission),
}

impl Access {
    /// The OpenAPI security requirement that says it.
    fn requirement(self) -> SecurityRequirement {
        match self {
            Self::Public => SecurityRequirement::default(),
            Self::SignedIn => SecurityRequirement::new::<_, _, &str>(SCHEME, []),
            Self::Needs(p) => SecurityRequirement::new(SCHEME, [p.as_str()]),
        }
    }
}

/// Declares what the routes in `routes` need: written into each operation's `security`
/// and answers (401, 403, and 429 where starting jobs is rate-limited), then enforced by
/// the gate from the same document.
pub fn allow<S>(access: Access, routes: UtoipaMethodRouter<S>) -> UtoipaMethodRouter<S> {
    let (schemas, mut paths, router) = routes;
    for (path, item) in &mut paths.paths {
        // The inference protocol answers errors as `{"error": …}`, not problem documents.
        let protocol = path.starts_with("/v2");
        let answer = |description: &str| {
            if protocol {
                ResponseBuilder::new()
                    .description(format!("{description}: {{\"error\": …}}"))
                    .build()
                    .into()
            } else {
                problem(description)
            }
        };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            op.security = Some(vec![access.requirement()]);
            if access == Access::Public {
                continue;
            }
            let answers = &mut op.responses.responses;
            // Checking the credential reads the database.
            answers.entry("503".into()).or_insert_with(|| {
                answer("The database is unreachable or busy (locked); nothing was changed, retry later")
            });
            answers.insert(
                "401".into(),
                answer("No credential, or a key that is unknown, revoked or expired"),
            );
            if let Access::Needs(p) = access {
                answers.insert(
                    "403".into(),
                    answer(&format!(
                        "The credential lacks the `{}` permission, or a cookie-authenticated \
                         change came from another site",
                        p.as_str()
                    )),
                );
                let note = format!("Needs the `{}` permission.", p.as_str());
                op.description = Some(match op.description.take() {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                    _ => note,
                });
            }
            if access == Access::Needs(Permission::JobsStart) {
                answers.insert(
                    "429".into(),
                    answer("This key started too many jobs in the last minute; see Retry-After"),
                );
            }
        }
    }
    (schemas, paths, router)
}

/// What each operation of the document needs, read back from its `security`.
#[derive(Debug, Default, Clone)]
pub struct AccessTable {
    routes: HashMap<(String, String), Access>,
}

impl AccessTable {
    /// Reads every operation's requirement from the OpenAPI document (as JSON). An
    /// operation without `security`, or with one this module does not write, is absent:
    /// the gate refuses it.
    pub fn from_document(doc: &serde_json::Value) -> Self {
        let mut routes = HashMap::new();
        let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) else {
            return Self { routes };
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let Some(security) = op.get("security").and_then(|s| s.as_array()) else {
                    continue;
                };
                if let Some(access) = Self::read(security) {
                    routes.insert((method.to_ascii_uppercase(), path.clone()), access);
                }
            }
        }
        Self { routes }
    }

    fn read(security: &[serde_json::Value]) -> Option<Access> {
        let [requirement] = security else {
            return None;
        };
        let requirement = requirement.as_object()?;
        if requirement.is_empty() {
            return Some(Access::Public);
        }
        let scopes = requirement.get(SCHEME)?.as_array()?;
        match scopes.as_slice() {
            [] => Some(Access::SignedIn),
            [scope] => scope
                .as_str()
                .and_then(Permission::parse)
                .map(Access::Needs),
            _ => None,
        }
    }

    /// What `method` on the route template `path` needs (HEAD as GET), or `None` when the
    /// operation declared nothing.
    pub fn get(&self, method: &str, path: &str) -> Option<Access> {
        let method = if method == "HEAD" { "GET" } else { method };
        self.routes
            .get(&(method.to_owned(), path.to_owned()))
            .copied()
    }

    /// Every operation, as (method, path, access), sorted.
    pub fn operations(&self) -> Vec<(String, String, Access)> {
        let mut all: Vec<_> = self
            .routes
            .iter()
            .map(|((m, p), a)| (m.clone(), p.clone(), *a))
            .collect();
        all.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        all
    }
}

/// Who may do what on this server, and how fast keys may start jobs.
#[derive(Debug)]
pub struct AccessConfig {
    /// The role of requests without a credential, if any.
    pub anonymous: Option<Role>,
    /// The `Host` headers answered.
    pub hosts: AllowedHosts,
    /// Jobs one key may start per minute (0: no limit).
    pub job_starts_per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self::new(None, AllowedHosts::Any, 0)
    }
}

impl AccessConfig {
    /// A configuration.
    pub fn new(anonymous: Option<Role>, hosts: AllowedHosts, job_starts_per_minute: u32) -> Self {
        Self {
            anonymous,
            hosts,
            job_starts_per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one job start from `who`'s allowance: a bucket of `job_starts_per_minute`
    /// that refills evenly over a minute. `Err(seconds)` until the next start is allowed.
    pub fn take_job_start(&self, who: &str) -> Result<(), u64> {
        let per_minute = self.job_starts_per_minute;
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget full buckets now and then, so the map stays as small as the active keys.
        if buckets.len() > 10_000 {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = buckets.entry(who.to_owned()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests;
