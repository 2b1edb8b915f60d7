//! Domain types of the model registry: names, aliases, and a model's row signature as
//! read from its ONNX graph.

use retort_onnx::{ElemType, Keys, ValueType};

use crate::kernel::inference::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Checks a model or alias name: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn parse_name(kind: &str, raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{kind} names are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit; got {raw:?}"
        ))
    }
}

/// Checks an alias: a name that is not a number (numbers are versions).
pub fn parse_alias(raw: &str) -> Result<String, String> {
    let name = parse_name("alias", raw)?;
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "an alias may not be a number (numbers are versions); got {raw:?}"
        ));
    }
    Ok(name)
}

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// One or more numbers per row.
    Regression,
    /// A label and class probabilities per row.
    Classification,
    /// Anything else: outputs are returned by name.
    Other,
}

/// One column of a predict row: which graph input it feeds, at which position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Column {
    /// The column name in request rows.
    pub name: String,
    /// Element type: `float`, `double`, `int64`, `int32`, `string` or `bool`.
    pub dtype: String,
    /// Whether null is accepted (as a missing value, NaN) — numbers only.
    pub nullable: bool,
    /// The ONNX graph input it feeds.
    pub input: String,
    /// Its position within that input's row.
    pub index: usize,
}

/// One graph output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Output {
    /// The ONNX output name.
    pub name: String,
    /// `tensor(<dtype>)` or `seq(map(<key>,<value>))`.
    pub r#type: String,
}

/// How rows map to the graph, and what comes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Signature {
    /// The columns of a request row, in order.
    pub columns: Vec<Column>,
    /// The graph outputs.
    pub outputs: Vec<Output>,
    /// What the model predicts.
    pub task: Task,
    /// Class labels in probability order, for classifiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_labels: Option<Vec<serde_json::Value>>,
}

/// An ONNX value type as clients see it, e.g. `tensor(float)`.
pub fn type_name(t: &ValueType) -> String {
    match t {
        ValueType::Tensor { elem, .. } => format!("tensor({})", elem.name()),
        ValueType::MapSeq { key, value } => format!("seq(map({},{}))", key.name(), value.name()),
        ValueType::Other => "other".into(),
    }
}

/// The most columns a model's rows may have (every input's width together): a model
/// declaring more is refused at deploy, before anything is sized from the declaration.
pub const MAX_COLUMNS: usize = 10_000;

