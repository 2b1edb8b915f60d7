//! The fidelity check at deploy: the new version's predictions on a sample of rows
//! against the training library's own predictions on the same rows.
//!
//! A model exported to ONNX is not always the model that was trained: a graph that takes
//! float32 inputs rounds every number before the first step (a scaler's output moves, a
//! row near a tree's threshold takes the other branch), and a converter can drop a step.
//! The deploy may carry a sample — rows as the predict endpoint takes them and, per row,
//! what the library predicted — and the version is only stored when its predictions
//! agree to a relative tolerance (labels exactly, for classifiers), unless the caller
//! accepts the difference. The result is kept on the version either way.

use serde::Serialize;
use serde_json::{Value as Json, json};
use utoipa::ToSchema;

use std::sync::Arc;

use super::interface::{Signature, Task};
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::inference::Engine;
use crate::kernel::state::AppState;

/// The default relative tolerance.
pub const DEFAULT_TOLERANCE: f64 = 1e-6;

/// Differences below this in absolute value are equal whatever their relative size
/// (both sides are zero to the precision of a double).
const ABSOLUTE_FLOOR: f64 = 1e-12;

/// Rows listed in a report, largest difference first.
const MAX_LISTED: usize = 10;

/// The name of the CSV column with the expected predictions, unless the caller names
/// another.
pub const DEFAULT_COLUMN: &str = "expected";

/// What the deploy asks to check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    /// The sample, as sent: JSON `{"rows": [...], "expected": [...]}` or CSV with a
    /// column of expected predictions.
    pub sample: String,
    /// The relative tolerance.
    pub tolerance: f64,
    /// Whether to deploy even beyond the tolerance.
    pub accept: bool,
    /// The CSV column with the expected predictions.
    pub column: String,
}

/// A sample ready to run: the predict body and one expected value per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// `{"rows": [...]}`.
    pub body: Json,
    /// One per row: a number (regression) or a label.
    pub expected: Vec<Json>,
}

/// One row's disagreement.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Difference {
    /// Row number in the sample, from 0.
    pub row: usize,
    /// What the library predicted.
    #[schema(value_type = Object)]
    pub expected: Json,
    /// What the version predicts.
    #[schema(value_type = Object)]
    pub predicted: Json,
    /// `|predicted − expected|`, for numbers.
    pub abs_diff: Option<f64>,
    /// `|predicted − expected| / max(|predicted|, |expected|)`, for numbers.
    pub rel_diff: Option<f64>,
}

/// The outcome of a fidelity check.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Fidelity {
    /// Rows compared.
    pub rows: usize,
    /// The relative tolerance applied.
    pub tolerance: f64,
    /// Largest absolute difference between predicted and expected numbers.
    pub max_abs_diff: Option<f64>,
    /// Largest relative difference.
    pub max_rel_diff: Option<f64>,
    /// For classifiers: the share of rows whose label is the expected one.
    pub label_agreement: Option<f64>,
    /// Rows beyond the tolerance (or with another label).
    pub differing: usize,
    /// Whether every row agrees.
    pub passed: bool,
    /// Whether the version was deployed although it did not pass.
    pub accepted: bool,
    /// The rows that differ most (up to 10).
    pub worst: Vec<Difference>,
    /// Why they may differ, when the graph suggests a reason.
    pub note: Option<String>,
}

/// Reads a sample: JSON with `rows` and `expected`, or CSV whose header names the
/// signature's columns and `column` (the expected predictions). Errors name
/// `/check_sample` and the row.
pub fn parse_sample(text: &str, sig: &Signature, column: &str) -> Result<Sample, Vec<FieldError>> {
    let err = |m: String| vec![FieldError::new("/check_sample", m)];
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let v: Json =
            serde_json::from_str(text).map_err(|e| err(format!("is not valid JSON: {e}")))?;
        let (Some(rows), Some(expected)) = (
            v.get("rows").and_then(Json::as_array),
            v.get("expected").and_then(Json::as_array),
        ) else {
            return Err(err(
                "must be {\"rows\": [...], \"expected\": [...]} or CSV with an expected column"
                    .into(),
            ));
        };
        if rows.len() != expected.len() {
            return Err(err(format!(
                "has {} rows but {} expected values",
                rows.len(),
                expected.len()
            )));
        }
        return Ok(Sample {
            body: json!({ "rows": rows }),
            expected: expected.clone(),
        });
    }
    parse_csv(text, sig, column)
}

