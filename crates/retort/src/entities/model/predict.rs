//! The row-oriented predict API: JSON rows become the graph's input tensors (every bad
//! cell reported at once), and the graph's outputs become one prediction per row.

use std::collections::HashMap;

use retort_onnx::{Data, Keys, Tensor, Value};
use serde_json::{Map, Value as Json};

use super::interface::{Signature, Task};
use crate::kernel::columns::ColumnRef;
use crate::kernel::config::Limits;
use crate::kernel::error::{AppError, FieldError};
use crate::kernel::validation::pointer_segment;

/// At most this many cell errors are listed.
const MAX_ERRORS: usize = 200;

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

enum Buffer {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Str(Vec<String>),
    Bool(Vec<bool>),
}

/// The most JSON values a predict body may hold: every cell, one object per row, and a
/// little for the envelope.
pub fn max_json_values(limits: &Limits) -> usize {
    limits
        .max_tensor_elements
        .saturating_add(limits.max_rows)
        .saturating_add(1024)
}

/// Checks a predict body's size against the limits before anything is sized from it:
/// rows (`--max-rows`) and rows × columns (`--max-tensor-elements`); its row count.
pub fn check_size(body: &Json, sig: &Signature, limits: &Limits) -> Result<usize, AppError> {
    let rows = body
        .get("rows")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    if rows > limits.max_rows {
        return Err(AppError::TooLarge(format!(
            "/rows has {rows} rows; at most {} are taken per request (--max-rows)",
            limits.max_rows
        )));
    }
    let elements = rows.saturating_mul(sig.columns.len().max(1));
    if elements > limits.max_tensor_elements {
        return Err(AppError::TooLarge(format!(
            "{rows} rows of {} columns are {elements} values; at most {} are taken per request (--max-tensor-elements)",
            sig.columns.len(),
            limits.max_tensor_elements
        )));
    }
    Ok(rows)
}

/// Turns `{"rows": [{column: value, …}, …]}` into one tensor per graph input, in graph
/// input order; or every problem, each with a pointer like `/rows/3/width_mm`.
pub fn rows_to_inputs(
    body: &Json,
    sig: &Signature,
    input_names: &[String],
) -> Result<Vec<Value>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            format!("expected a JSON object with \"rows\", got {}", kind(body)),
        )]);
    };
    for key in obj.keys().filter(|k| *k != "rows") {
        errors.push(FieldError::new(
            format!("/{}", pointer_segment(key)),
            "is not a known field (send {\"rows\": [...]})",
        ));
    }
    let rows = match obj.get("rows") {
        Some(Json::Array(rows)) if rows.is_empty() => {
            errors.push(FieldError::new("/rows", "must contain at least one row"));
            return Err(errors);
        }
        Some(Json::Array(rows)) => rows,
        Some(other) => {
            errors.push(FieldError::new(
                "/rows",
                format!("expected an array of row objects, got {}", kind(other)),
            ));
            return Err(errors);
        }
        None => {
            errors.push(FieldError::new("/rows", "is required"));
            return Err(errors);
        }
    };

    // One buffer per graph input, rows × width.
    let widths: HashMap<&str, usize> = input_names
        .iter()
        .map(|n| {
            (
                n.as_str(),
                sig.columns.iter().filter(|c| &c.input == n).count(),
            )
        })
        .collect();
    let mut buffers = new_buffers(sig, input_names, rows.len(), |n| widths[n]);

    let known: std::collections::HashSet<&str> =
        sig.columns.iter().map(|c| c.name.as_str()).collect();
    for (r, row) in rows.iter().enumerate() {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let Some(row) = row.as_object() else {
            errors.push(FieldError::new(
                format!("/rows/{r}"),
                format!("expected an object of column values, got {}", kind(row)),
            ));
            continue;
        };
        read_row(r, row, sig, &widths, &mut buffers, &mut errors);
        for key in row.keys().filter(|k| !known.contains(k.as_str())) {
            errors.push(FieldError::new(
                format!("/rows/{r}/{}", pointer_segment(key)),
                "is not a column of this model",
            ));
        }
    }
    if !errors.is_empty() {
        errors.truncate(MAX_ERRORS);
        return Err(errors);
    }
    Ok(into_tensors(buffers, input_names, rows.len(), |n| {
        widths[n]
    }))
}

/// One zeroed buffer per graph input, `rows` × its width, of the input's element type.
fn new_buffers<'a>(
    sig: &Signature,
    input_names: &'a [String],
    rows: usize,
    width: impl Fn(&str) -> usize,
) -> HashMap<&'a str, Buffer> {
    input_names
        .iter()
        .map(|n| {
            let dtype = sig
                .columns
                .iter()
                .find(|c| &c.input == n)
                .map_or("float", |c| c.dtype.as_str());
            let len = rows * width(n);
            let buf = match dtype {
                "double" => Buffer::F64(vec![0.0; len]),
                "int64" | "int32" => Buffer::I64(vec![0; len]),
                "string" => Buffer::Str(vec![String::new(); len]),
                "bool" => Buffer::Bool(vec![false; len]),
                _ => Buffer::F32(vec![0.0; len]),
            };
            (n.as_str(), buf)
        })
        .collect()
}

