//! A model: a named series of immutable ONNX versions, trained anywhere (scikit-learn,
//! XGBoost, LightGBM, PyTorch) and served natively, with movable aliases such as
//! `production` and a validated, row-oriented predict endpoint.

pub mod controller;
pub mod docs;
pub mod ensemble;
pub mod interface;
// Every entity keeps its SQL in model.rs, this one too.
#[allow(clippy::module_inception)]
pub mod model;
pub mod oip;
pub mod predict;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::state::AppState;

/// The model routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    // Uploads and predictions read their bodies with their own limits.
    let large_bodies = OpenApiRouter::new()
        .routes(routes!(controller::deploy_version))
        .routes(routes!(controller::predict))
        .routes(routes!(controller::predict_version))
        .routes(routes!(controller::predict_alias))
        .routes(routes!(oip::infer))
        .routes(routes!(oip::infer_version))
        .layer(DefaultBodyLimit::disable())
        // The protocol's clients may compress requests and ask for compressed answers.
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new());
    OpenApiRouter::new()
        .routes(routes!(controller::list_models))
        .routes(routes!(controller::get_model))
        .routes(routes!(controller::get_version, controller::delete_version))
        .routes(routes!(controller::download_onnx))
        .routes(routes!(controller::set_alias, controller::delete_alias))
        .routes(routes!(oip::server_metadata))
        .routes(routes!(oip::live))
        .routes(routes!(oip::ready))
        .routes(routes!(oip::model_metadata))
        .routes(routes!(oip::version_metadata))
        .routes(routes!(oip::model_ready))
        .routes(routes!(oip::version_ready))
        .merge(large_bodies)
}
