//! Building a tree ensemble from its node attributes, and validating it: the arrays agree
//! in length, every child id names a node of its tree, every node is reached from its
//! tree's root exactly once (no cycle, no shared or orphan node), no tree is deeper than
//! [`MAX_TREE_DEPTH`], and every leaf weight points at a leaf and a valid target. A walk
//! over a validated ensemble always ends at a leaf within `MAX_TREE_DEPTH` steps.

use std::collections::HashMap;

use super::{
    Aggregate, Classes, Mode, Node, PACKED_NODES, Packed, SMALL_MISSING_FIRST, STEP_MISSING_FIRST,
    Small, Split, Step, TreeEnsemble,
};
use crate::attrs::Attrs;
use crate::limits::{MAX_TREE_DEPTH, MAX_WIDTH};
use crate::ops::PostTransform;
use crate::tensor::Data;

/// Which attributes carry the leaf weights: `target_*` for a regressor, `class_*` for a
/// classifier.
struct Spec<'a> {
    prefix: &'a str,
    ids_attr: &'a str,
}

fn parse_mode(mode: &str) -> Result<Mode, String> {
    Ok(match mode {
        "LEAF" => Mode::Leaf,
        "BRANCH_LEQ" => Mode::Leq,
        "BRANCH_LT" => Mode::Lt,
        "BRANCH_GTE" => Mode::Gte,
        "BRANCH_GT" => Mode::Gt,
        "BRANCH_EQ" => Mode::Eq,
        "BRANCH_NEQ" => Mode::Neq,
        other => return Err(format!("unknown node mode {other:?}")),
    })
}

