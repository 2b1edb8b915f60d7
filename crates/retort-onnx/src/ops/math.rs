//! The arithmetic operators: element-wise arithmetic with numpy-style broadcasting,
//! activations, softmax and argmax (matrix products are in `matmul.rs`).

use super::basic::{as_f64, axis_index, check_axis, same_as_first};
use super::{Dims, Kernel, Known, input, known, tensor};
use crate::error::RunError;
use crate::limits::{check_output, product, size};
use crate::tensor::{Data, Value};

#[derive(Clone, Copy)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

pub(super) struct Binary(pub(super) BinOp);

/// Dimension `i` of a shape of rank `rank` aligned right against a longer one (1 where
/// the shape has no such dimension).
fn aligned<T: Copy>(shape: &[T], i: usize, rank: usize, one: T) -> T {
    let missing = rank.saturating_sub(shape.len());
    match i.checked_sub(missing) {
        Some(j) => shape.get(j).copied().unwrap_or(one),
        None => one,
    }
}

/// The broadcast shape of two shapes (numpy rules).
fn broadcast(a: &[usize], b: &[usize]) -> Result<Vec<usize>, RunError> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| match (aligned(a, i, rank, 1), aligned(b, i, rank, 1)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(RunError::Shape(format!(
                "shapes {a:?} and {b:?} do not broadcast"
            ))),
        })
        .collect()
}

/// For each element of `out`, in order, its position in a tensor of `shape` broadcast to
/// `out` (whose rank is at least `shape`'s).
fn broadcast_positions<'a>(shape: &[usize], out: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let mut strides = vec![0usize; out.len()];
    let mut s = 1usize;
    for (i, stride) in strides.iter_mut().enumerate().rev() {
        let d = aligned(shape, i, out.len(), 1);
        *stride = if d == 1 { 0 } else { s };
        s = s.saturating_mul(d);
    }
    let n = product(out).unwrap_or(0);
    (0..n).map(move |mut flat| {
        let mut idx = 0usize;
        for (&d, &stride) in out.iter().zip(&strides).rev() {
            idx += (flat % d) * stride;
            flat /= d;
        }
        idx
    })
}

