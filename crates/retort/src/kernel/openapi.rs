//! The OpenAPI 3.1 document's frame (title, tags, shared schemas) and the offline Swagger UI.

use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;

use super::error::{FieldError, Problem, RowError};

/// The parts of the document that belong to no entity.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Retort",
        description = "Fast, validated, documented APIs for a data-science team's models and \
                       analyses. Errors are RFC 9457 problem+json; lists page with cursors.",
    ),
    components(schemas(Problem, FieldError, RowError)),
    tags(
        (name = "products", description = "Tire SKUs of the pricing workbench"),
        (name = "brands", description = "Tire brands and their price tiers"),
        (name = "sales", description = "Weekly sales per product: the history elasticity is estimated from"),
        (name = "jobs", description = "Durable background jobs: status, progress, cancel, events"),
        (name = "models", description = "Deployed ONNX models: versions, aliases, predictions"),
        (name = "inference protocol", description = "Open Inference Protocol v2 (KServe / Triton REST), \
            with the binary tensor data extension"),
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct BaseDoc;

/// The document's frame, to be merged with the entities' paths.
pub fn base() -> Document {
    let mut doc = BaseDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
