//! A native evaluator for the ONNX graphs that tabular model exports produce
//! (scikit-learn through skl2onnx, XGBoost and LightGBM through onnxmltools): the
//! `ai.onnx.ml` operators and the standard operators those exports use.
//!
//! [`Model::load`] decodes a model and compiles its graph into a plan: every value gets a
//! slot, every node a kernel with its attributes pre-processed (tree ensembles flattened
//! into arrays); [`Model::run`] then evaluates a whole batch node by node, allocating
//! once per node per batch, never per row.
//!
//! No model file and no batch can make the engine panic, loop or exhaust memory: load
//! validates every size against the data present and every node against what it knows
//! of its inputs (tree ensembles must be trees), and a run checks each batch and stays
//! within the limits this crate exports (`MAX_*`).

mod attrs;
mod error;
mod limits;
mod model;
mod ops;
pub mod proto;
mod tensor;

pub use error::{LoadError, RunError};
pub use limits::{
    MAX_MATMUL_STEPS, MAX_RANK, MAX_RUN_BYTES, MAX_TENSOR_BYTES, MAX_TENSOR_ELEMENTS,
    MAX_TREE_DEPTH, MAX_WIDTH,
};
pub use model::{Description, IoInfo, Model, describe};
pub use tensor::{Data, ElemType, Keys, Tensor, Value, ValueType};
