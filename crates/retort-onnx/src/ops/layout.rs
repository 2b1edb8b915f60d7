//! The operators that rearrange a tensor without computing on it: Reshape, Flatten,
//! Squeeze, Unsqueeze and Transpose. Their attributes are checked at load (a perm must be
//! a permutation, axes must not repeat) and again against each input's rank at run.

use super::basic::{check_axis, resolve_axis};
use super::select::pick;
use super::{Dims, Kernel, Known, input, known, tensor};
use crate::error::RunError;
use crate::limits::{MAX_RANK, product};
use crate::tensor::{Data, Tensor, Value};

/// Reshape: the data unchanged under a new shape, read from the second input.
pub(super) struct Reshape {
    pub(super) allow_zero: bool,
}

/// The shape a Reshape `spec` gives an input of `shape` holding `total` elements.
fn reshaped(
    spec: &[i64],
    shape: &[usize],
    total: usize,
    allow_zero: bool,
) -> Result<Vec<usize>, String> {
    if spec.len() > MAX_RANK {
        return Err(format!(
            "the target shape has {} dimensions, more than the {MAX_RANK} allowed",
            spec.len()
        ));
    }
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            -1 if infer.is_some() => {
                return Err(format!("the target shape {spec:?} has more than one -1"));
            }
            -1 => {
                infer = Some(i);
                out.push(1);
            }
            0 if !allow_zero => match shape.get(i) {
                Some(&d) => out.push(d),
                None => {
                    return Err(format!(
                        "the target shape {spec:?} copies dimension {i} of an input of rank {}",
                        shape.len()
                    ));
                }
            },
            d => match usize::try_from(d) {
                Ok(d) => out.push(d),
                Err(_) => return Err(format!("the target shape {spec:?} has dimension {d}")),
            },
        }
    }
    if let Some(i) = infer {
        let known = product(&out).ok_or_else(|| format!("the target shape {spec:?} overflows"))?;
        if let Some(slot) = out.get_mut(i) {
            *slot = total.checked_div(known).unwrap_or(0);
        }
    }
    match product(&out) {
        Some(n) if n == total => Ok(out),
        _ => Err(format!(
            "cannot reshape {shape:?} ({total} elements) to {spec:?}"
        )),
    }
}

fn int_spec(t: &Tensor) -> Result<&[i64], String> {
    match &t.data {
        Data::I64(v) => Ok(v),
        other => Err(format!(
            "the target shape must be int64, got {}",
            other.kind()
        )),
    }
}

impl Kernel for Reshape {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let spec = int_spec(input(inputs, 1)?).map_err(RunError::Type)?;
        let shape =
            reshaped(spec, &x.shape, x.data.len(), self.allow_zero).map_err(RunError::Shape)?;
        Ok(vec![Value::Tensor(Tensor::new(shape, x.data.clone())?)])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        let Some(spec) = known(inputs, 1).value else {
            return Ok(Vec::new());
        };
        let spec = int_spec(spec)?;
        // Checked in full when the input's shape is, as for an initializer.
        let dims: Option<Vec<usize>> = x.dims.and_then(|d| d.iter().copied().collect());
        if let Some(dims) = dims {
            let total = product(&dims).ok_or("the input's shape overflows")?;
            let out = reshaped(spec, &dims, total, self.allow_zero)?;
            return Ok(vec![Some(out.into_iter().map(Some).collect())]);
        }
        if spec.len() > MAX_RANK || spec.iter().filter(|&&d| d == -1).count() > 1 {
            return Err(format!("bad target shape {spec:?}"));
        }
        if let Some(d) = spec.iter().find(|&&d| d < -1) {
            return Err(format!("the target shape {spec:?} has dimension {d}"));
        }
        let out = spec
            .iter()
            .enumerate()
            .map(|(i, &d)| match d {
                0 if !self.allow_zero => x.dim(i),
                d => usize::try_from(d).ok(),
            })
            .collect();
        Ok(vec![Some(out)])
    }
}

/// Flatten: a matrix of the dimensions before `axis` by those from it on.
pub(super) struct Flatten {
    pub(super) axis: i64,
}

