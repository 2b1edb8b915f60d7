//! Values flowing through a graph: tensors of the element types tabular models use, and
//! the sequence-of-maps that ZipMap produces.

use crate::error::RunError;
use crate::proto::{self, TensorProto, data_type};

/// An element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElemType {
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// 64-bit integer (narrower integer types are stored widened).
    Int64,
    /// 32-bit integer, stored as 64-bit.
    Int32,
    /// UTF-8 text.
    String,
    /// Boolean.
    Bool,
}

impl ElemType {
    /// From an ONNX type code; `None` for codes this engine does not handle.
    pub fn from_onnx(code: i32) -> Option<Self> {
        Some(match code {
            data_type::FLOAT => Self::Float,
            data_type::DOUBLE => Self::Double,
            data_type::INT64 | data_type::UINT32 | data_type::UINT64 => Self::Int64,
            data_type::INT32
            | data_type::INT16
            | data_type::INT8
            | data_type::UINT16
            | data_type::UINT8 => Self::Int32,
            data_type::STRING => Self::String,
            data_type::BOOL => Self::Bool,
            _ => return None,
        })
    }

    /// The ONNX name, as clients see it (`tensor(float)` has element `float`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Float => "float",
            Self::Double => "double",
            Self::Int64 => "int64",
            Self::Int32 => "int32",
            Self::String => "string",
            Self::Bool => "bool",
        }
    }
}

/// The elements of a tensor, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
    /// Integers (also int32 and narrower, widened).
    I64(Vec<i64>),
    /// Strings.
    Str(Vec<String>),
    /// Booleans.
    Bool(Vec<bool>),
}

impl Data {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Str(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The storage kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Data::F32(_) => "float",
            Data::F64(_) => "double",
            Data::I64(_) => "int64",
            Data::Str(_) => "string",
            Data::Bool(_) => "bool",
        }
    }

    /// The elements as f32 (numbers and booleans); an error for strings.
    pub fn to_f32(&self) -> Result<std::borrow::Cow<'_, [f32]>, RunError> {
        use std::borrow::Cow;
        Ok(match self {
            Data::F32(v) => Cow::Borrowed(v.as_slice()),
            Data::F64(v) => Cow::Owned(v.iter().map(|&x| x as f32).collect()),
            Data::I64(v) => Cow::Owned(v.iter().map(|&x| x as f32).collect()),
            Data::Bool(v) => Cow::Owned(v.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect()),
            Data::Str(_) => {
                return Err(RunError::Type(
                    "expected a numeric tensor, got strings".into(),
                ));
            }
        })
    }
}

/// A tensor: a shape and its elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Elements, row-major.
    pub data: Data,
}

impl Tensor {
    /// A tensor, checking that the shape matches the element count.
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Self, RunError> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(RunError::Shape(format!(
                "shape {shape:?} needs {n} elements, got {}",
                data.len()
            )));
        }
        Ok(Self { shape, data })
    }

    /// Rows and columns when seen as a matrix: `[N]` is N×1, `[N, C]` is N×C, and
    /// `[N, a, b…]` is N×(a·b…).
    pub fn as_matrix(&self) -> (usize, usize) {
        match self.shape.len() {
            0 => (1, 1),
            1 => (self.shape[0], 1),
            _ => {
                let rows = self.shape[0];
                (rows, self.shape[1..].iter().product())
            }
        }
    }

    /// Decodes an initializer or attribute tensor.
    pub fn from_proto(t: &TensorProto) -> Result<Self, String> {
        let shape: Vec<usize> = t
            .dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| format!("negative dim {d}")))
            .collect::<Result<_, _>>()?;
        let n: usize = shape.iter().product();
        let raw = &t.raw_data;
        let le_chunks = |size: usize| -> Result<std::slice::ChunksExact<'_, u8>, String> {
            if raw.len() != n * size {
                return Err(format!(
                    "tensor {:?}: raw data has {} bytes, expected {}",
                    t.name,
                    raw.len(),
                    n * size
                ));
            }
            Ok(raw.chunks_exact(size))
        };
        let use_raw = !raw.is_empty();
        let data = match t.data_type {
            data_type::FLOAT if use_raw => Data::F32(
                le_chunks(4)?
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            data_type::FLOAT => Data::F32(t.float_data.clone()),
            data_type::DOUBLE if use_raw => Data::F64(
                le_chunks(8)?
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect(),
            ),
            data_type::DOUBLE => Data::F64(t.double_data.clone()),
            data_type::INT64 if use_raw => Data::I64(
                le_chunks(8)?
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect(),
            ),
            data_type::INT64 => Data::I64(t.int64_data.clone()),
            data_type::INT32 if use_raw => Data::I64(
                le_chunks(4)?
                    .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect(),
            ),
            data_type::INT32 | data_type::INT16 | data_type::INT8 | data_type::UINT16
                if !use_raw =>
            {
                Data::I64(t.int32_data.iter().map(|&x| i64::from(x)).collect())
            }
            data_type::UINT8 if use_raw => Data::I64(raw.iter().map(|&b| i64::from(b)).collect()),
            data_type::UINT8 => Data::I64(t.int32_data.iter().map(|&x| i64::from(x)).collect()),
            data_type::BOOL if use_raw => Data::Bool(raw.iter().map(|&b| b != 0).collect()),
            data_type::BOOL => Data::Bool(t.int32_data.iter().map(|&x| x != 0).collect()),
            data_type::STRING => Data::Str(
                t.string_data
                    .iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect(),
            ),
            other => {
                return Err(format!(
                    "tensor {:?}: element type {other} is not supported",
                    t.name
                ));
            }
        };
        Tensor::new(shape, data).map_err(|e| format!("tensor {:?}: {e}", t.name))
    }
}