impl TreeEnsemble {
    /// Builds a TreeEnsembleRegressor.
    pub fn regressor(attrs: &Attrs<'_>) -> Result<Self, String> {
        let n = attrs.int("n_targets").unwrap_or(1);
        let n_targets = usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_WIDTH).contains(n))
            .ok_or_else(|| format!("n_targets is {n}, not between 1 and {MAX_WIDTH}"))?;
        let spec = Spec {
            prefix: "target",
            ids_attr: "target_ids",
        };
        Self::build(attrs, &spec, n_targets, None)
    }

    /// Builds a TreeEnsembleClassifier.
    pub fn classifier(attrs: &Attrs<'_>) -> Result<Self, String> {
        let strings = attrs.strings("classlabels_strings");
        let labels = if !strings.is_empty() {
            Data::Str(strings)
        } else {
            Data::I64(attrs.ints("classlabels_int64s"))
        };
        if labels.is_empty() {
            return Err("a classifier needs classlabels_int64s or classlabels_strings".into());
        }
        if labels.len() > MAX_WIDTH {
            return Err(format!(
                "{} class labels, more than the {MAX_WIDTH} allowed",
                labels.len()
            ));
        }
        let mut distinct = attrs.ints("class_ids");
        distinct.sort_unstable();
        distinct.dedup();
        let classes = Classes {
            binary_one_column: labels.len() == 2 && distinct.len() == 1,
            weights_all_positive: attrs.floats("class_weights").iter().all(|&w| w >= 0.0),
            labels,
        };
        let n = classes.labels.len();
        let spec = Spec {
            prefix: "class",
            ids_attr: "class_ids",
        };
        Self::build(attrs, &spec, n, Some(classes))
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
        // Thresholds given in double precision (`nodes_values_as_tensor` of doubles) are
        // kept as they are for double inputs.
        let thresholds64 = match attrs.tensor("nodes_values_as_tensor").map(|t| t.data) {
            Some(Data::F64(v)) if v.len() == values.len() => Some(v),
            _ => None,
        };
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
        if !missing.is_empty() && missing.len() != n {
            return Err(format!(
                "nodes_missing_value_tracks_true has {} entries, nodes_treeids has {n}",
                missing.len()
            ));
        }
        if u32::try_from(n).is_err() {
            return Err(format!("{n} nodes are more than the engine can index"));
        }

        // (tree, node id) → index; ids are unique within a tree.
        let mut index: HashMap<(i64, i64), u32> = HashMap::with_capacity(n);
        for (i, (&t, &id)) in tree_ids.iter().zip(&node_ids).enumerate() {
            if id < 0 {
                return Err(format!("tree {t} has a node with negative id {id}"));
            }
            if index.insert((t, id), i as u32).is_some() {
                return Err(format!("tree {t} has two nodes with id {id}"));
            }
        }
        let child = |tree: i64, of: i64, which: &str, id: i64| -> Result<u32, String> {
            index.get(&(tree, id)).copied().ok_or_else(|| {
                format!("tree {tree} node {of}: {which} child {id} is not a node of tree {tree}")
            })
        };

        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let (t, id) = (tree_ids[i], node_ids[i]);
            let mode = parse_mode(&modes[i]).map_err(|e| format!("tree {t} node {id}: {e}"))?;
            let (a, b, feature) = if mode == Mode::Leaf {
                (0, 0, 0)
            } else {
                let feature = u32::try_from(features[i])
                    .map_err(|_| format!("tree {t} node {id}: feature id {}", features[i]))?;
                (
                    child(t, id, "true", true_ids[i])?,
                    child(t, id, "false", false_ids[i])?,
                    feature,
                )
            };
            nodes.push(Node {
                threshold: values[i],
                feature,
                mode,
                missing_true: missing.get(i).copied().unwrap_or(0) != 0,
                a,
                b,
            });
        }
        let (roots, depths) = check_structure(&nodes, &tree_ids, &node_ids)?;

        // Leaf weights, grouped per leaf in the order given.
        let w_trees = attrs.ints(&format!("{}_treeids", spec.prefix));
        let w_nodes = attrs.ints(&format!("{}_nodeids", spec.prefix));
        let w_ids = attrs.ints(spec.ids_attr);
        let w_values = attrs.doubles(&format!("{}_weights", spec.prefix));
        let lens = [w_trees.len(), w_nodes.len(), w_ids.len(), w_values.len()];
        if lens.iter().any(|&l| l != lens[0]) {
            return Err(format!(
                "{p}_treeids, {p}_nodeids, {ids} and {p}_weights have {lens:?} entries",
                p = spec.prefix,
                ids = spec.ids_attr
            ));
        }
        if u32::try_from(w_values.len()).is_err() {
            return Err(format!("{} weights are too many", w_values.len()));
        }
        let mut per_leaf: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
        for k in 0..w_trees.len() {
            let (t, id) = (w_trees[k], w_nodes[k]);
            let leaf = index.get(&(t, id)).copied().ok_or_else(|| {
                format!(
                    "{}_nodeids names node {id} of tree {t}, which does not exist",
                    spec.prefix
                )
            })? as usize;
            if nodes[leaf].mode != Mode::Leaf {
                return Err(format!(
                    "{}_nodeids names node {id} of tree {t}, a branch, not a leaf",
                    spec.prefix
                ));
            }
            let target = usize::try_from(w_ids[k])
                .ok()
                .filter(|&t| t < n_targets)
                .ok_or_else(|| {
                    format!(
                        "{} {} is out of range for {n_targets} {}",
                        spec.ids_attr,
                        w_ids[k],
                        if classes.is_some() {
                            "classes"
                        } else {
                            "targets"
                        }
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
        let base_values = attrs.doubles("base_values");
        if base_values.len() > n_targets {
            return Err(format!(
                "{} base_values for {n_targets} score columns",
                base_values.len()
            ));
        }
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
        let max_feature = nodes
            .iter()
            .filter(|n| n.mode != Mode::Leaf)
            .map(|n| n.feature as usize)
            .max();
        let binary_column = weights.first().map_or(0, |&(t, _)| t as usize);
        let split = Split::of(&nodes);
        let flagged = matches!(split, Split::MissingPerNode(_));
        let steps = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                if n.mode == Mode::Leaf {
                    // A leaf leads to itself whatever the comparison gives.
                    Step {
                        threshold: 0.0,
                        feature: 0,
                        next: [i as u32; 2],
                    }
                } else {
                    let flag = if flagged && n.missing_true {
                        STEP_MISSING_FIRST
                    } else {
                        0
                    };
                    Step {
                        threshold: n.threshold,
                        feature: n.feature | flag,
                        next: [n.a, n.b],
                    }
                }
            })
            .collect();
        Ok(Self {
            steps64: std::sync::OnceLock::new(),
            thresholds64,
            output_like_input: false,
            packed: Packed::of(&nodes, &roots, &leaf_value, flagged),
            split,
            steps,
            depths,
            leaf_value,
            binary_column,
            max_feature,
            nodes,
            roots,
            weights,
            n_targets,
            aggregate,
            base_values,
            post: PostTransform::parse(attrs)?,
            classes,
        })
    }
}

