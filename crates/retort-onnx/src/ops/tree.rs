//! TreeEnsembleRegressor and TreeEnsembleClassifier, flattened: every node of every tree
//! in one array of 20-byte records, children as indices, leaf weights in one array — a
//! row walks each tree with no allocation and no hashing.

use std::collections::HashMap;

use super::{Kernel, PostTransform, input, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
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
enum Labels {
    I64(Vec<i64>),
    Str(Vec<String>),
}

impl Labels {
    fn len(&self) -> usize {
        match self {
            Labels::I64(v) => v.len(),
            Labels::Str(v) => v.len(),
        }
    }
}

#[derive(Debug, Clone)]
struct Classes {
    labels: Labels,
    /// Only one class has weights: its score decides between the two labels.
    binary_one_column: bool,
    weights_all_positive: bool,
}

/// A tree ensemble, regressor or classifier.
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
}

/// Rows walked together, tree by tree, so one tree's nodes stay in cache.
const BLOCK_ROWS: usize = 64;

struct Spec<'a> {
    prefix: &'a str,
    ids_attr: &'a str,
}

impl TreeEnsemble {
    /// Builds a TreeEnsembleRegressor.
    pub fn regressor(attrs: &Attrs<'_>) -> Result<Self, String> {
        let n_targets = attrs.int("n_targets").unwrap_or(1).max(1) as usize;
        Self::build(
            attrs,
            &Spec {
                prefix: "target",
                ids_attr: "target_ids",
            },
            n_targets,
            None,
        )
    }

    /// Builds a TreeEnsembleClassifier.
    pub fn classifier(attrs: &Attrs<'_>) -> Result<Self, String> {
        let ints = attrs.ints("classlabels_int64s");
        let strings = attrs.strings("classlabels_strings");
        let labels = if !strings.is_empty() {
            Labels::Str(strings)
        } else {
            Labels::I64(ints)
        };
        if labels.len() == 0 {
            return Err("a classifier needs classlabels_int64s or classlabels_strings".into());
        }
        let class_ids = attrs.ints("class_ids");
        let mut distinct = class_ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let classes = Classes {
            binary_one_column: labels.len() == 2 && distinct.len() == 1,
            weights_all_positive: attrs.floats("class_weights").iter().all(|&w| w >= 0.0),
            labels,
        };
        let n = classes.labels.len();
        Self::build(
            attrs,
            &Spec {
                prefix: "class",
                ids_attr: "class_ids",
            },
            n,
            Some(classes),
        )
    }

    fn build(
        attrs: &Attrs<'_>,
        spec: &Spec<'_>,
        n_targets: usize,
        classes: Option<Classes>,
    ) -> Result<Self, String> {
        let tree_ids = attrs.ints("nodes_treeids");
        let node_ids = attrs.ints("nodes_nodeids");
        let features = attrs.ints("nodes_featureids");
        let values = attrs.floats("nodes_values");
        let modes = attrs.strings("nodes_modes");
        let true_ids = attrs.ints("nodes_truenodeids");
        let false_ids = attrs.ints("nodes_falsenodeids");
        let missing = attrs.ints("nodes_missing_value_tracks_true");
        let n = tree_ids.len();
        for (name, len) in [
            ("nodes_nodeids", node_ids.len()),
            ("nodes_featureids", features.len()),
            ("nodes_values", values.len()),
            ("nodes_modes", modes.len()),
            ("nodes_truenodeids", true_ids.len()),
            ("nodes_falsenodeids", false_ids.len()),
        ] {
            if len != n {
                return Err(format!("{name} has {len} entries, nodes_treeids has {n}"));
            }
        }
        let index: HashMap<(i64, i64), u32> = tree_ids
            .iter()
            .zip(&node_ids)
            .enumerate()
            .map(|(i, (&t, &id))| ((t, id), i as u32))
            .collect();
        let child = |tree: i64, id: i64| -> Result<u32, String> {
            index
                .get(&(tree, id))
                .copied()
                .ok_or_else(|| format!("tree {tree} has no node {id}"))
        };

        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let mode = match modes[i].as_str() {
                "LEAF" => Mode::Leaf,
                "BRANCH_LEQ" => Mode::Leq,
                "BRANCH_LT" => Mode::Lt,
                "BRANCH_GTE" => Mode::Gte,
                "BRANCH_GT" => Mode::Gt,
                "BRANCH_EQ" => Mode::Eq,
                "BRANCH_NEQ" => Mode::Neq,
                other => return Err(format!("unknown node mode {other:?}")),
            };
            let (a, b) = if mode == Mode::Leaf {
                (0, 0)
            } else {
                (
                    child(tree_ids[i], true_ids[i])?,
                    child(tree_ids[i], false_ids[i])?,
                )
            };
            nodes.push(Node {
                threshold: values[i],
                feature: u32::try_from(features[i])
                    .map_err(|_| format!("negative feature id {}", features[i]))?,
                mode,
                missing_true: missing.get(i).copied().unwrap_or(0) != 0,
                a,
                b,
            });
        }

