//! Builders for small hand-made graphs: inputs, attributes, initializers, tree ensembles,
//! and the model bytes they make.

#![allow(dead_code, clippy::unwrap_used)]

use prost::Message;
use retort_onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, tensor_shape_proto, type_proto,
};
use retort_onnx::{Data, LoadError, Model, RunError, Tensor, Value};

/// ONNX element type codes used here.
pub const FLOAT: i32 = 1;
pub const INT64: i32 = 7;
pub const STRING: i32 = 8;

/// A tensor-typed graph input or output; `dims` `None` for no declared shape, each `None`
/// dimension dynamic.
pub fn io(name: &str, elem: i32, dims: Option<&[Option<i64>]>) -> ValueInfoProto {
    let shape = dims.map(|dims| TensorShapeProto {
        dim: dims
            .iter()
            .map(|d| tensor_shape_proto::Dimension {
                value: Some(match d {
                    Some(v) => tensor_shape_proto::dimension::Value::DimValue(*v),
                    None => tensor_shape_proto::dimension::Value::DimParam("N".into()),
                }),
            })
            .collect(),
    });
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem,
                shape,
            })),
        }),
        doc_string: String::new(),
    }
}

/// A float input `X` of shape `[?, cols]`.
pub fn float_rows(cols: i64) -> ValueInfoProto {
    io("X", FLOAT, Some(&[None, Some(cols)]))
}

/// A float value with no declared shape.
pub fn float_any(name: &str) -> ValueInfoProto {
    io(name, FLOAT, None)
}

pub fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 2,
        i,
        ..AttributeProto::default()
    }
}

pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 7,
        ints: v.to_vec(),
        ..AttributeProto::default()
    }
}

pub fn floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 6,
        floats: v.to_vec(),
        ..AttributeProto::default()
    }
}

pub fn string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 3,
        s: s.as_bytes().to_vec(),
        ..AttributeProto::default()
    }
}

pub fn strings(name: &str, v: &[&str]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 8,
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..AttributeProto::default()
    }
}

/// A node named `name` (empty for none) of the standard domain, or `ai.onnx.ml` for the
/// ML operators.
pub fn node(
    op: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    let ml = [
        "TreeEnsembleRegressor",
        "TreeEnsembleClassifier",
        "LinearRegressor",
        "LinearClassifier",
        "Scaler",
        "Imputer",
        "Normalizer",
        "Binarizer",
        "OneHotEncoder",
        "LabelEncoder",
        "ArrayFeatureExtractor",
        "ZipMap",
        "FeatureVectorizer",
    ];
    NodeProto {
        input: inputs.iter().map(|s| (*s).into()).collect(),
        output: outputs.iter().map(|s| (*s).into()).collect(),
        name: name.into(),
        op_type: op.into(),
        domain: if ml.contains(&op) { "ai.onnx.ml" } else { "" }.into(),
        attribute,
    }
}

/// An int64 initializer.
pub fn int_init(name: &str, dims: &[i64], v: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        data_type: INT64,
        dims: dims.to_vec(),
        int64_data: v.to_vec(),
        ..TensorProto::default()
    }
}

/// The bytes of a model of `nodes` with those inputs, outputs and initializers.
pub fn model_bytes(
    nodes: Vec<NodeProto>,
    input: Vec<ValueInfoProto>,
    output: Vec<ValueInfoProto>,
    initializer: Vec<TensorProto>,
) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: 15,
            },
            OperatorSetIdProto {
                domain: "ai.onnx.ml".into(),
                version: 1,
            },
        ],
        graph: Some(GraphProto {
            node: nodes,
            input,
            output,
            initializer,
            ..GraphProto::default()
        }),
        ..ModelProto::default()
    }
    .encode_to_vec()
}

/// One node reading `X` and writing `Y`, with those inputs declared.
pub fn one_node(node: NodeProto, input: Vec<ValueInfoProto>) -> Vec<u8> {
    let outputs = node.output.iter().map(|o| float_any(o)).collect();
    model_bytes(vec![node], input, outputs, Vec::new())
}

/// The message of a load that must fail as invalid.
pub fn invalid(bytes: &[u8]) -> String {
    match Model::load(bytes) {
        Err(LoadError::Invalid(m)) => m,
        Err(other) => panic!("expected an invalid model, got {other:?}"),
        Ok(m) => panic!("expected an invalid model, it loaded: {m:?}"),
    }
}

