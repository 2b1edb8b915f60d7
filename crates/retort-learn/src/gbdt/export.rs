//! The ONNX graph of a booster: inputs coded into one float matrix (LabelEncoder per
//! categorical column, Cast per int64 column, Concat), a `TreeEnsembleRegressor`, and an
//! `Exp` when the trees fit the log of the target.

use prost::Message;
use retort_onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TypeProto,
    ValueInfoProto, data_type, tensor_shape_proto, type_proto,
};

use super::grow::INTERNAL_PREFIX;
use super::{Booster, FeatureKind, Node};

/// The output's name (as skl2onnx names a regressor's).
pub(super) const OUTPUT: &str = "variable";
const ML: &str = "ai.onnx.ml";

/// `AttributeProto.AttributeType` codes.
mod attr_type {
    pub const FLOAT: i32 = 1;
    pub const INT: i32 = 2;
    pub const STRING: i32 = 3;
    pub const FLOATS: i32 = 6;
    pub const INTS: i32 = 7;
    pub const STRINGS: i32 = 8;
}

/// Encodes `booster` as an ONNX model named `name`.
pub(super) fn model(booster: &Booster, name: &str) -> Vec<u8> {
    let mut nodes = Vec::new();
    let mut inputs = Vec::new();
    let mut columns = Vec::new();
    for (i, c) in booster.columns.iter().enumerate() {
        let coded = format!("{INTERNAL_PREFIX}x{i}");
        match &c.kind {
            FeatureKind::Float => {
                inputs.push(tensor_info(&c.name, data_type::FLOAT));
                columns.push(c.name.clone());
            }
            FeatureKind::Int | FeatureKind::Bool => {
                let input_type = if c.kind == FeatureKind::Int {
                    data_type::INT64
                } else {
                    data_type::BOOL
                };
                inputs.push(tensor_info(&c.name, input_type));
                nodes.push(node(
                    "Cast",
                    "",
                    &[&c.name],
                    &coded,
                    vec![int("to", i64::from(data_type::FLOAT))],
                ));
                columns.push(coded);
            }
            FeatureKind::Categorical(categories) => {
                inputs.push(tensor_info(&c.name, data_type::STRING));
                // The empty string (missing) is listed so the encoder never has zero keys.
                let keys: Vec<String> = std::iter::once(String::new())
                    .chain(categories.iter().cloned())
                    .collect();
                let values: Vec<f32> = std::iter::once(-1.0)
                    .chain((0..categories.len()).map(|k| k as f32))
                    .collect();
                nodes.push(node(
                    "LabelEncoder",
                    ML,
                    &[&c.name],
                    &coded,
                    vec![
                        strings("keys_strings", keys),
                        floats("values_floats", values),
                        float("default_float", -1.0),
                    ],
                ));
                columns.push(coded);
            }
        }
    }
    let matrix = format!("{INTERNAL_PREFIX}matrix");
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    nodes.push(node(
        "Concat",
        "",
        &column_refs,
        &matrix,
        vec![int("axis", 1)],
    ));
    let score = if booster.log_target {
        format!("{INTERNAL_PREFIX}log")
    } else {
        OUTPUT.to_owned()
    };
    nodes.push(node(
        "TreeEnsembleRegressor",
        ML,
        &[&matrix],
        &score,
        ensemble(booster),
    ));
    if booster.log_target {
        nodes.push(node("Exp", "", &[&score], OUTPUT, Vec::new()));
    }

    let graph = GraphProto {
        node: nodes,
        name: name.to_owned(),
        input: inputs,
        output: vec![tensor_info(OUTPUT, data_type::FLOAT)],
        doc_string: "Gradient-boosted regression trees. Missing values: NaN for float \
                     inputs, i64::MIN for int64 inputs, \"\" for string inputs; unseen \
                     categories are read as missing."
            .to_owned(),
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        opset_import: vec![opset("", 15), opset(ML, 3)],
        producer_name: "retort-learn".to_owned(),
        producer_version: env!("CARGO_PKG_VERSION").to_owned(),
        model_version: 1,
        doc_string: format!("{name}: {} trees", booster.trees.len()),
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

/// The TreeEnsembleRegressor's attributes: one node per tree node (node id = its index
/// in the tree), a target weight per leaf.
fn ensemble(booster: &Booster) -> Vec<AttributeProto> {
    let total: usize = booster.trees.iter().map(Vec::len).sum();
    let mut tree_ids = Vec::with_capacity(total);
    let mut node_ids = Vec::with_capacity(total);
    let mut feature_ids = Vec::with_capacity(total);
    let mut modes = Vec::with_capacity(total);
    let mut values = Vec::with_capacity(total);
    let mut true_ids = Vec::with_capacity(total);
    let mut false_ids = Vec::with_capacity(total);
    let mut missing_true = Vec::with_capacity(total);
    let (mut leaf_trees, mut leaf_nodes, mut leaf_weights) = (Vec::new(), Vec::new(), Vec::new());
    for (t, tree) in booster.trees.iter().enumerate() {
        for (i, n) in tree.iter().enumerate() {
            tree_ids.push(t as i64);
            node_ids.push(i as i64);
            match *n {
                Node::Leaf(v) => {
                    feature_ids.push(0);
                    modes.push("LEAF".to_owned());
                    values.push(0.0);
                    true_ids.push(0);
                    false_ids.push(0);
                    missing_true.push(0);
                    leaf_trees.push(t as i64);
                    leaf_nodes.push(i as i64);
                    leaf_weights.push(v);
                }
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                    ..
                } => {
                    feature_ids.push(i64::from(feature));
                    modes.push("BRANCH_LEQ".to_owned());
                    values.push(threshold);
                    true_ids.push(i64::from(left));
                    false_ids.push(i64::from(right));
                    missing_true.push(1);
                }
            }
        }
    }
    let target_ids = vec![0; leaf_trees.len()];
    vec![
        string("aggregate_function", "SUM"),
        floats("base_values", vec![booster.base]),
        int("n_targets", 1),
        ints("nodes_falsenodeids", false_ids),
        ints("nodes_featureids", feature_ids),
        ints("nodes_missing_value_tracks_true", missing_true),
        strings("nodes_modes", modes),
        ints("nodes_nodeids", node_ids),
        ints("nodes_treeids", tree_ids),
        ints("nodes_truenodeids", true_ids),
        floats("nodes_values", values),
        string("post_transform", "NONE"),
        ints("target_ids", target_ids),
        ints("target_nodeids", leaf_nodes),
        ints("target_treeids", leaf_trees),
        floats("target_weights", leaf_weights),
    ]
}

fn node(
    op_type: &str,
    domain: &str,
    inputs: &[&str],
    output: &str,
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.to_owned()],
        name: format!("{INTERNAL_PREFIX}{op_type}_{output}"),
        op_type: op_type.to_owned(),
        domain: domain.to_owned(),
        attribute,
    }
}

