//! Graphs whose declarations, initializers or attributes do not hold together are refused
//! at load, with a message naming the node and the numbers.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retort_onnx::MAX_WIDTH;
use retort_onnx::proto::TensorProto;

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
