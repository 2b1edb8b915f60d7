//! LinearRegressor and LinearClassifier: a matrix product with intercepts, then the
//! post-transform (and, for classifiers, the winning label).

use super::{Kernel, PostTransform, input, logistic, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::tensor::{Data, Value};

/// `scores = X · Wᵀ + b` for `targets` rows of coefficients.
fn affine(
    x: &[f32],
    rows: usize,
    cols: usize,
    coef: &[f32],
    intercepts: &[f32],
    targets: usize,
) -> Result<Vec<f32>, RunError> {
    if coef.len() != targets * cols {
        return Err(RunError::Shape(format!(
            "the model has {} coefficients for {targets} target(s), which does not fit rows of {cols} columns",
            coef.len()
        )));
    }
    let mut out = Vec::with_capacity(rows * targets);
    for r in 0..rows {
        let row = &x[r * cols..(r + 1) * cols];
        for t in 0..targets {
            let w = &coef[t * cols..(t + 1) * cols];
            let dot: f64 = row
                .iter()
                .zip(w)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            out.push((dot + f64::from(intercepts.get(t).copied().unwrap_or(0.0))) as f32);
        }
    }
    Ok(out)
}

/// LinearRegressor.
pub struct LinearRegressor {
    coef: Vec<f32>,
    intercepts: Vec<f32>,
    targets: usize,
    post: PostTransform,
}

impl LinearRegressor {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        Ok(Self {
            coef: attrs.floats("coefficients"),
            intercepts: attrs.floats("intercepts"),
            targets: attrs.int("targets").unwrap_or(1).max(1) as usize,
            post: PostTransform::parse(attrs)?,
        })
    }
}

impl Kernel for LinearRegressor {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (rows, cols) = x.as_matrix();
        let mut out = affine(
            &x.data.to_f32()?,
            rows,
            cols,
            &self.coef,
            &self.intercepts,
            self.targets,
        )?;
        out.chunks_mut(self.targets)
            .for_each(|row| self.post.apply(row));
        Ok(vec![tensor(vec![rows, self.targets], Data::F32(out))?])
    }
}

/// LinearClassifier.
pub struct LinearClassifier {
    coef: Vec<f32>,
    intercepts: Vec<f32>,
    labels: Data,
    post: PostTransform,
}

impl LinearClassifier {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let strings = attrs.strings("classlabels_strings");
        let labels = if strings.is_empty() {
            Data::I64(attrs.ints("classlabels_ints"))
        } else {
            Data::Str(strings)
        };
        if labels.is_empty() {
            return Err("a classifier needs classlabels_ints or classlabels_strings".into());
        }
        let coef = attrs.floats("coefficients");
        let intercepts = attrs.floats("intercepts");
        if intercepts.is_empty() || coef.len() % intercepts.len() != 0 {
            return Err(format!(
                "{} coefficients do not split into {} classes",
                coef.len(),
                intercepts.len()
            ));
        }
        Ok(Self {
            coef,
            intercepts,
            labels,
            post: PostTransform::parse(attrs)?,
        })
    }
}

impl Kernel for LinearClassifier {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (rows, cols) = x.as_matrix();
        let targets = self.intercepts.len();
        let scores = affine(
            &x.data.to_f32()?,
            rows,
            cols,
            &self.coef,
            &self.intercepts,
            targets,
        )?;
        let n_labels = self.labels.len();
        let mut winners = Vec::with_capacity(rows);
        let out_cols = if targets == 1 && n_labels == 2 {
            2
        } else {
            targets
        };
        let mut out = Vec::with_capacity(rows * out_cols);
        for row in scores.chunks(targets) {
            if targets == 1 {
                // Binary with one score: positive when above zero.
                let s = row[0];
                winners.push(usize::from(s > 0.0));
                if n_labels == 2 {
                    match self.post {
                        PostTransform::Logistic => {
                            out.extend_from_slice(&[logistic(-s), logistic(s)])
                        }
                        _ => out.extend_from_slice(&[-s, s]),
                    }
                } else {
                    let mut one = [s];
                    self.post.apply(&mut one);
                    out.push(one[0]);
                }
            } else {
                let best = super::argmax(row);
                winners.push(best);
                let start = out.len();
                out.extend_from_slice(row);
                self.post.apply(&mut out[start..]);
            }
        }
        let labels = match &self.labels {
            Data::I64(l) => Data::I64(
                winners
                    .iter()
                    .map(|&w| l.get(w).copied().unwrap_or(w as i64))
                    .collect(),
            ),
            Data::Str(l) => Data::Str(
                winners
                    .iter()
                    .map(|&w| l.get(w).cloned().unwrap_or_default())
                    .collect(),
            ),
            _ => Data::I64(winners.iter().map(|&w| w as i64).collect()),
        };
        Ok(vec![
            tensor(vec![rows], labels)?,
            tensor(vec![rows, out_cols], Data::F32(out))?,
        ])
    }
}
