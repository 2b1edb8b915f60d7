//! The arithmetic operators: matrix products, element-wise arithmetic with numpy-style
//! broadcasting, activations, softmax and argmax.

use super::basic::{as_f64, axis_index};
use super::{Kernel, input, tensor};
use crate::error::RunError;
use crate::tensor::{Data, Value};

pub(super) struct Gemm {
    pub(super) alpha: f32,
    pub(super) beta: f32,
    pub(super) trans_a: bool,
    pub(super) trans_b: bool,
}

impl Kernel for Gemm {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let a = input(inputs, 0)?;
        let b = input(inputs, 1)?;
        let (av, bv) = (a.data.to_f32()?, b.data.to_f32()?);
        let (ar, ac) = match a.shape.len() {
            1 => (1, a.shape[0]),
            2 => (a.shape[0], a.shape[1]),
            _ => {
                return Err(RunError::Shape(format!(
                    "matrix products take 2-D inputs, got {:?}",
                    a.shape
                )));
            }
        };
        let (br, bc) = match b.shape.len() {
            1 => (b.shape[0], 1),
            2 => (b.shape[0], b.shape[1]),
            _ => {
                return Err(RunError::Shape(format!(
                    "matrix products take 2-D inputs, got {:?}",
                    b.shape
                )));
            }
        };
        let (m, k) = if self.trans_a { (ac, ar) } else { (ar, ac) };
        let (k2, n) = if self.trans_b { (bc, br) } else { (br, bc) };
        if k != k2 {
            return Err(RunError::Shape(format!(
                "cannot multiply {:?} by {:?}",
                a.shape, b.shape
            )));
        }
        // Row-major A (m×k) and B (k×n), copied only when transposed; then an i-p-j loop
        // the compiler vectorises. Each output accumulates along k in ascending order with
        // fused multiply-adds in single precision, as the reference runtime's kernels do,
        // so results agree to the last bits.
        let transpose = |v: &[f32], rows: usize, cols: usize| -> Vec<f32> {
            (0..cols)
                .flat_map(|c| (0..rows).map(move |r| v[r * cols + c]))
                .collect()
        };
        let a_m: std::borrow::Cow<'_, [f32]> = if self.trans_a {
            transpose(&av, ar, ac).into()
        } else {
            av
        };
        let b_m: std::borrow::Cow<'_, [f32]> = if self.trans_b {
            transpose(&bv, br, bc).into()
        } else {
            bv
        };
        let mut out = vec![0.0f32; m * n];
        for (i, orow) in out.chunks_mut(n.max(1)).enumerate().take(m) {
            for p in 0..k {
                let a = a_m[i * k + p];
                for (o, &b) in orow.iter_mut().zip(&b_m[p * n..(p + 1) * n]) {
                    // A single-precision fused multiply-add: the product of two f32 is
                    // exact in f64, so one rounding to f32 follows, as in hardware FMA.
                    *o = (f64::from(a) * f64::from(b) + f64::from(*o)) as f32;
                }
            }
        }
        if self.alpha != 1.0 {
            out.iter_mut().for_each(|v| *v *= self.alpha);
        }
        if let Some(c) = inputs.get(2).copied().flatten() {
            let c = c.tensor("C")?;
            let cd = c.data.to_f32()?;
            let cs = &c.shape;
            for i in 0..m {
                for j in 0..n {
                    let ci = match cs.len() {
                        0 => 0,
                        1 => {
                            if cs[0] == 1 {
                                0
                            } else {
                                j
                            }
                        }
                        _ => {
                            (if cs[0] == 1 { 0 } else { i }) * cs[1]
                                + if cs[1] == 1 { 0 } else { j }
                        }
                    };
                    out[i * n + j] += self.beta * cd.get(ci).copied().unwrap_or(0.0);
                }
            }
        }
        let shape = if a.shape.len() == 1 {
            vec![n]
        } else if b.shape.len() == 1 {
            vec![m]
        } else {
            vec![m, n]
        };
        Ok(vec![tensor(shape, Data::F32(out))?])
    }
}

