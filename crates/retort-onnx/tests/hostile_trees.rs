//! Tree ensembles that are not trees, or whose arrays disagree, are refused at load with
//! a message naming the node and the numbers; a walk over a loaded ensemble always ends.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retort_onnx::{MAX_TREE_DEPTH, MAX_WIDTH, Model, RunError};

#[test]
fn a_valid_stump_loads_and_runs() {
    let m = Model::load(&stump().regressor_model(2)).unwrap();
    let out = m
        .run(vec![floats_value(vec![2, 2], vec![0.0, 9.0, 1.0, 9.0])])
        .unwrap();
    assert_eq!(out[0], floats_value(vec![2, 1], vec![1.0, 1.0]));
}

#[test]
fn a_tree_node_that_is_its_own_child_is_refused_at_load() {
    let trees = Trees::default().branch(0, 0, 0, 0, 1).leaf(0, 1);
    let m = invalid(&trees.regressor_model(2));
    mentions(
        &m,
        &[
            "node \"trees\" (ai.onnx.ml:TreeEnsembleRegressor)",
            "node 0 of tree 0 is its own child",
        ],
    );
}

#[test]
fn a_node_shared_by_two_parents_is_refused_at_load() {
    // 0 → (1, 2); 1 → (3, 4); 2 → (3, 5): node 3 has two parents.
    let trees = Trees::default()
        .branch(0, 0, 0, 1, 2)
        .branch(0, 1, 0, 3, 4)
        .branch(0, 2, 0, 3, 5)
        .leaf(0, 3)
        .leaf(0, 4)
        .leaf(0, 5);
    let m = invalid(&trees.regressor_model(2));
    mentions(
        &m,
        &["node 3 of tree 0 is a child of both node 1 of tree 0 and node 2 of tree 0"],
    );
}

#[test]
fn a_branch_whose_two_children_are_the_same_node_is_refused_at_load() {
    let trees = Trees::default().branch(0, 0, 0, 1, 1).leaf(0, 1);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["node 1 of tree 0 is a child of both"],
    );
}

#[test]
fn a_child_id_out_of_range_is_refused_at_load() {
    let trees = Trees::default().branch(0, 0, 0, 1, 99).leaf(0, 1);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &[
            "trees",
            "tree 0 node 0: false child 99 is not a node of tree 0",
        ],
    );
}

#[test]
fn a_child_in_another_tree_is_refused_at_load() {
    let trees = stump().branch(1, 0, 0, 1, 2).leaf(1, 1).leaf(1, 3);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["tree 1 node 0: false child 2 is not a node of tree 1"],
    );
}

#[test]
fn a_cycle_beside_the_root_is_refused_at_load() {
    // The root reaches leaves 1 and 2; branches 3 and 4 point at each other.
    let trees = stump()
        .branch(0, 3, 0, 4, 5)
        .branch(0, 4, 0, 3, 6)
        .leaf(0, 5)
        .leaf(0, 6);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["node 3 of tree 0 is not reached from its tree's root: the branches form a cycle"],
    );
}

#[test]
fn a_tree_made_only_of_a_cycle_is_refused_at_load() {
    let trees = stump()
        .branch(1, 0, 0, 1, 2)
        .branch(1, 1, 0, 0, 3)
        .leaf(1, 2)
        .leaf(1, 3);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["node 0 of tree 1 is not reached"],
    );
}

#[test]
fn two_roots_in_one_tree_are_refused_at_load() {
    let trees = stump().leaf(0, 7);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["tree 0 has two roots, nodes 0 and 7"],
    );
}

#[test]
fn two_nodes_with_the_same_id_in_one_tree_are_refused_at_load() {
    let trees = stump().leaf(0, 2);
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["tree 0 has two nodes with id 2"],
    );
}

/// A chain of `depth` branches: node i sends its true side to leaf 10_000 + i and its
/// false side to node i + 1; the last false side is a leaf too.
fn chain(depth: i64) -> Trees {
    let mut t = Trees::default();
    for i in 0..depth {
        let next = if i + 1 == depth { 20_000 } else { i + 1 };
        t = t.branch(0, i, 0, 10_000 + i, next).leaf(0, 10_000 + i);
    }
    t.leaf(0, 20_000)
}

#[test]
fn a_tree_deeper_than_the_limit_is_refused_at_load() {
    let m = invalid(&chain(MAX_TREE_DEPTH as i64 + 1).regressor_model(1));
    mentions(&m, &["tree 0 is deeper than the 1000 levels allowed"]);
}

#[test]
fn a_tree_as_deep_as_the_limit_loads_and_runs() {
    let m = Model::load(&chain(MAX_TREE_DEPTH as i64).regressor_model(1)).unwrap();
    // 1.0 > 0.5: every branch takes its false side, down to the deepest leaf.
    let out = m.run(vec![floats_value(vec![1, 1], vec![1.0])]).unwrap();
    assert_eq!(out[0], floats_value(vec![1, 1], vec![1.0]));
}

