//! The standard (`ai.onnx`) operators: shape plumbing (reshape, concat, squeeze, gather,
//! transpose), casts, and the builder that maps each op to its kernel; the arithmetic
//! lives in `math.rs`.

use super::math::{ArgMax, BinOp, Binary, Gemm, Softmax, Unary};
use super::{Kernel, input, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::proto::data_type;
use crate::tensor::{Data, Tensor, Value};

/// Builds a standard operator's kernel.
pub fn build(op: &str, attrs: &Attrs<'_>) -> Result<Box<dyn Kernel>, String> {
    Ok(match op {
        "Identity" => Box::new(Identity),
        "Cast" => Box::new(Cast {
            to: attrs.int("to").ok_or("Cast needs `to`")? as i32,
        }),
        "Concat" => Box::new(Concat {
            axis: attrs.int("axis").ok_or("Concat needs `axis`")?,
        }),
        "Reshape" => Box::new(Reshape {
            allow_zero: attrs.int("allowzero").unwrap_or(0) != 0,
        }),
        "Flatten" => Box::new(Flatten {
            axis: attrs.int("axis").unwrap_or(1),
        }),
        "Squeeze" => Box::new(Squeeze {
            axes: attrs.ints("axes"),
            unsqueeze: false,
        }),
        "Unsqueeze" => Box::new(Squeeze {
            axes: attrs.ints("axes"),
            unsqueeze: true,
        }),
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
        "Transpose" => Box::new(Transpose {
            perm: attrs.ints("perm"),
        }),
        "Gather" => Box::new(Gather {
            axis: attrs.int("axis").unwrap_or(0),
        }),
        other => return Err(format!("no kernel for {other}")),
    })
}

pub(super) fn axis_index(axis: i64, rank: usize) -> Result<usize, RunError> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    usize::try_from(a)
        .ok()
        .filter(|&a| a < rank.max(1))
        .ok_or_else(|| RunError::Shape(format!("axis {axis} out of range for rank {rank}")))
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
}

struct Cast {
    to: i32,
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
        let data = match (self.to, &x.data) {
            (data_type::STRING, Data::Str(v)) => Data::Str(v.clone()),
            (data_type::STRING, Data::I64(v)) => Data::Str(v.iter().map(i64::to_string).collect()),
            (data_type::STRING, other) => {
                Data::Str(as_f64(other)?.iter().map(|v| v.to_string()).collect())
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
}

struct Concat {
    axis: i64,
}

impl Kernel for Concat {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let parts: Vec<&Tensor> = (0..inputs.len())
            .map(|i| input(inputs, i))
            .collect::<Result<_, _>>()?;
        let first = parts
            .first()
            .ok_or_else(|| RunError::Type("Concat of nothing".into()))?;
        let rank = first.shape.len();
        let axis = axis_index(self.axis, rank)?;
        let outer: usize = first.shape[..axis].iter().product();
        let mut shape = first.shape.clone();
        shape[axis] = 0;
        let mut chunks = Vec::with_capacity(parts.len());
        for p in &parts {
            if p.shape.len() != rank
                || p.shape[..axis] != first.shape[..axis]
                || p.shape[axis + 1..] != first.shape[axis + 1..]
            {
                return Err(RunError::Shape(format!(
                    "cannot concatenate {:?} with {:?} on axis {axis}",
                    first.shape, p.shape
                )));
            }
            shape[axis] += p.shape[axis];
            chunks.push(p.shape[axis..].iter().product::<usize>());
        }
        macro_rules! cat {
            ($variant:ident) => {{
                let mut out = Vec::with_capacity(shape.iter().product());
                for o in 0..outer {
                    for (p, &c) in parts.iter().zip(&chunks) {
                        match &p.data {
                            Data::$variant(v) => out.extend_from_slice(&v[o * c..(o + 1) * c]),
                            other => {
                                return Err(RunError::Type(format!(
                                    "Concat mixes element types ({})",
                                    other.kind()
                                )));
                            }
                        }
                    }
                }
                Data::$variant(out)
            }};
        }
        let data = match &first.data {
            Data::F32(_) => cat!(F32),
            Data::F64(_) => cat!(F64),
            Data::I64(_) => cat!(I64),
            Data::Str(_) => cat!(Str),
            Data::Bool(_) => cat!(Bool),
        };
        Ok(vec![tensor(shape, data)?])
    }
}

struct Reshape {
    allow_zero: bool,
}

impl Kernel for Reshape {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let spec = match &input(inputs, 1)?.data {
            Data::I64(v) => v.clone(),
            other => {
                return Err(RunError::Type(format!(
                    "Reshape's shape must be int64, got {}",
                    other.kind()
                )));
            }
        };
        let total = x.data.len();
        let mut shape = Vec::with_capacity(spec.len());
        let mut infer = None;
        for (i, &d) in spec.iter().enumerate() {
            match d {
                -1 => {
                    infer = Some(i);
                    shape.push(1);
                }
                0 if !self.allow_zero => shape.push(x.shape.get(i).copied().unwrap_or(0)),
                d if d >= 0 => shape.push(d as usize),
                d => return Err(RunError::Shape(format!("bad Reshape dimension {d}"))),
            }
        }
        if let Some(i) = infer {
            let known: usize = shape.iter().product();
            shape[i] = total.checked_div(known).unwrap_or(0);
        }
        Ok(vec![Value::Tensor(Tensor::new(shape, x.data.clone())?)])
    }
}

