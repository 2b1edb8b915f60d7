//! The block walks (rows stepping together, packed trees, fixed-width rows) against the
//! plain walk of one row to its leaf: on random ensembles of every comparison, with NaN,
//! infinities, signed zeros and values equal to the thresholds, deep and wide trees,
//! widths on both sides of the fixed ones, batches that do not fill a block. The sums
//! must agree bit for bit.

#![allow(clippy::unwrap_used)]

use super::{BLOCK_ROWS, LOCKSTEP_DEPTH, Mode, Split, TreeEnsemble};
use crate::attrs::Attrs;
use crate::proto::{AttributeProto, NodeProto};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values the thresholds and the inputs are drawn from, so that they often meet.
const VALUES: [f32; 9] = [
    -1.5,
    -0.0,
    0.0,
    0.5,
    1.0,
    2.5,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
];

const MODES: [&str; 6] = [
    "BRANCH_LEQ",
    "BRANCH_LT",
    "BRANCH_GTE",
    "BRANCH_GT",
    "BRANCH_EQ",
    "BRANCH_NEQ",
];

#[derive(Default)]
struct Nodes {
    tree: Vec<i64>,
    id: Vec<i64>,
    feature: Vec<i64>,
    value: Vec<f32>,
    mode: Vec<String>,
    yes: Vec<i64>,
    no: Vec<i64>,
    missing: Vec<i64>,
    leaves: Vec<(i64, i64)>,
}

/// What a random ensemble's branches look like.
struct Shape {
    cols: usize,
    /// `None`: every branch draws its own mode and missing flag.
    split: Option<(&'static str, bool)>,
    max_depth: usize,
    /// Whether thresholds may be NaN too.
    nan_thresholds: bool,
    /// Whether every leaf is at `max_depth`.
    complete: bool,
    /// Whether each branch draws its missing-value flag (the mode stays `split`'s).
    random_missing: bool,
    /// Whether inputs may be NaN.
    nan_inputs: bool,
}

impl Nodes {
    /// Adds a random subtree of tree `t` under node id `id`; returns the next free id.
    fn grow(&mut self, rng: &mut Rng, shape: &Shape, t: i64, id: i64, depth: usize) -> i64 {
        // Bushy near the root, then as likely a leaf as not: deep trees stay small.
        let chance = if depth < 6 { 5 } else { 2 };
        let leaf = depth >= shape.max_depth
            || shape.cols == 0
            || (!shape.complete && rng.below(chance) == 0);
        self.tree.push(t);
        self.id.push(id);
        if leaf {
            self.feature.push(0);
            self.value.push(0.0);
            self.mode.push("LEAF".into());
            self.yes.push(0);
            self.no.push(0);
            self.missing.push(0);
            self.leaves.push((t, id));
            return id + 1;
        }
        let (mode, missing) = shape
            .split
            .unwrap_or_else(|| (MODES[rng.below(MODES.len())], rng.below(2) == 0));
        let missing = if shape.random_missing {
            rng.below(2) == 0
        } else {
            missing
        };
        let at = self.id.len() - 1;
        self.feature.push(rng.below(shape.cols) as i64);
        let values = if shape.nan_thresholds {
            &VALUES[..]
        } else {
            &VALUES[..VALUES.len() - 1]
        };
        self.value.push(values[rng.below(values.len())]);
        self.mode.push(mode.into());
        self.missing.push(i64::from(missing));
        self.yes.push(0);
        self.no.push(0);
        let yes = id + 1;
        let next = self.grow(rng, shape, t, yes, depth + 1);
        let after = self.grow(rng, shape, t, next, depth + 1);
        self.yes[at] = yes;
        self.no[at] = next;
        after
    }