#[derive(Clone, Copy)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

pub(super) struct Binary(pub(super) BinOp);

/// The broadcast shape of two shapes (numpy rules).
fn broadcast(a: &[usize], b: &[usize]) -> Result<Vec<usize>, RunError> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| {
            let da = if i + a.len() >= rank {
                a[i + a.len() - rank]
            } else {
                1
            };
            let db = if i + b.len() >= rank {
                b[i + b.len() - rank]
            } else {
                1
            };
            match (da, db) {
                (x, y) if x == y => Ok(x),
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                _ => Err(RunError::Shape(format!(
                    "shapes {a:?} and {b:?} do not broadcast"
                ))),
            }
        })
        .collect()
}

/// For each element of `out`, its index in a tensor of `shape` broadcast to `out`.
fn broadcast_index(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let n: usize = out.iter().product();
    let offset = out.len() - shape.len();
    let mut strides = vec![0usize; out.len()];
    let mut s = 1;
    for i in (0..shape.len()).rev() {
        strides[i + offset] = if shape[i] == 1 { 0 } else { s };
        s *= shape[i];
    }
    (0..n)
        .map(|mut flat| {
            let mut idx = 0;
            for d in (0..out.len()).rev() {
                idx += (flat % out[d]) * strides[d];
                flat /= out[d];
            }
            idx
        })
        .collect()
}

impl Kernel for Binary {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let a = input(inputs, 0)?;
        let b = input(inputs, 1)?;
        let shape = broadcast(&a.shape, &b.shape)?;
        let (ia, ib) = if a.shape == b.shape {
            let n = a.data.len();
            ((0..n).collect::<Vec<_>>(), (0..n).collect::<Vec<_>>())
        } else {
            (
                broadcast_index(&a.shape, &shape),
                broadcast_index(&b.shape, &shape),
            )
        };
        let f = |x: f64, y: f64| match self.0 {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
        };
        let data = match (&a.data, &b.data) {
            (Data::I64(x), Data::I64(y)) => Data::I64(
                ia.iter()
                    .zip(&ib)
                    .map(|(&i, &j)| match self.0 {
                        BinOp::Add => x[i].wrapping_add(y[j]),
                        BinOp::Sub => x[i].wrapping_sub(y[j]),
                        BinOp::Mul => x[i].wrapping_mul(y[j]),
                        BinOp::Div => x[i].checked_div(y[j]).unwrap_or(0),
                    })
                    .collect(),
            ),
            (Data::F64(_), _) | (_, Data::F64(_)) => {
                let (x, y) = (as_f64(&a.data)?, as_f64(&b.data)?);
                Data::F64(ia.iter().zip(&ib).map(|(&i, &j)| f(x[i], y[j])).collect())
            }
            _ => {
                let (x, y) = (a.data.to_f32()?, b.data.to_f32()?);
                Data::F32(
                    ia.iter()
                        .zip(&ib)
                        .map(|(&i, &j)| f(f64::from(x[i]), f64::from(y[j])) as f32)
                        .collect(),
                )
            }
        };
        Ok(vec![tensor(shape, data)?])
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
        let v = as_f64(&x.data)?;
        let outer: usize = x.shape[..axis].iter().product();
        let dim = x.shape[axis];
        let inner: usize = x.shape[axis + 1..].iter().product();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let mut best = 0usize;
                for d in 1..dim {
                    let (cand, cur) = (
                        v[(o * dim + d) * inner + i],
                        v[(o * dim + best) * inner + i],
                    );
                    if cand > cur || (self.last && cand == cur) {
                        best = d;
                    }
                }
                out.push(best as i64);
            }
        }
        let mut shape = x.shape.clone();
        if self.keep_dims {
            shape[axis] = 1;
        } else {
            shape.remove(axis);
        }
        Ok(vec![tensor(shape, Data::I64(out))?])
    }
}
