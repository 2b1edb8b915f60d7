//! Matrix products: MatMul and Gemm on 1-D and 2-D inputs, with Gemm's optional
//! transposes, scaling and broadcast bias.

use super::{Dims, Kernel, Known, input, known, tensor};
use crate::error::RunError;
use crate::limits::{MAX_MATMUL_STEPS, output_size};
use crate::tensor::{Data, Tensor, Value};

pub(super) struct Gemm {
    pub(super) alpha: f32,
    pub(super) beta: f32,
    pub(super) trans_a: bool,
    pub(super) trans_b: bool,
}

/// Rows and columns of a matrix-product operand: `[k]` is a row for A, a column for B.
fn operand(shape: &[usize], is_a: bool) -> Result<(usize, usize), String> {
    match shape {
        [k] if is_a => Ok((1, *k)),
        [k] => Ok((*k, 1)),
        [r, c] => Ok((*r, *c)),
        _ => Err(format!(
            "matrix products take 1-D or 2-D inputs, got shape {shape:?}"
        )),
    }
}

/// The transpose of a row-major `rows × cols` matrix.
fn transposed<T: Copy>(v: &[T], rows: usize, cols: usize) -> Vec<T> {
    if v.is_empty() {
        return Vec::new();
    }
    (0..cols)
        .flat_map(|c| (0..rows).map(move |r| v[r * cols + c]))
        .collect()
}

impl Gemm {
    /// `(m, k, k2, n)` of the product: A is m×k and B k2×n once transposed.
    fn dims(&self, a: (usize, usize), b: (usize, usize)) -> (usize, usize, usize, usize) {
        let (m, k) = if self.trans_a { (a.1, a.0) } else { a };
        let (k2, n) = if self.trans_b { (b.1, b.0) } else { b };
        (m, k, k2, n)
    }
}

impl Kernel for Gemm {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let a = input(inputs, 0)?;
        let b = input(inputs, 1)?;
        let (ar, ac) = operand(&a.shape, true).map_err(RunError::Shape)?;
        let (br, bc) = operand(&b.shape, false).map_err(RunError::Shape)?;
        let (m, k, k2, n) = self.dims((ar, ac), (br, bc));
        if k != k2 {
            return Err(RunError::Shape(format!(
                "cannot multiply {:?} by {:?}",
                a.shape, b.shape
            )));
        }
        let out_len = output_size(m, n, 4)?;
        let steps = (out_len as u64).checked_mul(k as u64);
        if steps.is_none_or(|s| s > MAX_MATMUL_STEPS) {
            return Err(RunError::Shape(format!(
                "a product of {m}×{k} by {k}×{n} takes more than {MAX_MATMUL_STEPS} steps"
            )));
        }
        if let (Data::F64(_), Data::F64(_)) = (&a.data, &b.data) {
            // Doubles stay doubles: the product in double precision, accumulated along k
            // in ascending order, as a double-precision pipeline computes it.
            let out_len = output_size(m, n, 8)?;
            return self.run_f64(inputs, (a, b), (ar, ac, br, bc), (m, k, n), out_len);
        }
        // Row-major A (m×k) and B (k×n), copied only when transposed; then an i-p-j loop
        // the compiler vectorises. Each output accumulates along k in ascending order with
        // fused multiply-adds in single precision, as the reference runtime's kernels do,
        // so results agree to the last bits.
        let (a_m, b_m) = self.oriented(
            (a, a.data.to_f32()?),
            (b, b.data.to_f32()?),
            (ar, ac, br, bc),
        )?;
        let mut out = vec![0.0f32; out_len];
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
            add_bias(&mut out, c.tensor("C")?, m, n, self.beta)?;
        }
        Ok(vec![tensor(out_shape(a, b, m, n), Data::F32(out))?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let (a, b) = (known(inputs, 0), known(inputs, 1));
        gemm_check(self, a, b)
    }
}

/// The product's shape: a 1-D operand drops its side.
fn out_shape(a: &Tensor, b: &Tensor, m: usize, n: usize) -> Vec<usize> {
    if a.shape.len() == 1 {
        vec![n]
    } else if b.shape.len() == 1 {
        vec![m]
    } else {
        vec![m, n]
    }
}

type Operand<'a, T> = (&'a Tensor, std::borrow::Cow<'a, [T]>);

