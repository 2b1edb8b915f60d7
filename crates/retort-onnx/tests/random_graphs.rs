//! Thousands of small random graphs, built from the supported operators with attributes,
//! initializers and inputs drawn from edge values (negative, zero, huge, repeated, NaN,
//! mismatched lengths), load or are refused, and those that load run random batches,
//! without a panic. Deterministic: a fixed seed drives a small xorshift generator; set
//! `RETORT_RANDOM_GRAPHS=CASES[,SEED]` for a longer or different search.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retort_onnx::proto::{AttributeProto, NodeProto, TensorProto};
use retort_onnx::{Data, Model, Tensor, Value};

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

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
}

const INTS: &[i64] = &[
    -3,
    -2,
    -1,
    0,
    0,
    1,
    1,
    1,
    2,
    2,
    3,
    4,
    7,
    1 << 20,
    1 << 40,
    i64::MAX,
    i64::MIN,
];
const FLOATS: &[f32] = &[0.0, 1.0, -1.0, 0.5, 2.0, f32::NAN, f32::INFINITY, 1e30];
const WORDS: &[&str] = &[
    "",
    "a",
    "b",
    "LEAF",
    "BRANCH_LEQ",
    "BRANCH_GT",
    "BRANCH_EQ",
    "SOFTMAX",
    "LOGISTIC",
    "PROBIT",
    "SOFTMAX_ZERO",
    "NONE",
    "SUM",
    "AVERAGE",
    "MIN",
    "MAX",
    "L1",
    "L2",
];

/// The attributes an operator reads: name and kind (`i` int, `I` ints, `F` floats, `f`
/// float, `s` string, `S` strings).
fn attribute_names(op: &str) -> &'static [(&'static str, char)] {
    const TREE: &[(&str, char)] = &[
        ("nodes_treeids", 'I'),
        ("nodes_nodeids", 'I'),
        ("nodes_featureids", 'I'),
        ("nodes_values", 'F'),
        ("nodes_modes", 'S'),
        ("nodes_truenodeids", 'I'),
        ("nodes_falsenodeids", 'I'),
        ("nodes_missing_value_tracks_true", 'I'),
        ("target_treeids", 'I'),
        ("target_nodeids", 'I'),
        ("target_ids", 'I'),
        ("target_weights", 'F'),
        ("class_treeids", 'I'),
        ("class_nodeids", 'I'),
        ("class_ids", 'I'),
        ("class_weights", 'F'),
        ("n_targets", 'i'),
        ("classlabels_int64s", 'I'),
        ("classlabels_strings", 'S'),
        ("base_values", 'F'),
        ("post_transform", 's'),
        ("aggregate_function", 's'),
    ];
    match op {
        "Cast" => &[("to", 'i')],
        "Concat" | "Flatten" | "Gather" | "Softmax" => &[("axis", 'i')],
        "Reshape" => &[("allowzero", 'i')],
        "Squeeze" | "Unsqueeze" => &[("axes", 'I')],
        "Gemm" => &[
            ("alpha", 'f'),
            ("beta", 'f'),
            ("transA", 'i'),
            ("transB", 'i'),
        ],
        "ArgMax" => &[("axis", 'i'), ("keepdims", 'i'), ("select_last_index", 'i')],
        "Transpose" => &[("perm", 'I')],
        "TreeEnsembleRegressor" | "TreeEnsembleClassifier" => TREE,
        "LinearRegressor" | "LinearClassifier" => &[
            ("coefficients", 'F'),
            ("intercepts", 'F'),
            ("targets", 'i'),
            ("classlabels_ints", 'I'),
            ("classlabels_strings", 'S'),
            ("post_transform", 's'),
        ],
        "Scaler" => &[("offset", 'F'), ("scale", 'F')],
        "Imputer" => &[
            ("imputed_value_floats", 'F'),
            ("imputed_value_int64s", 'I'),
            ("replaced_value_float", 'f'),
            ("replaced_value_int64", 'i'),
        ],
        "OneHotEncoder" => &[("cats_strings", 'S'), ("cats_int64s", 'I'), ("zeros", 'i')],
        "LabelEncoder" => &[
            ("keys_strings", 'S'),
            ("keys_int64s", 'I'),
            ("keys_floats", 'F'),
            ("values_strings", 'S'),
            ("values_int64s", 'I'),
            ("values_floats", 'F'),
            ("default_string", 's'),
        ],
        "Normalizer" => &[("norm", 's')],
        "Binarizer" => &[("threshold", 'f')],
        "ZipMap" => &[("classlabels_int64s", 'I'), ("classlabels_strings", 'S')],
        "FeatureVectorizer" => &[("inputdimensions", 'I')],
        _ => &[],
    }
}

const OPS: &[(&str, usize)] = &[
    ("Identity", 1),
    ("Cast", 1),
    ("Concat", 2),
    ("Reshape", 2),
    ("Flatten", 1),
    ("Squeeze", 1),
    ("Unsqueeze", 1),
    ("MatMul", 2),
    ("Gemm", 3),
    ("Add", 2),
    ("Div", 2),
    ("Relu", 1),
    ("Softmax", 1),
    ("ArgMax", 1),
    ("Transpose", 1),
    ("Gather", 2),
    ("TreeEnsembleRegressor", 1),
    ("TreeEnsembleClassifier", 1),
    ("LinearRegressor", 1),
    ("LinearClassifier", 1),
    ("Scaler", 1),
    ("Imputer", 1),
    ("OneHotEncoder", 1),
    ("LabelEncoder", 1),
    ("Normalizer", 1),
    ("Binarizer", 1),
    ("ArrayFeatureExtractor", 2),
    ("ZipMap", 1),
    ("FeatureVectorizer", 2),
];