#[test]
fn node_arrays_of_mismatched_lengths_are_refused_at_load() {
    let mut trees = stump();
    trees.value.pop();
    mentions(
        &invalid(&trees.regressor_model(2)),
        &["trees", "nodes_values has 2 entries, nodes_treeids has 3"],
    );
}

#[test]
fn weight_arrays_of_mismatched_lengths_are_refused_at_load() {
    let mut n = stump().regressor();
    for a in &mut n.attribute {
        if a.name == "target_weights" {
            a.floats.push(3.0);
        }
    }
    let m = invalid(&one_node(n, vec![float_rows(2)]));
    mentions(&m, &["target_weights", "[2, 2, 2, 3]"]);
}

#[test]
fn a_weight_on_a_branch_is_refused_at_load() {
    let mut n = stump().regressor();
    for a in &mut n.attribute {
        if a.name == "target_nodeids" {
            a.ints[0] = 0;
        }
    }
    mentions(
        &invalid(&one_node(n, vec![float_rows(2)])),
        &["target_nodeids names node 0 of tree 0, a branch, not a leaf"],
    );
}

#[test]
fn a_target_id_out_of_range_is_refused_at_load() {
    let mut n = stump().regressor();
    for a in &mut n.attribute {
        if a.name == "target_ids" {
            a.ints[1] = 4;
        }
    }
    mentions(
        &invalid(&one_node(n, vec![float_rows(2)])),
        &["target_ids 4 is out of range for 1 targets"],
    );
}

#[test]
fn a_class_id_out_of_range_is_refused_at_load() {
    let trees = stump();
    let mut attrs = trees.attributes();
    attrs.extend([
        ints("classlabels_int64s", &[0, 1, 2]),
        ints("class_treeids", &[0, 0]),
        ints("class_nodeids", &[1, 2]),
        ints("class_ids", &[0, 3]),
        floats("class_weights", &[1.0, 1.0]),
    ]);
    let n = node(
        "TreeEnsembleClassifier",
        "",
        &["X"],
        &["label", "probabilities"],
        attrs,
    );
    let m = invalid(&one_node(n, vec![float_rows(2)]));
    mentions(
        &m,
        &[
            "node #0 (ai.onnx.ml:TreeEnsembleClassifier)",
            "class_ids 3 is out of range for 3 classes",
        ],
    );
}

#[test]
fn more_base_values_than_targets_are_refused_at_load() {
    let mut n = stump().regressor();
    n.attribute.push(floats("base_values", &[1.0, 2.0]));
    mentions(
        &invalid(&one_node(n, vec![float_rows(2)])),
        &["2 base_values for 1 score columns"],
    );
}

#[test]
fn an_absurd_number_of_targets_is_refused_at_load() {
    let mut n = stump().regressor();
    for a in &mut n.attribute {
        if a.name == "n_targets" {
            a.i = 1 << 40;
        }
    }
    let m = invalid(&one_node(n, vec![float_rows(2)]));
    mentions(&m, &["n_targets is 1099511627776", &MAX_WIDTH.to_string()]);
}

#[test]
fn a_feature_beyond_the_declared_width_is_refused_at_load() {
    let trees = Trees::default().branch(0, 0, 7, 1, 2).leaf(0, 1).leaf(0, 2);
    mentions(
        &invalid(&trees.regressor_model(5)),
        &["the trees read feature 7 but rows have 5 columns"],
    );
}

#[test]
fn rows_narrower_than_the_features_read_are_a_run_error() {
    let trees = Trees::default().branch(0, 0, 3, 1, 2).leaf(0, 1).leaf(0, 2);
    let bytes = one_node(trees.regressor(), vec![float_any("X")]);
    let m = Model::load(&bytes).unwrap();
    let e = run_error(&m, vec![floats_value(vec![1, 2], vec![0.0, 0.0])]);
    assert!(
        matches!(&e, RunError::Shape(s) if s.contains("trees") && s.contains("feature 3") && s.contains("2 columns")),
        "{e}"
    );
}

#[test]
fn a_batch_of_no_rows_gives_no_scores() {
    let m = Model::load(&stump().regressor_model(2)).unwrap();
    let out = m.run(vec![floats_value(vec![0, 2], vec![])]).unwrap();
    assert_eq!(out[0], floats_value(vec![0, 1], vec![]));
}

#[test]
fn rows_of_no_columns_claiming_many_rows_are_refused_before_scoring() {
    // A lone leaf reads no feature: a [2^40, 0] batch holds no data but claims 2^40 rows.
    let trees = Trees::default().leaf(0, 0);
    let m = Model::load(&one_node(trees.regressor(), vec![float_any("X")])).unwrap();
    let e = run_error(&m, vec![floats_value(vec![1 << 40, 0], vec![])]);
    assert!(
        matches!(&e, RunError::Shape(s) if s.contains("1099511627776")),
        "{e}"
    );
}