/// The filled buffers as tensors `[rows, width]`, in graph input order.
fn into_tensors(
    mut buffers: HashMap<&str, Buffer>,
    input_names: &[String],
    rows: usize,
    width: impl Fn(&str) -> usize,
) -> Vec<Value> {
    input_names
        .iter()
        .map(|n| {
            let data = match buffers.remove(n.as_str()) {
                Some(Buffer::F32(v)) => Data::F32(v),
                Some(Buffer::F64(v)) => Data::F64(v),
                Some(Buffer::I64(v)) => Data::I64(v),
                Some(Buffer::Str(v)) => Data::Str(v),
                Some(Buffer::Bool(v)) => Data::Bool(v),
                None => Data::F32(Vec::new()),
            };
            Value::Tensor(Tensor {
                shape: vec![rows, width(n)],
                data,
            })
        })
        .collect()
}

fn read_row(
    r: usize,
    row: &Map<String, Json>,
    sig: &Signature,
    widths: &HashMap<&str, usize>,
    buffers: &mut HashMap<&str, Buffer>,
    errors: &mut Vec<FieldError>,
) {
    for col in &sig.columns {
        let path = || format!("/rows/{r}/{}", pointer_segment(&col.name));
        let Some(buffer) = buffers.get_mut(col.input.as_str()) else {
            continue;
        };
        let at = r * widths[col.input.as_str()] + col.index;
        let Some(v) = row.get(&col.name) else {
            errors.push(FieldError::new(
                path(),
                format!("is required ({})", col.dtype),
            ));
            continue;
        };
        let problem = match (buffer, v) {
            (Buffer::F32(b), Json::Null) if col.nullable => {
                b[at] = f32::NAN;
                None
            }
            (Buffer::F64(b), Json::Null) if col.nullable => {
                b[at] = f64::NAN;
                None
            }
            (Buffer::F32(b), Json::Number(n)) => n
                .as_f64()
                .map(|f| b[at] = f as f32)
                .map_or(Some("expected a number"), |()| None),
            (Buffer::F64(b), Json::Number(n)) => n
                .as_f64()
                .map(|f| b[at] = f)
                .map_or(Some("expected a number"), |()| None),
            (Buffer::I64(b), Json::Number(n)) => match n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            {
                Some(i) => {
                    b[at] = i;
                    None
                }
                None => Some("expected a whole number"),
            },
            (Buffer::Str(b), Json::String(s)) => {
                b[at] = s.clone();
                None
            }
            (Buffer::Bool(b), Json::Bool(x)) => {
                b[at] = *x;
                None
            }
            (_, Json::Null) => Some("may not be null"),
            _ => Some("has the wrong type"),
        };
        if let Some(p) = problem {
            errors.push(FieldError::new(
                path(),
                format!("{p}: expected {}, got {}", col.dtype, kind(v)),
            ));
        }
    }
}

fn number(v: f32) -> Json {
    serde_json::Number::from_f64(f64::from(v)).map_or(Json::Null, Json::Number)
}

fn cell(data: &Data, i: usize) -> Json {
    match data {
        Data::F32(v) => number(v[i]),
        Data::F64(v) => serde_json::Number::from_f64(v[i]).map_or(Json::Null, Json::Number),
        Data::I64(v) => Json::from(v[i]),
        Data::Str(v) => Json::from(v[i].as_str()),
        Data::Bool(v) => Json::from(v[i]),
    }
}

/// Turns the graph outputs into one prediction per row: a number (or a list, for several
/// targets) for regressors; `{label, probabilities}` for classifiers; otherwise an object
/// of every output by name.
pub fn predictions(
    outputs: &[Value],
    sig: &Signature,
    output_names: &[String],
    rows: usize,
) -> Vec<Json> {
    let labels: Vec<String> = match &sig.class_labels {
        Some(l) => l
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect(),
        None => Vec::new(),
    };
    (0..rows)
        .map(|r| match (sig.task, outputs) {
            (Task::Regression, [Value::Tensor(t), ..]) => {
                let width = t.data.len() / rows.max(1);
                if width == 1 {
                    cell(&t.data, r)
                } else {
                    Json::Array((0..width).map(|c| cell(&t.data, r * width + c)).collect())
                }
            }
            (Task::Classification, [Value::Tensor(label), probs, ..]) => {
                let probabilities = match probs {
                    Value::MapSeq { keys, values } => {
                        let n = keys.len();
                        let names: Vec<String> = match keys {
                            Keys::I64(k) => k.iter().map(i64::to_string).collect(),
                            Keys::Str(k) => k.clone(),
                        };
                        names
                            .into_iter()
                            .enumerate()
                            .map(|(c, k)| (k, number(values[r * n + c])))
                            .collect::<Map<_, _>>()
                    }
                    Value::Tensor(t) => {
                        let n = t.data.len() / rows.max(1);
                        (0..n)
                            .map(|c| {
                                (
                                    labels.get(c).cloned().unwrap_or_else(|| c.to_string()),
                                    cell(&t.data, r * n + c),
                                )
                            })
                            .collect::<Map<_, _>>()
                    }
                };
                serde_json::json!({ "label": cell(&label.data, r), "probabilities": probabilities })
            }
            _ => {
                let mut all = Map::new();
                for (name, out) in output_names.iter().zip(outputs) {
                    let v = match out {
                        Value::Tensor(t) => {
                            let n = t.data.len() / rows.max(1);
                            if n == 1 {
                                cell(&t.data, r)
                            } else {
                                Json::Array((0..n).map(|c| cell(&t.data, r * n + c)).collect())
                            }
                        }
                        Value::MapSeq { keys, values } => {
                            let n = keys.len();
                            Json::Array((0..n).map(|c| number(values[r * n + c])).collect())
                        }
                    };
                    all.insert(name.clone(), v);
                }
                Json::Object(all)
            }
        })
        .collect()
}

