//! Graphs whose declarations, initializers or attributes do not hold together are refused
//! at load; inputs a node cannot take are a run error naming the node, never a panic.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retort_onnx::proto::TensorProto;
use retort_onnx::{Data, Keys, MAX_WIDTH, Model, RunError, Tensor, Value};

fn shape_error(e: &RunError, parts: &[&str]) {
    match e {
        RunError::Shape(m) => mentions(m, parts),
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn an_input_declared_four_billion_columns_wide_is_refused_at_load() {
    let bytes = one_node(
        node("Relu", "", &["X"], &["Y"], vec![]),
        vec![io("X", FLOAT, Some(&[None, Some(4_000_000_000)]))],
    );
    mentions(
        &invalid(&bytes),
        &[
            "input \"X\" declares shape [?, 4000000000]",
            &MAX_WIDTH.to_string(),
        ],
    );
}

#[test]
fn an_input_whose_dimensions_multiply_past_the_width_is_refused_at_load() {
    let bytes = one_node(
        node("Relu", "", &["X"], &["Y"], vec![]),
        vec![io("X", FLOAT, Some(&[None, Some(1 << 12), Some(1 << 12)]))],
    );
    mentions(&invalid(&bytes), &["[?, 4096, 4096]"]);
}

#[test]
fn an_initializer_whose_dims_disagree_with_its_data_is_refused_at_load() {
    let w = TensorProto {
        name: "W".into(),
        data_type: FLOAT,
        dims: vec![2, 3],
        float_data: vec![1.0; 5],
        ..TensorProto::default()
    };
    let bytes = model_bytes(
        vec![node("Add", "", &["X", "W"], &["Y"], vec![])],
        vec![float_rows(3)],
        vec![float_any("Y")],
        vec![w],
    );
    mentions(
        &invalid(&bytes),
        &["initializer \"W\": dims [2, 3] need 6 elements, its data has 5"],
    );
}

#[test]
fn an_initializer_whose_raw_data_is_short_is_refused_at_load() {
    let w = TensorProto {
        name: "W".into(),
        data_type: FLOAT,
        dims: vec![4],
        raw_data: vec![0; 12],
        ..TensorProto::default()
    };
    let bytes = model_bytes(
        vec![node("Add", "", &["X", "W"], &["Y"], vec![])],
        vec![float_rows(4)],
        vec![float_any("Y")],
        vec![w],
    );
    mentions(
        &invalid(&bytes),
        &["\"W\": dims [4] need 4 elements of 4 bytes, raw data has 12 bytes"],
    );
}

#[test]
fn initializer_dims_that_overflow_when_multiplied_are_refused_at_load() {
    let w = TensorProto {
        name: "W".into(),
        data_type: FLOAT,
        dims: vec![1 << 40, 1 << 24],
        ..TensorProto::default()
    };
    let bytes = model_bytes(
        vec![node("Add", "", &["X", "W"], &["Y"], vec![])],
        vec![float_any("X")],
        vec![float_any("Y")],
        vec![w],
    );
    mentions(
        &invalid(&bytes),
        &["\"W\": dims [1099511627776, 16777216] have more elements than fit"],
    );
}

#[test]
fn a_shape_whose_product_overflows_is_refused_even_beside_a_zero() {
    let e = Tensor::new(vec![1 << 40, 1 << 24], Data::F32(vec![])).unwrap_err();
    shape_error(&e, &["[1099511627776, 16777216]"]);
    let e = Tensor::new(vec![0, 1 << 40, 1 << 24], Data::F32(vec![])).unwrap_err();
    shape_error(&e, &["more elements than fit"]);
    assert!(Tensor::new(vec![0, 1 << 40], Data::F32(vec![])).is_ok());
}

#[test]
fn an_input_built_field_by_field_with_a_wrong_shape_is_refused() {
    let m = Model::load(&one_node(
        node("Relu", "", &["X"], &["Y"], vec![]),
        vec![float_any("X")],
    ))
    .unwrap();
    let lying = Value::Tensor(Tensor {
        shape: vec![1 << 40, 1 << 24],
        data: Data::F32(vec![1.0]),
    });
    assert!(matches!(m.run(vec![lying]), Err(RunError::Input(m)) if m.contains("\"X\"")));
    let short = Value::MapSeq {
        keys: Keys::I64(vec![0, 1]),
        values: vec![0.5; 3],
    };
    assert!(matches!(m.run(vec![short]), Err(RunError::Input(_))));
}

fn transpose(perm: &[i64], x: ValueInfo) -> Vec<u8> {
    one_node(
        node("Transpose", "t", &["X"], &["Y"], vec![ints("perm", perm)]),
        vec![x],
    )
}

type ValueInfo = retort_onnx::proto::ValueInfoProto;

#[test]
fn transpose_with_a_short_perm_is_refused_at_load() {
    mentions(
        &invalid(&transpose(&[0], float_rows(3))),
        &[
            "node \"t\" (ai.onnx:Transpose)",
            "perm [0] has 1 axes, the input has rank 2",
        ],
    );
}

#[test]
fn transpose_with_a_repeated_axis_is_refused_at_load() {
    mentions(
        &invalid(&transpose(&[0, 0], float_any("X"))),
        &[
            "node \"t\" (ai.onnx:Transpose)",
            "perm [0, 0] names axis 0 twice",
        ],
    );
    mentions(
        &invalid(&transpose(&[0, 2], float_any("X"))),
        &["perm [0, 2] names axis 2"],
    );
}

#[test]
fn a_short_perm_reaching_run_is_a_run_error() {
    let m = Model::load(&transpose(&[1, 0], float_any("X"))).unwrap();
    let e = run_error(&m, vec![floats_value(vec![1, 1, 2], vec![1.0, 2.0])]);
    shape_error(
        &e,
        &[
            "node \"t\" (ai.onnx:Transpose)",
            "perm [1, 0] has 2 axes, the input has rank 3",
        ],
    );
}

#[test]
fn a_rank_0_input_to_transpose_is_a_run_error() {
    let m = Model::load(&transpose(&[1, 0], float_any("X"))).unwrap();
    let e = run_error(&m, vec![floats_value(vec![], vec![1.0])]);
    shape_error(&e, &["node \"t\"", "the input has rank 0"]);
}

#[test]
fn transpose_still_transposes() {
    let m = Model::load(&transpose(&[1, 0], float_any("X"))).unwrap();
    let out = m
        .run(vec![floats_value(
            vec![2, 3],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        )])
        .unwrap();
    assert_eq!(
        out[0],
        floats_value(vec![3, 2], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    );
}

fn concat(axis: i64, x: ValueInfo) -> Vec<u8> {
    one_node(
        node("Concat", "", &["X", "X"], &["Y"], vec![int("axis", axis)]),
        vec![x],
    )
}

#[test]
fn concat_axis_out_of_range_is_refused_at_load() {
    mentions(
        &invalid(&concat(5, float_rows(3))),
        &[
            "node #0 (ai.onnx:Concat)",
            "axis 5 is out of range for an input of rank 2",
        ],
    );
}

#[test]
fn a_rank_0_input_to_concat_is_a_run_error() {
    let m = Model::load(&concat(0, float_any("X"))).unwrap();
    let e = run_error(&m, vec![floats_value(vec![], vec![1.0])]);
    shape_error(
        &e,
        &[
            "node #0 (ai.onnx:Concat)",
            "axis 0 is out of range for rank 0",
        ],
    );
}

#[test]
fn axis_attributes_out_of_range_are_refused_at_load() {
    let x = || vec![float_rows(3)];
    let cases = [
        node("Softmax", "s", &["X"], &["Y"], vec![int("axis", 2)]),
        node("ArgMax", "a", &["X"], &["Y"], vec![int("axis", -3)]),
        node("Flatten", "f", &["X"], &["Y"], vec![int("axis", 3)]),
        node("Unsqueeze", "u", &["X"], &["Y"], vec![ints("axes", &[4])]),
        node("Squeeze", "q", &["X"], &["Y"], vec![ints("axes", &[2])]),
    ];
    for n in cases {
        let name = n.name.clone();
        let m = invalid(&one_node(n, x()));
        mentions(&m, &[&format!("node \"{name}\""), "out of range"]);
    }
}

#[test]
fn squeeze_axes_naming_an_axis_twice_are_refused() {
    let n = node("Squeeze", "q", &["X"], &["Y"], vec![ints("axes", &[0, 0])]);
    mentions(
        &invalid(&one_node(n, vec![float_any("X")])),
        &["axes [0, 0] repeat an axis"],
    );
    // -1 and 0 are the same axis of a rank-1 input, known only at run.
    let n = node("Squeeze", "q", &["X"], &["Y"], vec![ints("axes", &[0, -1])]);
    let m = Model::load(&one_node(n, vec![float_any("X")])).unwrap();
    let e = run_error(&m, vec![floats_value(vec![1], vec![1.0])]);
    shape_error(&e, &["node \"q\"", "name the same axis twice"]);
}

#[test]
fn gather_indices_beyond_the_known_width_are_refused_at_load() {
    let bytes = model_bytes(
        vec![node(
            "Gather",
            "g",
            &["X", "idx"],
            &["Y"],
            vec![int("axis", 1)],
        )],
        vec![float_rows(3)],
        vec![float_any("Y")],
        vec![int_init("idx", &[2], &[0, 3])],
    );
    mentions(
        &invalid(&bytes),
        &[
            "node \"g\" (ai.onnx:Gather)",
            "index 3 is out of range for axis 1 of size 3",
        ],
    );
}

#[test]
fn array_feature_extractor_indices_beyond_the_known_width_are_refused_at_load() {
    let bytes = model_bytes(
        vec![node(
            "ArrayFeatureExtractor",
            "afe",
            &["X", "idx"],
            &["Y"],
            vec![],
        )],
        vec![float_rows(4)],
        vec![float_any("Y")],
        vec![int_init("idx", &[1], &[9])],
    );
    mentions(
        &invalid(&bytes),
        &[
            "node \"afe\"",
            "index 9 is out of range for an input of 4 columns",
        ],
    );
}

#[test]
fn a_gather_index_far_below_zero_is_a_run_error() {
    let bytes = model_bytes(
        vec![node(
            "Gather",
            "g",
            &["X", "idx"],
            &["Y"],
            vec![int("axis", 0)],
        )],
        vec![float_any("X")],
        vec![float_any("Y")],
        vec![int_init("idx", &[1], &[i64::MIN])],
    );
    let m = Model::load(&bytes).unwrap();
    let e = run_error(&m, vec![floats_value(vec![2], vec![1.0, 2.0])]);
    shape_error(
        &e,
        &["node \"g\"", "index -9223372036854775808 is out of range"],
    );
}

#[test]
fn a_gather_from_an_empty_tensor_is_empty_however_many_indices() {
    let bytes = model_bytes(
        vec![node(
            "Gather",
            "g",
            &["X", "idx"],
            &["Y"],
            vec![int("axis", 1)],
        )],
        vec![float_any("X")],
        vec![float_any("Y")],
        vec![int_init("idx", &[4], &[0, 1, 1, 0])],
    );
    let m = Model::load(&bytes).unwrap();
    let out = m
        .run(vec![floats_value(vec![0, 2, 1 << 30], vec![])])
        .unwrap();
    assert_eq!(out[0], floats_value(vec![0, 4, 1 << 30], vec![]));
}

#[test]
fn a_reshape_target_with_two_inferred_dimensions_is_refused_at_load() {
    let bytes = model_bytes(
        vec![node("Reshape", "r", &["X", "shape"], &["Y"], vec![])],
        vec![float_rows(4)],
        vec![float_any("Y")],
        vec![int_init("shape", &[2], &[-1, -1])],
    );
    mentions(
        &invalid(&bytes),
        &["node \"r\" (ai.onnx:Reshape)", "[-1, -1]"],
    );
}

#[test]
fn a_reshape_of_an_initializer_to_the_wrong_size_is_refused_at_load() {
    let w = TensorProto {
        name: "W".into(),
        data_type: FLOAT,
        dims: vec![6],
        float_data: vec![0.0; 6],
        ..TensorProto::default()
    };
    let bytes = model_bytes(
        vec![
            node("Reshape", "r", &["W", "shape"], &["R"], vec![]),
            node("Add", "", &["X", "R"], &["Y"], vec![]),
        ],
        vec![float_any("X")],
        vec![float_any("Y")],
        vec![w, int_init("shape", &[2], &[4, 2])],
    );
    mentions(
        &invalid(&bytes),
        &["cannot reshape [6] (6 elements) to [4, 2]"],
    );
}

#[test]
fn linear_coefficients_that_do_not_fit_the_declared_width_are_refused_at_load() {
    let n = node(
        "LinearRegressor",
        "lin",
        &["X"],
        &["Y"],
        vec![
            floats("coefficients", &[1.0, 2.0, 3.0]),
            floats("intercepts", &[0.0]),
        ],
    );
    mentions(
        &invalid(&one_node(n, vec![float_rows(5)])),
        &[
            "node \"lin\"",
            "3 coefficients for 1 target(s)",
            "rows of 5 columns",
        ],
    );
}

#[test]
fn per_column_attributes_of_the_wrong_length_are_refused_at_load() {
    let scaler = node(
        "Scaler",
        "sc",
        &["X"],
        &["Y"],
        vec![
            floats("offset", &[0.0, 1.0]),
            floats("scale", &[1.0, 1.0, 1.0]),
        ],
    );
    mentions(
        &invalid(&one_node(scaler, vec![float_any("X")])),
        &["offset has 2 values, scale 3"],
    );
    let scaler = node(
        "Scaler",
        "sc",
        &["X"],
        &["Y"],
        vec![floats("scale", &[1.0, 2.0])],
    );
    mentions(
        &invalid(&one_node(scaler, vec![float_rows(3)])),
        &["scale has 2 values for rows of 3 columns"],
    );
}

#[test]
fn a_zipmap_with_more_labels_than_scores_is_refused_at_load() {
    let n = node(
        "ZipMap",
        "z",
        &["X"],
        &["Y"],
        vec![ints("classlabels_int64s", &[0, 1, 2])],
    );
    mentions(
        &invalid(&one_node(n, vec![float_rows(2)])),
        &[
            "node \"z\" (ai.onnx.ml:ZipMap)",
            "2 scores per row for 3 labels",
        ],
    );
}

#[test]
fn a_cast_to_an_unknown_type_is_refused_at_load() {
    let n = node("Cast", "c", &["X"], &["Y"], vec![int("to", 1 << 33)]);
    mentions(
        &invalid(&one_node(n, vec![float_any("X")])),
        &["Cast to element type 8589934592 is not supported"],
    );
}

#[test]
fn shapes_that_do_not_broadcast_are_a_run_error() {
    let m = Model::load(&model_bytes(
        vec![node("Add", "add", &["A", "B"], &["Y"], vec![])],
        vec![float_any("A"), float_any("B")],
        vec![float_any("Y")],
        vec![],
    ))
    .unwrap();
    let e = run_error(
        &m,
        vec![
            floats_value(vec![2, 3], vec![0.0; 6]),
            floats_value(vec![2], vec![0.0; 2]),
        ],
    );
    shape_error(&e, &["node \"add\"", "[2, 3] and [2] do not broadcast"]);
}

#[test]
fn declared_shapes_that_do_not_broadcast_are_refused_at_load() {
    let bytes = model_bytes(
        vec![node("Add", "add", &["A", "B"], &["Y"], vec![])],
        vec![
            io("A", FLOAT, Some(&[None, Some(3)])),
            io("B", FLOAT, Some(&[Some(2)])),
        ],
        vec![float_any("Y")],
        vec![],
    );
    mentions(
        &invalid(&bytes),
        &["dimensions 3 and 2 of the inputs do not broadcast"],
    );
}

#[test]
fn strings_where_numbers_are_expected_are_a_type_error() {
    let m = Model::load(&one_node(
        node("Relu", "r", &["X"], &["Y"], vec![]),
        vec![io("X", STRING, None)],
    ))
    .unwrap();
    let x = Value::Tensor(Tensor::new(vec![1], Data::Str(vec!["a".into()])).unwrap());
    assert!(matches!(m.run(vec![x]), Err(RunError::Type(m)) if m.contains("node \"r\"")));
}

#[test]
fn argmax_over_an_empty_axis_is_a_run_error() {
    let m = Model::load(&one_node(
        node("ArgMax", "a", &["X"], &["Y"], vec![int("axis", 1)]),
        vec![float_any("X")],
    ))
    .unwrap();
    let e = run_error(&m, vec![floats_value(vec![1 << 30, 0], vec![])]);
    shape_error(&e, &["node \"a\"", "axis 1 of size 0"]);
}

#[test]
fn a_matrix_product_of_empty_operands_with_a_huge_result_is_a_run_error() {
    let m = Model::load(&model_bytes(
        vec![node("MatMul", "mm", &["A", "B"], &["Y"], vec![])],
        vec![float_any("A"), float_any("B")],
        vec![float_any("Y")],
        vec![],
    ))
    .unwrap();
    let e = run_error(
        &m,
        vec![
            floats_value(vec![1 << 20, 0], vec![]),
            floats_value(vec![0, 1 << 20], vec![]),
        ],
    );
    shape_error(&e, &["node \"mm\"", "1099511627776 elements"]);
}

#[test]
fn a_one_hot_encoding_past_the_tensor_limit_is_a_run_error() {
    let cats: Vec<i64> = (0..64).collect();
    let m = Model::load(&one_node(
        node(
            "OneHotEncoder",
            "oh",
            &["X"],
            &["Y"],
            vec![ints("cats_int64s", &cats)],
        ),
        vec![float_any("X")],
    ))
    .unwrap();
    let e = run_error(&m, vec![floats_value(vec![1 << 20], vec![0.0; 1 << 20])]);
    shape_error(&e, &["node \"oh\"", "67108864 elements"]);
}

#[test]
fn a_concat_of_empty_tensors_with_huge_outer_dimensions_is_quick() {
    let m = Model::load(&concat(1, float_any("X"))).unwrap();
    let out = m.run(vec![floats_value(vec![1 << 40, 0], vec![])]).unwrap();
    assert_eq!(out[0], floats_value(vec![1 << 40, 0], vec![]));
}