/// The keys of a map.
#[derive(Debug, Clone, PartialEq)]
pub enum Keys {
    /// Integer keys.
    I64(Vec<i64>),
    /// String keys.
    Str(Vec<String>),
}

impl Keys {
    /// Number of keys.
    pub fn len(&self) -> usize {
        match self {
            Keys::I64(v) => v.len(),
            Keys::Str(v) => v.len(),
        }
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A value of the graph.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A tensor.
    Tensor(Tensor),
    /// A sequence of maps that all share the same keys (ZipMap's output): one map per row,
    /// `values` row-major with `keys.len()` columns.
    MapSeq {
        /// The keys, shared by every map.
        keys: Keys,
        /// The values, `rows × keys.len()`.
        values: Vec<f32>,
    },
}

impl Value {
    /// The tensor, or a type error naming `what`.
    pub fn tensor(&self, what: &str) -> Result<&Tensor, RunError> {
        match self {
            Value::Tensor(t) => Ok(t),
            Value::MapSeq { .. } => Err(RunError::Type(format!(
                "{what}: expected a tensor, got a sequence of maps"
            ))),
        }
    }
}

/// The declared type of a graph input or output.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueType {
    /// A tensor with an element type and a shape (`None` for a dynamic dimension).
    Tensor {
        /// Element type.
        elem: ElemType,
        /// Dimensions; `None` where dynamic (a batch size, say).
        shape: Option<Vec<Option<usize>>>,
    },
    /// A sequence of maps from `key` to `value` (classifier probabilities).
    MapSeq {
        /// Key type.
        key: ElemType,
        /// Value type.
        value: ElemType,
    },
    /// Anything else the engine can pass along but not describe further.
    Other,
}

impl ValueType {
    /// Reads a declared type.
    pub fn from_proto(t: Option<&proto::TypeProto>) -> Self {
        use proto::type_proto::Value as V;
        match t.and_then(|t| t.value.as_ref()) {
            Some(V::TensorType(tt)) => {
                match ElemType::from_onnx(tt.elem_type) {
                    Some(elem) => ValueType::Tensor {
                        elem,
                        shape: tt.shape.as_ref().map(|s| {
                            s.dim
                                .iter()
                                .map(|d| match d.value {
                                    Some(
                                        proto::tensor_shape_proto::dimension::Value::DimValue(v),
                                    ) if v >= 0 => Some(v as usize),
                                    _ => None,
                                })
                                .collect()
                        }),
                    },
                    None => ValueType::Other,
                }
            }
            Some(V::SequenceType(seq)) => {
                match seq.elem_type.as_deref().and_then(|e| e.value.as_ref()) {
                    Some(V::MapType(m)) => {
                        let value = match m.value_type.as_deref().and_then(|v| v.value.as_ref()) {
                            Some(V::TensorType(tt)) => ElemType::from_onnx(tt.elem_type),
                            _ => None,
                        };
                        match (ElemType::from_onnx(m.key_type), value) {
                            (Some(key), Some(value)) => ValueType::MapSeq { key, value },
                            _ => ValueType::Other,
                        }
                    }
                    _ => ValueType::Other,
                }
            }
            _ => ValueType::Other,
        }
    }
}
