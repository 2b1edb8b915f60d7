//! The operators that select elements: Concat, Gather and ArrayFeatureExtractor; and
//! [`pick`], which builds new data from positions in existing data, checking the output's
//! size before allocating it.

use super::basic::{axis_index, check_axis};
use super::{Dims, Kernel, Known, input, known, tensor};
use crate::error::RunError;
use crate::limits::{MAX_TENSOR_BYTES, check_output, size};
use crate::tensor::{Data, Tensor, Value};

/// The bytes one element of `data`'s kind takes in memory, before any string text.
fn elem_bytes(data: &Data) -> usize {
    match data {
        Data::F32(_) => 4,
        Data::F64(_) | Data::I64(_) => 8,
        Data::Bool(_) => 1,
        Data::Str(_) => std::mem::size_of::<String>(),
    }
}

/// The elements of `v` at the positions `at` yields, or an error at the first out of range.
fn take<T: Clone>(
    v: &[T],
    count: usize,
    at: impl Iterator<Item = usize>,
) -> Result<Vec<T>, RunError> {
    let mut out = Vec::with_capacity(count);
    for i in at {
        let x = v.get(i).ok_or_else(|| {
            RunError::Shape(format!("position {i} is outside {} elements", v.len()))
        })?;
        out.push(x.clone());
    }
    Ok(out)
}

/// The `count` elements of `data` at the positions `at()` yields, as new data of the same
/// kind; refused before allocating when they would pass the tensor limits (strings with
/// their text), or when a position is out of range.
pub(super) fn pick<I: Iterator<Item = usize>>(
    data: &Data,
    count: usize,
    at: impl Fn() -> I,
) -> Result<Data, RunError> {
    check_output(count, elem_bytes(data))?;
    Ok(match data {
        Data::F32(v) => Data::F32(take(v, count, at())?),
        Data::F64(v) => Data::F64(take(v, count, at())?),
        Data::I64(v) => Data::I64(take(v, count, at())?),
        Data::Bool(v) => Data::Bool(take(v, count, at())?),
        Data::Str(v) => {
            let mut bytes = 0usize;
            for i in at() {
                let len = v.get(i).map_or(0, String::len);
                bytes = bytes.saturating_add(std::mem::size_of::<String>() + len);
                if bytes > MAX_TENSOR_BYTES {
                    return Err(RunError::Shape(format!(
                        "the output's strings would take more than {MAX_TENSOR_BYTES} bytes"
                    )));
                }
            }
            Data::Str(take(v, count, at())?)
        }
    })
}

