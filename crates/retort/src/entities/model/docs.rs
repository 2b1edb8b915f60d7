//! The OpenAPI document grows a path per deployed model: `POST /api/models/{its name}/predict`
//! with the request rows and the response described from the model's signature, so the
//! docs (and generated clients) always match what is deployed.

use serde_json::{Value as Json, json};

use super::interface::{Signature, Task};
use super::{model, service};
use crate::kernel::error::AppResult;
use crate::kernel::openapi::{self, JsonBody, Unavailable};
use crate::kernel::state::AppState;
use utoipa::IntoResponses;

fn column_schema(dtype: &str, nullable: bool) -> Json {
    let base = match dtype {
        "float" | "double" => "number",
        "int64" | "int32" => "integer",
        "bool" => "boolean",
        _ => "string",
    };
    if nullable {
        json!({ "type": [base, "null"] })
    } else {
        json!({ "type": base })
    }
}

fn prediction_schema(sig: &Signature) -> Json {
    match sig.task {
        Task::Regression => {
            json!({ "type": ["number", "null"], "description": "The prediction for the row (null when it is not a number)" })
        }
        Task::Classification => {
            let labels: Vec<Json> = sig.class_labels.clone().unwrap_or_default();
            let probs: serde_json::Map<String, Json> = labels
                .iter()
                .map(|l| {
                    (
                        l.as_str().map_or_else(|| l.to_string(), str::to_owned),
                        json!({ "type": ["number", "null"] }),
                    )
                })
                .collect();
            json!({
                "type": "object",
                "required": ["label", "probabilities"],
                "properties": {
                    "label": { "description": "The most likely class", "enum": labels },
                    "probabilities": { "type": "object", "properties": probs, "description": "Probability per class" }
                }
            })
        }
        Task::Other => json!({ "type": "object", "description": "Every output by name" }),
    }
}

/// A problem+json response, as the document's shared ones are written.
fn problem(description: &str) -> Json {
    serde_json::to_value(openapi::problem(description)).unwrap_or_default()
}

/// The most rows one request to a model with `sig` may carry: the row cap, or fewer
/// when rows × columns would pass the element cap first.
fn max_rows(limits: &crate::kernel::config::Limits, sig: &Signature) -> usize {
    limits
        .max_rows
        .min(limits.max_tensor_elements / sig.columns.len().max(1))
}

/// The path item for predicting with the default version of `name`; at most
/// `max_rows` rows (the row cap, or fewer when the element cap binds first).
fn predict_path(name: &str, version: i64, sig: &Signature, max_rows: usize) -> Json {
    let properties: serde_json::Map<String, Json> = sig
        .columns
        .iter()
        .map(|c| (c.name.clone(), column_schema(&c.dtype, c.nullable)))
        .collect();
    let required: Vec<&str> = sig.columns.iter().map(|c| c.name.as_str()).collect();
    let mut path = json!({
        "post": {
            "tags": ["deployed models"],
            "summary": format!("Predict with {name} (now version {version})"),
            "description": "The `production` alias if set, else the latest version. Null in a number column is a missing value.",
            "operationId": format!("predict_{}", name.replace(['.', '-'], "_")),
            // The same requirement as the route it is served by (`/api/models/{name}/predict`).
            "security": [{ (crate::kernel::auth::SCHEME): [crate::kernel::auth::Permission::Predict.as_str()] }],
            "requestBody": {
                "required": true,
                "content": { "application/json": { "schema": {
                    "type": "object",
                    "required": ["rows"],
                    "additionalProperties": false,
                    "properties": { "rows": { "type": "array", "minItems": 1, "maxItems": max_rows, "items": {
                        "type": "object", "required": required, "additionalProperties": false, "properties": properties
                    }}}
                }}}
            },
            "responses": {
                "200": {
                    "description": "One prediction per row",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["model", "version", "predictions"],
                        "properties": {
                            "model": { "type": "string" },
                            "version": { "type": "integer" },
                            "predictions": { "type": "array", "items": prediction_schema(sig) }
                        }
                    }}}
                },
                "404": problem("The model has no version any more"),
                "401": problem("No credential, or a key that is unknown, revoked or expired"),
                "403": problem("The credential lacks the `predict` permission"),
                "422": problem("Bad rows: every bad cell listed"),
            }
        }
    });
    if let Some(responses) = path["post"]["responses"].as_object_mut() {
        for (status, response) in JsonBody::responses()
            .into_iter()
            .chain(Unavailable::responses())
        {
            responses.insert(status, serde_json::to_value(response).unwrap_or_default());
        }
    }
    path
}

/// Adds a predict path for every deployed model to `doc`.
pub async fn document_models(state: &AppState, doc: &mut Json) -> AppResult<()> {
    let models = model::list_models(&state.db).await?;
    if models.is_empty() {
        return Ok(());
    }
    for m in models {
        let Ok(row) = service::resolve(state, &m.name, &service::Selector::Default).await else {
            continue;
        };
        let Ok(sig) = serde_json::from_str::<Signature>(&row.signature) else {
            continue;
        };
        if let Some(paths) = doc.get_mut("paths").and_then(Json::as_object_mut) {
            paths.insert(
                format!("/api/models/{}/predict", m.name),
                predict_path(&m.name, row.version, &sig, max_rows(&state.limits, &sig)),
            );
        }
    }
    if let Some(tags) = doc.get_mut("tags").and_then(Json::as_array_mut) {
        tags.push(json!({ "name": "deployed models", "description": "One predict endpoint per deployed model, described from its signature" }));
    }
    Ok(())
}
