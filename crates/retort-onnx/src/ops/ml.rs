//! The `ai.onnx.ml` transformers: Scaler, Imputer, Normalizer, Binarizer, ZipMap and
//! FeatureVectorizer (the encoders are in `encoders.rs`, ArrayFeatureExtractor in
//! `select.rs`).

use super::basic::same_as_first;
use super::{Dims, Kernel, Known, input, known, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::limits::{MAX_WIDTH, output_size};
use crate::tensor::{Data, Keys, Value};

/// Checks that a per-column attribute of `len` values (one value applies to every
/// column) fits rows of `cols` columns.
fn per_column_fits(name: &str, len: usize, cols: usize) -> Result<(), String> {
    if len > 1 && len != cols {
        return Err(format!(
            "{name} has {len} values for rows of {cols} columns"
        ));
    }
    Ok(())
}

/// [`per_column_fits`] at load, when the input's columns are known.
fn per_column_known(name: &str, len: usize, x: Known<'_>) -> Result<(), String> {
    match x.columns() {
        Some(cols) => per_column_fits(name, len, cols),
        None => Ok(()),
    }
}

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
    /// Builds the kernel: `offset` and `scale` have one value, or one per column.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let (offset, scale) = (attrs.floats("offset"), attrs.floats("scale"));
        if offset.len() > 1 && scale.len() > 1 && offset.len() != scale.len() {
            return Err(format!(
                "offset has {} values, scale {}",
                offset.len(),
                scale.len()
            ));
        }
        Ok(Self { offset, scale })
    }
}

impl Kernel for Scaler {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (_, cols) = x.as_matrix();
        per_column_fits("offset", self.offset.len(), cols).map_err(RunError::Shape)?;
        per_column_fits("scale", self.scale.len(), cols).map_err(RunError::Shape)?;
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        per_column_known("offset", self.offset.len(), x)?;
        per_column_known("scale", self.scale.len(), x)?;
        Ok(same_as_first(inputs))
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
        per_column_fits("imputed_value_floats", self.floats.len(), cols)
            .and_then(|()| per_column_fits("imputed_value_int64s", self.ints.len(), cols))
            .map_err(RunError::Shape)?;
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
            Data::F64(v) => {
                // Doubles stay doubles; the imputed values are the attribute's floats
                // (the operator has no double attribute).
                let replaced = f64::from(self.replaced_float);
                Data::F64(
                    v.iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            let hit = if replaced.is_nan() {
                                v.is_nan()
                            } else {
                                v == replaced
                            };
                            if hit {
                                f64::from(per_column(&self.floats, i % cols))
                            } else {
                                v
                            }
                        })
                        .collect(),
                )
            }
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        per_column_known("imputed_value_floats", self.floats.len(), x)?;
        per_column_known("imputed_value_int64s", self.ints.len(), x)?;
        Ok(same_as_first(inputs))
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(same_as_first(inputs))
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(same_as_first(inputs))
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        match known(inputs, 0).columns() {
            Some(cols) if cols != self.keys.len() => Err(format!(
                "{cols} scores per row for {} labels",
                self.keys.len()
            )),
            _ => Ok(Vec::new()),
        }
    }
}

/// FeatureVectorizer: concatenates its inputs' columns.
pub struct FeatureVectorizer {
    dims: Vec<usize>,
}

impl FeatureVectorizer {
    /// Builds the kernel: `inputdimensions` gives each input's width (at most
    /// [`MAX_WIDTH`] in all).
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let dims = attrs
            .ints("inputdimensions")
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| format!("input dimension {d} is negative")))
            .collect::<Result<Vec<_>, _>>()?;
        let total = dims.iter().try_fold(0usize, |a, &d| a.checked_add(d));
        if total.is_none_or(|t| t > MAX_WIDTH) {
            return Err(format!(
                "inputdimensions add up to more than the {MAX_WIDTH} columns allowed"
            ));
        }
        Ok(Self { dims })
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
        if let Some(p) = parts.iter().find(|p| p.0 != rows) {
            return Err(RunError::Shape(format!(
                "inputs of {rows} and {} rows cannot be joined",
                p.0
            )));
        }
        let widths: Vec<usize> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| self.dims.get(i).copied().unwrap_or(p.1))
            .collect();
        let total = widths
            .iter()
            .try_fold(0usize, |a, &w| a.checked_add(w))
            .ok_or_else(|| RunError::Shape("the joined width overflows".into()))?;
        let mut out = Vec::with_capacity(output_size(rows, total, 4)?);
        // With no columns there is nothing to copy, however many rows the shapes claim.
        for r in 0..if total == 0 { 0 } else { rows } {
            for ((_, cols, data), &w) in parts.iter().zip(&widths) {
                // Every part has `rows` rows of `cols` values: `r * cols + c` is in range.
                for c in 0..w {
                    out.push(if c < *cols { data[r * cols + c] } else { 0.0 });
                }
            }
        }
        Ok(vec![tensor(vec![rows, total], Data::F32(out))?])
    }
}
