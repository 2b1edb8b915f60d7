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
    /// For an ensemble: its members and how they combine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<super::interface::Ensemble>,
    /// The fidelity check made at deploy (its predictions on the sample sent against the
    /// training library's); null when no sample was sent.
    #[schema(value_type = Option<super::fidelity::Fidelity>)]
    pub fidelity: Option<Json>,
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
            ensemble: v
                .ensemble
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok()),
            fidelity: v
                .fidelity
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
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
    /// The fidelity check to make before storing the version, if a sample was sent.
    pub check: Option<super::fidelity::CheckSpec>,
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
    /// A sample to check the version against before it is stored (best sent as a
    /// multipart part): JSON `{"rows": [...], "expected": [...]}` — rows as the predict
    /// endpoint takes them, and per row what the training library predicted — or CSV
    /// with the model's columns and a column of expected predictions (`check_column`).
    check_sample: Option<String>,
    /// The CSV column of `check_sample` with the expected predictions (`expected`).
    check_column: Option<String>,
    /// Largest relative difference allowed by the check (1e-6).
    fidelity_tolerance: Option<f64>,
    /// `true`: store the version even when the check finds differences (the report is
    /// kept on the version).
    accept_fidelity: Option<bool>,
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
            check: None,
        };
        let sample = f.optional("check_sample", |c| Ok(c.text()?.to_owned()));
        let column = f.optional("check_column", |c| text_len(c, 1, 200));
        // Query parameters and multipart fields are text: numbers and booleans too.
        let tolerance = f.optional("fidelity_tolerance", |c| match c.text()?.parse::<f64>() {
            Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
            _ => Err("must be a number from 0 to 1, e.g. 1e-6".to_owned()),
        });
        let accept = f.optional("accept_fidelity", |c| match c.text()? {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(format!("must be true or false, got {other:?}")),
        });
        let mut value = value;
        value.check = sample.map(|sample| super::fidelity::CheckSpec {
            sample,
            tolerance: tolerance.unwrap_or(super::fidelity::DEFAULT_TOLERANCE),
            accept: accept.unwrap_or(false),
            column: column.unwrap_or_else(|| super::fidelity::DEFAULT_COLUMN.to_owned()),
        });
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
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rows": [{"width_mm": 225.0, "aspect_ratio": 45.0, "rim_in": 17.0}]}))]
pub struct PredictIn {
    /// One object per row: column name to value (see the version's `signature.columns`).
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 100000)]
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
    /// `{"label": …, "probabilities": {label: p, …}}`; null for a row whose prediction is
    /// not a number (NaN).
    #[schema(value_type = Vec<serde_json::Value>)]
    pub predictions: Vec<Json>,
}

/// One member of a new ensemble: a model and a version, or an alias, and a weight.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    /// The member model.
    #[schema(pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    pub model: String,
    /// Its version; or give `alias`; neither means the default version (pinned now).
    #[schema(nullable = false, minimum = 1)]
    pub version: Option<i64>,
    /// An alias to resolve (pinned now).
    #[schema(nullable = false, pattern = r"^(?![0-9]+$)[a-z0-9][a-z0-9._-]{0,63}$")]
    pub alias: Option<String>,
    /// The weight, above 0 (default 1).
    #[schema(nullable = false, exclusive_minimum = 0, maximum = 1000000000)]
    pub weight: Option<f64>,
}

/// The most members an ensemble may have: each prediction runs every member.
pub const MAX_MEMBERS: usize = 16;

/// A new ensemble version (send as `application/json` to the versions endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "weighted_mean", "members": [
    {"model": "price-gb", "version": 3, "weight": 2.0}, {"model": "price-rf", "alias": "production", "weight": 1.0}]}))]
pub struct EnsembleIn {
    /// `mean` (default) or `weighted_mean`.
    #[schema(required = false)]
    pub method: super::interface::Combine,
    /// Two to 16 members with the same columns and task.
    #[schema(min_items = 2, max_items = 16)]
    pub members: Vec<MemberIn>,
    /// Free text, at most 2,000 characters.
    #[schema(required = false, max_length = 2000, pattern = r"^[^\u0000]*$")]
    pub description: String,
    /// An alias to point at the new version.
    #[schema(nullable = false, pattern = r"^(?![0-9]+$)[a-z0-9][a-z0-9._-]{0,63}$")]
    pub alias: Option<String>,
}

/// Parses an ensemble body, reporting every problem with its pointer.
pub fn parse_ensemble(body: &Json) -> Result<EnsembleIn, Vec<crate::kernel::error::FieldError>> {
    use crate::kernel::error::FieldError;
    use crate::kernel::extract::field_errors;
    use crate::kernel::validation::Cell;
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "expected a JSON object with \"members\"",
        )]);
    };
    let mut errors = Vec::new();
    let mut f = Fields::new(obj);
    let method = f
        .optional("method", |c| {
            crate::kernel::validation::one_of(
                c,
                &[
                    ("mean", super::interface::Combine::Mean),
                    ("weighted_mean", super::interface::Combine::WeightedMean),
                ],
            )
        })
        .unwrap_or(super::interface::Combine::Mean);
    let description = f
        .optional("description", |c| text_len(c, 0, 2000))
        .unwrap_or_default();
    let alias = f.optional("alias", |c| super::interface::parse_alias(c.text()?));
    let members_raw = f.required("members", |c| match c {
        Cell::Json(Json::Array(a)) if a.len() > MAX_MEMBERS => Err(format!(
            "an ensemble has at most {MAX_MEMBERS} members, got {}",
            a.len()
        )),
        Cell::Json(Json::Array(a)) if a.len() >= 2 => Ok(a.clone()),
        Cell::Json(Json::Array(_)) => Err("an ensemble needs at least two members".to_owned()),
        _ => Err("expected an array of members".to_owned()),
    });
    if let Err(e) = f.finish(()) {
        errors.extend(field_errors("", e));
    }
    let mut members = Vec::new();
    for (i, m) in members_raw.iter().enumerate() {
        let Some(mo) = m.as_object() else {
            errors.push(FieldError::new(
                format!("/members/{i}"),
                "expected an object with \"model\"",
            ));
            continue;
        };
        let mut mf = Fields::new(mo);
        let member = MemberIn {
            model: mf.required("model", |c| {
                super::interface::parse_name("model", c.text()?)
            }),
            version: mf.optional("version", |c| {
                crate::kernel::validation::int_in(c, 1, i64::MAX)
            }),
            alias: mf.optional("alias", |c| super::interface::parse_alias(c.text()?)),
            weight: mf.optional("weight", |c| {
                crate::kernel::validation::number_above(c, 0.0, 1e9)
            }),
        };
        if member.version.is_some() && member.alias.is_some() {
            mf.error("alias", "give a version or an alias, not both");
        }
        match mf.finish(member) {
            Ok(m) => members.push(m),
            Err(e) => errors.extend(field_errors(&format!("/members/{i}"), e)),
        }
    }
    if errors.is_empty() {
        Ok(EnsembleIn {
            method,
            members,
            description,
            alias,
        })
    } else {
        Err(errors)
    }
}
