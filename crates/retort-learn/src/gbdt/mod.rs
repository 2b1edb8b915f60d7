//! Gradient-boosted regression trees, trained natively and exported as a standard ONNX
//! graph (`ai.onnx.ml` `TreeEnsembleRegressor`) that Retort's engine and onnxruntime
//! both evaluate.
//!
//! Training is histogram-based with squared loss: every numeric column is cut into at
//! most [`Params::max_bins`] quantile bins, trees grow depth-wise to
//! [`Params::max_depth`], a node's histogram is built for its smaller child only and the
//! sibling's is the parent's minus it. With [`Params::log_target`] the trees fit `ln(y)`
//! and the graph ends with an `Exp`, so both [`Booster::predict`] and the ONNX output
//! are on the target's own scale.
//!
//! Conventions shared by [`Booster::predict`] and the exported graph:
//!
//! - every split is `x <= threshold` (left) with a float32 threshold, compared on the
//!   value converted to float32, exactly as ONNX does;
//! - a missing numeric value (NaN) always goes left: it behaves as a value below every
//!   other. An int64 input cannot hold NaN: pass `i64::MIN` for a missing integer, which
//!   routes the same way;
//! - a categorical column is coded `0..k` in the order of its categories' mean target on
//!   the training set (so `<=` splits group similar categories); the empty string (a
//!   missing value) and any category not seen in training are coded `-1`, which also
//!   goes left at every split on that column.

mod bins;
mod export;
mod grow;
mod metrics;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use grow::train;
pub use metrics::{Metrics, metrics, split_holdout};

/// One column of a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// Numbers; NaN = missing. `int` true means the ONNX input is `tensor(int64)` `[N,1]`
    /// (cast to float in the graph; feed `i64::MIN` for a missing value), else
    /// `tensor(float)` `[N,1]`. Training rejects infinite values and, for `int`, fractions.
    Numeric {
        /// The column's name, which is also the ONNX input's.
        name: String,
        /// One value per row.
        values: Vec<f64>,
        /// Whether the values are whole numbers fed to the graph as int64.
        int: bool,
    },
    /// Booleans; ONNX input `tensor(bool)` `[N,1]` (cast to float in the graph: false 0,
    /// true 1).
    Flag {
        /// The column's name, which is also the ONNX input's.
        name: String,
        /// One value per row.
        values: Vec<bool>,
    },
    /// Strings; ONNX input `tensor(string)` `[N,1]`, coded in the graph by an `ai.onnx.ml`
    /// LabelEncoder. The empty string is a missing value.
    Categorical {
        /// The column's name, which is also the ONNX input's.
        name: String,
        /// The distinct texts, each held once, that `codes` index.
        levels: Vec<String>,
        /// One value per row: an index into `levels` (a code past its end is missing).
        codes: Vec<u32>,
    },
}

impl Feature {
    /// A categorical column from one text per row, each distinct text held once.
    pub fn categorical<S: AsRef<str>>(name: impl Into<String>, values: &[S]) -> Feature {
        let mut levels: Vec<String> = Vec::new();
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let codes = values
            .iter()
            .map(|v| {
                let v = v.as_ref();
                *seen.entry(v).or_insert_with(|| {
                    levels.push(v.to_owned());
                    (levels.len() - 1) as u32
                })
            })
            .collect();
        Feature::Categorical {
            name: name.into(),
            levels,
            codes,
        }
    }