/// Checks that the branches make one tree per tree id: each node the child of at most one
/// branch and never its own, one root per tree, every node reached from it, no path longer
/// than [`MAX_TREE_DEPTH`]. Returns the roots in tree id order, and each tree's depth (the
/// most branches on a path from its root to a leaf).
fn check_structure(
    nodes: &[Node],
    tree_ids: &[i64],
    node_ids: &[i64],
) -> Result<(Vec<u32>, Vec<u32>), String> {
    let name = |i: usize| format!("node {} of tree {}", node_ids[i], tree_ids[i]);
    let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if node.mode == Mode::Leaf {
            continue;
        }
        for c in [node.a as usize, node.b as usize] {
            if c == i {
                return Err(format!("{} is its own child", name(i)));
            }
            if let Some(p) = parent[c].replace(i) {
                return Err(format!(
                    "{} is a child of both {} and {}",
                    name(c),
                    name(p),
                    name(i)
                ));
            }
        }
    }
    // One root per tree, in tree id order.
    let mut roots: Vec<(i64, usize)> = (0..nodes.len())
        .filter(|&i| parent[i].is_none())
        .map(|i| (tree_ids[i], i))
        .collect();
    roots.sort_unstable();
    if let Some(w) = roots.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "tree {} has two roots, nodes {} and {}",
            w[0].0, node_ids[w[0].1], node_ids[w[1].1]
        ));
    }
    // Walk down from every root; each node is reached once (it has one parent), so
    // anything not reached hangs off a cycle.
    let mut reached = vec![false; nodes.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut depths = Vec::with_capacity(roots.len());
    for &(_, root) in &roots {
        stack.push((root, 0));
        let mut deepest = 0;
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut reached[i], true) {
                return Err(format!("{} is reached twice", name(i)));
            }
            let node = &nodes[i];
            if node.mode == Mode::Leaf {
                deepest = deepest.max(depth);
                continue;
            }
            if depth >= MAX_TREE_DEPTH {
                return Err(format!(
                    "tree {} is deeper than the {MAX_TREE_DEPTH} levels allowed",
                    tree_ids[i]
                ));
            }
            stack.push((node.a as usize, depth + 1));
            stack.push((node.b as usize, depth + 1));
        }
        // At most MAX_TREE_DEPTH.
        depths.push(deepest as u32);
    }
    if let Some(i) = reached.iter().position(|&r| !r) {
        return Err(format!(
            "{} is not reached from its tree's root: the branches form a cycle",
            name(i)
        ));
    }
    Ok((roots.into_iter().map(|(_, i)| i as u32).collect(), depths))
}

/// Most slots of all packed trees together.
const MAX_PACKED_SLOTS: usize = 1 << 21;

impl Packed {
    /// Whether `trees` trees of [`PACKED_NODES`] slots (20 bytes each) are few enough for
    /// `nodes` nodes: the padding may multiply the memory of a model with trees of a
    /// dozen nodes or more, not of one made of tiny trees, and the packed trees never
    /// take more than [`MAX_PACKED_SLOTS`] slots (40 MiB, 8,192 trees) whatever the
    /// model.
    pub(super) fn fits(trees: usize, nodes: usize) -> bool {
        let slots = trees.saturating_mul(PACKED_NODES);
        slots <= nodes.saturating_mul(16).max(1 << 16) && slots <= MAX_PACKED_SLOTS
    }

    /// The trees rooted at `roots` packed, if each has at most [`PACKED_NODES`] nodes,
    /// every feature fits in 16 bits (15 when the top bit carries each node's missing
    /// value flag, `flagged`), and the padding [`fits`](Self::fits).
    fn of(nodes: &[Node], roots: &[u32], leaf_value: &[f64], flagged: bool) -> Option<Self> {
        let limit = if flagged {
            u32::from(SMALL_MISSING_FIRST)
        } else {
            1 << 16
        };
        if !Self::fits(roots.len(), nodes.len())
            || nodes
                .iter()
                .any(|n| n.mode != Mode::Leaf && n.feature >= limit)
        {
            return None;
        }
        let mut trees = Vec::with_capacity(roots.len());
        let mut global = Vec::with_capacity(roots.len());
        let mut values = Vec::with_capacity(roots.len());
        // Each node's index within its tree.
        let mut local = vec![0u8; nodes.len()];
        let mut order: Vec<usize> = Vec::with_capacity(PACKED_NODES);
        for &root in roots {
            // Breadth first from the root: the top levels, which every row reads, share
            // cache lines.
            order.clear();
            order.push(root as usize);
            let mut k = 0;
            while let Some(&i) = order.get(k) {
                let n = nodes.get(i)?;
                if n.mode != Mode::Leaf {
                    if order.len() + 2 > PACKED_NODES {
                        return None;
                    }
                    order.push(n.a as usize);
                    order.push(n.b as usize);
                }
                k += 1;
            }
            let mut tree = [Small::default(); PACKED_NODES];
            let mut index = [0u32; PACKED_NODES];
            let mut value = [0.0f64; PACKED_NODES];
            for (k, &i) in order.iter().enumerate() {
                // Fewer than PACKED_NODES (256) nodes in `order`.
                local[i] = k as u8;
                index[k] = i as u32;
                value[k] = leaf_value.get(i).copied().unwrap_or(0.0);
            }
            for (k, &i) in order.iter().enumerate() {
                let n = &nodes[i];
                tree[k] = if n.mode == Mode::Leaf {
                    Small {
                        threshold: 0.0,
                        feature: 0,
                        next: [k as u8; 2],
                    }
                } else {
                    // Below `limit`, so below 2¹⁶ (2¹⁵ when flagged).
                    let flag = if flagged && n.missing_true {
                        SMALL_MISSING_FIRST
                    } else {
                        0
                    };
                    Small {
                        threshold: n.threshold,
                        feature: n.feature as u16 | flag,
                        next: [local[n.a as usize], local[n.b as usize]],
                    }
                };
            }
            trees.push(tree);
            global.push(index);
            values.push(value);
        }
        Some(Self {
            trees,
            global,
            leaf_value: values,
        })
    }
}