/// Concat: joins its inputs along `axis`.
pub(super) struct Concat {
    pub(super) axis: i64,
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
        let mut shape = first.shape.clone();
        shape[axis] = 0;
        let mut total = 0usize;
        let mut bytes = 0usize;
        let mut chunks = Vec::with_capacity(parts.len());
        for p in &parts {
            let fits = p.shape.len() == rank
                && p.shape[..axis] == first.shape[..axis]
                && p.shape[axis + 1..] == first.shape[axis + 1..];
            if !fits {
                return Err(RunError::Shape(format!(
                    "cannot concatenate {:?} with {:?} on axis {axis}",
                    first.shape, p.shape
                )));
            }
            if std::mem::discriminant(&p.data) != std::mem::discriminant(&first.data) {
                return Err(RunError::Type(format!(
                    "Concat mixes element types ({} and {})",
                    first.data.kind(),
                    p.data.kind()
                )));
            }
            shape[axis] = shape[axis]
                .checked_add(p.shape[axis])
                .ok_or_else(|| RunError::Shape("the joined axis overflows".into()))?;
            total = total.saturating_add(p.data.len());
            bytes = bytes.saturating_add(p.data.approx_bytes());
            chunks.push(size(&p.shape[axis..])?);
        }
        check_output(total, elem_bytes(&first.data))?;
        if bytes > MAX_TENSOR_BYTES {
            return Err(RunError::Shape(format!(
                "the joined tensor would take {bytes} bytes, more than {MAX_TENSOR_BYTES}"
            )));
        }
        // With no elements, the outer dimensions may still be large: nothing to copy.
        let outer = if total == 0 {
            0
        } else {
            size(&first.shape[..axis])?
        };
        macro_rules! cat {
            ($variant:ident) => {{
                let mut out = Vec::with_capacity(total);
                for o in 0..outer {
                    for (p, &c) in parts.iter().zip(&chunks) {
                        if let Data::$variant(v) = &p.data {
                            let part = v.get(o * c..(o + 1) * c).ok_or_else(|| {
                                RunError::Shape(format!("a part of {:?} is missing", p.shape))
                            })?;
                            out.extend_from_slice(part);
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let ranks: Vec<usize> = inputs.iter().filter_map(Known::rank).collect();
        let Some(&rank) = ranks.first() else {
            return Ok(Vec::new());
        };
        if let Some(r) = ranks.iter().find(|&&r| r != rank) {
            return Err(format!("cannot concatenate inputs of ranks {rank} and {r}"));
        }
        let Some(axis) = check_axis(self.axis, Some(rank))? else {
            return Ok(Vec::new());
        };
        let mut out = vec![None; rank];
        if let Some(dims) = inputs.iter().find_map(|k| k.dims) {
            for (i, d) in dims.iter().enumerate() {
                if i != axis {
                    out[i] = *d;
                }
            }
        }
        // The joined axis is known when every part's is.
        out[axis] = inputs.iter().try_fold(0usize, |acc, k| {
            k.dim(axis).and_then(|d| acc.checked_add(d))
        });
        Ok(vec![Some(out)])
    }
}

/// Gather: picks slices along `axis` by the indices of the second input.
pub(super) struct Gather {
    pub(super) axis: i64,
}

/// Index `i` into a dimension of `dim` (a negative index counts from the end).
fn resolve_index(i: i64, dim: usize) -> Option<usize> {
    let j = if i < 0 {
        i128::from(i) + i128::try_from(dim).ok()?
    } else {
        i128::from(i)
    };
    usize::try_from(j).ok().filter(|&j| j < dim)
}

fn int_indices(t: &Tensor, what: &str) -> Result<Vec<i64>, String> {
    match &t.data {
        Data::I64(v) => Ok(v.clone()),
        other => Err(format!("{what} must be integers, got {}", other.kind())),
    }
}

impl Kernel for Gather {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let idx = input(inputs, 1)?;
        let axis = axis_index(self.axis, x.shape.len())?;
        let dim = x.shape[axis];
        let picks: Vec<usize> = int_indices(idx, "Gather indices")
            .map_err(RunError::Type)?
            .into_iter()
            .map(|i| {
                resolve_index(i, dim).ok_or_else(|| {
                    RunError::Shape(format!(
                        "index {i} is out of range for a dimension of {dim}"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let outer = size(&x.shape[..axis])?;
        let inner = size(&x.shape[axis + 1..])?;
        let count = outer
            .checked_mul(picks.len())
            .and_then(|n| n.checked_mul(inner))
            .ok_or_else(|| RunError::Shape("the gathered output does not fit".into()))?;
        check_output(count, elem_bytes(&x.data))?;
        let data = if count == 0 {
            pick(&x.data, 0, std::iter::empty)?
        } else {
            pick(&x.data, count, || {
                (0..outer).flat_map(|o| {
                    picks
                        .iter()
                        .flat_map(move |&p| (0..inner).map(move |i| (o * dim + p) * inner + i))
                })
            })?
        };
        let mut shape: Vec<usize> = x.shape[..axis].to_vec();
        shape.extend_from_slice(&idx.shape);
        shape.extend_from_slice(&x.shape[axis + 1..]);
        Ok(vec![tensor(shape, data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        let idx = known(inputs, 1);
        let Some(axis) = check_axis(self.axis, x.rank())? else {
            return Ok(Vec::new());
        };
        if let (Some(t), Some(dim)) = (idx.value, x.dim(axis)) {
            for i in int_indices(t, "Gather indices")? {
                if resolve_index(i, dim).is_none() {
                    return Err(format!(
                        "index {i} is out of range for axis {axis} of size {dim}"
                    ));
                }
            }
        }
        match (x.dims, idx.dims) {
            (Some(xd), Some(id)) => {
                let mut out = xd[..axis].to_vec();
                out.extend_from_slice(id);
                out.extend_from_slice(&xd[axis + 1..]);
                Ok(vec![Some(out)])
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// ArrayFeatureExtractor: picks columns (last axis) by index.
pub struct ArrayFeatureExtractor;

impl Kernel for ArrayFeatureExtractor {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let idx = int_indices(input(inputs, 1)?, "indices").map_err(RunError::Type)?;
        let last = x.shape.last().copied().unwrap_or(1).max(1);
        let outer = x.data.len() / last;
        let picks: Vec<usize> = idx
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .filter(|&i| i < last)
                    .ok_or_else(|| RunError::Shape(format!("index {i} is out of range {last}")))
            })
            .collect::<Result<_, _>>()?;
        let count = crate::limits::output_size(outer, picks.len(), elem_bytes(&x.data))?;
        let data = pick(&x.data, count, || {
            (0..outer).flat_map(|o| picks.iter().map(move |&p| o * last + p))
        })?;
        let mut shape = x.shape.clone();
        match shape.last_mut() {
            Some(l) => *l = picks.len(),
            None => shape.push(picks.len()),
        }
        Ok(vec![tensor(shape, data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        let x = known(inputs, 0);
        let Some(t) = known(inputs, 1).value else {
            return Ok(Vec::new());
        };
        let idx = int_indices(t, "indices")?;
        let last = x.dims.and_then(|d| d.last().copied().flatten());
        if let Some(last) = last {
            if let Some(i) = idx
                .iter()
                .find(|&&i| usize::try_from(i).map_or(true, |i| i >= last.max(1)))
            {
                return Err(format!(
                    "index {i} is out of range for an input of {last} columns"
                ));
            }
        }
        let out = x.dims.map(|d| {
            let mut d = d.to_vec();
            match d.last_mut() {
                Some(l) => *l = Some(idx.len()),
                None => d.push(Some(idx.len())),
            }
            d
        });
        Ok(vec![out])
    }
}