    /// The text of a categorical column at `row`; `None` for other columns, a row past
    /// the end or a code past the levels.
    pub fn text(&self, row: usize) -> Option<&str> {
        match self {
            Feature::Categorical { levels, codes, .. } => codes
                .get(row)
                .and_then(|&c| levels.get(c as usize))
                .map(String::as_str),
            _ => None,
        }
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            Feature::Numeric { name, .. }
            | Feature::Flag { name, .. }
            | Feature::Categorical { name, .. } => name,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Feature::Numeric { values, .. } => values.len(),
            Feature::Flag { values, .. } => values.len(),
            Feature::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values at `idx`, in that order (an index past the end reads as missing).
    pub fn select(&self, idx: &[usize]) -> Feature {
        match self {
            Feature::Numeric { name, values, int } => Feature::Numeric {
                name: name.clone(),
                values: idx
                    .iter()
                    .map(|&i| values.get(i).copied().unwrap_or(f64::NAN))
                    .collect(),
                int: *int,
            },
            Feature::Flag { name, values } => Feature::Flag {
                name: name.clone(),
                values: idx
                    .iter()
                    .map(|&i| values.get(i).copied().unwrap_or(false))
                    .collect(),
            },
            Feature::Categorical {
                name,
                levels,
                codes,
            } => Feature::Categorical {
                name: name.clone(),
                levels: levels.clone(),
                // A code past the levels is missing, as a row past the end reads.
                codes: idx
                    .iter()
                    .map(|&i| codes.get(i).copied().unwrap_or(u32::MAX))
                    .collect(),
            },
        }
    }
}

/// Columns of equal length, one row per example.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// The columns, in the order of the exported graph's inputs.
    pub features: Vec<Feature>,
}

impl Dataset {
    /// Number of rows (the first column's length; 0 without columns).
    pub fn rows(&self) -> usize {
        self.features.first().map_or(0, Feature::len)
    }

    /// The rows at `idx`, in that order (an index past a column's end reads as missing).
    pub fn select(&self, idx: &[usize]) -> Dataset {
        Dataset {
            features: self.features.iter().map(|f| f.select(idx)).collect(),
        }
    }
}

/// Training parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Number of boosting rounds (trees).
    pub trees: usize,
    /// Shrinkage applied to every tree's leaf values.
    pub learning_rate: f64,
    /// Maximum depth of a tree (1 = a single split).
    pub max_depth: usize,
    /// Minimum number of training rows in a leaf.
    pub min_samples_leaf: usize,
    /// Maximum number of bins per numeric column (2..=65535), missing values aside.
    pub max_bins: usize,
    /// L2 regularisation of leaf values (added to each leaf's row count).
    pub l2: f64,
    /// Fraction of rows each tree is grown on, drawn anew per tree (0 < s <= 1).
    pub subsample: f64,
    /// Seed of the row sampling.
    pub seed: u64,
    /// Fit `ln(target)` (targets must be positive); the graph ends with `Exp`.
    pub log_target: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            trees: 300,
            learning_rate: 0.1,
            max_depth: 6,
            min_samples_leaf: 20,
            max_bins: 255,
            l2: 1.0,
            subsample: 1.0,
            seed: 0,
            log_target: true,
        }
    }
}

/// Why training refused the data or the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainError {
    message: String,
}

impl TrainError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message, naming the column, row or parameter at fault.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TrainError {}

/// How a trained model reads one of its columns (and the ONNX input it declares).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureKind {
    /// `tensor(float)` `[N,1]`; NaN = missing.
    Float,
    /// `tensor(int64)` `[N,1]`; `i64::MIN` = missing.
    Int,
    /// `tensor(bool)` `[N,1]`.
    Bool,
    /// `tensor(string)` `[N,1]`; the categories seen in training, in code order (by
    /// increasing mean target). `""` and unseen strings are missing.
    Categorical(Vec<String>),
}

/// A trained column: its name and how it is read.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    kind: FeatureKind,
}

/// A tree node. Trees are stored as node arrays with the root at index 0.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    /// A leaf and its value (learning rate applied).
    Leaf(f32),
    /// `x[feature] <= threshold` (or NaN) goes `left`; training compared bin codes with
    /// `bin`, which that threshold separates exactly.
    Split {
        feature: u32,
        bin: u16,
        threshold: f32,
        left: u32,
        right: u32,
    },
}

/// A trained ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Booster {
    columns: Vec<Column>,
    base: f32,
    trees: Vec<Vec<Node>>,
    log_target: bool,
    gains: Vec<f64>,
}

impl Booster {
    /// Predictions for every row of `data`, on the target's scale. Columns are found by
    /// name; a column that is absent or of the other kind reads as missing.
    pub fn predict(&self, data: &Dataset) -> Vec<f64> {
        let rows = data.rows();
        let x = self.matrix(data);
        let nf = self.columns.len();
        (0..rows)
            .map(|r| {
                let row = &x[r * nf..(r + 1) * nf];
                let sum: f64 = self.trees.iter().map(|t| f64::from(leaf(t, row))).sum();
                // The ONNX engine adds the base value last and hands out float32.
                let score = (sum + f64::from(self.base)) as f32;
                if self.log_target {
                    f64::from(score).exp()
                } else {
                    f64::from(score)
                }
            })
            .collect()
    }