struct Flatten {
    axis: i64,
}

impl Kernel for Flatten {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let rank = x.shape.len() as i64;
        let axis = if self.axis < 0 {
            self.axis + rank
        } else {
            self.axis
        }
        .clamp(0, rank) as usize;
        let outer: usize = x.shape[..axis].iter().product();
        let inner: usize = x.shape[axis..].iter().product();
        Ok(vec![tensor(vec![outer, inner], x.data.clone())?])
    }
}

struct Squeeze {
    axes: Vec<i64>,
    unsqueeze: bool,
}

impl Kernel for Squeeze {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        // Since opset 13 the axes come as a second input.
        let axes = match inputs.get(1).copied().flatten() {
            Some(v) => match &v.tensor("axes")?.data {
                Data::I64(a) => a.clone(),
                _ => return Err(RunError::Type("axes must be int64".into())),
            },
            None => self.axes.clone(),
        };
        let mut shape = x.shape.clone();
        if self.unsqueeze {
            let rank = shape.len() + axes.len();
            let mut norm: Vec<usize> = axes
                .iter()
                .map(|&a| axis_index(a, rank))
                .collect::<Result<_, _>>()?;
            norm.sort_unstable();
            for a in norm {
                shape.insert(a.min(shape.len()), 1);
            }
        } else if axes.is_empty() {
            shape.retain(|&d| d != 1);
        } else {
            let rank = shape.len();
            let mut norm: Vec<usize> = axes
                .iter()
                .map(|&a| axis_index(a, rank))
                .collect::<Result<_, _>>()?;
            norm.sort_unstable_by(|a, b| b.cmp(a));
            for a in norm {
                if shape[a] != 1 {
                    return Err(RunError::Shape(format!(
                        "cannot squeeze axis {a} of size {}",
                        shape[a]
                    )));
                }
                shape.remove(a);
            }
        }
        Ok(vec![tensor(shape, x.data.clone())?])
    }
}

struct Transpose {
    perm: Vec<i64>,
}

impl Kernel for Transpose {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let rank = x.shape.len();
        let perm: Vec<usize> = if self.perm.is_empty() {
            (0..rank).rev().collect()
        } else {
            self.perm
                .iter()
                .map(|&p| axis_index(p, rank))
                .collect::<Result<_, _>>()?
        };
        let shape: Vec<usize> = perm.iter().map(|&p| x.shape[p]).collect();
        let mut in_strides = vec![1usize; rank];
        for i in (0..rank.saturating_sub(1)).rev() {
            in_strides[i] = in_strides[i + 1] * x.shape[i + 1];
        }
        let n = x.data.len();
        let src: Vec<usize> = (0..n)
            .map(|mut flat| {
                let mut idx = 0;
                for d in (0..rank).rev() {
                    idx += (flat % shape[d]) * in_strides[perm[d]];
                    flat /= shape[d];
                }
                idx
            })
            .collect();
        let data = match &x.data {
            Data::F32(v) => Data::F32(src.iter().map(|&i| v[i]).collect()),
            Data::F64(v) => Data::F64(src.iter().map(|&i| v[i]).collect()),
            Data::I64(v) => Data::I64(src.iter().map(|&i| v[i]).collect()),
            Data::Str(v) => Data::Str(src.iter().map(|&i| v[i].clone()).collect()),
            Data::Bool(v) => Data::Bool(src.iter().map(|&i| v[i]).collect()),
        };
        Ok(vec![tensor(shape, data)?])
    }
}

struct Gather {
    axis: i64,
}

impl Kernel for Gather {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let idx = input(inputs, 1)?;
        let axis = axis_index(self.axis, x.shape.len())?;
        let dim = x.shape[axis];
        let picks: Vec<usize> = match &idx.data {
            Data::I64(v) => v
                .iter()
                .map(|&i| {
                    let j = if i < 0 { i + dim as i64 } else { i };
                    usize::try_from(j)
                        .ok()
                        .filter(|&j| j < dim)
                        .ok_or_else(|| RunError::Shape(format!("index {i} out of range {dim}")))
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(RunError::Type(format!(
                    "Gather indices must be integers, got {}",
                    other.kind()
                )));
            }
        };
        let outer: usize = x.shape[..axis].iter().product();
        let inner: usize = x.shape[axis + 1..].iter().product();
        let src: Vec<usize> = (0..outer)
            .flat_map(|o| {
                picks
                    .iter()
                    .flat_map(move |&p| (0..inner).map(move |i| (o * dim + p) * inner + i))
            })
            .collect();
        let data = match &x.data {
            Data::F32(v) => Data::F32(src.iter().map(|&i| v[i]).collect()),
            Data::F64(v) => Data::F64(src.iter().map(|&i| v[i]).collect()),
            Data::I64(v) => Data::I64(src.iter().map(|&i| v[i]).collect()),
            Data::Str(v) => Data::Str(src.iter().map(|&i| v[i].clone()).collect()),
            Data::Bool(v) => Data::Bool(src.iter().map(|&i| v[i]).collect()),
        };
        let mut shape: Vec<usize> = x.shape[..axis].to_vec();
        shape.extend_from_slice(&idx.shape);
        shape.extend_from_slice(&x.shape[axis + 1..]);
        Ok(vec![tensor(shape, data)?])
    }
}
