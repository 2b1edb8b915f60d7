//! Errors of loading and running a model.

/// Why a model cannot be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not an ONNX model.
    #[error("not an ONNX model: {0}")]
    Decode(String),
    /// The model is ONNX but malformed (a node reads a value nothing defines, say).
    #[error("invalid model: {0}")]
    Invalid(String),
    /// The graph uses operators this engine does not implement (domain-qualified).
    #[error("operators not supported by the native engine: {}", .0.join(", "))]
    Unsupported(Vec<String>),
}

/// Why a run failed; the inputs were not what the model takes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// Wrong inputs: count, names, element types.
    #[error("{0}")]
    Input(String),
    /// A value of the wrong kind reached an operator.
    #[error("type error: {0}")]
    Type(String),
    /// Shapes that do not fit together.
    #[error("shape error: {0}")]
    Shape(String),
}