    fn ensemble(&self, rng: &mut Rng, n_targets: usize) -> TreeEnsemble {
        let ints = |name: &str, v: &[i64]| AttributeProto {
            name: name.into(),
            ints: v.to_vec(),
            ..Default::default()
        };
        let floats = |name: &str, v: &[f32]| AttributeProto {
            name: name.into(),
            floats: v.to_vec(),
            ..Default::default()
        };
        // One or two weights per leaf, on random targets.
        let (mut wt, mut wn, mut wi, mut ww) = (vec![], vec![], vec![], vec![]);
        for &(t, id) in &self.leaves {
            for _ in 0..1 + rng.below(2) {
                wt.push(t);
                wn.push(id);
                wi.push(rng.below(n_targets) as i64);
                ww.push((rng.below(2001) as f32 - 1000.0) / 7.0);
            }
        }
        let node = NodeProto {
            attribute: vec![
                ints("nodes_treeids", &self.tree),
                ints("nodes_nodeids", &self.id),
                ints("nodes_featureids", &self.feature),
                floats("nodes_values", &self.value),
                AttributeProto {
                    name: "nodes_modes".into(),
                    strings: self.mode.iter().map(|m| m.as_bytes().to_vec()).collect(),
                    ..Default::default()
                },
                ints("nodes_truenodeids", &self.yes),
                ints("nodes_falsenodeids", &self.no),
                ints("nodes_missing_value_tracks_true", &self.missing),
                AttributeProto {
                    name: "n_targets".into(),
                    i: n_targets as i64,
                    ..Default::default()
                },
                ints("target_treeids", &wt),
                ints("target_nodeids", &wn),
                ints("target_ids", &wi),
                floats("target_weights", &ww),
                floats("base_values", &[0.25]),
            ],
            ..Default::default()
        };
        TreeEnsemble::regressor(&Attrs::new(&node)).unwrap()
    }
}

/// The sums as the plain walk gives them: each row walks each tree to its leaf, the
/// leaf's weights added in tree order (for one target, the leaf's weights summed
/// first), then the base values.
fn reference(e: &TreeEnsemble, data: &[f32], rows: usize, cols: usize) -> Vec<f64> {
    let nt = e.n_targets;
    let mut out = vec![0.0f64; rows * nt];
    for r in 0..rows {
        for &root in &e.roots {
            let leaf = e.leaf(root, &data[r * cols..(r + 1) * cols]);
            if nt == 1 {
                out[r] += e.leaf_value[leaf];
                continue;
            }
            let n = &e.nodes[leaf];
            for &(t, w) in &e.weights[n.a as usize..n.b as usize] {
                out[r * nt + t as usize] += w;
            }
        }
        for (v, b) in out[r * nt..(r + 1) * nt].iter_mut().zip(&e.base_values) {
            *v += b;
        }
    }
    out
}

fn check(seed: u64, shape: &Shape, trees: usize, n_targets: usize, rows: usize) -> TreeEnsemble {
    let mut rng = Rng(seed);
    let mut nodes = Nodes::default();
    for t in 0..trees {
        nodes.grow(&mut rng, shape, t as i64, 0, 0);
    }
    let e = nodes.ensemble(&mut rng, n_targets);
    let values = if shape.nan_inputs {
        &VALUES[..]
    } else {
        &VALUES[..VALUES.len() - 1]
    };
    let data: Vec<f32> = (0..rows * shape.cols)
        .map(|_| values[rng.below(values.len())])
        .collect();
    let want = reference(&e, &data, rows, shape.cols);
    let got = e.raw_scores(&data, rows, shape.cols);
    assert_eq!(got.len(), want.len());
    let differ = got
        .iter()
        .zip(&want)
        .position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(
        differ, None,
        "seed {seed}, {} columns, split {:?}, {trees} trees, {n_targets} targets, {rows} rows",
        shape.cols, shape.split
    );
    e
}

#[test]
fn every_uniform_comparison_sums_as_the_plain_walk() {
    let mut seed = 1;
    for mode in MODES {
        for missing in [false, true] {
            for cols in [1, 5, 16, 17, 64, 65, 200] {
                for n_targets in [1, 3] {
                    seed += 1;
                    let shape = Shape {
                        cols,
                        split: Some((mode, missing)),
                        max_depth: 7,
                        nan_thresholds: false,
                        complete: false,
                        random_missing: false,
                        nan_inputs: true,
                    };
                    let e = check(seed, &shape, 12, n_targets, 2 * BLOCK_ROWS + 37);
                    assert!(matches!(e.split, Split::Uniform(..)));
                }
            }
        }
    }
}

#[test]
fn one_mode_with_missing_values_sent_either_way_sums_as_the_plain_walk() {
    let mut seed = 200;
    for mode in MODES {
        for (cols, nan_inputs) in [3, 16, 33, 64, 65, 150]
            .into_iter()
            .flat_map(|c| [(c, true), (c, false)])
        {
            seed += 1;
            let shape = Shape {
                cols,
                split: Some((mode, false)),
                max_depth: 7,
                nan_thresholds: false,
                complete: false,
                random_missing: true,
                nan_inputs,
            };
            let e = check(seed, &shape, 12, 1, 2 * BLOCK_ROWS + 5);
            if mode == "BRANCH_NEQ" {
                assert_eq!(e.split, Split::Uniform(Mode::Neq, false));
            } else {
                assert!(matches!(e.split, Split::MissingPerNode(_)), "{mode}");
            }
        }
    }
    // Too many nodes to pack.
    let shape = Shape {
        cols: 20,
        split: Some(("BRANCH_LT", false)),
        max_depth: 9,
        nan_thresholds: false,
        complete: true,
        random_missing: true,
        nan_inputs: true,
    };
    let e = check(300, &shape, 3, 2, BLOCK_ROWS + 9);
    assert!(e.packed.is_none());
}

#[test]
fn mixed_comparisons_sum_as_the_plain_walk() {
    for (seed, cols) in [(3, 4), (5, 16), (7, 40), (9, 100)] {
        let shape = Shape {
            cols,
            split: None,
            max_depth: 6,
            nan_thresholds: true,
            complete: false,
            random_missing: false,
            nan_inputs: true,
        };
        let e = check(seed, &shape, 10, 2, BLOCK_ROWS + 1);
        assert_eq!(e.split, Split::PerNode);
    }
}

#[test]
fn a_nan_threshold_is_compared_node_by_node() {
    let mut seed = 100;
    for mode in MODES {
        for missing in [false, true] {
            seed += 1;
            let shape = Shape {
                cols: 5,
                split: Some((mode, missing)),
                max_depth: 6,
                nan_thresholds: true,
                complete: false,
                random_missing: false,
                nan_inputs: true,
            };
            let e = check(seed, &shape, 12, 1, BLOCK_ROWS + 3);
            assert_eq!(e.split, Split::PerNode, "{mode}");
        }
    }
}

#[test]
fn deep_and_large_trees_sum_as_the_plain_walk() {
    // Deeper than the lockstep walk takes, and more nodes than a packed tree holds.
    for (seed, cols, max_depth) in [(11, 8, 12), (13, 30, 24), (15, 90, 24)] {
        let shape = Shape {
            cols,
            split: Some(("BRANCH_LEQ", true)),
            max_depth,
            nan_thresholds: false,
            complete: false,
            random_missing: false,
            nan_inputs: true,
        };
        let e = check(seed, &shape, 6, 1, 300);
        assert!(e.depths.iter().any(|&d| d > 8));
        if max_depth > LOCKSTEP_DEPTH as usize {
            assert!(e.depths.iter().any(|&d| d > LOCKSTEP_DEPTH));
        }
    }
    // Complete trees of 1,023 nodes, too many to pack, stepped together.
    for (seed, cols) in [(21, 10), (23, 40), (25, 70)] {
        let shape = Shape {
            cols,
            split: Some(("BRANCH_GTE", true)),
            max_depth: 9,
            nan_thresholds: false,
            complete: true,
            random_missing: false,
            nan_inputs: true,
        };
        let e = check(seed, &shape, 3, 2, 2 * BLOCK_ROWS + 1);
        assert!(e.packed.is_none());
        let e = check(seed, &shape, 3, 1, 2 * BLOCK_ROWS + 1);
        assert!(e.packed.is_none());
    }
    assert!(super::Packed::fits(8192, 8192 * 100));
    assert!(!super::Packed::fits(8193, 8193 * 100));
    // Many more trees than nodes justify padding: not packed.
    let shape = Shape {
        cols: 3,
        split: Some(("BRANCH_LT", false)),
        max_depth: 1,
        nan_thresholds: false,
        complete: false,
        random_missing: false,
        nan_inputs: true,
    };
    let e = check(17, &shape, 5000, 1, 100);
    assert!(e.packed.is_none());
}

#[test]
fn small_batches_and_no_columns_sum_as_the_plain_walk() {
    for rows in [0, 1, BLOCK_ROWS - 1, BLOCK_ROWS, BLOCK_ROWS + 1] {
        let shape = Shape {
            cols: 3,
            split: Some(("BRANCH_GT", true)),
            max_depth: 5,
            nan_thresholds: false,
            complete: false,
            random_missing: false,
            nan_inputs: true,
        };
        check(19 + rows as u64, &shape, 7, 1, rows);
    }
    // Leaves only: rows of no columns.
    let shape = Shape {
        cols: 0,
        split: None,
        max_depth: 0,
        nan_thresholds: false,
        complete: false,
        random_missing: false,
        nan_inputs: true,
    };
    let e = check(23, &shape, 4, 2, 10);
    assert!(e.nodes.iter().all(|n| n.mode == Mode::Leaf));
}
