//! A model: a named series of immutable ONNX versions, trained anywhere (scikit-learn,
//! XGBoost, LightGBM, PyTorch) and served natively, with movable aliases such as
//! `production` and a validated, row-oriented predict endpoint.

pub mod controller;
pub mod docs;
pub mod ensemble;
pub mod fidelity;
pub mod interface;
#[allow(clippy::module_inception)]
mod model;
pub mod oip;
pub mod predict;
pub mod schema;
pub mod scorer;
pub mod service;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fidelity;

pub use model::VersionRow;

/// The tables this entity owns; only `model.rs` touches them.
pub const TABLES: &[&str] = &["models", "model_versions", "model_aliases"];
pub use scorer::{Scorer, scorer};

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("model", TABLES)
        .tag("models", "Deployed ONNX models: versions, aliases, predictions")
        .tag("inference protocol", "Open Inference Protocol v2 (KServe / Triton REST), with the binary tensor data extension")
        .routes(router())
}

/// The model routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let predict = Access::Needs(Permission::Predict);
    let manage = Access::Needs(Permission::ModelsManage);
    // Uploads and predictions read their bodies with their own limits.
    let large_bodies = OpenApiRouter::new()
        .routes(allow(manage, routes!(controller::deploy_version)))
        .routes(allow(predict, routes!(controller::predict)))
        .routes(allow(predict, routes!(controller::predict_version)))
        .routes(allow(predict, routes!(controller::predict_alias)))
        .routes(allow(predict, routes!(oip::infer)))
        .routes(allow(predict, routes!(oip::infer_version)))
        .layer(DefaultBodyLimit::disable())
        // The protocol's clients may compress requests and ask for compressed answers.
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new());
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_models)))
        .routes(allow(read, routes!(controller::get_model)))
        .routes(allow(read, routes!(controller::get_version)))
        .routes(allow(manage, routes!(controller::delete_version)))
        .routes(allow(read, routes!(controller::download_onnx)))
        .routes(allow(
            manage,
            routes!(controller::set_alias, controller::delete_alias),
        ))
        .routes(allow(read, routes!(oip::server_metadata)))
        .routes(allow(Access::Public, routes!(oip::live)))
        .routes(allow(Access::Public, routes!(oip::ready)))
        .routes(allow(read, routes!(oip::model_metadata)))
        .routes(allow(read, routes!(oip::version_metadata)))
        .routes(allow(read, routes!(oip::model_ready)))
        .routes(allow(read, routes!(oip::version_ready)))
        .merge(large_bodies)
}