/// Reads the row signature of a compiled model. `feature_names`, when given, name the
/// columns in graph order (needed for inputs wider than one column to get real names).
pub fn signature(model: &Engine, feature_names: Option<&[String]>) -> Result<Signature, String> {
    let mut columns = Vec::new();
    for input in model.inputs() {
        let ValueType::Tensor { elem, shape } = &input.ty else {
            return Err(format!(
                "input {:?} is not a tensor; the row API needs tensor inputs",
                input.name
            ));
        };
        let width = match shape.as_deref() {
            Some([_]) => 1,
            Some([_, Some(w)]) => *w,
            Some([_, None]) | None => 1,
            Some(other) => {
                return Err(format!(
                    "input {:?} has {} dimensions; the row API takes [rows, columns] inputs",
                    input.name,
                    other.len()
                ));
            }
        };
        if width > MAX_COLUMNS.saturating_sub(columns.len()) {
            return Err(format!(
                "input {:?} declares {width} columns; the row API takes at most {MAX_COLUMNS} columns in all",
                input.name
            ));
        }
        for index in 0..width {
            let name = if width == 1 {
                input.name.clone()
            } else {
                format!("{}_{index}", input.name)
            };
            let numeric = matches!(elem, ElemType::Float | ElemType::Double);
            columns.push(Column {
                name,
                dtype: elem.name().to_owned(),
                nullable: numeric,
                input: input.name.clone(),
                index,
            });
        }
    }
    if let Some(names) = feature_names {
        if names.len() != columns.len() {
            return Err(format!(
                "{} feature names given for {} columns ({})",
                names.len(),
                columns.len(),
                columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (c, n) in columns.iter_mut().zip(names) {
            c.name = n.clone();
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = columns.iter().find(|c| !seen.insert(c.name.as_str())) {
        return Err(format!("column {:?} appears twice", dup.name));
    }
    let outputs: Vec<Output> = model
        .outputs()
        .iter()
        .map(|o| Output {
            name: o.name.clone(),
            r#type: type_name(&o.ty),
        })
        .collect();
    let label_like = |t: &ValueType| {
        matches!(
            t,
            ValueType::Tensor {
                elem: ElemType::Int64 | ElemType::String | ElemType::Int32,
                ..
            }
        )
    };
    let prob_like = |t: &ValueType| {
        matches!(
            t,
            ValueType::MapSeq { .. }
                | ValueType::Tensor {
                    elem: ElemType::Float | ElemType::Double,
                    ..
                }
        )
    };
    let task = match model.outputs() {
        [a, b, ..] if label_like(&a.ty) && prob_like(&b.ty) => Task::Classification,
        [a, ..]
            if matches!(
                a.ty,
                ValueType::Tensor {
                    elem: ElemType::Float | ElemType::Double,
                    ..
                }
            ) =>
        {
            Task::Regression
        }
        _ => Task::Other,
    };
    let class_labels = match (&task, model.class_labels()) {
        (Task::Classification, Some(Keys::I64(v))) => {
            Some(v.iter().map(|&x| serde_json::Value::from(x)).collect())
        }
        (Task::Classification, Some(Keys::Str(v))) => Some(
            v.iter()
                .map(|x| serde_json::Value::from(x.as_str()))
                .collect(),
        ),
        _ => None,
    };
    Ok(Signature {
        columns,
        outputs,
        task,
        class_labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_slugs_and_aliases_are_not_numbers() {
        assert!(parse_name("model", "price-v2.1_x").is_ok());
        assert!(parse_name("model", "Price").is_err());
        assert!(parse_name("model", "-x").is_err());
        assert!(parse_name("model", "").is_err());
        assert!(parse_alias("production").is_ok());
        assert!(parse_alias("12").is_err());
    }
}

/// How an ensemble combines its members' outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The plain mean.
    Mean,
    /// The mean weighted by each member's `weight`.
    WeightedMean,
}

/// One member of an ensemble: a pinned version and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    /// The member model.
    pub model: String,
    /// The member's version, pinned when the ensemble was made.
    pub version: i64,
    /// Its weight (1 for a plain mean).
    pub weight: f64,
}

/// An ensemble version: members and how their outputs combine (regressors: the
/// predictions; classifiers: the class probabilities, the label being the most likely).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ensemble {
    /// How outputs combine.
    pub method: Combine,
    /// The members.
    pub members: Vec<Member>,
}

/// Combines members' predictions (each a list, one per row) by weighted mean.
pub fn combine(
    ensemble: &Ensemble,
    per_member: &[Vec<serde_json::Value>],
    sig: &Signature,
) -> Vec<serde_json::Value> {
    use serde_json::Value as J;
    let weights: Vec<f64> = ensemble
        .members
        .iter()
        .map(|m| {
            if ensemble.method == Combine::Mean {
                1.0
            } else {
                m.weight
            }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let rows = per_member.first().map_or(0, Vec::len);
    let mean = |values: &[(f64, f64)]| values.iter().map(|(v, w)| v * w).sum::<f64>() / total;
    (0..rows)
        .map(|r| {
            let items: Vec<&J> = per_member.iter().map(|p| &p[r]).collect();
            match items.first() {
                Some(J::Number(_)) => {
                    let vals: Vec<(f64, f64)> = items
                        .iter()
                        .zip(&weights)
                        .map(|(v, &w)| (v.as_f64().unwrap_or(f64::NAN), w))
                        .collect();
                    serde_json::Number::from_f64(mean(&vals)).map_or(J::Null, J::Number)
                }
                Some(J::Array(first)) => J::Array(
                    (0..first.len())
                        .map(|k| {
                            let vals: Vec<(f64, f64)> = items
                                .iter()
                                .zip(&weights)
                                .map(|(v, &w)| (v[k].as_f64().unwrap_or(f64::NAN), w))
                                .collect();
                            serde_json::Number::from_f64(mean(&vals)).map_or(J::Null, J::Number)
                        })
                        .collect(),
                ),
                Some(J::Object(first)) if first.contains_key("probabilities") => {
                    let keys: Vec<String> = first["probabilities"]
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    let mut probs = serde_json::Map::new();
                    let mut best: Option<(String, f64)> = None;
                    for k in keys {
                        let vals: Vec<(f64, f64)> = items
                            .iter()
                            .zip(&weights)
                            .map(|(v, &w)| (v["probabilities"][&k].as_f64().unwrap_or(0.0), w))
                            .collect();
                        let p = mean(&vals);
                        if best.as_ref().is_none_or(|(_, b)| p > *b) {
                            best = Some((k.clone(), p));
                        }
                        probs.insert(
                            k,
                            serde_json::Number::from_f64(p).map_or(J::Null, J::Number),
                        );
                    }
                    let label_key = best.map(|(k, _)| k).unwrap_or_default();
                    let label = sig
                        .class_labels
                        .as_ref()
                        .and_then(|ls| {
                            ls.iter()
                                .find(|l| {
                                    l.as_str().map_or_else(|| l.to_string(), str::to_owned)
                                        == label_key
                                })
                                .cloned()
                        })
                        .unwrap_or(J::String(label_key));
                    serde_json::json!({ "label": label, "probabilities": probs })
                }
                _ => items.first().map_or(J::Null, |v| (*v).clone()),
            }
        })
        .collect()
}