        // Leaf weights, grouped per leaf in the order given.
        let w_trees = attrs.ints(&format!("{}_treeids", spec.prefix));
        let w_nodes = attrs.ints(&format!("{}_nodeids", spec.prefix));
        let w_ids = attrs.ints(spec.ids_attr);
        let w_values = attrs.doubles(&format!("{}_weights", spec.prefix));
        if w_trees.len() != w_nodes.len()
            || w_nodes.len() != w_ids.len()
            || w_ids.len() != w_values.len()
        {
            return Err(format!(
                "the {}_* weight attributes differ in length",
                spec.prefix
            ));
        }
        let mut per_leaf: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
        for k in 0..w_trees.len() {
            let leaf = child(w_trees[k], w_nodes[k])? as usize;
            let target = usize::try_from(w_ids[k])
                .ok()
                .filter(|&t| t < n_targets)
                .ok_or_else(|| {
                    format!(
                        "{} {} is out of range for {n_targets} targets",
                        spec.ids_attr, w_ids[k]
                    )
                })?;
            per_leaf[leaf].push((target as u32, w_values[k]));
        }
        let mut weights = Vec::with_capacity(w_values.len());
        for (i, node) in nodes.iter_mut().enumerate() {
            if node.mode == Mode::Leaf {
                node.a = weights.len() as u32;
                weights.extend_from_slice(&per_leaf[i]);
                node.b = weights.len() as u32;
            }
        }

        // Roots: nodes no other node points to, one per tree, in tree order.
        let mut is_child = vec![false; n];
        for node in &nodes {
            if node.mode != Mode::Leaf {
                is_child[node.a as usize] = true;
                is_child[node.b as usize] = true;
            }
        }
        let mut roots: Vec<(i64, u32)> = (0..n)
            .filter(|&i| !is_child[i])
            .map(|i| (tree_ids[i], i as u32))
            .collect();
        roots.sort_by_key(|&(t, _)| t);

