//! TreeEnsembleRegressor and TreeEnsembleClassifier, flattened: every node of every tree
//! in one array of 16-byte steps (threshold, feature, the two children as indices; a leaf
//! leads to itself), leaf weights in one array — rows walk the trees with no allocation
//! and no hashing. Building and validating the arrays is in `build.rs`, the walk in
//! `walk.rs`.

mod build;
#[cfg(test)]
mod tests;
pub mod v5;
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

/// One node as the walk reads it: a branch compares the row's `feature` with `threshold`
/// and goes to `next[0]` when the comparison holds (or the value is missing and missing
/// values go that way), to `next[1]` otherwise; a leaf leads to itself, so a row that has
/// reached its leaf stays there however many more steps it takes.
#[derive(Debug, Clone, Copy)]
struct Step {
    threshold: f32,
    feature: u32,
    next: [u32; 2],
}

/// A [`Step`] with its threshold in double precision.
#[derive(Debug, Clone, Copy)]
struct Step64 {
    threshold: f64,
    feature: u32,
    next: [u32; 2],
}

/// Most nodes of a tree in [`Packed`] form: its node indices fit in a byte.
const PACKED_NODES: usize = 256;

/// A node of a packed tree: like [`Step`], with the tree's own node indices (root 0,
/// breadth first) in a byte each.
#[derive(Debug, Clone, Copy, Default)]
struct Small {
    threshold: f32,
    feature: u16,
    next: [u8; 2],
}

/// Every tree in a fixed-size array of [`PACKED_NODES`] nodes, when every tree fits and
/// the padding stays within [`Packed::fits`]: the walk indexes a tree by a byte, with no
/// bounds to check, and a node takes 8 bytes.
#[derive(Debug)]
struct Packed {
    /// Per tree, in the order of `roots`.
    trees: Vec<[Small; PACKED_NODES]>,
    /// Per tree, the index in `nodes` of each of its packed nodes.
    global: Vec<[u32; PACKED_NODES]>,
    /// Per tree, the summed weight of each of its packed leaves (see `leaf_value`).
    leaf_value: Vec<[f64; PACKED_NODES]>,
}

impl Packed {
    /// Tree `t`: its nodes, their indices in `nodes`, their leaf values.
    #[allow(clippy::type_complexity)]
    fn tree(
        &self,
        t: usize,
    ) -> Option<(
        &[Small; PACKED_NODES],
        &[u32; PACKED_NODES],
        &[f64; PACKED_NODES],
    )> {
        Some((
            self.trees.get(t)?,
            self.global.get(t)?,
            self.leaf_value.get(t)?,
        ))
    }
}

/// The comparison the branches make: one for every branch (a mode and where missing
/// values go), or not the same for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// Every branch has this mode and sends missing values (NaN) to its true child when
    /// the flag is set, and no threshold is NaN. `BRANCH_NEQ` holds for NaN anyway, so
    /// its flag is always false.
    Uniform(Mode, bool),
    /// Every branch has this mode and no threshold is NaN, but where missing values go
    /// differs: each node's flag rides in the top bit of its `feature`
    /// ([`STEP_MISSING_FIRST`], [`SMALL_MISSING_FIRST`]), which the walks mask off.
    MissingPerNode(Mode),
    /// Branches differ, or a threshold is NaN: each node's own mode and flag are read.
    PerNode,
}

/// A [`Step`]'s `feature` bit that says missing values go to `next[0]`, under
/// [`Split::MissingPerNode`].
const STEP_MISSING_FIRST: u32 = 1 << 31;
/// A [`Small`]'s `feature` bit that says missing values go to `next[0]`, under
/// [`Split::MissingPerNode`].
const SMALL_MISSING_FIRST: u16 = 1 << 15;

impl Split {
    fn of(nodes: &[Node]) -> Self {
        let kind = |n: &Node| (n.mode, n.missing_true && n.mode != Mode::Neq);
        let branches: Vec<&Node> = nodes.iter().filter(|n| n.mode != Mode::Leaf).collect();
        // The compiled comparisons rewrite `x <= t or x is NaN` as `not x > t`, which
        // holds only when `t` is a number.
        if branches.iter().any(|n| n.threshold.is_nan()) {
            return Split::PerNode;
        }
        match branches.first().map(|n| kind(n)) {
            None => Split::Uniform(Mode::Leq, false),
            Some(first) if branches.iter().all(|n| kind(n) == first) => {
                Split::Uniform(first.0, first.1)
            }
            // The flag takes the feature's top bit: features must stay below it.
            Some((mode, _))
                if branches
                    .iter()
                    .all(|n| n.mode == mode && n.feature < STEP_MISSING_FIRST) =>
            {
                Split::MissingPerNode(mode)
            }
            Some(_) => Split::PerNode,
        }
    }
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
    /// The thresholds in double precision, by node index, when the graph gives them so
    /// (`nodes_values_as_tensor` of doubles): double inputs are compared with these.
    thresholds64: Option<Vec<f64>>,
    /// The nodes as the double walk reads them (thresholds in double), made on the first
    /// double batch of a uniform `BRANCH_LEQ` ensemble.
    steps64: std::sync::OnceLock<Vec<Step64>>,
    /// Whether the output has the input's element type (opset 5's `TreeEnsemble`); the
    /// older regressor always answers floats.
    output_like_input: bool,
    /// The nodes as the walk reads them, by the same index.
    steps: Vec<Step>,
    /// The branches' comparison.
    split: Split,
    /// Each tree's depth, in the order of `roots`.
    depths: Vec<u32>,
    /// The trees packed, when they are small enough.
    packed: Option<Packed>,
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
const BLOCK_ROWS: usize = 256;

/// Deepest tree whose rows take a step together, level by level (every row as many steps
/// as the tree is deep); deeper trees are walked row by row, each to its leaf.
const LOCKSTEP_DEPTH: u32 = 16;

impl TreeEnsemble {
    /// This ensemble answering in the input's element type (opset 5's `TreeEnsemble`).
    pub fn with_output_like_input(mut self) -> Self {
        self.output_like_input = true;
        self
    }

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
        // Rows hold `cols` values each, as the walks' slicing assumes.
        if rows.checked_mul(cols) != Some(x.data.len()) {
            return Err(RunError::Shape(format!(
                "{} values do not make {rows} rows of {cols}",
                x.data.len()
            )));
        }
        let nt = self.n_targets;
        let double = matches!(x.data, Data::F64(_));
        let all = if double {
            // Doubles are compared in double precision (with the double thresholds when
            // the graph has them) and a regressor answers doubles.
            let data = x.data.to_f64()?;
            let all = self.raw_scores_f64(&data, rows, cols);
            if self.output_like_input && self.classes.is_none() && self.post == PostTransform::None
            {
                return Ok(vec![tensor(vec![rows, nt], Data::F64(all))?]);
            }
            all
        } else {
            let data = x.data.to_f32()?;
            self.raw_scores(&data, rows, cols)
        };
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
