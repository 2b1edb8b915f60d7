//! The standard (`ai.onnx`) operators' builder, which maps each op to its kernel, the
//! axis helpers they share, and the two simplest: Identity and Cast. Shape plumbing lives
//! in `layout.rs` and `select.rs`, the arithmetic in `math.rs`.

use super::layout::{Flatten, Reshape, Squeeze, Transpose};
use super::math::{ArgMax, BinOp, Binary, Softmax, Unary};
use super::matmul::Gemm;
use super::select::{Concat, Gather};
use super::{Dims, Kernel, Known, collect_strings, input, known, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::limits::check_output;
use crate::proto::data_type;
use crate::tensor::{Data, Value};

/// Builds a standard operator's kernel.
pub fn build(op: &str, attrs: &Attrs<'_>) -> Result<Box<dyn Kernel>, String> {
    Ok(match op {
        "Identity" => Box::new(Identity),
        "Cast" => Box::new(Cast::new(attrs.int("to").ok_or("Cast needs `to`")?)?),
        "Concat" => Box::new(Concat {
            axis: attrs.int("axis").ok_or("Concat needs `axis`")?,
        }),
        "Reshape" => Box::new(Reshape {
            allow_zero: attrs.int("allowzero").unwrap_or(0) != 0,
        }),
        "Flatten" => Box::new(Flatten {
            axis: attrs.int("axis").unwrap_or(1),
        }),
        "Squeeze" => Box::new(Squeeze::new(attrs.ints("axes"), false)?),
        "Unsqueeze" => Box::new(Squeeze::new(attrs.ints("axes"), true)?),
        "MatMul" => Box::new(Gemm {
            alpha: 1.0,
            beta: 1.0,
            trans_a: false,
            trans_b: false,
        }),
        "Gemm" => Box::new(Gemm {
            alpha: attrs.float("alpha").unwrap_or(1.0),
            beta: attrs.float("beta").unwrap_or(1.0),
            trans_a: attrs.int("transA").unwrap_or(0) != 0,
            trans_b: attrs.int("transB").unwrap_or(0) != 0,
        }),
        "Add" => Box::new(Binary(BinOp::Add)),
        "Sub" => Box::new(Binary(BinOp::Sub)),
        "Mul" => Box::new(Binary(BinOp::Mul)),
        "Div" => Box::new(Binary(BinOp::Div)),
        "Relu" => Box::new(Unary(|x| x.max(0.0))),
        "Sigmoid" => Box::new(Unary(|x| 1.0 / (1.0 + (-x).exp()))),
        "Tanh" => Box::new(Unary(f64::tanh)),
        "Exp" => Box::new(Unary(f64::exp)),
        "Log" => Box::new(Unary(f64::ln)),
        "Abs" => Box::new(Unary(f64::abs)),
        "Neg" => Box::new(Unary(|x| -x)),
        "Sqrt" => Box::new(Unary(f64::sqrt)),
        "Softmax" => Box::new(Softmax {
            axis: attrs.int("axis").unwrap_or(-1),
        }),
        "ArgMax" => Box::new(ArgMax {
            axis: attrs.int("axis").unwrap_or(0),
            keep_dims: attrs.int("keepdims").unwrap_or(1) != 0,
            last: attrs.int("select_last_index").unwrap_or(0) != 0,
        }),
        "Transpose" => Box::new(Transpose::new(attrs.ints("perm"))?),
        "Gather" => Box::new(Gather {
            axis: attrs.int("axis").unwrap_or(0),
        }),
        "IsNaN" => Box::new(super::math::IsNan),
        "Where" => Box::new(super::math::Where),
        "ReduceSum" => Box::new(super::reduce::ReduceSum {
            axes: attrs.ints("axes"),
            keep_dims: attrs.int("keepdims").unwrap_or(1) != 0,
            noop_with_empty_axes: attrs.int("noop_with_empty_axes").unwrap_or(0) != 0,
        }),
        other => return Err(format!("no kernel for {other}")),
    })
}

/// `axis` resolved against `rank` (a negative axis counts from the end), if
/// `-rank <= axis < rank`.
pub(super) fn resolve_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = i64::try_from(rank).ok()?;
    let a = if axis < 0 { axis.checked_add(r)? } else { axis };
    usize::try_from(a).ok().filter(|&a| a < rank)
}