        let aggregate = match attrs
            .string("aggregate_function")
            .as_deref()
            .unwrap_or("SUM")
        {
            "SUM" => Aggregate::Sum,
            "AVERAGE" => Aggregate::Average,
            "MIN" => Aggregate::Min,
            "MAX" => Aggregate::Max,
            other => return Err(format!("unknown aggregate_function {other:?}")),
        };
        let leaf_value: Vec<f64> = nodes
            .iter()
            .map(|n| {
                if n.mode == Mode::Leaf {
                    weights[n.a as usize..n.b as usize]
                        .iter()
                        .map(|&(_, w)| w)
                        .sum()
                } else {
                    0.0
                }
            })
            .collect();
        let binary_column = weights.first().map_or(0, |&(t, _)| t as usize);
        Ok(Self {
            leaf_value,
            binary_column,
            nodes,
            roots: roots.into_iter().map(|(_, i)| i).collect(),
            weights,
            n_targets,
            aggregate,
            base_values: attrs.doubles("base_values"),
            post: PostTransform::parse(attrs)?,
            classes,
        })
    }

    /// The index of the leaf a row reaches in the tree rooted at `root`.
    #[inline]
    fn leaf(&self, root: u32, row: &[f32]) -> usize {
        let mut i = root as usize;
        loop {
            let node = &self.nodes[i];
            let x = match node.mode {
                Mode::Leaf => return i,
                _ => row[node.feature as usize],
            };
            let t = node.threshold;
            let holds = match node.mode {
                Mode::Leq => x <= t,
                Mode::Lt => x < t,
                Mode::Gte => x >= t,
                Mode::Gt => x > t,
                Mode::Eq => x == t,
                _ => x != t,
            };
            let go_true = holds || (node.missing_true && x.is_nan());
            i = if go_true { node.a } else { node.b } as usize;
        }
    }

    /// The aggregated scores of every row, `rows × n_targets`, with base values added
    /// (before the post-transform). Sums walk blocks of rows tree by tree.
    fn raw_scores(&self, data: &[f32], rows: usize, cols: usize) -> Vec<f64> {
        let nt = self.n_targets;
        let mut out = vec![0.0f64; rows * nt];
        match self.aggregate {
            Aggregate::Sum | Aggregate::Average => {
                for start in (0..rows).step_by(BLOCK_ROWS) {
                    let end = (start + BLOCK_ROWS).min(rows);
                    for &root in &self.roots {
                        for r in start..end {
                            let leaf = self.leaf(root, &data[r * cols..(r + 1) * cols]);
                            if nt == 1 {
                                out[r] += self.leaf_value[leaf];
                            } else {
                                let n = &self.nodes[leaf];
                                for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                                    out[r * nt + t as usize] += w;
                                }
                            }
                        }
                    }
                }
                if self.aggregate == Aggregate::Average && !self.roots.is_empty() {
                    let n = self.roots.len() as f64;
                    out.iter_mut().for_each(|v| *v /= n);
                }
            }
            Aggregate::Min | Aggregate::Max => {
                let mut seen = vec![false; nt];
                for r in 0..rows {
                    seen.iter_mut().for_each(|v| *v = false);
                    let row_out = &mut out[r * nt..(r + 1) * nt];
                    for &root in &self.roots {
                        let n = &self.nodes[self.leaf(root, &data[r * cols..(r + 1) * cols])];
                        for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                            let t = t as usize;
                            row_out[t] = match (seen[t], self.aggregate) {
                                (false, _) => w,
                                (true, Aggregate::Min) => row_out[t].min(w),
                                (true, _) => row_out[t].max(w),
                            };
                            seen[t] = true;
                        }
                    }
                }
            }
        }
        for row in out.chunks_mut(nt.max(1)) {
            for (v, b) in row.iter_mut().zip(&self.base_values) {
                *v += b;
            }
        }
        out
    }
}

impl Kernel for TreeEnsemble {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let (rows, cols) = x.as_matrix();
        let data = x.data.to_f32()?;
        let max_feature = self
            .nodes
            .iter()
            .filter(|n| n.mode != Mode::Leaf)
            .map(|n| n.feature as usize)
            .max();
        if let Some(f) = max_feature {
            if f >= cols {
                return Err(RunError::Shape(format!(
                    "the trees read feature {f} but rows have {cols} columns"
                )));
            }
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
        let labels = match &classes.labels {
            Labels::I64(l) => Data::I64(winners.iter().map(|&w| l[w]).collect()),
            Labels::Str(l) => Data::Str(winners.iter().map(|&w| l[w].clone()).collect()),
        };
        Ok(vec![
            tensor(vec![rows], labels)?,
            tensor(vec![rows, n_classes], Data::F32(probs))?,
        ])
    }
}