fn parse_csv(text: &str, sig: &Signature, column: &str) -> Result<Sample, Vec<FieldError>> {
    let err = |m: String| vec![FieldError::new("/check_sample", m)];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(format!("is not CSV: {e}")))?
        .clone();
    let Some(expected_at) = headers.iter().position(|h| h.trim() == column) else {
        return Err(err(format!(
            "has no column {column:?} with the expected predictions (columns: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    let mut rows = Vec::new();
    let mut expected = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("row {i}: {e}")))?;
        let mut row = serde_json::Map::new();
        for (j, cell) in record.iter().enumerate() {
            let name = headers.get(j).unwrap_or("").trim();
            if j == expected_at {
                expected.push(match cell.trim().parse::<f64>() {
                    Ok(x) if sig.task != Task::Classification => json!(x),
                    _ => json!(cell.trim()),
                });
                continue;
            }
            let Some(col) = sig.columns.iter().find(|c| c.name == name) else {
                continue; // a column the model does not read
            };
            let cell = cell.trim();
            let value = match col.dtype.as_str() {
                "string" => json!(cell),
                "bool" => match cell {
                    "true" | "1" => json!(true),
                    "false" | "0" => json!(false),
                    _ => {
                        errors.push(FieldError::new(
                            format!("/check_sample/{i}/{name}"),
                            format!("must be true or false, got {cell:?}"),
                        ));
                        Json::Null
                    }
                },
                _ if cell.is_empty() => Json::Null,
                _ => match cell.parse::<f64>() {
                    Ok(x) if x.is_finite() => json!(x),
                    _ => {
                        errors.push(FieldError::new(
                            format!("/check_sample/{i}/{name}"),
                            format!("must be a number, got {cell:?}"),
                        ));
                        Json::Null
                    }
                },
            };
            row.insert(name.to_owned(), value);
        }
        rows.push(Json::Object(row));
        if errors.len() > 20 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(err("has no rows".into()));
    }
    Ok(Sample {
        body: json!({ "rows": rows }),
        expected,
    })
}

/// Runs the fidelity check of a deploy: the compiled version on the sample's rows
/// against the expected predictions. A 422 naming `/check_sample` for a bad sample, or
/// when the predictions differ beyond the tolerance and the caller did not accept it.
pub async fn check(
    state: &AppState,
    model: &Arc<Engine>,
    sig: &Signature,
    spec: &CheckSpec,
) -> AppResult<Fidelity> {
    let sample = parse_sample(&spec.sample, sig, &spec.column).map_err(AppError::Validation)?;
    let rows = sample.body["rows"].as_array().map_or(0, Vec::len);
    if rows != sample.expected.len() {
        return Err(AppError::Validation(vec![FieldError::new(
            "/check_sample",
            format!(
                "has {rows} rows but {} expected values",
                sample.expected.len()
            ),
        )]));
    }
    let predicted =
        super::service::run_rows(state, model, sig, &sample.body, "/check_sample").await?;
    let graph_inputs: Vec<(String, String)> = model
        .inputs()
        .iter()
        .map(|i| (i.name.clone(), super::interface::type_name(&i.ty)))
        .collect();
    let mut report = compare(
        &predicted,
        &sample.expected,
        sig,
        spec.tolerance,
        &graph_inputs,
    );
    if !report.passed {
        if !spec.accept {
            return Err(AppError::Validation(vec![FieldError::new(
                "/check_sample",
                report.refusal(),
            )]));
        }
        report.accepted = true;
    }
    Ok(report)
}

/// The number a prediction or expected value stands for, if any.
fn number(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether two labels are the same (`1`, `1.0` and `"1"` alike).
fn same_label(a: &Json, b: &Json) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b || a.as_str().zip(b.as_str()).is_some_and(|(x, y)| x == y),
    }
}

/// `|x − y| / max(|x|, |y|)`, 0 when the difference is below [`ABSOLUTE_FLOOR`].
fn rel_diff(x: f64, y: f64) -> f64 {
    let abs = (x - y).abs();
    let scale = x.abs().max(y.abs());
    if abs <= ABSOLUTE_FLOOR || scale == 0.0 {
        0.0
    } else {
        abs / scale
    }
}