/// Turns typed columns into one tensor per graph input, in graph input order, with the
/// row API's rules (a missing number is NaN where the column is nullable; whole numbers
/// feed integer inputs, any number a float input; text feeds text, flags feed flags);
/// `column(name)` gives each signature column. Every problem is named, by column.
pub fn columns_to_inputs<'a>(
    sig: &Signature,
    input_names: &[String],
    rows: usize,
    column: impl Fn(&str) -> Option<ColumnRef<'a>>,
) -> Result<Vec<Value>, Vec<String>> {
    let mut errors = Vec::new();
    let width = |n: &str| sig.columns.iter().filter(|c| c.input == n).count();
    let mut buffers = new_buffers(sig, input_names, rows, width);
    for col in &sig.columns {
        let Some(values) = column(&col.name) else {
            errors.push(format!("{}: no such column", col.name));
            continue;
        };
        if values.len() != rows {
            errors.push(format!(
                "{}: {} values for {rows} rows",
                col.name,
                values.len()
            ));
            continue;
        }
        let w = width(&col.input);
        let Some(buffer) = buffers.get_mut(col.input.as_str()) else {
            continue;
        };
        let at = |r: usize| r * w + col.index;
        let problem = match (buffer, values) {
            (Buffer::F32(b), ColumnRef::Int(_) | ColumnRef::Float(_) | ColumnRef::OptInt(_)) => {
                let mut missing = false;
                for r in 0..rows {
                    match values.number(r) {
                        Some(x) => b[at(r)] = x as f32,
                        None => {
                            missing = true;
                            b[at(r)] = f32::NAN;
                        }
                    }
                }
                (missing && !col.nullable).then_some("may not be null")
            }
            (Buffer::F64(b), ColumnRef::Int(_) | ColumnRef::Float(_) | ColumnRef::OptInt(_)) => {
                let mut missing = false;
                for r in 0..rows {
                    match values.number(r) {
                        Some(x) => b[at(r)] = x,
                        None => {
                            missing = true;
                            b[at(r)] = f64::NAN;
                        }
                    }
                }
                (missing && !col.nullable).then_some("may not be null")
            }
            (Buffer::I64(b), ColumnRef::Int(v)) => {
                for (r, x) in v.iter().enumerate() {
                    b[at(r)] = *x;
                }
                None
            }
            (Buffer::I64(b), ColumnRef::OptInt(v)) => {
                let mut missing = false;
                for (r, x) in v.iter().enumerate() {
                    match x {
                        Some(x) => b[at(r)] = *x,
                        None => missing = true,
                    }
                }
                missing.then_some("may not be null")
            }
            (Buffer::I64(b), ColumnRef::Float(v)) => {
                let mut fraction = false;
                for (r, x) in v.iter().enumerate() {
                    if x.fract() == 0.0 && x.is_finite() {
                        b[at(r)] = *x as i64;
                    } else {
                        fraction = true;
                    }
                }
                fraction.then_some("expected a whole number")
            }
            (Buffer::Str(b), ColumnRef::Text(v)) => {
                for (r, x) in v.iter().enumerate() {
                    b[at(r)].clone_from(x);
                }
                None
            }
            (Buffer::Bool(b), ColumnRef::Bool(v)) => {
                for (r, x) in v.iter().enumerate() {
                    b[at(r)] = *x;
                }
                None
            }
            _ => Some("has the wrong type"),
        };
        if let Some(p) = problem {
            errors.push(format!(
                "{}: {p} (the model expects {})",
                col.name, col.dtype
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(into_tensors(buffers, input_names, rows, width))
}

/// A regressor's first output as one number per row (NaN where it is not a number).
pub fn regression_values(outputs: &[Value], rows: usize) -> Vec<f64> {
    match outputs.first() {
        Some(Value::Tensor(t)) if t.data.len() == rows => match &t.data {
            Data::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Data::F64(v) => v.clone(),
            Data::I64(v) => v.iter().map(|&x| x as f64).collect(),
            _ => vec![f64::NAN; rows],
        },
        _ => vec![f64::NAN; rows],
    }
}
