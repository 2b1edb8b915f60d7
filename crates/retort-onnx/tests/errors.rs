//! Loading and running fail with errors that say what is wrong.

#![allow(clippy::unwrap_used)]

use prost::Message;
use retort_onnx::proto::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TypeProto, ValueInfoProto, type_proto,
};
use retort_onnx::{Data, LoadError, Model, RunError, Tensor, Value};

fn float_input(name: &str) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: 1,
                shape: None,
            })),
        }),
        doc_string: String::new(),
    }
}

fn model(nodes: Vec<NodeProto>, output: &str) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 15,
        }],
        graph: Some(GraphProto {
            node: nodes,
            input: vec![float_input("X")],
            output: vec![float_input(output)],
            ..GraphProto::default()
        }),
        ..ModelProto::default()
    }
    .encode_to_vec()
}

fn node(op: &str, domain: &str, input: &str, output: &str) -> NodeProto {
    NodeProto {
        input: vec![input.into()],
        output: vec![output.into()],
        op_type: op.into(),
        domain: domain.into(),
        ..NodeProto::default()
    }
}

#[test]
fn bytes_that_are_not_onnx_are_a_decode_error() {
    assert!(matches!(
        Model::load(b"definitely not protobuf \xff\xff"),
        Err(LoadError::Decode(_))
    ));
    assert!(matches!(Model::load(&[]), Err(LoadError::Decode(_))));
}

#[test]
fn every_unsupported_operator_is_named_once() {
    let bytes = model(
        vec![
            node("Conv", "", "X", "a"),
            node("FusedMatMul", "com.microsoft", "a", "b"),
            node("Conv", "", "b", "c"),
            node("Relu", "", "c", "Y"),
        ],
        "Y",
    );
    match Model::load(&bytes) {
        Err(LoadError::Unsupported(ops)) => {
            assert_eq!(ops, ["ai.onnx:Conv", "com.microsoft:FusedMatMul"])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_node_reading_an_undefined_value_is_invalid() {
    let bytes = model(vec![node("Relu", "", "nowhere", "Y")], "Y");
    assert!(matches!(Model::load(&bytes), Err(LoadError::Invalid(m)) if m.contains("nowhere")));
}

#[test]
fn a_small_graph_runs_and_checks_its_input_count() {
    let bytes = model(vec![node("Relu", "", "X", "Y")], "Y");
    let m = Model::load(&bytes).unwrap();
    let x = Value::Tensor(Tensor::new(vec![1, 3], Data::F32(vec![-1.0, 0.5, 2.0])).unwrap());
    let out = m.run(vec![x.clone()]).unwrap();
    assert_eq!(
        out[0],
        Value::Tensor(Tensor::new(vec![1, 3], Data::F32(vec![0.0, 0.5, 2.0])).unwrap())
    );
    assert!(matches!(m.run(vec![]), Err(RunError::Input(_))));
    assert!(matches!(m.run(vec![x.clone(), x]), Err(RunError::Input(_))));
}

#[test]
fn gather_picks_columns_as_a_one_column_encoder_export_does() {
    use retort_onnx::proto::{AttributeProto, TensorProto};
    let mut gather = node("Gather", "", "X", "Y");
    gather.input.push("idx".into());
    gather.attribute.push(AttributeProto {
        name: "axis".into(),
        i: 1,
        r#type: 2,
        ..AttributeProto::default()
    });
    let mut m = ModelProto::decode(model(vec![gather], "Y").as_slice()).unwrap();
    let graph = m.graph.as_mut().unwrap();
    graph.initializer.push(TensorProto {
        name: "idx".into(),
        data_type: 7,
        dims: vec![1],
        int64_data: vec![-1],
        ..TensorProto::default()
    });
    let loaded = Model::load(&m.encode_to_vec()).unwrap();
    let x = Value::Tensor(
        Tensor::new(vec![2, 3], Data::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).unwrap(),
    );
    let out = loaded.run(vec![x]).unwrap();
    assert_eq!(
        out[0],
        Value::Tensor(Tensor::new(vec![2, 1], Data::F32(vec![3.0, 6.0])).unwrap())
    );
}
