//! LinearRegressor and LinearClassifier: a matrix product with intercepts, then the
//! post-transform (and, for classifiers, the winning label).

use super::select::pick;
use super::{Dims, Kernel, Known, PostTransform, input, known, logistic, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::limits::{MAX_WIDTH, output_size};
use crate::tensor::{Data, Value};

/// Checks that `coef` values make `targets` rows of coefficients for rows of `cols`
/// columns.
fn coefficients_fit(coef: usize, targets: usize, cols: usize) -> Result<(), String> {
    if targets.checked_mul(cols) != Some(coef) {
        return Err(format!(
            "the model has {coef} coefficients for {targets} target(s), which does not fit \
             rows of {cols} columns"
        ));
    }
    Ok(())
}

/// The dimensions of a linear model's scores, `[N, targets]`, after checking its
/// coefficients against the input's known columns.
fn known_scores(x: Known<'_>, coef: usize, targets: usize) -> Result<Dims, String> {
    if let Some(cols) = x.columns() {
        coefficients_fit(coef, targets, cols)?;
    }
    Ok(Some(vec![x.dim(0), Some(targets)]))
}

/// `scores = X · Wᵀ + b` for `targets` rows of coefficients.
fn affine(
    x: &[f32],
    rows: usize,
    cols: usize,
    coef: &[f32],
    intercepts: &[f32],
    targets: usize,
) -> Result<Vec<f32>, RunError> {
    coefficients_fit(coef.len(), targets, cols).map_err(RunError::Shape)?;
    if rows.checked_mul(cols) != Some(x.len()) {
        return Err(RunError::Shape(format!(
            "{} values do not make {rows} rows of {cols}",
            x.len()
        )));
    }
    let mut out = Vec::with_capacity(output_size(rows, targets, 4)?);
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
    /// Builds the kernel: 1 to [`MAX_WIDTH`] targets, as many intercepts (or none), and
    /// coefficients in whole rows.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let t = attrs.int("targets").unwrap_or(1);
        let targets = usize::try_from(t)
            .ok()
            .filter(|t| (1..=MAX_WIDTH).contains(t))
            .ok_or_else(|| format!("targets is {t}, not between 1 and {MAX_WIDTH}"))?;
        let coef = attrs.floats("coefficients");
        let intercepts = attrs.floats("intercepts");
        if !intercepts.is_empty() && intercepts.len() != targets {
            return Err(format!(
                "{} intercepts for {targets} target(s)",
                intercepts.len()
            ));
        }
        if coef.len() % targets != 0 {
            return Err(format!(
                "{} coefficients do not split into {targets} target(s)",
                coef.len()
            ));
        }
        Ok(Self {
            coef,
            intercepts,
            targets,
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(vec![known_scores(
            known(inputs, 0),
            self.coef.len(),
            self.targets,
        )?])
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
        if intercepts.is_empty()
            || intercepts.len() > MAX_WIDTH
            || coef.len() % intercepts.len() != 0
        {
            return Err(format!(
                "{} coefficients do not split into {} classes",
                coef.len(),
                intercepts.len()
            ));
        }
        // One score column per label, or one score for two labels.
        let (targets, n_labels) = (intercepts.len(), labels.len());
        if targets != n_labels && !(targets == 1 && n_labels == 2) {
            return Err(format!(
                "{targets} score column(s) for {n_labels} class labels"
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
        let mut out = Vec::with_capacity(output_size(rows, out_cols, 4)?);
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
        // Winners are below the number of labels, checked at load.
        let labels = pick(&self.labels, winners.len(), || winners.iter().copied())?;
        Ok(vec![
            tensor(vec![rows], labels)?,
            tensor(vec![rows, out_cols], Data::F32(out))?,
        ])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        if let Some(cols) = x.columns() {
            coefficients_fit(self.coef.len(), self.intercepts.len(), cols)?;
        }
        Ok(vec![Some(vec![x.dim(0)]), Some(vec![x.dim(0), None])])
    }
}
