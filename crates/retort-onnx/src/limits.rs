//! The engine's limits: how large a model may declare its values and how much a run may
//! compute, checked before anything is sized from them.
//!
//! Load refuses a model that declares more than these allow; run refuses a batch (or a
//! node output) that would need more, before allocating it. Every limit sits far above
//! what the tabular exports this engine serves ever need.

use crate::error::RunError;

/// Most columns a declared graph input may have: the product of its fixed dimensions
/// after the first (the batch). Wide tabular models have thousands of features; a million
/// columns is far beyond any real export, and refusing more at load keeps a declaration
/// such as `float[?, 4000000000]` from sizing anything. Tree ensembles' `n_targets`,
/// linear models' `targets` and FeatureVectorizer's total width are held to it too.
pub const MAX_WIDTH: usize = 1 << 20;

/// Deepest tree a tree ensemble may hold, in branches from the root to a leaf.
/// scikit-learn forests grown without a depth limit on large data reach a few dozen
/// levels, boosted trees fewer. A thousand is ample for them and keeps one row's walk
/// through a tree short.
pub const MAX_TREE_DEPTH: usize = 1_000;

/// Highest rank of any tensor. Tabular graphs use ranks 1 to 3; the bound keeps loops
/// over dimensions short.
pub const MAX_RANK: usize = 32;

/// Most elements of one tensor: a graph input, an initializer or a node's output
/// (2²⁵, about 33 million: a 64 MiB predict request holds at most 16 million floats).
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 25;

/// Most bytes of one node output (256 MiB), strings counted with their text.
pub const MAX_TENSOR_BYTES: usize = 1 << 28;

/// Most bytes the nodes of one run may produce in all (1 GiB): bounds the memory a run
/// holds and, since every operator's work is proportional to what it reads and writes,
/// its time too (tree walks aside, which are bounded by rows × tree nodes).
pub const MAX_RUN_BYTES: usize = 1 << 30;

/// Most multiply-adds of one matrix product (about 4·10⁹, a few seconds of work).
pub const MAX_MATMUL_STEPS: u64 = 1 << 32;

/// The product of `dims`, or `None` if it does not fit in a `usize`.
pub fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// The product of `dims` as a run error when it overflows.
pub fn size(dims: &[usize]) -> Result<usize, RunError> {
    product(dims)
        .ok_or_else(|| RunError::Shape(format!("shape {dims:?} has more elements than fit")))
}

/// Refuses, before allocating, an output of `elements` elements of `elem_bytes` bytes each
/// when it would pass [`MAX_TENSOR_ELEMENTS`] or [`MAX_TENSOR_BYTES`].
pub fn check_output(elements: usize, elem_bytes: usize) -> Result<(), RunError> {
    let bytes = elements.saturating_mul(elem_bytes);
    if elements > MAX_TENSOR_ELEMENTS || bytes > MAX_TENSOR_BYTES {
        return Err(RunError::Shape(format!(
            "the output would have {elements} elements ({bytes} bytes); the engine allows \
             {MAX_TENSOR_ELEMENTS} elements and {MAX_TENSOR_BYTES} bytes per tensor"
        )));
    }
    Ok(())
}

/// `a · b` checked, as an output size: an error when it overflows or passes the limits.
pub fn output_size(a: usize, b: usize, elem_bytes: usize) -> Result<usize, RunError> {
    let n = a
        .checked_mul(b)
        .ok_or_else(|| RunError::Shape(format!("an output of {a} × {b} elements does not fit")))?;
    check_output(n, elem_bytes)?;
    Ok(n)
}