impl Kernel for Binary {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let a = input(inputs, 0)?;
        let b = input(inputs, 1)?;
        let shape = broadcast(&a.shape, &b.shape)?;
        check_output(size(&shape)?, 8)?;
        let f = |x: f64, y: f64| match self.0 {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
        };
        let g = |x: i64, y: i64| match self.0 {
            BinOp::Add => x.wrapping_add(y),
            BinOp::Sub => x.wrapping_sub(y),
            BinOp::Mul => x.wrapping_mul(y),
            BinOp::Div => x.checked_div(y).unwrap_or(0),
        };
        // Positions are below each operand's length by construction of the broadcast.
        macro_rules! combine {
            ($x:expr, $y:expr, $op:expr) => {{
                let (x, y) = (&$x, &$y);
                if a.shape == b.shape {
                    x.iter().zip(y.iter()).map(|(&x, &y)| $op(x, y)).collect()
                } else {
                    broadcast_positions(&a.shape, &shape)
                        .zip(broadcast_positions(&b.shape, &shape))
                        .map(|(i, j)| $op(x[i], y[j]))
                        .collect()
                }
            }};
        }
        let data = match (&a.data, &b.data) {
            (Data::I64(x), Data::I64(y)) => Data::I64(combine!(x, y, g)),
            (Data::F64(_), _) | (_, Data::F64(_)) => {
                let (x, y) = (as_f64(&a.data)?, as_f64(&b.data)?);
                Data::F64(combine!(x, y, f))
            }
            _ => {
                let (x, y) = (a.data.to_f32()?, b.data.to_f32()?);
                let h = |x: f32, y: f32| f(f64::from(x), f64::from(y)) as f32;
                Data::F32(combine!(x, y, h))
            }
        };
        Ok(vec![tensor(shape, data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let (Some(a), Some(b)) = (known(inputs, 0).dims, known(inputs, 1).dims) else {
            return Ok(Vec::new());
        };
        let rank = a.len().max(b.len());
        let out = (0..rank)
            .map(
                |i| match (aligned(a, i, rank, Some(1)), aligned(b, i, rank, Some(1))) {
                    (Some(1), y) => Ok(y),
                    (x, Some(1)) => Ok(x),
                    (Some(x), Some(y)) if x != y => Err(format!(
                        "dimensions {x} and {y} of the inputs do not broadcast"
                    )),
                    (x, y) => Ok(x.or(y)),
                },
            )
            .collect::<Result<_, _>>()?;
        Ok(vec![Some(out)])
    }
}

pub(super) struct Unary(pub(super) fn(f64) -> f64);

impl Kernel for Unary {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let data = match &x.data {
            Data::F64(v) => Data::F64(v.iter().map(|&v| (self.0)(v)).collect()),
            other => Data::F32(
                other
                    .to_f32()?
                    .iter()
                    .map(|&v| (self.0)(f64::from(v)) as f32)
                    .collect(),
            ),
        };
        Ok(vec![tensor(x.shape.clone(), data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(same_as_first(inputs))
    }
}

pub(super) struct Softmax {
    pub(super) axis: i64,
}

impl Kernel for Softmax {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let axis = axis_index(self.axis, x.shape.len())?;
        if axis + 1 != x.shape.len() {
            return Err(RunError::Shape(
                "Softmax is supported on the last axis only".into(),
            ));
        }
        let width = x.shape[axis].max(1);
        let mut data = x.data.to_f32()?.into_owned();
        for row in data.chunks_mut(width) {
            super::PostTransform::Softmax.apply(row);
        }
        Ok(vec![tensor(x.shape.clone(), Data::F32(data))?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        check_axis(self.axis, known(inputs, 0).rank())?;
        Ok(same_as_first(inputs))
    }
}

pub(super) struct ArgMax {
    pub(super) axis: i64,
    pub(super) keep_dims: bool,
    pub(super) last: bool,
}

impl Kernel for ArgMax {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let axis = axis_index(self.axis, x.shape.len())?;
        let dim = x.shape[axis];
        if dim == 0 {
            return Err(RunError::Shape(format!(
                "ArgMax over axis {axis} of size 0 of {:?}",
                x.shape
            )));
        }
        let v = as_f64(&x.data)?;
        // With a non-empty axis the output has fewer elements than the input.
        let inner = size(&x.shape[axis + 1..])?;
        let count = v.len() / dim;
        let mut out = Vec::with_capacity(count);
        for k in 0..count {
            let (o, i) = (k / inner.max(1), k % inner.max(1));
            let at = |d: usize| v[(o * dim + d) * inner + i];
            let mut best = 0usize;
            for d in 1..dim {
                let (cand, cur) = (at(d), at(best));
                if cand > cur || (self.last && cand == cur) {
                    best = d;
                }
            }
            out.push(best as i64);
        }
        let mut shape = x.shape.clone();
        if self.keep_dims {
            shape[axis] = 1;
        } else {
            shape.remove(axis);
        }
        Ok(vec![tensor(shape, Data::I64(out))?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        let Some(axis) = check_axis(self.axis, x.rank())? else {
            return Ok(Vec::new());
        };
        let mut out = x.same().unwrap_or_default();
        if self.keep_dims {
            out[axis] = Some(1);
        } else {
            out.remove(axis);
        }
        Ok(vec![Some(out)])
    }
}

/// IsNaN: true where a float is not a number.
pub(super) struct IsNan;

impl Kernel for IsNan {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let data = match &x.data {
            Data::F64(v) => v.iter().map(|v| v.is_nan()).collect(),
            Data::F32(v) => v.iter().map(|v| v.is_nan()).collect(),
            other => {
                return Err(RunError::Type(format!(
                    "IsNaN takes floats, got {}",
                    other.kind()
                )));
            }
        };
        Ok(vec![tensor(x.shape.clone(), Data::Bool(data))?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(vec![known(inputs, 0).same()])
    }
}

/// Where: `x` where the condition holds, else `y`, all three broadcast together (numbers
/// and booleans; strings are refused rather than copied an unbounded number of times).
pub(super) struct Where;

impl Kernel for Where {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let (c, x, y) = (input(inputs, 0)?, input(inputs, 1)?, input(inputs, 2)?);
        let Data::Bool(cond) = &c.data else {
            return Err(RunError::Type(format!(
                "Where's condition must be bool, got {}",
                c.data.kind()
            )));
        };
        let shape = broadcast(&broadcast(&c.shape, &x.shape)?, &y.shape)?;
        check_output(size(&shape)?, 8)?;
        let positions = || {
            broadcast_positions(&c.shape, &shape)
                .zip(broadcast_positions(&x.shape, &shape))
                .zip(broadcast_positions(&y.shape, &shape))
        };
        macro_rules! choose {
            ($a:expr, $b:expr) => {
                positions()
                    .map(|((k, i), j)| {
                        if cond[k] {
                            $a[i].clone()
                        } else {
                            $b[j].clone()
                        }
                    })
                    .collect()
            };
        }
        let data = match (&x.data, &y.data) {
            (Data::F64(a), Data::F64(b)) => Data::F64(choose!(a, b)),
            (Data::F32(a), Data::F32(b)) => Data::F32(choose!(a, b)),
            (Data::I64(a), Data::I64(b)) => Data::I64(choose!(a, b)),
            (Data::Bool(a), Data::Bool(b)) => Data::Bool(choose!(a, b)),
            (a, b) => {
                return Err(RunError::Type(format!(
                    "Where's branches must have one type, got {} and {}",
                    a.kind(),
                    b.kind()
                )));
            }
        };
        Ok(vec![tensor(shape, data)?])
    }
}

#[cfg(test)]
mod where_tests {
    use super::*;
    use crate::tensor::Tensor;

    fn t(shape: Vec<usize>, data: Data) -> Value {
        Value::Tensor(Tensor::new(shape, data).unwrap())
    }

    #[test]
    fn isnan_and_where_replace_missing_doubles_column_by_column() {
        let x = t(vec![2, 2], Data::F64(vec![1.5, f64::NAN, f64::NAN, 4.0]));
        let nan = IsNan.run(&[Some(&x)]).unwrap().remove(0);
        assert_eq!(
            nan.tensor("n").unwrap().data,
            Data::Bool(vec![false, true, true, false])
        );
        let means = t(vec![2], Data::F64(vec![0.1, 0.2]));
        let out = Where.run(&[Some(&nan), Some(&means), Some(&x)]).unwrap();
        assert_eq!(
            out[0].tensor("o").unwrap().data,
            Data::F64(vec![1.5, 0.2, 0.1, 4.0])
        );
        let wrong = t(vec![2], Data::F32(vec![0.1, 0.2]));
        assert!(Where.run(&[Some(&nan), Some(&wrong), Some(&x)]).is_err());
        assert!(Where.run(&[Some(&x), Some(&means), Some(&x)]).is_err());
        let strings = t(vec![2], Data::Str(vec!["a".into(), "b".into()]));
        assert!(IsNan.run(&[Some(&strings)]).is_err());
    }
}