/// Compares `predicted` (as the predict endpoint answers) with `expected`, row by row.
/// `inputs` are the graph's inputs as `name: type` for the note.
pub fn compare(
    predicted: &[Json],
    expected: &[Json],
    sig: &Signature,
    tolerance: f64,
    inputs: &[(String, String)],
) -> Fidelity {
    let classifier = sig.task == Task::Classification;
    let mut diffs: Vec<(f64, Difference)> = Vec::new();
    let (mut max_abs, mut max_rel): (Option<f64>, Option<f64>) = (None, None);
    let mut agree = 0usize;
    for (row, (p, e)) in predicted.iter().zip(expected).enumerate() {
        let label = p.get("label").unwrap_or(p);
        if classifier {
            if same_label(label, e) {
                agree += 1;
            } else {
                diffs.push((
                    f64::INFINITY,
                    Difference {
                        row,
                        expected: e.clone(),
                        predicted: label.clone(),
                        abs_diff: None,
                        rel_diff: None,
                    },
                ));
            }
            continue;
        }
        // Several targets: the row's largest difference, element by element.
        let pair = match (p.as_array(), e.as_array()) {
            (Some(ps), Some(es)) if ps.len() == es.len() && !ps.is_empty() => ps
                .iter()
                .zip(es)
                .map(|(a, b)| number(a).zip(number(b)))
                .collect::<Option<Vec<_>>>()
                .and_then(|pairs| {
                    pairs
                        .into_iter()
                        .max_by(|a, b| rel_diff(a.0, a.1).total_cmp(&rel_diff(b.0, b.1)))
                }),
            _ => number(p).zip(number(e)),
        };
        let Some((x, y)) = pair else {
            diffs.push((
                f64::INFINITY,
                Difference {
                    row,
                    expected: e.clone(),
                    predicted: p.clone(),
                    abs_diff: None,
                    rel_diff: None,
                },
            ));
            continue;
        };
        let abs = (x - y).abs();
        let rel = rel_diff(x, y);
        max_abs = Some(max_abs.map_or(abs, |m: f64| m.max(abs)));
        max_rel = Some(max_rel.map_or(rel, |m: f64| m.max(rel)));
        if rel > tolerance || abs.is_nan() {
            diffs.push((
                rel,
                Difference {
                    row,
                    expected: e.clone(),
                    predicted: p.clone(),
                    abs_diff: Some(abs),
                    rel_diff: Some(rel),
                },
            ));
        }
    }
    let differing = diffs.len();
    diffs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let float_inputs: Vec<String> = inputs
        .iter()
        .filter(|(_, t)| t == "tensor(float)")
        .map(|(n, t)| format!("{n}: {t}"))
        .collect();
    let note = (differing > 0 && !float_inputs.is_empty()).then(|| {
        format!(
            "the graph takes float32 inputs ({}): numbers are rounded to float32 before its first step, so scalers move and rows near a tree's threshold can take the other branch; export with float64 inputs (skl2onnx DoubleTensorType)",
            float_inputs.join(", ")
        )
    });
    Fidelity {
        rows: predicted.len().min(expected.len()),
        tolerance,
        max_abs_diff: max_abs,
        max_rel_diff: max_rel,
        label_agreement: classifier.then(|| agree as f64 / expected.len().max(1) as f64),
        differing,
        passed: differing == 0,
        accepted: false,
        worst: diffs.into_iter().take(MAX_LISTED).map(|(_, d)| d).collect(),
        note,
    }
}