/// `axis` resolved against the rank of a run's input, or a shape error.
pub(super) fn axis_index(axis: i64, rank: usize) -> Result<usize, RunError> {
    resolve_axis(axis, rank)
        .ok_or_else(|| RunError::Shape(format!("axis {axis} is out of range for rank {rank}")))
}

/// Checks `axis` at load against a rank, when the rank is known.
pub(super) fn check_axis(axis: i64, rank: Option<usize>) -> Result<Option<usize>, String> {
    match rank {
        None => Ok(None),
        Some(rank) => resolve_axis(axis, rank)
            .map(Some)
            .ok_or_else(|| format!("axis {axis} is out of range for an input of rank {rank}")),
    }
}

/// The dimensions of input 0, unchanged: for kernels whose output has their input's shape.
pub(super) fn same_as_first(inputs: &[Known<'_>]) -> Vec<Dims> {
    vec![known(inputs, 0).same()]
}

struct Identity;

impl Kernel for Identity {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        inputs
            .first()
            .copied()
            .flatten()
            .cloned()
            .map(|v| vec![v])
            .ok_or_else(|| RunError::Type("input 0 is missing".into()))
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(same_as_first(inputs))
    }
}

struct Cast {
    to: i32,
}

impl Cast {
    fn new(to: i64) -> Result<Self, String> {
        let supported = [
            data_type::STRING,
            data_type::FLOAT,
            data_type::DOUBLE,
            data_type::BOOL,
            data_type::INT64,
            data_type::INT32,
            data_type::INT16,
            data_type::INT8,
            data_type::UINT8,
        ];
        match i32::try_from(to) {
            Ok(to) if supported.contains(&to) => Ok(Self { to }),
            _ => Err(format!("Cast to element type {to} is not supported")),
        }
    }
}

pub(super) fn as_f64(d: &Data) -> Result<Vec<f64>, RunError> {
    Ok(match d {
        Data::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Data::F64(v) => v.clone(),
        Data::I64(v) => v.iter().map(|&x| x as f64).collect(),
        Data::Bool(v) => v.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect(),
        Data::Str(v) => v
            .iter()
            .map(|s| s.trim().parse::<f64>().unwrap_or(f64::NAN))
            .collect(),
    })
}

impl Kernel for Cast {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        check_output(x.data.len(), 8)?;
        let data = match (self.to, &x.data) {
            (data_type::STRING, Data::Str(v)) => Data::Str(v.clone()),
            (data_type::STRING, Data::I64(v)) => {
                Data::Str(collect_strings(v.iter().map(i64::to_string))?)
            }
            (data_type::STRING, other) => {
                Data::Str(collect_strings(as_f64(other)?.iter().map(f64::to_string))?)
            }
            (data_type::FLOAT, Data::F32(v)) => Data::F32(v.clone()),
            (data_type::FLOAT, other) => {
                Data::F32(as_f64(other)?.iter().map(|&v| v as f32).collect())
            }
            (data_type::DOUBLE, other) => Data::F64(as_f64(other)?),
            (data_type::BOOL, other) => {
                Data::Bool(as_f64(other)?.iter().map(|&v| v != 0.0).collect())
            }
            (
                data_type::INT64
                | data_type::INT32
                | data_type::INT16
                | data_type::INT8
                | data_type::UINT8,
                Data::I64(v),
            ) => Data::I64(v.clone()),
            (
                data_type::INT64
                | data_type::INT32
                | data_type::INT16
                | data_type::INT8
                | data_type::UINT8,
                other,
            ) => Data::I64(as_f64(other)?.iter().map(|&v| v as i64).collect()),
            (to, _) => {
                return Err(RunError::Type(format!(
                    "Cast to element type {to} is not supported"
                )));
            }
        };
        Ok(vec![tensor(x.shape.clone(), data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(same_as_first(inputs))
    }
}
