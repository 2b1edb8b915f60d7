//! Reading node attributes by name, with the `*_as_tensor` variants newer opsets use.

use crate::proto::{AttributeProto, NodeProto};
use crate::tensor::{Data, Tensor};

/// A node's attributes.
pub struct Attrs<'a> {
    node: &'a NodeProto,
}

impl<'a> Attrs<'a> {
    /// The attributes of `node`.
    pub fn new(node: &'a NodeProto) -> Self {
        Self { node }
    }

    fn get(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    /// An integer attribute.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).map(|a| a.i)
    }

    /// A float attribute.
    pub fn float(&self, name: &str) -> Option<f32> {
        self.get(name).map(|a| a.f)
    }

    /// A string attribute.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
    }

    /// Integers (empty if absent).
    pub fn ints(&self, name: &str) -> Vec<i64> {
        self.get(name).map(|a| a.ints.clone()).unwrap_or_default()
    }

    /// Strings (empty if absent).
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|a| {
                a.strings
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Floats from `name`, or from the tensor attribute `name_as_tensor` (empty if
    /// neither is present).
    pub fn floats(&self, name: &str) -> Vec<f32> {
        if let Some(a) = self.get(name) {
            if !a.floats.is_empty() {
                return a.floats.clone();
            }
        }
        match self.tensor(&format!("{name}_as_tensor")).map(|t| t.data) {
            Some(Data::F32(v)) => v,
            Some(Data::F64(v)) => v.into_iter().map(|x| x as f32).collect(),
            _ => Vec::new(),
        }
    }

    /// Doubles from the tensor attribute `name_as_tensor`, or the floats of `name` widened.
    pub fn doubles(&self, name: &str) -> Vec<f64> {
        match self.tensor(&format!("{name}_as_tensor")).map(|t| t.data) {
            Some(Data::F64(v)) => v,
            Some(Data::F32(v)) => v.into_iter().map(f64::from).collect(),
            _ => self.floats(name).into_iter().map(f64::from).collect(),
        }
    }

    /// A tensor attribute.
    pub fn tensor(&self, name: &str) -> Option<Tensor> {
        self.get(name)
            .and_then(|a| a.t.as_ref())
            .and_then(|t| Tensor::from_proto(t).ok())
    }
}