/// Flatten's `axis` resolved against `rank`: `-rank <= axis <= rank`.
fn flatten_axis(axis: i64, rank: usize) -> Option<usize> {
    // `rank + 1` positions: an axis equal to the rank is allowed.
    resolve_axis(if axis < 0 { axis.checked_sub(1)? } else { axis }, rank + 1)
}

impl Kernel for Flatten {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let rank = x.shape.len();
        let axis = flatten_axis(self.axis, rank).ok_or_else(|| {
            RunError::Shape(format!(
                "axis {} is out of range for rank {rank}",
                self.axis
            ))
        })?;
        let (before, after) = x.shape.split_at(axis.min(rank));
        let outer = crate::limits::size(before)?;
        let inner = crate::limits::size(after)?;
        Ok(vec![tensor(vec![outer, inner], x.data.clone())?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let Some(dims) = known(inputs, 0).dims else {
            return Ok(vec![Some(vec![None, None])]);
        };
        let axis = flatten_axis(self.axis, dims.len()).ok_or_else(|| {
            format!(
                "axis {} is out of range for an input of rank {}",
                self.axis,
                dims.len()
            )
        })?;
        let (before, after) = dims.split_at(axis.min(dims.len()));
        let fold = |d: &[Option<usize>]| {
            d.iter()
                .try_fold(1usize, |acc, d| d.and_then(|d| acc.checked_mul(d)))
        };
        Ok(vec![Some(vec![fold(before), fold(after)])])
    }
}

/// Squeeze (drops dimensions of size 1) and Unsqueeze (inserts them).
pub(super) struct Squeeze {
    axes: Vec<i64>,
    unsqueeze: bool,
}

impl Squeeze {
    /// The kernel, refusing an `axes` attribute that repeats a value.
    pub(super) fn new(axes: Vec<i64>, unsqueeze: bool) -> Result<Self, String> {
        let mut sorted = axes.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("axes {axes:?} repeat an axis"));
        }
        Ok(Self { axes, unsqueeze })
    }

    /// The output shape for an input of `shape` (dimensions possibly unknown at load).
    fn apply<D: Copy + PartialEq>(
        &self,
        shape: &[D],
        axes: &[i64],
        one: D,
    ) -> Result<Vec<D>, String> {
        let rank = if self.unsqueeze {
            shape.len().saturating_add(axes.len())
        } else {
            shape.len()
        };
        if rank > MAX_RANK {
            return Err(format!(
                "the output would have rank {rank}, more than the {MAX_RANK} allowed"
            ));
        }
        let mut norm: Vec<usize> = axes
            .iter()
            .map(|&a| {
                resolve_axis(a, rank)
                    .ok_or_else(|| format!("axis {a} is out of range for rank {rank}"))
            })
            .collect::<Result<_, _>>()?;
        norm.sort_unstable();
        if norm.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("axes {axes:?} name the same axis twice"));
        }
        let mut out = shape.to_vec();
        if self.unsqueeze {
            for a in norm {
                out.insert(a.min(out.len()), one);
            }
        } else {
            for a in norm.into_iter().rev() {
                if out.get(a) != Some(&one) {
                    return Err(format!("cannot squeeze axis {a}, whose size is not 1"));
                }
                out.remove(a);
            }
        }
        Ok(out)
    }
}

/// The axes given as a second input (since opset 13).
fn axes_input(t: &Tensor) -> Result<Vec<i64>, String> {
    match &t.data {
        Data::I64(a) => Ok(a.clone()),
        other => Err(format!("axes must be int64, got {}", other.kind())),
    }
}