    /// The model as ONNX bytes: one input per column (named as it, `[N,1]`, typed as
    /// [`Booster::features`] says), one output `variable` (float `[N,1]`).
    pub fn to_onnx(&self, model_name: &str) -> Vec<u8> {
        export::model(self, model_name)
    }

    /// Number of trees (fewer than asked for if training was stopped).
    pub fn trees(&self) -> usize {
        self.trees.len()
    }

    /// The columns the model reads, in input order, with their kinds.
    pub fn features(&self) -> Vec<(String, FeatureKind)> {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.kind.clone()))
            .collect()
    }

    /// Whether the trees fit `ln(target)`.
    pub fn log_target(&self) -> bool {
        self.log_target
    }

    /// Each column's total split gain as a share of all gain (summing to 1 unless no
    /// tree split), most important first.
    pub fn feature_importance(&self) -> Vec<(String, f64)> {
        let total: f64 = self.gains.iter().sum();
        let mut out: Vec<(String, f64)> = self
            .columns
            .iter()
            .zip(&self.gains)
            .map(|(c, &g)| (c.name.clone(), if total > 0.0 { g / total } else { 0.0 }))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    /// `data` as the float32 matrix the trees read, row-major.
    fn matrix(&self, data: &Dataset) -> Vec<f32> {
        let rows = data.rows();
        let nf = self.columns.len();
        let mut x = vec![0.0f32; rows * nf];
        for (j, column) in self.columns.iter().enumerate() {
            let feature = data.features.iter().find(|f| f.name() == column.name);
            for (r, v) in encode(column, feature, rows).into_iter().enumerate() {
                x[r * nf + j] = v;
            }
        }
        x
    }
}

/// A column's values as the trees read them: numbers as float32 (NaN = missing),
/// categories as their codes (-1 = missing or unseen).
fn encode(column: &Column, feature: Option<&Feature>, rows: usize) -> Vec<f32> {
    match (&column.kind, feature) {
        (FeatureKind::Float | FeatureKind::Int, Some(Feature::Numeric { values, .. })) => (0..rows)
            .map(|r| values.get(r).map_or(f32::NAN, |&v| v as f32))
            .collect(),
        (
            FeatureKind::Categorical(categories),
            Some(Feature::Categorical { levels, codes, .. }),
        ) => {
            let trained: HashMap<&str, f32> = categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as f32))
                .collect();
            // Each level looked up once; unseen and missing texts read as -1.
            let by_level: Vec<f32> = levels
                .iter()
                .map(|l| trained.get(l.as_str()).copied().unwrap_or(-1.0))
                .collect();
            (0..rows)
                .map(|r| {
                    codes
                        .get(r)
                        .and_then(|&c| by_level.get(c as usize).copied())
                        .unwrap_or(-1.0)
                })
                .collect()
        }
        (FeatureKind::Bool, Some(Feature::Flag { values, .. })) => (0..rows)
            .map(|r| {
                values
                    .get(r)
                    .map_or(f32::NAN, |&v| if v { 1.0 } else { 0.0 })
            })
            .collect(),
        (FeatureKind::Categorical(_), _) => vec![-1.0; rows],
        (_, _) => vec![f32::NAN; rows],
    }
}

/// The value of the leaf `row` reaches in `tree`.
fn leaf(tree: &[Node], row: &[f32]) -> f32 {
    let mut i = 0usize;
    loop {
        match tree.get(i) {
            Some(Node::Leaf(v)) => return *v,
            Some(Node::Split {
                feature,
                threshold,
                left,
                right,
                ..
            }) => {
                let x = row.get(*feature as usize).copied().unwrap_or(f32::NAN);
                i = if x <= *threshold || x.is_nan() {
                    *left
                } else {
                    *right
                } as usize;
            }
            None => return 0.0,
        }
    }
}

pub(crate) use crate::rng::SplitMix64;
