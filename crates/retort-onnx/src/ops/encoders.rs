//! The `ai.onnx.ml` encoders: OneHotEncoder and LabelEncoder.

use std::collections::HashMap;

use super::{Kernel, input, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::tensor::{Data, Value};

/// OneHotEncoder: one output column per category; output shape is the input's plus one.
pub struct OneHotEncoder {
    strings: HashMap<String, usize>,
    ints: HashMap<i64, usize>,
    n: usize,
    zeros: bool,
}

impl OneHotEncoder {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let strings = attrs.strings("cats_strings");
        let ints = attrs.ints("cats_int64s");
        let n = strings.len().max(ints.len());
        if n == 0 {
            return Err("a OneHotEncoder needs cats_strings or cats_int64s".into());
        }
        Ok(Self {
            strings: strings
                .into_iter()
                .enumerate()
                .map(|(i, s)| (s, i))
                .collect(),
            ints: ints.into_iter().enumerate().map(|(i, v)| (v, i)).collect(),
            n,
            zeros: attrs.int("zeros").unwrap_or(1) != 0,
        })
    }
}

impl Kernel for OneHotEncoder {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let count = x.data.len();
        let mut out = vec![0.0f32; count * self.n];
        for i in 0..count {
            let hit = match &x.data {
                Data::Str(v) => self.strings.get(&v[i]).copied(),
                Data::I64(v) => self.ints.get(&v[i]).copied(),
                Data::F32(v) => self.ints.get(&(v[i] as i64)).copied(),
                Data::F64(v) => self.ints.get(&(v[i] as i64)).copied(),
                Data::Bool(v) => self.ints.get(&i64::from(v[i])).copied(),
            };
            match hit {
                Some(c) => out[i * self.n + c] = 1.0,
                None if self.zeros => {}
                None => {
                    return Err(RunError::Input(
                        "a value is not one of the encoder's categories".into(),
                    ));
                }
            }
        }
        let mut shape = x.shape.clone();
        shape.push(self.n);
        Ok(vec![tensor(shape, Data::F32(out))?])
    }
}

/// LabelEncoder: maps keys to values (strings, integers or floats either way).
pub struct LabelEncoder {
    map: HashMap<String, usize>,
    values: Data,
    default: Data,
    float_keys: bool,
}

fn key_of(d: &Data, i: usize) -> String {
    match d {
        Data::Str(v) => v[i].clone(),
        Data::I64(v) => v[i].to_string(),
        Data::F32(v) => format!("{:?}", v[i]),
        Data::F64(v) => format!("{:?}", v[i] as f32),
        Data::Bool(v) => i64::from(v[i]).to_string(),
    }
}

impl LabelEncoder {
    /// Builds the kernel.
    pub fn new(attrs: &Attrs<'_>) -> Result<Self, String> {
        let (keys, float_keys) = if !attrs.strings("keys_strings").is_empty() {
            (Data::Str(attrs.strings("keys_strings")), false)
        } else if !attrs.ints("keys_int64s").is_empty() {
            (Data::I64(attrs.ints("keys_int64s")), false)
        } else {
            (Data::F32(attrs.floats("keys_floats")), true)
        };
        let (values, default) = if !attrs.strings("values_strings").is_empty() {
            (
                Data::Str(attrs.strings("values_strings")),
                Data::Str(vec![
                    attrs
                        .string("default_string")
                        .unwrap_or_else(|| "_Unused".into()),
                ]),
            )
        } else if !attrs.ints("values_int64s").is_empty() {
            (
                Data::I64(attrs.ints("values_int64s")),
                Data::I64(vec![attrs.int("default_int64").unwrap_or(-1)]),
            )
        } else {
            (
                Data::F32(attrs.floats("values_floats")),
                Data::F32(vec![attrs.float("default_float").unwrap_or(-0.0)]),
            )
        };
        if keys.len() != values.len() || keys.is_empty() {
            return Err(format!("{} keys for {} values", keys.len(), values.len()));
        }
        Ok(Self {
            map: (0..keys.len()).map(|i| (key_of(&keys, i), i)).collect(),
            values,
            default,
            float_keys,
        })
    }
}

impl Kernel for LabelEncoder {
    fn run(&self, inputs: &[Option<&Value>]) -> Result<Vec<Value>, RunError> {
        let x = input(inputs, 0)?;
        let as_floats;
        let source = if self.float_keys && !matches!(x.data, Data::F32(_)) {
            as_floats = Data::F32(x.data.to_f32()?.into_owned());
            &as_floats
        } else {
            &x.data
        };
        let picks: Vec<Option<usize>> = (0..x.data.len())
            .map(|i| self.map.get(&key_of(source, i)).copied())
            .collect();
        let data = match (&self.values, &self.default) {
            (Data::Str(v), Data::Str(d)) => Data::Str(
                picks
                    .iter()
                    .map(|p| p.map_or(d[0].clone(), |i| v[i].clone()))
                    .collect(),
            ),
            (Data::I64(v), Data::I64(d)) => {
                Data::I64(picks.iter().map(|p| p.map_or(d[0], |i| v[i])).collect())
            }
            (Data::F32(v), Data::F32(d)) => {
                Data::F32(picks.iter().map(|p| p.map_or(d[0], |i| v[i])).collect())
            }
            _ => {
                return Err(RunError::Type(
                    "LabelEncoder values and default differ in type".into(),
                ));
            }
        };
        Ok(vec![tensor(x.shape.clone(), data)?])
    }
}
