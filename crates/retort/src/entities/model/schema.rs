//! The registry on the wire: models, versions, aliases, deploy metadata and predictions.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use super::interface::Signature;
use super::model::{ModelRow, VersionRow};
use crate::kernel::extract::Parse;
use crate::kernel::validation::{Fields, Record, text_len};

/// A model: its versions and aliases.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelOut {
    /// The model's name.
    #[schema(example = "price")]
    pub name: String,
    /// Every version number, oldest first.
    pub versions: Vec<i64>,
    /// The highest version.
    pub latest_version: Option<i64>,
    /// Aliases and the versions they point to.
    #[schema(example = json!({"production": 3}))]
    pub aliases: BTreeMap<String, i64>,
    /// When the model was first deployed.
    pub created_at: String,
    /// When a version was last deployed or an alias moved.
    pub updated_at: String,
}

impl ModelOut {
    /// Assembles a model from its row, versions and aliases.
    pub fn new(m: ModelRow, versions: Vec<i64>, aliases: Vec<(String, i64)>) -> Self {
        Self {
            name: m.name,
            latest_version: versions.last().copied(),
            versions,
            aliases: aliases.into_iter().collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The list of models.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    /// Every model, by name.
    pub items: Vec<ModelOut>,
}

/// One deployed version of a model.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    /// The model's name.
    pub model: String,
    /// The version number.
    pub version: i64,
    /// Free text.
    pub description: String,
    /// Where the model came from (`sklearn`, `xgboost`, `lightgbm`, `pytorch`, …).
    pub framework: String,
    /// Metrics given at deploy.
    #[schema(value_type = Object, example = json!({"r2": 0.97, "mae": 4.1}))]
    pub metrics: Json,
    /// SHA-256 of the ONNX file, hex.
    pub sha256: String,
    /// Size of the ONNX file in bytes.
    pub size_bytes: i64,
    /// The engine that serves this version: `native`.
    #[schema(example = "native")]
    pub backend: String,
    /// How request rows map to the graph, and what comes back.
    pub signature: Signature,
    /// Aliases pointing at this version.
    pub aliases: Vec<String>,
    /// Deploy time.
    pub created_at: String,
}

impl VersionOut {
    /// Assembles a version from its row and the aliases that point at it.
    pub fn new(v: VersionRow, aliases: Vec<String>) -> Self {
        Self {
            model: v.model,
            version: v.version,
            description: v.description,
            framework: v.framework,
            metrics: serde_json::from_str(&v.metrics).unwrap_or(Json::Null),
            sha256: v.sha256,
            size_bytes: v.size_bytes,
            backend: v.backend,
            signature: serde_json::from_str(&v.signature).unwrap_or(Signature {
                columns: Vec::new(),
                outputs: Vec::new(),
                task: super::interface::Task::Other,
                class_labels: None,
            }),
            aliases,
            created_at: v.created_at,
        }
    }
}

/// Metadata sent with an ONNX file (query parameters, or multipart fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployMeta {
    /// Free text.
    pub description: String,
    /// Where the model came from.
    pub framework: String,
    /// Metrics, a JSON object.
    pub metrics: Json,
    /// Names for the columns, in graph order.
    pub feature_names: Option<Vec<String>>,
    /// An alias to point at the new version.
    pub alias: Option<String>,
}

/// Deploy metadata as query parameters (`application/octet-stream` uploads) or
/// multipart text fields beside the `file` part.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only: parsed by `DeployMeta::parse`
pub struct DeployParams {
    /// Free text about this version.
    description: Option<String>,
    /// Where the model came from: `sklearn`, `xgboost`, `lightgbm`, `pytorch`, …
    framework: Option<String>,
    /// Metrics as a JSON object, e.g. `{"r2": 0.97}`.
    metrics: Option<String>,
    /// Column names in graph order, comma-separated (for inputs wider than one column).
    feature_names: Option<String>,
    /// Point this alias (e.g. `production`) at the new version.
    alias: Option<String>,
}

impl Parse for DeployMeta {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = DeployMeta {
            description: f
                .optional("description", |c| text_len(c, 0, 2000))
                .unwrap_or_default(),
            framework: f
                .optional("framework", |c| text_len(c, 0, 40))
                .unwrap_or_default(),
            metrics: f
                .optional("metrics", |c| {
                    let text = c.text()?;
                    match serde_json::from_str::<Json>(text) {
                        Ok(v @ Json::Object(_)) => Ok(v),
                        Ok(_) => Err("must be a JSON object such as {\"r2\": 0.97}".to_owned()),
                        Err(e) => Err(format!("is not valid JSON: {e}")),
                    }
                })
                .unwrap_or_else(|| Json::Object(Default::default())),
            feature_names: f.optional("feature_names", |c| {
                let names: Vec<String> =
                    c.text()?.split(',').map(|s| s.trim().to_owned()).collect();
                if names.iter().any(String::is_empty) {
                    Err("must be a comma-separated list of non-empty names".to_owned())
                } else {
                    Ok(names)
                }
            }),
            alias: f.optional("alias", |c| super::interface::parse_alias(c.text()?)),
        };
        f.finish(value)
    }
}

/// Where to point an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AliasIn {
    /// The version the alias should point to.
    #[schema(minimum = 1, example = 3)]
    pub version: i64,
}

impl Parse for AliasIn {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = AliasIn {
            version: f.required("version", |c| {
                crate::kernel::validation::int_in(c, 1, i64::MAX)
            }),
        };
        f.finish(value)
    }
}

/// An alias and where it points.
#[derive(Debug, Serialize, ToSchema)]
pub struct AliasOut {
    /// The model.
    pub model: String,
    /// The alias.
    pub alias: String,
    /// The version it points to.
    pub version: i64,
}

/// Rows to predict on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"rows": [{"width_mm": 225.0, "aspect_ratio": 45.0, "rim_in": 17.0}]}))]
pub struct PredictIn {
    /// One object per row: column name to value (see the version's `signature.columns`).
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Json>,
}

/// Predictions, one per row, in row order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"model": "price", "version": 3, "predictions": [187.4]}))]
pub struct PredictOut {
    /// The model.
    pub model: String,
    /// The version that answered.
    pub version: i64,
    /// A number per row for regressors (a list for several targets); for classifiers
    /// `{"label": …, "probabilities": {label: p, …}}`.
    #[schema(value_type = Vec<Object>)]
    pub predictions: Vec<Json>,
}