/// Asserts `message` mentions every piece of `parts`.
pub fn mentions(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "{message:?} does not mention {p:?}");
    }
}

/// A float tensor value.
pub fn floats_value(shape: Vec<usize>, v: Vec<f32>) -> Value {
    Value::Tensor(Tensor::new(shape, Data::F32(v)).unwrap())
}

/// The error of a run that must fail.
pub fn run_error(model: &Model, inputs: Vec<Value>) -> RunError {
    match model.run(inputs) {
        Err(e) => e,
        Ok(out) => panic!("expected a run error, got {out:?}"),
    }
}

/// Asserts `e` is a shape error mentioning every piece of `parts`.
pub fn shape_error(e: &RunError, parts: &[&str]) {
    match e {
        RunError::Shape(m) => mentions(m, parts),
        other => panic!("expected a shape error, got {other:?}"),
    }
}

/// A Transpose node "t" with `perm`, reading `X` declared as `x`.
pub fn transpose(perm: &[i64], x: ValueInfoProto) -> Vec<u8> {
    one_node(
        node("Transpose", "t", &["X"], &["Y"], vec![ints("perm", perm)]),
        vec![x],
    )
}

/// An unnamed Concat of `X` with itself on `axis`, `X` declared as `x`.
pub fn concat(axis: i64, x: ValueInfoProto) -> Vec<u8> {
    one_node(
        node("Concat", "", &["X", "X"], &["Y"], vec![int("axis", axis)]),
        vec![x],
    )
}

/// The arrays of a tree ensemble's nodes, one entry per node.
#[derive(Clone, Default)]
pub struct Trees {
    pub tree: Vec<i64>,
    pub id: Vec<i64>,
    pub feature: Vec<i64>,
    pub value: Vec<f32>,
    pub mode: Vec<&'static str>,
    pub yes: Vec<i64>,
    pub no: Vec<i64>,
}

impl Trees {
    /// Adds a branch `tree:id` on `feature <= 0.5` to `yes` and `no`.
    pub fn branch(mut self, tree: i64, id: i64, feature: i64, yes: i64, no: i64) -> Self {
        self.tree.push(tree);
        self.id.push(id);
        self.feature.push(feature);
        self.value.push(0.5);
        self.mode.push("BRANCH_LEQ");
        self.yes.push(yes);
        self.no.push(no);
        self
    }

    /// Adds a leaf `tree:id`.
    pub fn leaf(mut self, tree: i64, id: i64) -> Self {
        self.tree.push(tree);
        self.id.push(id);
        self.feature.push(0);
        self.value.push(0.0);
        self.mode.push("LEAF");
        self.yes.push(0);
        self.no.push(0);
        self
    }

    /// The `nodes_*` attributes.
    pub fn attributes(&self) -> Vec<AttributeProto> {
        vec![
            ints("nodes_treeids", &self.tree),
            ints("nodes_nodeids", &self.id),
            ints("nodes_featureids", &self.feature),
            floats("nodes_values", &self.value),
            strings("nodes_modes", &self.mode),
            ints("nodes_truenodeids", &self.yes),
            ints("nodes_falsenodeids", &self.no),
        ]
    }

    /// A TreeEnsembleRegressor node "trees" with weight 1 on every leaf.
    pub fn regressor(&self) -> NodeProto {
        let leaves: Vec<usize> = (0..self.mode.len())
            .filter(|&i| self.mode[i] == "LEAF")
            .collect();
        let mut attrs = self.attributes();
        attrs.extend([
            int("n_targets", 1),
            ints(
                "target_treeids",
                &leaves.iter().map(|&i| self.tree[i]).collect::<Vec<_>>(),
            ),
            ints(
                "target_nodeids",
                &leaves.iter().map(|&i| self.id[i]).collect::<Vec<_>>(),
            ),
            ints("target_ids", &vec![0; leaves.len()]),
            floats("target_weights", &vec![1.0; leaves.len()]),
        ]);
        node("TreeEnsembleRegressor", "trees", &["X"], &["Y"], attrs)
    }

    /// A model of the regressor reading `X` of `[?, cols]`.
    pub fn regressor_model(&self, cols: i64) -> Vec<u8> {
        one_node(self.regressor(), vec![float_rows(cols)])
    }
}

/// A valid tree: `0:0` splits on feature 0 into leaves `0:1` and `0:2`.
pub fn stump() -> Trees {
    Trees::default().branch(0, 0, 0, 1, 2).leaf(0, 1).leaf(0, 2)
}