impl Kernel for Squeeze {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let axes = match inputs.get(1).copied().flatten() {
            Some(v) => axes_input(v.tensor("axes")?).map_err(RunError::Type)?,
            None => self.axes.clone(),
        };
        let shape = if !self.unsqueeze && axes.is_empty() {
            x.shape.iter().copied().filter(|&d| d != 1).collect()
        } else {
            self.apply(&x.shape, &axes, 1).map_err(RunError::Shape)?
        };
        Ok(vec![tensor(shape, x.data.clone())?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let axes_known = known(inputs, 1);
        let axes = match (axes_known.value, inputs.get(1).is_some()) {
            (Some(t), _) => axes_input(t)?,
            (None, false) => self.axes.clone(),
            (None, true) => return Ok(Vec::new()),
        };
        let Some(dims) = known(inputs, 0).dims else {
            return Ok(Vec::new());
        };
        if !self.unsqueeze && axes.is_empty() {
            return Ok(Vec::new());
        }
        // At load an unknown dimension may be 1: squeezing it is checked at run.
        let out = if self.unsqueeze {
            self.apply(dims, &axes, Some(1))?
        } else {
            let rank = dims.len();
            let mut out = dims.to_vec();
            let mut norm: Vec<usize> = axes
                .iter()
                .map(|&a| check_axis(a, Some(rank)).map(|a| a.unwrap_or(0)))
                .collect::<Result<_, _>>()?;
            norm.sort_unstable();
            if norm.windows(2).any(|w| w[0] == w[1]) {
                return Err(format!("axes {axes:?} name the same axis twice"));
            }
            for a in norm.into_iter().rev() {
                match out.get(a).copied().flatten() {
                    Some(1) | None => {
                        out.remove(a);
                    }
                    Some(d) => return Err(format!("cannot squeeze axis {a}, whose size is {d}")),
                }
            }
            out
        };
        Ok(vec![Some(out)])
    }
}

/// Transpose: permutes the dimensions.
pub(super) struct Transpose {
    perm: Vec<usize>,
}

impl Transpose {
    /// The kernel, refusing a `perm` that is not a permutation of its own length.
    pub(super) fn new(perm: Vec<i64>) -> Result<Self, String> {
        if perm.len() > MAX_RANK {
            return Err(format!(
                "perm has {} axes, more than the {MAX_RANK} allowed",
                perm.len()
            ));
        }
        let mut seen = vec![false; perm.len()];
        let mut out = Vec::with_capacity(perm.len());
        for &p in &perm {
            let axis = usize::try_from(p)
                .ok()
                .filter(|&a| a < perm.len())
                .ok_or_else(|| {
                    format!(
                        "perm {perm:?} names axis {p}, outside 0..{} for its {} axes",
                        perm.len(),
                        perm.len()
                    )
                })?;
            if std::mem::replace(&mut seen[axis], true) {
                return Err(format!("perm {perm:?} names axis {p} twice"));
            }
            out.push(axis);
        }
        Ok(Self { perm: out })
    }

    /// The permutation for an input of `rank`: the attribute, or reversed axes without it.
    fn perm_for(&self, rank: usize) -> Result<Vec<usize>, String> {
        if self.perm.is_empty() {
            return Ok((0..rank).rev().collect());
        }
        if self.perm.len() != rank {
            return Err(format!(
                "perm {:?} has {} axes, the input has rank {rank}",
                self.perm,
                self.perm.len()
            ));
        }
        Ok(self.perm.clone())
    }
}

impl Kernel for Transpose {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let rank = x.shape.len();
        let perm = self.perm_for(rank).map_err(RunError::Shape)?;
        // `perm` is a permutation of 0..rank, so every index below is in range.
        let shape: Vec<usize> = perm.iter().map(|&p| x.shape[p]).collect();
        let mut in_strides = vec![1usize; rank];
        for i in (0..rank.saturating_sub(1)).rev() {
            in_strides[i] = in_strides[i + 1].saturating_mul(x.shape[i + 1]);
        }
        let strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
        let n = x.data.len();
        let sources = || {
            (0..n).map(|mut flat| {
                let mut idx = 0usize;
                for (&dim, &stride) in shape.iter().zip(&strides).rev() {
                    idx += (flat % dim) * stride;
                    flat /= dim;
                }
                idx
            })
        };
        let data = pick(&x.data, n, sources)?;
        Ok(vec![tensor(shape, data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let Some(dims) = known(inputs, 0).dims else {
            return Ok(Vec::new());
        };
        let perm = self.perm_for(dims.len())?;
        Ok(vec![Some(perm.iter().map(|&p| dims[p]).collect())])
    }
}
