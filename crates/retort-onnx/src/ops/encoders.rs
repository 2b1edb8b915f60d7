//! The `ai.onnx.ml` encoders: OneHotEncoder and LabelEncoder.

use std::collections::HashMap;

use super::basic::same_as_first;
use super::select::pick;
use super::{Dims, Kernel, Known, input, known, tensor};
use crate::attrs::Attrs;
use crate::error::RunError;
use crate::limits::output_size;
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
        let mut out = vec![0.0f32; output_size(count, self.n, 4)?];
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

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(vec![known(inputs, 0).same().map(|mut d| {
            d.push(Some(self.n));
            d
        })])
    }
}

/// LabelEncoder: maps keys to values (strings, integers or floats either way).
pub struct LabelEncoder {
    map: HashMap<String, usize>,
    /// The values, then the default for keys not in the map.
    values: Data,
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
        let strings = attrs.strings("values_strings");
        let ints = attrs.ints("values_int64s");
        let values = if !strings.is_empty() {
            let mut v = strings;
            v.push(
                attrs
                    .string("default_string")
                    .unwrap_or_else(|| "_Unused".into()),
            );
            Data::Str(v)
        } else if !ints.is_empty() {
            let mut v = ints;
            v.push(attrs.int("default_int64").unwrap_or(-1));
            Data::I64(v)
        } else {
            let mut v = attrs.floats("values_floats");
            v.push(attrs.float("default_float").unwrap_or(-0.0));
            Data::F32(v)
        };
        let n_values = values.len().saturating_sub(1);
        if keys.len() != n_values || keys.is_empty() {
            return Err(format!("{} keys for {n_values} values", keys.len()));
        }
        Ok(Self {
            map: (0..keys.len()).map(|i| (key_of(&keys, i), i)).collect(),
            values,
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
        let default = self.values.len().saturating_sub(1);
        let look_up = |key: &str| self.map.get(key).copied().unwrap_or(default);
        let picks: Vec<usize> = match source {
            // Strings are looked up as they are, without a copy.
            Data::Str(v) if !self.float_keys => v.iter().map(|s| look_up(s)).collect(),
            _ => (0..x.data.len())
                .map(|i| look_up(&key_of(source, i)))
                .collect(),
        };
        let data = pick(&self.values, picks.len(), || picks.iter().copied())?;
        Ok(vec![tensor(x.shape.clone(), data)?])
    }

    fn check(&self, inputs: &[Known<'_>]) -> Result<Vec<Dims>, String> {
        Ok(same_as_first(inputs))
    }
}