impl Fidelity {
    /// The 422's message: how many rows differ, the worst ones, and why.
    pub fn refusal(&self) -> String {
        let rows: Vec<String> = self
            .worst
            .iter()
            .map(|d| match d.rel_diff {
                Some(r) => format!(
                    "row {} (expected {}, predicted {}, relative difference {r:.2e})",
                    d.row, d.expected, d.predicted
                ),
                None => format!(
                    "row {} (expected {}, predicted {})",
                    d.row, d.expected, d.predicted
                ),
            })
            .collect();
        let mut message = format!(
            "the version's predictions differ from the expected ones on {} of {} rows (tolerance {:e} relative{}): {}",
            self.differing,
            self.rows,
            self.tolerance,
            self.label_agreement
                .map(|a| format!("; labels agree on {:.2} %", 100.0 * a))
                .unwrap_or_default(),
            rows.join("; ")
        );
        if self.differing > self.worst.len() {
            message.push_str(&format!("; and {} more", self.differing - self.worst.len()));
        }
        if let Some(note) = &self.note {
            message.push_str(&format!(". Why: {note}"));
        }
        message.push_str(". Deploy anyway with accept_fidelity=true.");
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::model::interface::Column;

    fn sig(task: Task) -> Signature {
        Signature {
            columns: vec![
                Column {
                    name: "x".into(),
                    dtype: "double".into(),
                    nullable: true,
                    input: "X".into(),
                    index: 0,
                },
                Column {
                    name: "brand".into(),
                    dtype: "string".into(),
                    nullable: false,
                    input: "brand".into(),
                    index: 0,
                },
            ],
            outputs: Vec::new(),
            task,
            class_labels: None,
        }
    }

    #[test]
    fn numbers_agree_within_the_relative_tolerance() {
        let s = sig(Task::Regression);
        let expected = [json!(100.0), json!(0.0), json!(-50.0)];
        let ok = compare(
            &[json!(100.00000001), json!(1e-13), json!(-50.0)],
            &expected,
            &s,
            1e-6,
            &[],
        );
        assert!(ok.passed && ok.differing == 0, "{ok:?}");
        assert_eq!(ok.max_rel_diff.map(|r| r < 1e-9), Some(true));
        let inputs = [("X".to_owned(), "tensor(float)".to_owned())];
        let bad = compare(
            &[json!(100.1), json!(0.0), json!(-40.0)],
            &expected,
            &s,
            1e-6,
            &inputs,
        );
        assert!(!bad.passed);
        assert_eq!(bad.differing, 2);
        assert_eq!(bad.worst[0].row, 2, "largest first: {bad:?}");
        assert!((bad.worst[0].rel_diff.unwrap() - 0.2).abs() < 1e-12);
        let message = bad.refusal();
        assert!(
            message.contains("on 2 of 3 rows") && message.contains("row 2"),
            "{message}"
        );
        assert!(
            message.contains("X: tensor(float)") && message.contains("DoubleTensorType"),
            "{message}"
        );
        assert!(message.contains("accept_fidelity=true"));
    }

    #[test]
    fn several_targets_compare_element_by_element() {
        let s = sig(Task::Regression);
        let f = compare(
            &[json!([1.0, 2.0]), json!([3.0, 4.0])],
            &[json!([1.0, 2.0]), json!([3.0, 4.4])],
            &s,
            1e-6,
            &[],
        );
        assert_eq!(f.differing, 1);
        assert_eq!(f.worst[0].row, 1);
        assert!((f.worst[0].rel_diff.unwrap() - 0.4 / 4.4).abs() < 1e-12);
        let f = compare(&[json!([1.0, 2.0])], &[json!([1.0])], &s, 1e-6, &[]);
        assert_eq!(f.differing, 1, "a different number of targets differs");
    }

    #[test]
    fn labels_must_be_equal() {
        let s = sig(Task::Classification);
        let predicted = [
            json!({"label": 1, "probabilities": {}}),
            json!({"label": "b"}),
        ];
        let f = compare(&predicted, &[json!("1"), json!("a")], &s, 1e-6, &[]);
        assert_eq!(f.label_agreement, Some(0.5));
        assert_eq!(f.differing, 1);
        assert_eq!(f.worst[0].predicted, json!("b"));
        assert!(f.note.is_none(), "no float inputs, no guess");
    }

    #[test]
    fn samples_come_as_json_or_csv_and_bad_cells_are_named() {
        let s = sig(Task::Regression);
        let j = parse_sample(r#"{"rows": [{"x": 1}], "expected": [2.5]}"#, &s, "expected").unwrap();
        assert_eq!(j.expected, vec![json!(2.5)]);
        assert!(parse_sample(r#"{"rows": [{"x": 1}], "expected": []}"#, &s, "expected").is_err());
        let c = parse_sample(
            "x,brand,other,expected\n1.5,Kumho,zz,10\n,Nexen,,11.25\n",
            &s,
            "expected",
        )
        .unwrap();
        assert_eq!(c.body["rows"][0], json!({"x": 1.5, "brand": "Kumho"}));
        assert_eq!(c.body["rows"][1]["x"], Json::Null);
        assert_eq!(c.expected, vec![json!(10.0), json!(11.25)]);
        let e = parse_sample("x,brand,expected\nabc,K,1\n", &s, "expected").unwrap_err();
        assert_eq!(e[0].path, "/check_sample/0/x");
        let e = parse_sample("x,brand\n1,K\n", &s, "expected").unwrap_err();
        assert!(e[0].message.contains("no column \"expected\""), "{e:?}");
        let e = parse_sample("x,expected\n", &s, "expected").unwrap_err();
        assert!(e[0].message.contains("no rows"));
    }
}
