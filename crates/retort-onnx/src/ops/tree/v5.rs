//! The `ai.onnx.ml` opset-5 `TreeEnsemble` operator, read into the attributes of the
//! older `TreeEnsembleRegressor` so that one builder validates and flattens both.
//!
//! Opset 5 keeps branches and leaves in separate arrays: `nodes_*` are the branches
//! (`nodes_splits` a tensor of the input's type, `nodes_modes` a uint8 tensor), each
//! child is an index into the branches or, when `nodes_trueleafs`/`nodes_falseleafs`
//! says so, into the leaves (`leaf_targetids`, `leaf_weights`); `tree_roots` indexes the
//! branches. The output has the input's element type, so a double-precision graph stays
//! in double precision end to end.
//!
//! The translation walks each tree from its root: every branch gets the node id of its
//! index and the tree of the root that reaches it; every leaf a tree reaches gets the id
//! `branches + leaf index` in that tree. A branch reached twice (by two trees, or twice
//! in one) is refused; a branch no root reaches is refused by the builder.

use crate::attrs::Attrs;
use crate::proto::{AttributeProto, NodeProto, TensorProto, data_type};
use crate::tensor::Data;

const MODES: [&str; 6] = [
    "BRANCH_LEQ",
    "BRANCH_LT",
    "BRANCH_GTE",
    "BRANCH_GT",
    "BRANCH_EQ",
    "BRANCH_NEQ",
];

fn ints(name: &str, v: Vec<i64>) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v,
        ..Default::default()
    }
}

fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: v.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn doubles(name: &str, v: Vec<f64>) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        t: Some(TensorProto {
            dims: vec![v.len() as i64],
            data_type: data_type::DOUBLE,
            double_data: v,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The numbers of a tensor attribute of floats or doubles, widened; `None` when absent.
fn numbers(attrs: &Attrs<'_>, name: &str) -> Result<Option<Vec<f64>>, String> {
    match attrs.tensor(name).map(|t| t.data) {
        None => Ok(None),
        Some(Data::F64(v)) => Ok(Some(v)),
        Some(Data::F32(v)) => Ok(Some(v.into_iter().map(f64::from).collect())),
        Some(other) => Err(format!("{name} must hold floats, not {}", other.kind())),
    }
}

/// The `TreeEnsembleRegressor`-style node equivalent to a `TreeEnsemble` node.
pub fn translate(attrs: &Attrs<'_>) -> Result<NodeProto, String> {
    let features = attrs.ints("nodes_featureids");
    let n = features.len();
    let splits = numbers(attrs, "nodes_splits")?.unwrap_or_default();
    let modes: Vec<i64> = match attrs.tensor("nodes_modes").map(|t| t.data) {
        Some(Data::I64(v)) => v,
        Some(other) => return Err(format!("nodes_modes must be uint8, not {}", other.kind())),
        None => Vec::new(),
    };
    let true_ids = attrs.ints("nodes_truenodeids");
    let false_ids = attrs.ints("nodes_falsenodeids");
    let true_leafs = attrs.ints("nodes_trueleafs");
    let false_leafs = attrs.ints("nodes_falseleafs");
    let missing = attrs.ints("nodes_missing_value_tracks_true");
    for (name, len) in [
        ("nodes_splits", splits.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", true_ids.len()),
        ("nodes_falsenodeids", false_ids.len()),
        ("nodes_trueleafs", true_leafs.len()),
        ("nodes_falseleafs", false_leafs.len()),
    ] {
        if len != n {
            return Err(format!(
                "{name} has {len} entries, nodes_featureids has {n}"
            ));
        }
    }
    if !missing.is_empty() && missing.len() != n {
        return Err(format!(
            "nodes_missing_value_tracks_true has {} entries, nodes_featureids has {n}",
            missing.len()
        ));
    }
    if attrs.tensor("membership_values").is_some() {
        return Err("BRANCH_MEMBER (membership_values) is not supported".into());
    }
    let leaf_targets = attrs.ints("leaf_targetids");
    let leaf_weights = numbers(attrs, "leaf_weights")?.unwrap_or_default();
    if leaf_targets.len() != leaf_weights.len() {
        return Err(format!(
            "leaf_targetids has {} entries, leaf_weights has {}",
            leaf_targets.len(),
            leaf_weights.len()
        ));
    }
    let leaves = leaf_weights.len();
    let roots = attrs.ints("tree_roots");
    if roots.is_empty() {
        return Err("tree_roots is empty".into());
    }

    // Branch index → its tree; each leaf a tree reaches, once per tree.
    let mut tree_of: Vec<Option<i64>> = vec![None; n];
    let mut leaf_trees: Vec<(i64, usize)> = Vec::new();
    let mut seen_leaf: std::collections::HashSet<(i64, usize)> = Default::default();
    for (t, &root) in roots.iter().enumerate() {
        let t = t as i64;
        let root = usize::try_from(root)
            .ok()
            .filter(|&r| r < n)
            .ok_or_else(|| format!("tree {t}: root {root} is not a branch index"))?;
        let mut stack = vec![root];
        while let Some(i) = stack.pop() {
            if tree_of[i].is_some() {
                return Err(format!("branch {i} is reached twice (tree {t})"));
            }
            tree_of[i] = Some(t);
            for (id, leaf) in [(true_ids[i], true_leafs[i]), (false_ids[i], false_leafs[i])] {
                let j = usize::try_from(id).map_err(|_| format!("branch {i}: child {id}"))?;
                if leaf != 0 {
                    if j >= leaves {
                        return Err(format!("branch {i}: leaf {j} is not a leaf index"));
                    }
                    if seen_leaf.insert((t, j)) {
                        leaf_trees.push((t, j));
                    }
                } else if j >= n {
                    return Err(format!("branch {i}: child {j} is not a branch index"));
                } else {
                    stack.push(j);
                }
            }
        }
    }
    let unreached = tree_of.iter().position(Option::is_none);
    if let Some(i) = unreached {
        return Err(format!(
            "branch {i} belongs to no tree (no root reaches it)"
        ));
    }

    let leaf_id = |j: usize| (n + j) as i64;
    let mut tree_ids: Vec<i64> = tree_of.iter().map(|t| t.unwrap_or(0)).collect();
    let mut node_ids: Vec<i64> = (0..n as i64).collect();
    let mut feature_ids = features;
    let mut values = splits;
    let mut mode_names: Vec<Vec<u8>> = Vec::with_capacity(n + leaf_trees.len());
    for &m in &modes {
        let name = usize::try_from(m)
            .ok()
            .and_then(|m| MODES.get(m))
            .ok_or_else(|| format!("node mode {m} is not supported (BRANCH_MEMBER or unknown)"))?;
        mode_names.push(name.as_bytes().to_vec());
    }
    let child = |id: i64, leaf: i64| if leaf != 0 { leaf_id(id as usize) } else { id };
    let mut trues: Vec<i64> = (0..n).map(|i| child(true_ids[i], true_leafs[i])).collect();
    let mut falses: Vec<i64> = (0..n)
        .map(|i| child(false_ids[i], false_leafs[i]))
        .collect();
    let mut missing = if missing.is_empty() {
        vec![0; n]
    } else {
        missing
    };
    let (mut w_trees, mut w_nodes, mut w_ids, mut w_values) = (vec![], vec![], vec![], vec![]);
    for &(t, j) in &leaf_trees {
        tree_ids.push(t);
        node_ids.push(leaf_id(j));
        feature_ids.push(0);
        values.push(0.0);
        mode_names.push(b"LEAF".to_vec());
        trues.push(0);
        falses.push(0);
        missing.push(0);
        w_trees.push(t);
        w_nodes.push(leaf_id(j));
        w_ids.push(leaf_targets[j]);
        w_values.push(leaf_weights[j]);
    }
    let aggregate = match attrs.int("aggregate_function").unwrap_or(1) {
        0 => "AVERAGE",
        1 => "SUM",
        2 => "MIN",
        3 => "MAX",
        other => return Err(format!("unknown aggregate_function {other}")),
    };
    let post = match attrs.int("post_transform").unwrap_or(0) {
        0 => "NONE",
        1 => "SOFTMAX",
        2 => "LOGISTIC",
        3 => "SOFTMAX_ZERO",
        4 => "PROBIT",
        other => return Err(format!("unknown post_transform {other}")),
    };
    Ok(NodeProto {
        op_type: "TreeEnsembleRegressor".into(),
        domain: "ai.onnx.ml".into(),
        attribute: vec![
            ints("n_targets", vec![attrs.int("n_targets").unwrap_or(1)]),
            ints("nodes_treeids", tree_ids),
            ints("nodes_nodeids", node_ids),
            ints("nodes_featureids", feature_ids),
            AttributeProto {
                name: "nodes_modes".into(),
                strings: mode_names,
                ..Default::default()
            },
            ints("nodes_truenodeids", trues),
            ints("nodes_falsenodeids", falses),
            ints("nodes_missing_value_tracks_true", missing),
            doubles("nodes_values_as_tensor", values),
            ints("target_treeids", w_trees),
            ints("target_nodeids", w_nodes),
            ints("target_ids", w_ids),
            doubles("target_weights_as_tensor", w_values),
            string("aggregate_function", aggregate),
            string("post_transform", post),
        ]
        .into_iter()
        .map(|mut a| {
            if a.name == "n_targets" {
                a.i = a.ints[0];
                a.ints.clear();
            }
            a
        })
        .collect(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Kernel;
    use crate::ops::tree::TreeEnsemble;
    use crate::tensor::{Tensor, Value};

    fn tensor_attr(name: &str, data_type: i32, f: impl FnOnce(&mut TensorProto)) -> AttributeProto {
        let mut t = TensorProto {
            data_type,
            ..Default::default()
        };
        f(&mut t);
        AttributeProto {
            name: name.into(),
            t: Some(t),
            ..Default::default()
        }
    }

    /// One tree: x0 ≤ 0.5 → 1; else x1 ≤ 2.25 → 2; else 3.
    fn node(edit: impl FnOnce(&mut Vec<AttributeProto>)) -> NodeProto {
        let mut attrs = vec![
            ints("nodes_featureids", vec![0, 1]),
            tensor_attr("nodes_splits", data_type::DOUBLE, |t| {
                t.dims = vec![2];
                t.double_data = vec![0.5, 2.25];
            }),
            tensor_attr("nodes_modes", data_type::UINT8, |t| {
                t.dims = vec![2];
                t.int32_data = vec![0, 0];
            }),
            ints("nodes_truenodeids", vec![0, 1]),
            ints("nodes_trueleafs", vec![1, 1]),
            ints("nodes_falsenodeids", vec![1, 2]),
            ints("nodes_falseleafs", vec![0, 1]),
            ints("tree_roots", vec![0]),
            ints("leaf_targetids", vec![0, 0, 0]),
            tensor_attr("leaf_weights", data_type::DOUBLE, |t| {
                t.dims = vec![3];
                t.double_data = vec![1.0, 2.0, 3.0];
            }),
        ];
        edit(&mut attrs);
        NodeProto {
            op_type: "TreeEnsemble".into(),
            domain: "ai.onnx.ml".into(),
            attribute: attrs,
            ..Default::default()
        }
    }

    fn build(n: &NodeProto) -> Result<TreeEnsemble, String> {
        let translated = translate(&Attrs::new(n))?;
        Ok(TreeEnsemble::regressor(&Attrs::new(&translated))?.with_output_like_input())
    }

    #[test]
    fn branches_and_leaves_in_separate_arrays_answer_in_the_input_type() {
        let k = build(&node(|_| {})).unwrap();
        // 2.250_000_000_1 is above the split in double, not in float; a missing value
        // goes to the false child.
        let rows = Data::F64(vec![
            0.4,
            0.0,
            0.6,
            2.25,
            0.6,
            2.250_000_000_1,
            f64::NAN,
            0.0,
            f64::NAN,
            f64::NAN,
        ]);
        let x = Value::Tensor(Tensor::new(vec![5, 2], rows).unwrap());
        let out = k.run(&[Some(&x)]).unwrap();
        assert_eq!(
            out[0].tensor("y").unwrap().data,
            Data::F64(vec![1.0, 2.0, 3.0, 2.0, 3.0])
        );
        let x = Value::Tensor(Tensor::new(vec![1, 2], Data::F32(vec![0.6, 9.0])).unwrap());
        let out = k.run(&[Some(&x)]).unwrap();
        assert_eq!(out[0].tensor("y").unwrap().data, Data::F32(vec![3.0]));
    }

    #[test]
    fn malformed_ensembles_are_refused_with_a_reason() {
        type Edit = Box<dyn FnOnce(&mut Vec<AttributeProto>)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|a| a[7] = ints("tree_roots", vec![5])),
                "not a branch index",
            ),
            (
                Box::new(|a| a[7] = ints("tree_roots", vec![0, 1])),
                "reached twice",
            ),
            (
                Box::new(|a| a[5] = ints("nodes_falsenodeids", vec![0, 2])),
                "reached twice",
            ),
            (
                Box::new(|a| a[6] = ints("nodes_falseleafs", vec![1, 1])),
                "belongs to no tree",
            ),
            (
                Box::new(|a| a[4] = ints("nodes_trueleafs", vec![1])),
                "nodes_trueleafs has 1",
            ),
            (
                Box::new(|a| a[3] = ints("nodes_truenodeids", vec![7, 1])),
                "not a leaf index",
            ),
            (
                Box::new(|a| a[8] = ints("leaf_targetids", vec![0])),
                "leaf_targetids has 1",
            ),
            (
                Box::new(|a| {
                    a[2] = tensor_attr("nodes_modes", data_type::UINT8, |t| {
                        t.dims = vec![2];
                        t.int32_data = vec![0, 6];
                    })
                }),
                "BRANCH_MEMBER",
            ),
            (
                Box::new(|a| a[7] = ints("tree_roots", vec![])),
                "tree_roots is empty",
            ),
        ];
        for (edit, want) in cases {
            let err = build(&node(edit)).err().unwrap_or_default();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
    }
}
