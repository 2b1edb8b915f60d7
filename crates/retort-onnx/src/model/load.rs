//! Loading a model: decode, refuse what the engine lacks, check every declared size and
//! every node against what is known of its inputs, and compile the graph into a plan.

use std::collections::HashMap;

use prost::Message;

use super::{
    IoInfo, Model, Step, caller_inputs, class_labels, node_label, op_name, unsupported_ops,
};
use crate::attrs::Attrs;
use crate::error::LoadError;
use crate::limits::{MAX_RANK, MAX_WIDTH};
use crate::ops::{self, Dims, Known};
use crate::proto::ModelProto;
use crate::tensor::{Tensor, Value, ValueType};

/// The values of the graph as load numbers them: one slot per name.
#[derive(Default)]
struct Slots {
    by_name: HashMap<String, usize>,
    /// Initializers, by slot.
    constants: Vec<Option<Value>>,
    /// What is known of each slot's dimensions.
    dims: Vec<Dims>,
    /// Whether something (an input, an initializer, an earlier node) defines the slot.
    defined: Vec<bool>,
}

impl Slots {
    /// The slot of `name`, made if new.
    fn slot(&mut self, name: &str) -> usize {
        if let Some(&s) = self.by_name.get(name) {
            return s;
        }
        let s = self.constants.len();
        self.by_name.insert(name.to_owned(), s);
        self.constants.push(None);
        self.dims.push(None);
        self.defined.push(false);
        s
    }

    /// The slot of `name` if something defines it already.
    fn defined_slot(&self, name: &str) -> Option<usize> {
        self.by_name
            .get(name)
            .copied()
            .filter(|&s| self.defined.get(s).copied().unwrap_or(false))
    }

    /// What load knows of the value in slot `s`.
    fn known(&self, s: usize) -> Known<'_> {
        Known {
            dims: self.dims.get(s).and_then(|d| d.as_deref()),
            value: match self.constants.get(s) {
                Some(Some(Value::Tensor(t))) => Some(t),
                _ => None,
            },
        }
    }
}

/// Refuses a declared input wider than [`MAX_WIDTH`] columns (the product of its fixed
/// dimensions after the first) or of rank above [`MAX_RANK`].
fn check_declared_width(input: &IoInfo) -> Result<(), LoadError> {
    let ValueType::Tensor {
        shape: Some(dims), ..
    } = &input.ty
    else {
        return Ok(());
    };
    let shown: Vec<String> = dims
        .iter()
        .map(|d| d.map_or("?".to_owned(), |d| d.to_string()))
        .collect();
    let shape = format!("[{}]", shown.join(", "));
    if dims.len() > MAX_RANK {
        return Err(LoadError::Invalid(format!(
            "input {:?} declares rank {}, more than the {MAX_RANK} allowed",
            input.name,
            dims.len()
        )));
    }
    let width = dims
        .iter()
        .skip(1)
        .try_fold(1usize, |acc, d| acc.checked_mul(d.unwrap_or(1)));
    match width {
        Some(w) if w <= MAX_WIDTH => Ok(()),
        _ => Err(LoadError::Invalid(format!(
            "input {:?} declares shape {shape}: more than the {MAX_WIDTH} columns allowed",
            input.name
        ))),
    }
}

impl Model {
    /// Decodes, checks and compiles a model. Operators the engine lacks are all listed in
    /// [`LoadError::Unsupported`]; anything inconsistent (sizes that disagree with the
    /// data, trees that are not trees, attributes out of range for their inputs) is
    /// [`LoadError::Invalid`], naming the node and the numbers.
    pub fn load(bytes: &[u8]) -> Result<Self, LoadError> {
        let model = ModelProto::decode(bytes).map_err(|e| LoadError::Decode(e.to_string()))?;
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| LoadError::Decode("the model has no graph".into()))?;
        if graph.node.is_empty() && graph.output.is_empty() {
            return Err(LoadError::Decode("the graph is empty".into()));
        }

        let unsupported = unsupported_ops(graph);
        if !unsupported.is_empty() {
            return Err(LoadError::Unsupported(unsupported));
        }

        let mut slots = Slots::default();
        for init in &graph.initializer {
            let tensor = Tensor::from_proto(init)
                .map_err(|e| LoadError::Invalid(format!("initializer {e}")))?;
            let s = slots.slot(&init.name);
            slots.dims[s] = Some(tensor.shape.iter().map(|&d| Some(d)).collect());
            slots.constants[s] = Some(Value::Tensor(tensor));
            slots.defined[s] = true;
        }
        // Inputs that an initializer also defines are optional overrides; only the rest
        // are the caller's.
        let inputs = caller_inputs(graph);
        let mut input_slots = Vec::with_capacity(inputs.len());
        for input in &inputs {
            check_declared_width(input)?;
            let s = slots.slot(&input.name);
            if let ValueType::Tensor {
                shape: Some(dims), ..
            } = &input.ty
            {
                slots.dims[s] = Some(dims.clone());
            }
            slots.defined[s] = true;
            input_slots.push(s);
        }

        let mut steps = Vec::with_capacity(graph.node.len());
        for (index, node) in graph.node.iter().enumerate() {
            let label = node_label(index, node);
            let mut step_inputs = Vec::with_capacity(node.input.len());
            for name in &node.input {
                if name.is_empty() {
                    step_inputs.push(None);
                    continue;
                }
                match slots.defined_slot(name) {
                    Some(s) => step_inputs.push(Some(s)),
                    None => {
                        return Err(LoadError::Invalid(format!(
                            "{label} reads {name:?} before anything defines it"
                        )));
                    }
                }
            }
            let kernel = ops::build(node, &Attrs::new(node))
                .map_err(|e| LoadError::Invalid(format!("{label}: {e}")))?;
            let known: Vec<Known<'_>> = step_inputs
                .iter()
                .map(|s| s.map(|s| slots.known(s)).unwrap_or_default())
                .collect();
            let out_dims = kernel
                .check(&known)
                .map_err(|e| LoadError::Invalid(format!("{label}: {e}")))?;
            let mut outputs = Vec::with_capacity(node.output.len());
            for (k, name) in node.output.iter().enumerate() {
                let s = slots.slot(name);
                // A run reads an initializer in preference to a node's output of the
                // same name, so what is known of it stays.
                if slots.constants[s].is_none() {
                    slots.dims[s] = out_dims.get(k).cloned().flatten();
                }
                slots.defined[s] = true;
                outputs.push(s);
            }
            steps.push(Step {
                kernel,
                op: op_name(&node.domain, &node.op_type),
                label,
                inputs: step_inputs,
                outputs,
            });
        }

        let outputs: Vec<IoInfo> = graph
            .output
            .iter()
            .map(|o| IoInfo {
                name: o.name.clone(),
                ty: ValueType::from_proto(o.r#type.as_ref()),
            })
            .collect();
        let output_slots = outputs
            .iter()
            .map(|o| {
                slots.defined_slot(&o.name).ok_or_else(|| {
                    LoadError::Invalid(format!("output {:?} is never computed", o.name))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        Ok(Self {
            class_labels: class_labels(graph),
            inputs,
            outputs,
            opsets: model
                .opset_import
                .iter()
                .map(|o| (o.domain.clone(), o.version))
                .collect(),
            producer: format!("{} {}", model.producer_name, model.producer_version)
                .trim()
                .to_owned(),
            metadata: model
                .metadata_props
                .iter()
                .map(|p| (p.key.clone(), p.value.clone()))
                .collect(),
            steps,
            constants: slots.constants,
            input_slots,
            output_slots,
        })
    }
}