fn opset(domain: &str, version: i64) -> OperatorSetIdProto {
    OperatorSetIdProto {
        domain: domain.to_owned(),
        version,
    }
}

/// A tensor of `elem` with shape `[N, 1]`.
fn tensor_info(name: &str, elem: i32) -> ValueInfoProto {
    use tensor_shape_proto::{Dimension, dimension::Value as Dim};
    let shape = retort_onnx::proto::TensorShapeProto {
        dim: vec![
            Dimension {
                value: Some(Dim::DimParam("N".to_owned())),
            },
            Dimension {
                value: Some(Dim::DimValue(1)),
            },
        ],
    };
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem,
                shape: Some(shape),
            })),
        }),
        doc_string: String::new(),
    }
}

fn attr(name: &str, kind: i32) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: kind,
        ..Default::default()
    }
}

fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        i: v,
        ..attr(name, attr_type::INT)
    }
}

fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        f: v,
        ..attr(name, attr_type::FLOAT)
    }
}

fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        s: v.as_bytes().to_vec(),
        ..attr(name, attr_type::STRING)
    }
}

fn ints(name: &str, v: Vec<i64>) -> AttributeProto {
    AttributeProto {
        ints: v,
        ..attr(name, attr_type::INTS)
    }
}

fn floats(name: &str, v: Vec<f32>) -> AttributeProto {
    AttributeProto {
        floats: v,
        ..attr(name, attr_type::FLOATS)
    }
}

fn strings(name: &str, v: Vec<String>) -> AttributeProto {
    AttributeProto {
        strings: v.into_iter().map(String::into_bytes).collect(),
        ..attr(name, attr_type::STRINGS)
    }
}
