//! Values flowing through a graph: tensors of the element types tabular models use, and
//! the sequence-of-maps that ZipMap produces.

use crate::error::RunError;
use crate::limits::{MAX_RANK, product};
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

    /// About how many bytes the elements take: their size, plus the text of strings.
    pub fn approx_bytes(&self) -> usize {
        match self {
            Data::F32(v) => v.len().saturating_mul(4),
            Data::F64(v) => v.len().saturating_mul(8),
            Data::I64(v) => v.len().saturating_mul(8),
            Data::Bool(v) => v.len(),
            Data::Str(v) => v.iter().fold(0usize, |acc, s| {
                acc.saturating_add(std::mem::size_of::<String>() + s.len())
            }),
        }
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

    /// The elements as doubles (numbers and booleans); an error for strings.
    pub fn to_f64(&self) -> Result<std::borrow::Cow<'_, [f64]>, RunError> {
        use std::borrow::Cow;
        Ok(match self {
            Data::F64(v) => Cow::Borrowed(v.as_slice()),
            Data::F32(v) => Cow::Owned(v.iter().map(|&x| f64::from(x)).collect()),
            Data::I64(v) => Cow::Owned(v.iter().map(|&x| x as f64).collect()),
            Data::Bool(v) => Cow::Owned(v.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect()),
            Data::Str(_) => {
                return Err(RunError::Type(
                    "expected a numeric tensor, got strings".into(),
                ));
            }
        })
    }

    /// The elements as single-precision floats (doubles rounded, integers converted).
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
    /// A tensor, checking that the shape matches the element count (without overflow) and
    /// that its rank is at most [`MAX_RANK`](crate::MAX_RANK).
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Self, RunError> {
        check_shape(&shape, data.len()).map_err(RunError::Shape)?;
        Ok(Self { shape, data })
    }

    /// Checks what [`Tensor::new`] checks, for a tensor built field by field.
    pub fn check(&self) -> Result<(), RunError> {
        check_shape(&self.shape, self.data.len()).map_err(RunError::Shape)
    }

    /// Rows and columns when seen as a matrix: `[N]` is N×1, `[N, C]` is N×C, and
    /// `[N, a, b…]` is N×(a·b…). (Exact for a checked tensor, whose dimensions' products
    /// never overflow; saturating otherwise.)
    pub fn as_matrix(&self) -> (usize, usize) {
        match self.shape.split_first() {
            None => (1, 1),
            Some((&rows, [])) => (rows, 1),
            Some((&rows, rest)) => (rows, rest.iter().fold(1usize, |a, &d| a.saturating_mul(d))),
        }
    }

    /// Decodes an initializer or attribute tensor: its dimensions must multiply, without
    /// overflow, to the number of elements its data carries.
    pub fn from_proto(t: &TensorProto) -> Result<Self, String> {
        let name = &t.name;
        let shape: Vec<usize> = t
            .dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| format!("{name:?}: negative dim {d}")))
            .collect::<Result<_, _>>()?;
        if shape.len() > MAX_RANK {
            return Err(format!(
                "{name:?}: rank {} is more than the {MAX_RANK} the engine allows",
                shape.len()
            ));
        }
        let n = product(&shape).ok_or_else(|| {
            format!("{name:?}: dims {shape:?} have more elements than fit in memory")
        })?;
        let raw = &t.raw_data;
        let le_chunks = |size: usize| -> Result<std::slice::ChunksExact<'_, u8>, String> {
            if n.checked_mul(size) != Some(raw.len()) {
                return Err(format!(
                    "{name:?}: dims {shape:?} need {n} elements of {size} bytes, \
                     raw data has {} bytes",
                    raw.len()
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
            data_type::UINT8 if use_raw => {
                Data::I64(le_chunks(1)?.map(|c| i64::from(c[0])).collect())
            }
            data_type::UINT8 => Data::I64(t.int32_data.iter().map(|&x| i64::from(x)).collect()),
            data_type::BOOL if use_raw => Data::Bool(le_chunks(1)?.map(|c| c[0] != 0).collect()),
            data_type::BOOL => Data::Bool(t.int32_data.iter().map(|&x| x != 0).collect()),
            data_type::STRING => Data::Str(
                t.string_data
                    .iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect(),
            ),
            other => {
                return Err(format!("{name:?}: element type {other} is not supported"));
            }
        };
        if data.len() != n {
            return Err(format!(
                "{name:?}: dims {shape:?} need {n} elements, its data has {}",
                data.len()
            ));
        }
        Ok(Self { shape, data })
    }
}

/// Checks that a tensor of `shape` can hold `len` elements: rank within [`MAX_RANK`], the
/// product of the non-zero dimensions (hence of any subset of them) fits in a `usize`,
/// and the product of all equals `len`.
pub(crate) fn check_shape(shape: &[usize], len: usize) -> Result<(), String> {
    if shape.len() > MAX_RANK {
        return Err(format!(
            "rank {} is more than the {MAX_RANK} the engine allows",
            shape.len()
        ));
    }
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if nonzero.is_none() {
        return Err(format!(
            "shape {shape:?} has more elements than fit in memory"
        ));
    }
    let n = product(shape).unwrap_or(0);
    if n != len {
        return Err(format!("shape {shape:?} needs {n} elements, got {len}"));
    }
    Ok(())
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
    /// About how many bytes the value takes (see [`Data::approx_bytes`]).
    pub fn approx_bytes(&self) -> usize {
        match self {
            Value::Tensor(t) => t.data.approx_bytes(),
            Value::MapSeq { keys, values } => {
                let keys = match keys {
                    Keys::I64(k) => k.len().saturating_mul(8),
                    Keys::Str(k) => k.iter().fold(0usize, |acc, s| {
                        acc.saturating_add(std::mem::size_of::<String>() + s.len())
                    }),
                };
                values.len().saturating_mul(4).saturating_add(keys)
            }
        }
    }

    /// Checks a value built field by field: a tensor as [`Tensor::check`] does, a
    /// sequence of maps for one value per key in every map.
    pub fn check(&self) -> Result<(), RunError> {
        match self {
            Value::Tensor(t) => t.check(),
            Value::MapSeq { keys, values } => {
                if keys.is_empty() || values.len() % keys.len() != 0 {
                    return Err(RunError::Shape(format!(
                        "{} map values do not split into maps of {} keys",
                        values.len(),
                        keys.len()
                    )));
                }
                Ok(())
            }
        }
    }

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
            Some(V::TensorType(tt)) => match ElemType::from_onnx(tt.elem_type) {
                Some(elem) => ValueType::Tensor {
                    elem,
                    shape: tt.shape.as_ref().map(|s| {
                        s.dim
                            .iter()
                            .map(|d| match d.value {
                                Some(proto::tensor_shape_proto::dimension::Value::DimValue(v)) => {
                                    usize::try_from(v).ok()
                                }
                                _ => None,
                            })
                            .collect()
                    }),
                },
                None => ValueType::Other,
            },
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
