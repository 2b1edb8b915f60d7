//! A key: a named credential with roles (`viewer`, `predictor`, `analyst`, `approver`,
//! `admin`), shown once and stored as a SHA-256 digest; revoked or expired keys stop
//! working at once on every replica. The dashboard exchanges a key for a session cookie.
//! The gate (`gate.rs`) authenticates every API request and enforces what each route
//! declared (`kernel::auth`).

pub mod controller;
pub mod gate;
pub mod interface;
mod model;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

/// The tables this entity owns; only `model.rs` touches them.
pub const TABLES: &[&str] = &["api_keys", "key_sessions"];

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("key", TABLES)
        .tag(
            "access",
            "API keys with roles, and the dashboard's sign-in session",
        )
        .routes(router())
}

/// The key and session routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let manage = Access::Needs(Permission::KeysManage);
    OpenApiRouter::new()
        .routes(allow(manage, routes!(controller::list_keys)))
        .routes(allow(manage, routes!(controller::create_key)))
        .routes(allow(manage, routes!(controller::revoke_key)))
        .routes(allow(Access::SignedIn, routes!(controller::whoami)))
        .routes(allow(Access::Public, routes!(controller::sign_in)))
        .routes(allow(Access::Public, routes!(controller::sign_out)))
}