impl Gemm {
    /// Both operands' elements, checked to hold rows × columns each (the loops rely on
    /// it), row-major as A (m×k) and B (k×n): copied only when transposed.
    #[allow(clippy::type_complexity)]
    fn oriented<'a, T: Copy>(
        &self,
        (a, av): Operand<'a, T>,
        (b, bv): Operand<'a, T>,
        (ar, ac, br, bc): (usize, usize, usize, usize),
    ) -> Result<(std::borrow::Cow<'a, [T]>, std::borrow::Cow<'a, [T]>), RunError> {
        if ar.checked_mul(ac) != Some(av.len()) || br.checked_mul(bc) != Some(bv.len()) {
            return Err(RunError::Shape(format!(
                "operands {:?} and {:?} do not hold their elements",
                a.shape, b.shape
            )));
        }
        let a_m = if self.trans_a {
            transposed(&av, ar, ac).into()
        } else {
            av
        };
        let b_m = if self.trans_b {
            transposed(&bv, br, bc).into()
        } else {
            bv
        };
        Ok((a_m, b_m))
    }

    /// The product of two double operands (see [`Kernel::run`]).
    #[allow(clippy::type_complexity)]
    fn run_f64(
        &self,
        inputs: &[Option<&Value>],
        (a, b): (&Tensor, &Tensor),
        (ar, ac, br, bc): (usize, usize, usize, usize),
        (m, k, n): (usize, usize, usize),
        out_len: usize,
    ) -> Result<Vec<Value>, RunError> {
        let (a_m, b_m) = self.oriented(
            (a, a.data.to_f64()?),
            (b, b.data.to_f64()?),
            (ar, ac, br, bc),
        )?;
        let mut out = vec![0.0f64; out_len];
        for (i, orow) in out.chunks_mut(n.max(1)).enumerate().take(m) {
            for p in 0..k {
                let a = a_m[i * k + p];
                for (o, &b) in orow.iter_mut().zip(&b_m[p * n..(p + 1) * n]) {
                    *o += a * b;
                }
            }
        }
        let alpha = f64::from(self.alpha);
        if alpha != 1.0 {
            out.iter_mut().for_each(|v| *v *= alpha);
        }
        if let Some(c) = inputs.get(2).copied().flatten() {
            let c = c.tensor("C")?;
            let (cr, cc) = bias_dims(c, m, n)?;
            let cd = c.data.to_f64()?;
            let beta = f64::from(self.beta);
            for (i, row) in out.chunks_mut(n.max(1)).enumerate() {
                let base = if cr == 1 { 0 } else { i * cc };
                for (j, o) in row.iter_mut().enumerate() {
                    let ci = base + if cc == 1 { 0 } else { j };
                    *o += beta * cd.get(ci).copied().unwrap_or(0.0);
                }
            }
        }
        Ok(vec![tensor(out_shape(a, b, m, n), Data::F64(out))?])
    }
}

/// What load knows of a product's output (see [`Kernel::check`]).
fn gemm_check(g: &Gemm, a: Known<'_>, b: Known<'_>) -> Result<Vec<Dims>, String> {
    let (Some(ad), Some(bd)) = (known_operand(a, true)?, known_operand(b, false)?) else {
        return Ok(Vec::new());
    };
    let (m, k) = if g.trans_a { (ad.1, ad.0) } else { ad };
    let (k2, n) = if g.trans_b { (bd.1, bd.0) } else { bd };
    if let (Some(k), Some(k2)) = (k, k2) {
        if k != k2 {
            return Err(format!("cannot multiply {m:?}×{k} by {k2}×{n:?}"));
        }
    }
    let out = match (a.rank(), b.rank()) {
        (Some(1), _) => vec![n],
        (_, Some(1)) => vec![m],
        _ => vec![m, n],
    };
    Ok(vec![Some(out)])
}

/// Rows and columns (each known or not) of a matrix-product operand, when its rank is.
type KnownOperand = Option<(Option<usize>, Option<usize>)>;

/// What load knows of an operand's rows and columns (see [`operand`]).
fn known_operand(k: Known<'_>, is_a: bool) -> Result<KnownOperand, String> {
    match k.dims {
        None => Ok(None),
        Some([d]) if is_a => Ok(Some((Some(1), *d))),
        Some([d]) => Ok(Some((*d, Some(1)))),
        Some([r, c]) => Ok(Some((*r, *c))),
        Some(d) => Err(format!(
            "matrix products take 1-D or 2-D inputs, got rank {}",
            d.len()
        )),
    }
}

/// Adds `beta · C` to the `m × n` product, C unidirectionally broadcast to it.
fn add_bias(out: &mut [f32], c: &Tensor, m: usize, n: usize, beta: f32) -> Result<(), RunError> {
    let (cr, cc) = bias_dims(c, m, n)?;
    let cd = c.data.to_f32()?;
    for (i, row) in out.chunks_mut(n.max(1)).enumerate() {
        let base = if cr == 1 { 0 } else { i * cc };
        for (j, o) in row.iter_mut().enumerate() {
            let ci = base + if cc == 1 { 0 } else { j };
            *o += beta * cd.get(ci).copied().unwrap_or(0.0);
        }
    }
    Ok(())
}

/// The rows and columns of the bias C, checked to broadcast to `m × n`.
fn bias_dims(c: &Tensor, m: usize, n: usize) -> Result<(usize, usize), RunError> {
    let (cr, cc) = match c.shape.as_slice() {
        [] => (1, 1),
        [cols] => (1, *cols),
        [rows, cols] => (*rows, *cols),
        other => {
            return Err(RunError::Shape(format!(
                "the bias C has shape {other:?}, not 0-, 1- or 2-D"
            )));
        }
    };
    if !(cr == 1 || cr == m) || !(cc == 1 || cc == n) {
        return Err(RunError::Shape(format!(
            "the bias C of shape {:?} does not broadcast to {m}×{n}",
            c.shape
        )));
    }
    Ok((cr, cc))
}
