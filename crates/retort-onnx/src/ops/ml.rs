//! The `ai.onnx.ml` transformers: Scaler, Imputer, Normalizer, Binarizer,
//! ArrayFeatureExtractor, ZipMap and FeatureVectorizer (the encoders are in `encoders.rs`).

use super::{Kernel, input, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::tensor::{Data, Keys, Value};

/// Per-column value `v` for column `c` of a row: one value broadcasts to all columns.
fn per_column(v: &[f32], c: usize) -> f32 {
    match v.len() {
        0 => 0.0,
        1 => v[0],
        _ => v.get(c).copied().unwrap_or(0.0),
    }
}

/// Scaler: `(x - offset) * scale`, per column.
pub struct Scaler {
    offset: Vec<f32>,
    scale: Vec<f32>,
}

impl Scaler {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Self {
        Self {
            offset: attrs.floats("offset"),
            scale: attrs.floats("scale"),
        }
    }
}

impl Kernel for Scaler {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (_, cols) = x.as_matrix();
        let scale_default = if self.scale.is_empty() {
            vec![1.0]
        } else {
            self.scale.clone()
        };
        let out: Vec<f32> = x
            .data
            .to_f32()?
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = i % cols.max(1);
                (v - per_column(&self.offset, c)) * per_column(&scale_default, c)
            })
            .collect();
        Ok(vec![tensor(x.shape.clone(), Data::F32(out))?])
    }
}

/// Imputer: replaces a marker value (NaN by default) by a per-column value.
pub struct Imputer {
    floats: Vec<f32>,
    ints: Vec<i64>,
    replaced_float: f32,
    replaced_int: i64,
}

impl Imputer {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let floats = attrs.floats("imputed_value_floats");
        let ints = attrs.ints("imputed_value_int64s");
        if floats.is_empty() && ints.is_empty() {
            return Err("an Imputer needs imputed_value_floats or imputed_value_int64s".into());
        }
        Ok(Self {
            floats,
            ints,
            replaced_float: attrs.float("replaced_value_float").unwrap_or(0.0),
            replaced_int: attrs.int("replaced_value_int64").unwrap_or(0),
        })
    }
}

impl Kernel for Imputer {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (_, cols) = x.as_matrix();
        let cols = cols.max(1);
        let data = match &x.data {
            Data::I64(v) if !self.ints.is_empty() => Data::I64(
                v.iter()
                    .enumerate()
                    .map(|(i, &x)| {
                        if x == self.replaced_int {
                            let c = i % cols;
                            if self.ints.len() == 1 {
                                self.ints[0]
                            } else {
                                self.ints.get(c).copied().unwrap_or(x)
                            }
                        } else {
                            x
                        }
                    })
                    .collect(),
            ),
            other => {
                let matches = |v: f32| {
                    if self.replaced_float.is_nan() {
                        v.is_nan()
                    } else {
                        v == self.replaced_float
                    }
                };
                Data::F32(
                    other
                        .to_f32()?
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            if matches(v) {
                                per_column(&self.floats, i % cols)
                            } else {
                                v
                            }
                        })
                        .collect(),
                )
            }
        };
        Ok(vec![tensor(x.shape.clone(), data)?])
    }
}

/// Normalizer: each row divided by its MAX, L1 or L2 norm.
pub struct Normalizer {
    norm: Norm,
}

#[derive(Clone, Copy)]
enum Norm {
    Max,
    L1,
    L2,
}

impl Normalizer {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let norm = match attrs.string("norm").as_deref().unwrap_or("MAX") {
            "MAX" => Norm::Max,
            "L1" => Norm::L1,
            "L2" => Norm::L2,
            other => return Err(format!("unknown norm {other:?}")),
        };
        Ok(Self { norm })
    }
}

impl Kernel for Normalizer {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (_, cols) = x.as_matrix();
        let mut data = x.data.to_f32()?.into_owned();
        for row in data.chunks_mut(cols.max(1)) {
            let norm: f64 = match self.norm {
                Norm::Max => row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)).into(),
                Norm::L1 => row.iter().map(|&v| f64::from(v.abs())).sum(),
                Norm::L2 => row
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    .sqrt(),
            };
            if norm != 0.0 {
                row.iter_mut()
                    .for_each(|v| *v = (f64::from(*v) / norm) as f32);
            }
        }
        Ok(vec![tensor(x.shape.clone(), Data::F32(data))?])
    }
}

/// Binarizer: 1 above the threshold, else 0.
pub struct Binarizer {
    threshold: f32,
}

