//! The operators: a kernel per node, built once from its attributes.

mod basic;
mod encoders;
mod layout;
mod linear;
mod math;
mod matmul;
mod ml;
mod reduce;
mod select;
mod tree;

use crate::attrs::Attrs;
use crate::error::RunError;
use crate::proto::NodeProto;
use crate::tensor::{Tensor, Value};

/// What load knows of a value's dimensions: `None` when not even the rank is known, else
/// one entry per dimension, `None` where it is fixed only at run time.
pub type Dims = Option<Vec<Option<usize>>>;

/// What load knows of one input of a node.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Its dimensions, when the rank is known.
    pub dims: Option<&'a [Option<usize>]>,
    /// Its value, when it is an initializer.
    pub value: Option<&'a Tensor>,
}

impl Known<'_> {
    /// The rank, when known.
    pub fn rank(&self) -> Option<usize> {
        self.dims.map(<[_]>::len)
    }

    /// Dimension `i`, when known.
    pub fn dim(&self, i: usize) -> Option<usize> {
        self.dims.and_then(|d| d.get(i).copied().flatten())
    }

    /// The columns of the value seen as a matrix (see [`Tensor::as_matrix`]), when every
    /// dimension after the first is known.
    pub fn columns(&self) -> Option<usize> {
        let dims = self.dims?;
        match dims.split_first() {
            None | Some((_, [])) => Some(1),
            Some((_, rest)) => rest
                .iter()
                .try_fold(1usize, |acc, d| d.and_then(|d| acc.checked_mul(d))),
        }
    }

    /// The dimensions as an output's, unchanged.
    pub fn same(&self) -> Dims {
        self.dims.map(<[_]>::to_vec)
    }
}

/// What load knows of input `i` (nothing when the node has no such input).
pub fn known<'a>(inputs: &[Known<'a>], i: usize) -> Known<'a> {
    inputs.get(i).copied().unwrap_or_default()
}

/// A compiled node: runs one batch.
pub trait Kernel: Send + Sync {
    /// Computes the node's outputs from its inputs (`None` for an omitted optional input).
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError>;

    /// Checks the node against what load knows of its inputs, and says what it knows of
    /// its outputs' dimensions (an output left out is unknown). The default knows
    /// nothing and checks nothing.
    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let _ = inputs;
        Ok(Vec::new())
    }
}

const ML: &[&str] = &[
    "TreeEnsemble",
    "TreeEnsembleRegressor",
    "TreeEnsembleClassifier",
    "LinearRegressor",
    "LinearClassifier",
    "Scaler",
    "Imputer",
    "OneHotEncoder",
    "LabelEncoder",
    "Normalizer",
    "Binarizer",
    "ArrayFeatureExtractor",
    "ZipMap",
    "FeatureVectorizer",
];

const STANDARD: &[&str] = &[
    "Identity",
    "Cast",
    "Concat",
    "Reshape",
    "Flatten",
    "Squeeze",
    "Unsqueeze",
    "MatMul",
    "Gemm",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Exp",
    "Log",
    "Abs",
    "Neg",
    "Sqrt",
    "Softmax",
    "ArgMax",
    "Transpose",
    "Gather",
    "ReduceSum",
    "IsNaN",
    "Where",
];

/// Whether the engine implements `op_type` of `domain`.
pub fn is_supported(domain: &str, op_type: &str) -> bool {
    match domain {
        "ai.onnx.ml" => ML.contains(&op_type),
        "" | "ai.onnx" => STANDARD.contains(&op_type),
        _ => false,
    }
}

/// Builds the kernel of `node`.
pub fn build(node: &NodeProto, attrs: &Attrs<'_>) -> Result<Box<dyn Kernel>, String> {
    let op = node.op_type.as_str();
    Ok(match op {
        "TreeEnsemble" => {
            let node = tree::v5::translate(attrs)?;
            Box::new(tree::TreeEnsemble::regressor(&Attrs::new(&node))?.with_output_like_input())
        }
        "TreeEnsembleRegressor" => Box::new(tree::TreeEnsemble::regressor(attrs)?),
        "TreeEnsembleClassifier" => Box::new(tree::TreeEnsemble::classifier(attrs)?),
        "LinearRegressor" => Box::new(linear::LinearRegressor::new(attrs)?),
        "LinearClassifier" => Box::new(linear::LinearClassifier::new(attrs)?),
        "Scaler" => Box::new(ml::Scaler::new(attrs)?),
        "Imputer" => Box::new(ml::Imputer::new(attrs)?),
        "OneHotEncoder" => Box::new(encoders::OneHotEncoder::new(attrs)?),
        "LabelEncoder" => Box::new(encoders::LabelEncoder::new(attrs)?),
        "Normalizer" => Box::new(ml::Normalizer::new(attrs)?),
        "Binarizer" => Box::new(ml::Binarizer::new(attrs)),
        "ArrayFeatureExtractor" => Box::new(select::ArrayFeatureExtractor),
        "ZipMap" => Box::new(ml::ZipMap::new(attrs)?),
        "FeatureVectorizer" => Box::new(ml::FeatureVectorizer::new(attrs)?),
        _ => basic::build(op, attrs)?,
    })
}

