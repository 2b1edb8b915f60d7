//! TreeEnsembleRegressor and TreeEnsembleClassifier, flattened: every node of every tree
//! in one array of 20-byte records, children as indices, leaf weights in one array — a
//! row walks each tree with no allocation and no hashing. Building and validating the
//! arrays is in `build.rs`, the walk in `walk.rs`.

mod build;
mod walk;

use super::select::pick;
use super::{Dims, Kernel, Known, PostTransform, input, known, tensor};
use crate::error::RunError;
use crate::limits::output_size;
use crate::tensor::{Data, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    Leaf,
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
}

/// One node. For a leaf, `a..b` is its range in the weights; otherwise `a` is the child
/// taken when the comparison holds and `b` the other.
#[derive(Debug, Clone, Copy)]
struct Node {
    threshold: f32,
    feature: u32,
    mode: Mode,
    missing_true: bool,
    a: u32,
    b: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

#[derive(Debug, Clone)]
struct Classes {
    /// The labels (integers or strings), at least one.
    labels: Data,
    /// Only one class has weights: its score decides between the two labels.
    binary_one_column: bool,
    weights_all_positive: bool,
}

/// A tree ensemble, regressor or classifier, validated when built.
#[derive(Debug)]
pub struct TreeEnsemble {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    weights: Vec<(u32, f64)>,
    n_targets: usize,
    aggregate: Aggregate,
    base_values: Vec<f64>,
    post: PostTransform,
    classes: Option<Classes>,
    /// For one target: each leaf's summed weight, by node index (the common case, read
    /// without going through `weights`).
    leaf_value: Vec<f64>,
    /// For a one-column binary classifier: the column that carries the score.
    binary_column: usize,
    /// The highest feature a branch reads, if there is a branch.
    max_feature: Option<usize>,
}

/// Rows walked together, tree by tree, so one tree's nodes stay in cache.
const BLOCK_ROWS: usize = 64;

impl TreeEnsemble {
    /// Checks that rows of `cols` columns hold every feature the trees read.
    fn check_width(&self, cols: usize) -> Result<(), String> {
        match self.max_feature {
            Some(f) if f >= cols => Err(format!(
                "the trees read feature {f} but rows have {cols} columns"
            )),
            _ => Ok(()),
        }
    }
}

impl Kernel for TreeEnsemble {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (rows, cols) = x.as_matrix();
        self.check_width(cols).map_err(RunError::Shape)?;
        let n_classes = self.classes.as_ref().map_or(0, |c| c.labels.len());
        output_size(rows, self.n_targets.max(n_classes), 8)?;
        let data = x.data.to_f32()?;
        // Rows hold `cols` values each, as the walk's slicing assumes.
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(RunError::Shape(format!(
                "{} values do not make {rows} rows of {cols}",
                data.len()
            )));
        }
        let all = self.raw_scores(&data, rows, cols);
        let nt = self.n_targets;
        let Some(classes) = &self.classes else {
            let mut out = Vec::with_capacity(rows * self.n_targets);
            let mut row_scores = vec![0.0f32; self.n_targets];
            for raw in all.chunks(nt) {
                row_scores
                    .iter_mut()
                    .zip(raw)
                    .for_each(|(o, &v)| *o = v as f32);
                self.post.apply(&mut row_scores);
                out.extend_from_slice(&row_scores);
            }
            return Ok(vec![tensor(vec![rows, self.n_targets], Data::F32(out))?]);
        };

        let n_classes = classes.labels.len();
        let mut probs = Vec::with_capacity(rows * n_classes);
        let mut winners = Vec::with_capacity(rows);
        let mut row_scores = vec![0.0f32; n_classes];
        for raw in all.chunks(nt) {
            if classes.binary_one_column {
                // One score s for the positive class (whichever column carries it).
                let s = raw[self.binary_column.min(nt - 1)] as f32;
                let (p, positive) = match self.post {
                    PostTransform::Logistic => {
                        let p1 = super::logistic(s);
                        ([super::logistic(-s), p1], s > 0.0)
                    }
                    _ if classes.weights_all_positive => ([1.0 - s, s], s > 0.5),
                    _ => ([-s, s], s > 0.0),
                };
                row_scores.copy_from_slice(&p);
                winners.push(usize::from(positive));
            } else {
                row_scores
                    .iter_mut()
                    .zip(raw)
                    .for_each(|(o, &v)| *o = v as f32);
                self.post.apply(&mut row_scores);
                let best = super::argmax(&row_scores);
                winners.push(best);
            }
            probs.extend_from_slice(&row_scores);
        }
        // Winners are below the number of labels (argmax of one score per label, or 0/1
        // for two labels).
        let labels = pick(&classes.labels, winners.len(), || winners.iter().copied())?;
        Ok(vec![
            tensor(vec![rows], labels)?,
            tensor(vec![rows, n_classes], Data::F32(probs))?,
        ])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        if let Some(cols) = x.columns() {
            self.check_width(cols)?;
        }
        let rows = x.dim(0);
        Ok(match &self.classes {
            None => vec![Some(vec![rows, Some(self.n_targets)])],
            Some(c) => vec![Some(vec![rows]), Some(vec![rows, Some(c.labels.len())])],
        })
    }
}