impl Binarizer {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Self {
        Self {
            threshold: attrs.float("threshold").unwrap_or(0.0),
        }
    }
}

impl Kernel for Binarizer {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let data = x
            .data
            .to_f32()?
            .iter()
            .map(|&v| if v > self.threshold { 1.0 } else { 0.0 })
            .collect();
        Ok(vec![tensor(x.shape.clone(), Data::F32(data))?])
    }
}

/// ArrayFeatureExtractor: picks columns (last axis) by index.
pub struct ArrayFeatureExtractor;

impl Kernel for ArrayFeatureExtractor {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let idx = match &input(inputs, 1)?.data {
            Data::I64(v) => v.clone(),
            other => {
                return Err(RunError::Type(format!(
                    "indices must be int64, got {}",
                    other.kind()
                )));
            }
        };
        let last = x.shape.last().copied().unwrap_or(1).max(1);
        let outer = x.data.len() / last;
        let picks: Vec<usize> = idx
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .filter(|&i| i < last)
                    .ok_or_else(|| RunError::Shape(format!("index {i} out of range {last}")))
            })
            .collect::<Result<_, _>>()?;
        let gather = |n: usize| (0..outer).flat_map(move |o| (0..n).map(move |k| (o, k)));
        let data = match &x.data {
            Data::F32(v) => Data::F32(
                gather(picks.len())
                    .map(|(o, k)| v[o * last + picks[k]])
                    .collect(),
            ),
            Data::F64(v) => Data::F64(
                gather(picks.len())
                    .map(|(o, k)| v[o * last + picks[k]])
                    .collect(),
            ),
            Data::I64(v) => Data::I64(
                gather(picks.len())
                    .map(|(o, k)| v[o * last + picks[k]])
                    .collect(),
            ),
            Data::Str(v) => Data::Str(
                gather(picks.len())
                    .map(|(o, k)| v[o * last + picks[k]].clone())
                    .collect(),
            ),
            Data::Bool(v) => Data::Bool(
                gather(picks.len())
                    .map(|(o, k)| v[o * last + picks[k]])
                    .collect(),
            ),
        };
        let mut shape = x.shape.clone();
        match shape.last_mut() {
            Some(l) => *l = picks.len(),
            None => shape.push(picks.len()),
        }
        Ok(vec![tensor(shape, data)?])
    }
}

/// ZipMap: a row of class scores becomes a map from class label to score.
pub struct ZipMap {
    keys: Keys,
}

impl ZipMap {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let strings = attrs.strings("classlabels_strings");
        let keys = if strings.is_empty() {
            Keys::I64(attrs.ints("classlabels_int64s"))
        } else {
            Keys::Str(strings)
        };
        if keys.is_empty() {
            return Err("a ZipMap needs classlabels_int64s or classlabels_strings".into());
        }
        Ok(Self { keys })
    }
}

impl Kernel for ZipMap {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (_, cols) = x.as_matrix();
        if cols != self.keys.len() {
            return Err(RunError::Shape(format!(
                "{cols} scores per row for {} labels",
                self.keys.len()
            )));
        }
        Ok(vec![Value::MapSeq {
            keys: self.keys.clone(),
            values: x.data.to_f32()?.into_owned(),
        }])
    }
}

/// FeatureVectorizer: concatenates its inputs' columns.
pub struct FeatureVectorizer {
    dims: Vec<i64>,
}

impl FeatureVectorizer {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Self {
        Self {
            dims: attrs.ints("inputdimensions"),
        }
    }
}

impl Kernel for FeatureVectorizer {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let parts: Vec<(usize, usize, std::borrow::Cow<'_, [f32]>)> = (0..inputs.len())
            .map(|i| {
                let t = input(inputs, i)?;
                let (rows, cols) = t.as_matrix();
                Ok((rows, cols, t.data.to_f32()?))
            })
            .collect::<Result<_, RunError>>()?;
        let rows = parts.first().map_or(0, |p| p.0);
        let widths: Vec<usize> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                self.dims
                    .get(i)
                    .and_then(|&d| usize::try_from(d).ok())
                    .unwrap_or(p.1)
            })
            .collect();
        let total: usize = widths.iter().sum();
        let mut out = Vec::with_capacity(rows * total);
        for r in 0..rows {
            for ((_, cols, data), &w) in parts.iter().zip(&widths) {
                for c in 0..w {
                    out.push(if c < *cols { data[r * cols + c] } else { 0.0 });
                }
            }
        }
        Ok(vec![tensor(vec![rows, total], Data::F32(out))?])
    }
}