/// The tensor at input `i`, or an error naming it.
pub fn input<'a>(inputs: &[Option<&'a Value>], i: usize) -> Result<&'a Tensor, RunError> {
    inputs
        .get(i)
        .copied()
        .flatten()
        .ok_or_else(|| RunError::Type(format!("input {i} is missing")))?
        .tensor(&format!("input {i}"))
}

/// Wraps a tensor as a value (checking its shape against its data).
pub fn tensor(shape: Vec<usize>, data: crate::tensor::Data) -> Result<Value, RunError> {
    Tensor::new(shape, data).map(Value::Tensor)
}

/// Collects strings for a new tensor, refusing them as soon as their bytes (text and
/// headers) pass [`MAX_TENSOR_BYTES`](crate::MAX_TENSOR_BYTES).
pub fn collect_strings(strings: impl Iterator<Item = String>) -> Result<Vec<String>, RunError> {
    let count = strings.size_hint().0;
    crate::limits::check_output(count, std::mem::size_of::<String>())?;
    let mut bytes = 0usize;
    let mut out = Vec::with_capacity(count);
    for s in strings {
        bytes = bytes.saturating_add(std::mem::size_of::<String>() + s.len());
        if bytes > crate::limits::MAX_TENSOR_BYTES {
            return Err(RunError::Shape(format!(
                "the output's strings would take more than {} bytes",
                crate::limits::MAX_TENSOR_BYTES
            )));
        }
        out.push(s);
    }
    Ok(out)
}

/// The post-transforms of the ML operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostTransform {
    /// Scores as they are.
    None,
    /// Softmax over the classes.
    Softmax,
    /// Logistic function of each score.
    Logistic,
    /// Softmax, but scores of exactly zero stay zero.
    SoftmaxZero,
    /// The probit function of each score.
    Probit,
}

impl PostTransform {
    /// Parses the `post_transform` attribute.
    pub fn parse(attrs: &Attrs<'_>) -> Result<Self, String> {
        Ok(
            match attrs.string("post_transform").as_deref().unwrap_or("NONE") {
                "NONE" => Self::None,
                "SOFTMAX" => Self::Softmax,
                "LOGISTIC" => Self::Logistic,
                "SOFTMAX_ZERO" => Self::SoftmaxZero,
                "PROBIT" => Self::Probit,
                other => return Err(format!("unknown post_transform {other:?}")),
            },
        )
    }

    /// Applies the transform to one row of scores in place.
    pub fn apply(self, row: &mut [f32]) {
        match self {
            Self::None => {}
            Self::Logistic => row.iter_mut().for_each(|v| *v = logistic(*v)),
            Self::Probit => row.iter_mut().for_each(|v| *v = probit(*v)),
            Self::Softmax => softmax(row, false),
            Self::SoftmaxZero => softmax(row, true),
        }
    }
}

/// The index of the largest value (the first one on ties).
pub fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        })
        .0
}

/// The logistic function, computed as the reference runtime does.
pub fn logistic(v: f32) -> f32 {
    // Single precision, one exponential: accurate to a few ulps, which is what the
    // reference runtime's own approximation gives, at a fraction of the cost of f64.
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

fn softmax(row: &mut [f32], keep_zero: bool) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f64;
    for v in row.iter_mut() {
        if keep_zero && *v == 0.0 {
            continue;
        }
        let e = (*v - max).exp();
        sum += f64::from(e);
        *v = e;
    }
    for v in row.iter_mut() {
        if !(keep_zero && *v == 0.0) {
            *v = (f64::from(*v) / sum) as f32;
        }
    }
}

/// The probit function: √2 · erfinv(2v − 1).
pub fn probit(v: f32) -> f32 {
    (std::f64::consts::SQRT_2 * erf_inv(2.0 * f64::from(v) - 1.0)) as f32
}

/// Inverse error function (Giles' approximation, single-precision accurate).
fn erf_inv(x: f64) -> f64 {
    let w = -((1.0 - x) * (1.0 + x)).ln();
    if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [
            3.432_739_39e-07,
            -3.523_387_7e-06,
            -4.391_506_54e-06,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ] {
            p = c + p * w;
        }
        p * x
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ] {
            p = c + p * w;
        }
        p * x
    }
}
