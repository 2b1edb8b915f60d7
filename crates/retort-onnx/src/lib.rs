//! A native evaluator for the ONNX graphs that tabular model exports produce
//! (scikit-learn through skl2onnx, XGBoost and LightGBM through onnxmltools): the
//! `ai.onnx.ml` operators and the standard operators those exports use.
//!
//! [`Model::load`] decodes a model and compiles its graph into a plan: every value gets a
//! slot, every node a kernel with its attributes pre-processed (tree ensembles flattened
//! into arrays); [`Model::run`] then evaluates a whole batch node by node, allocating
//! once per node per batch, never per row.

mod attrs;
mod error;
mod model;
mod ops;
pub mod proto;
mod tensor;

pub use error::{LoadError, RunError};
pub use model::{Description, IoInfo, Model, describe};
pub use tensor::{Data, ElemType, Keys, Tensor, Value, ValueType};
