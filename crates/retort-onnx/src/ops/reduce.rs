//! ReduceSum: the sum over some axes (all of them by default), keeping them as size 1
//! or dropping them. Doubles are summed in double, floats in double and rounded once,
//! integers exactly (wrapping never: an overflow is an error).

use super::basic::resolve_axis;
use super::{Dims, Kernel, Known, input, known, tensor};
use crate::error::RunError;
use crate::tensor::{Data, Tensor, Value};

pub(super) struct ReduceSum {
    /// Axes from the attribute (before opset 13).
    pub(super) axes: Vec<i64>,
    pub(super) keep_dims: bool,
    pub(super) noop_with_empty_axes: bool,
}

/// The axes given as the second input.
fn axes_of(t: &Tensor) -> Result<Vec<i64>, String> {
    match &t.data {
        Data::I64(a) => Ok(a.clone()),
        other => Err(format!("axes must be int64, got {}", other.kind())),
    }
}

impl ReduceSum {
    /// Which axes of a rank-`rank` input are summed (sorted, distinct); `None` when the
    /// node is a no-op (empty axes with `noop_with_empty_axes`).
    fn reduced(&self, axes: &[i64], rank: usize) -> Result<Option<Vec<bool>>, String> {
        if axes.is_empty() {
            return Ok((!self.noop_with_empty_axes).then(|| vec![true; rank]));
        }
        let mut mask = vec![false; rank];
        for &a in axes {
            let i = resolve_axis(a, rank)
                .ok_or_else(|| format!("axis {a} is out of range for rank {rank}"))?;
            if mask[i] {
                return Err(format!("axes {axes:?} name the same axis twice"));
            }
            mask[i] = true;
        }
        Ok(Some(mask))
    }

    fn out_shape<D: Copy>(&self, shape: &[D], mask: &[bool], one: D) -> Vec<D> {
        shape
            .iter()
            .zip(mask)
            .filter_map(|(&d, &r)| match (r, self.keep_dims) {
                (false, _) => Some(d),
                (true, true) => Some(one),
                (true, false) => None,
            })
            .collect()
    }
}

impl Kernel for ReduceSum {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let axes = match inputs.get(1).copied().flatten() {
            Some(v) => axes_of(v.tensor("axes")?).map_err(RunError::Type)?,
            None => self.axes.clone(),
        };
        let Some(mask) = self
            .reduced(&axes, x.shape.len())
            .map_err(RunError::Shape)?
        else {
            return Ok(vec![Value::Tensor(x.clone())]);
        };
        let out_shape = self.out_shape(&x.shape, &mask, 1);
        // Strides of the output over the input's dimensions (0 along a summed axis).
        let kept: Vec<usize> = x
            .shape
            .iter()
            .zip(&mask)
            .map(|(&d, &r)| if r { 1 } else { d })
            .collect();
        let mut strides = vec![0usize; kept.len()];
        let mut acc = 1usize;
        for i in (0..kept.len()).rev() {
            strides[i] = if mask[i] { 0 } else { acc };
            acc = acc.saturating_mul(kept[i]);
        }
        let out_len = acc;
        let target = |mut flat: usize| -> usize {
            let mut at = 0;
            for i in (0..x.shape.len()).rev() {
                let d = x.shape[i].max(1);
                at += (flat % d) * strides[i];
                flat /= d;
            }
            at
        };
        let data = match &x.data {
            Data::I64(v) => {
                let mut out = vec![0i64; out_len];
                for (i, &e) in v.iter().enumerate() {
                    let o = &mut out[target(i)];
                    *o = o
                        .checked_add(e)
                        .ok_or_else(|| RunError::Shape("ReduceSum overflows int64".into()))?;
                }
                Data::I64(out)
            }
            Data::F32(v) => {
                let mut out = vec![0f64; out_len];
                for (i, &e) in v.iter().enumerate() {
                    out[target(i)] += f64::from(e);
                }
                Data::F32(out.into_iter().map(|s| s as f32).collect())
            }
            other => {
                let v = other.to_f64()?;
                let mut out = vec![0f64; out_len];
                for (i, &e) in v.iter().enumerate() {
                    out[target(i)] += e;
                }
                Data::F64(out)
            }
        };
        Ok(vec![tensor(out_shape, data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let axes = match (known(inputs, 1).value, inputs.get(1).is_some()) {
            (Some(t), _) => axes_of(t)?,
            (None, false) => self.axes.clone(),
            (None, true) => return Ok(Vec::new()),
        };
        let Some(dims) = known(inputs, 0).dims else {
            return Ok(Vec::new());
        };
        Ok(vec![
            self.reduced(&axes, dims.len())?
                .map(|mask| self.out_shape(dims, &mask, Some(1))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: &ReduceSum, shape: Vec<usize>, data: Data, axes: Option<Vec<i64>>) -> Tensor {
        let x = Value::Tensor(Tensor::new(shape, data).unwrap());
        let a = axes.map(|a| Value::Tensor(Tensor::new(vec![a.len()], Data::I64(a)).unwrap()));
        let out = k.run(&[Some(&x), a.as_ref()]).unwrap();
        out[0].tensor("out").unwrap().clone()
    }

    #[test]
    fn sums_over_the_axes_asked_keeping_or_dropping_them() {
        let k = |keep| ReduceSum {
            axes: Vec::new(),
            keep_dims: keep,
            noop_with_empty_axes: false,
        };
        let data = Data::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = run(&k(true), vec![2, 3], data.clone(), Some(vec![1]));
        assert_eq!(
            (t.shape.clone(), t.data),
            (vec![2, 1], Data::F64(vec![6.0, 15.0]))
        );
        let t = run(&k(false), vec![2, 3], data.clone(), Some(vec![0]));
        assert_eq!(
            (t.shape.clone(), t.data),
            (vec![3], Data::F64(vec![5.0, 7.0, 9.0]))
        );
        let t = run(&k(false), vec![2, 3], data.clone(), None);
        assert_eq!((t.shape.clone(), t.data), (vec![], Data::F64(vec![21.0])));
        let t = run(
            &k(true),
            vec![2, 3],
            Data::I64(vec![1, 2, 3, 4, 5, 6]),
            Some(vec![-1]),
        );
        assert_eq!(t.data, Data::I64(vec![6, 15]));
        let noop = ReduceSum {
            axes: Vec::new(),
            keep_dims: true,
            noop_with_empty_axes: true,
        };
        assert_eq!(run(&noop, vec![2, 3], data.clone(), None).shape, vec![2, 3]);
        let x = Value::Tensor(Tensor::new(vec![2, 3], data).unwrap());
        let bad = Value::Tensor(Tensor::new(vec![1], Data::I64(vec![2])).unwrap());
        assert!(k(true).run(&[Some(&x), Some(&bad)]).is_err());
        let big = Value::Tensor(Tensor::new(vec![2], Data::I64(vec![i64::MAX, 1])).unwrap());
        assert!(k(true).run(&[Some(&big), None]).is_err());
    }
}
