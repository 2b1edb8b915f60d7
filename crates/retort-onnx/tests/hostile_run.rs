//! Inputs a node cannot take are a run error naming the node, never a panic; outputs are
//! sized from the data present, and refused before allocating past the tensor limits.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retort_onnx::{Data, Keys, Model, RunError, Tensor, Value};

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