fn attribute(rng: &mut Rng, name: &str, kind: char) -> AttributeProto {
    // Lists of one length shared by a node (as tree arrays are), sometimes off by one.
    let len = |rng: &mut Rng| rng.pick(&[0usize, 1, 2, 3, 3, 3, 4, 5]);
    let small = |rng: &mut Rng| rng.below(5) as i64 - if rng.chance(10) { 3 } else { 0 };
    match kind {
        'i' => int(name, rng.pick(INTS)),
        'f' => AttributeProto {
            name: name.into(),
            r#type: 1,
            f: rng.pick(FLOATS),
            ..AttributeProto::default()
        },
        's' => string(name, rng.pick(WORDS)),
        'I' => {
            let n = len(rng);
            let v: Vec<i64> = (0..n)
                .map(|_| {
                    if rng.chance(80) {
                        small(rng)
                    } else {
                        rng.pick(INTS)
                    }
                })
                .collect();
            ints(name, &v)
        }
        'F' => {
            let n = len(rng);
            floats(name, &(0..n).map(|_| rng.pick(FLOATS)).collect::<Vec<_>>())
        }
        _ => {
            let n = len(rng);
            strings(name, &(0..n).map(|_| rng.pick(WORDS)).collect::<Vec<_>>())
        }
    }
}

fn dims(rng: &mut Rng) -> Vec<usize> {
    (0..rng.below(4))
        .map(|_| rng.pick(&[0, 1, 1, 2, 3, 4]))
        .collect()
}

fn data(rng: &mut Rng, n: usize) -> Data {
    match rng.below(5) {
        0 => Data::I64((0..n).map(|_| rng.below(5) as i64 - 1).collect()),
        1 => Data::Str((0..n).map(|_| rng.pick(WORDS).to_owned()).collect()),
        2 => Data::Bool((0..n).map(|_| rng.chance(50)).collect()),
        3 => Data::F64((0..n).map(|_| f64::from(rng.pick(FLOATS))).collect()),
        _ => Data::F32((0..n).map(|_| rng.pick(FLOATS)).collect()),
    }
}

fn initializer(rng: &mut Rng, name: &str) -> TensorProto {
    let d = dims(rng);
    let mut n: usize = d.iter().product();
    if rng.chance(10) {
        n += 1;
    }
    let mut t = TensorProto {
        name: name.into(),
        dims: d.iter().map(|&x| x as i64).collect(),
        ..TensorProto::default()
    };
    match data(rng, n) {
        Data::I64(v) => {
            t.data_type = INT64;
            t.int64_data = v;
        }
        Data::Str(v) => {
            t.data_type = STRING;
            t.string_data = v.into_iter().map(String::into_bytes).collect();
        }
        Data::F32(v) => {
            t.data_type = FLOAT;
            t.raw_data = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        }
        _ => {
            t.data_type = INT64;
            t.int64_data = (0..n).map(|_| rng.below(4) as i64 - 1).collect();
        }
    }
    t
}

fn random_node(rng: &mut Rng, values: &[String], k: usize) -> NodeProto {
    let (op, arity) = rng.pick(OPS);
    let inputs: Vec<&str> = (0..arity)
        .map(|_| values[rng.below(values.len())].as_str())
        .collect();
    let outputs: Vec<String> = (0..2).map(|o| format!("v{k}_{o}")).collect();
    let outputs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    let mut attrs = Vec::new();
    for &(name, kind) in attribute_names(op) {
        if rng.chance(75) {
            attrs.push(attribute(rng, name, kind));
        }
    }
    node(op, "", &inputs, &outputs, attrs)
}

#[test]
fn random_graphs_load_or_are_refused_and_run_without_panicking() {
    let (cases, seed) = match std::env::var("RETORT_RANDOM_GRAPHS") {
        Ok(v) => {
            let mut parts = v.split(',').map(|p| p.trim().parse::<u64>().unwrap());
            (parts.next().unwrap(), parts.next().unwrap_or(1))
        }
        Err(_) => (6000, 1),
    };
    let mut rng = Rng(0x005e_ed0f_0a11_7e57 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (mut loaded, mut ran) = (0u64, 0u64);
    for case in 0..cases {
        let mut values = vec!["X".to_owned(), "I0".to_owned(), "I1".to_owned()];
        let mut nodes = Vec::new();
        for k in 0..1 + rng.below(3) {
            nodes.push(random_node(&mut rng, &values, k));
            values.push(format!("v{k}_0"));
            values.push(format!("v{k}_1"));
        }
        let declared: Vec<Option<i64>> = dims(&mut rng).iter().map(|&d| Some(d as i64)).collect();
        let x = if rng.chance(50) {
            io("X", FLOAT, Some(&declared))
        } else {
            float_any("X")
        };
        let last = values[values.len() - 2].clone();
        let bytes = model_bytes(
            nodes,
            vec![x],
            vec![float_any(&last)],
            vec![initializer(&mut rng, "I0"), initializer(&mut rng, "I1")],
        );
        let Ok(model) = Model::load(&bytes) else {
            continue;
        };
        loaded += 1;
        for _ in 0..3 {
            let shape = dims(&mut rng);
            let n = shape.iter().product();
            let x = Value::Tensor(Tensor::new(shape, data(&mut rng, n)).unwrap());
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                model.run(vec![x.clone()])
            }));
            assert!(result.is_ok(), "case {case} panicked on {x:?}: {model:?}");
            ran += u64::from(matches!(result, Ok(Ok(_))));
        }
    }
    // The generator must reach the kernels, not only the load checks.
    assert!(
        loaded * 6 > cases && ran * 12 > cases,
        "loaded {loaded}, ran {ran} of {cases}"
    );
}
