//! Loading a model: decode, check, compile the graph into a plan; and running the plan.

use std::collections::HashMap;

use prost::Message;

use crate::attrs::Attrs;
use crate::error::{LoadError, RunError};
use crate::ops::{self, Kernel};
use crate::proto::ModelProto;
use crate::tensor::{Keys, Tensor, Value, ValueType};

/// A graph input or output: its name and declared type.
#[derive(Debug, Clone, PartialEq)]
pub struct IoInfo {
    /// The name.
    pub name: String,
    /// The declared type.
    pub ty: ValueType,
}

struct Step {
    kernel: Box<dyn Kernel>,
    op: String,
    inputs: Vec<Option<usize>>,
    outputs: Vec<usize>,
}

/// A compiled model, ready to run; cheap to share between threads.
pub struct Model {
    /// The inputs the caller provides, in order.
    pub inputs: Vec<IoInfo>,
    /// The outputs, in order.
    pub outputs: Vec<IoInfo>,
    /// `(domain, version)` of every operator set the model imports.
    pub opsets: Vec<(String, i64)>,
    /// The tool that wrote the model, e.g. `skl2onnx 1.20.0`.
    pub producer: String,
    /// The model's metadata properties.
    pub metadata: Vec<(String, String)>,
    /// The class labels of the graph's classifier, in score order, if it has one.
    pub class_labels: Option<Keys>,
    steps: Vec<Step>,
    constants: Vec<Option<Value>>,
    input_slots: Vec<usize>,
    output_slots: Vec<usize>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .field(
                "steps",
                &self.steps.iter().map(|s| s.op.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The domain-qualified name of an operator, e.g. `ai.onnx.ml:TreeEnsembleRegressor`.
pub fn op_name(domain: &str, op_type: &str) -> String {
    let domain = if domain.is_empty() { "ai.onnx" } else { domain };
    format!("{domain}:{op_type}")
}

impl Model {
    /// Decodes and compiles a model. Operators the engine lacks are all listed in
    /// [`LoadError::Unsupported`].
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

        let mut slots: HashMap<String, usize> = HashMap::new();
        let mut constants: Vec<Option<Value>> = Vec::new();
        let slot_of = |name: &str,
                       slots: &mut HashMap<String, usize>,
                       constants: &mut Vec<Option<Value>>|
         -> usize {
            *slots.entry(name.to_owned()).or_insert_with(|| {
                constants.push(None);
                constants.len() - 1
            })
        };
        for init in &graph.initializer {
            let tensor = Tensor::from_proto(init).map_err(LoadError::Invalid)?;
            let slot = slot_of(&init.name, &mut slots, &mut constants);
            constants[slot] = Some(Value::Tensor(tensor));
        }
        // Inputs that an initializer also defines are optional overrides; only the rest
        // are the caller's.
        let inputs: Vec<IoInfo> = graph
            .input
            .iter()
            .filter(|i| !graph.initializer.iter().any(|t| t.name == i.name))
            .map(|i| IoInfo {
                name: i.name.clone(),
                ty: ValueType::from_proto(i.r#type.as_ref()),
            })
            .collect();
        let input_slots: Vec<usize> = inputs
            .iter()
            .map(|i| slot_of(&i.name, &mut slots, &mut constants))
            .collect();
        let mut defined: Vec<bool> = vec![true; constants.len()];

        let mut steps = Vec::with_capacity(graph.node.len());
        for node in &graph.node {
            let op = op_name(&node.domain, &node.op_type);
            let mut step_inputs = Vec::with_capacity(node.input.len());
            for name in &node.input {
                if name.is_empty() {
                    step_inputs.push(None);
                    continue;
                }
                let slot = slots
                    .get(name)
                    .copied()
                    .filter(|&s| defined.get(s).copied().unwrap_or(false));
                match slot {
                    Some(s) => step_inputs.push(Some(s)),
                    None => {
                        return Err(LoadError::Invalid(format!(
                            "node {:?} ({op}) reads {name:?} before anything defines it",
                            node.name
                        )));
                    }
                }
            }
            let kernel = ops::build(node, &Attrs::new(node))
                .map_err(|e| LoadError::Invalid(format!("node {:?} ({op}): {e}", node.name)))?;
            let outputs: Vec<usize> = node
                .output
                .iter()
                .map(|name| {
                    let s = slot_of(
                        if name.is_empty() { "" } else { name },
                        &mut slots,
                        &mut constants,
                    );
                    if defined.len() <= s {
                        defined.resize(s + 1, false);
                    }
                    defined[s] = true;
                    s
                })
                .collect();
            steps.push(Step {
                kernel,
                op,
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
                slots
                    .get(&o.name)
                    .copied()
                    .filter(|&s| defined.get(s).copied().unwrap_or(false))
                    .ok_or_else(|| {
                        LoadError::Invalid(format!("output {:?} is never computed", o.name))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let class_labels = class_labels(graph);
        Ok(Self {
            class_labels,
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
            constants,
            input_slots,
            output_slots,
        })
    }

    /// Runs the graph on one batch: `inputs` in the order of [`Model::inputs`]. Returns
    /// the outputs in the order of [`Model::outputs`].
    pub fn run(&self, inputs: Vec<Value>) -> Result<Vec<Value>, RunError> {
        if inputs.len() != self.inputs.len() {
            return Err(RunError::Input(format!(
                "the model takes {} input(s), got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let mut values: Vec<Option<Value>> = vec![None; self.constants.len()];
        for (slot, value) in self.input_slots.iter().zip(inputs) {
            values[*slot] = Some(value);
        }
        for step in &self.steps {
            let args: Vec<Option<&Value>> = step
                .inputs
                .iter()
                .map(|s| s.and_then(|s| self.constants[s].as_ref().or(values[s].as_ref())))
                .collect();
            let results = step.kernel.run(&args).map_err(|e| match e {
                RunError::Input(m) => RunError::Input(m),
                RunError::Type(m) => RunError::Type(format!("{}: {m}", step.op)),
                RunError::Shape(m) => RunError::Shape(format!("{}: {m}", step.op)),
            })?;
            for (slot, value) in step.outputs.iter().zip(results) {
                values[*slot] = Some(value);
            }
        }
        self.output_slots
            .iter()
            .map(|&s| {
                self.constants[s]
                    .clone()
                    .or_else(|| values[s].take())
                    .ok_or_else(|| RunError::Type("an output was not computed".into()))
            })
            .collect()
    }
}

/// Every operator of `graph` the native engine lacks, domain-qualified, sorted, once each.
fn unsupported_ops(graph: &crate::proto::GraphProto) -> Vec<String> {
    let mut ops: Vec<String> = graph
        .node
        .iter()
        .filter(|n| !ops::is_supported(&n.domain, &n.op_type))
        .map(|n| op_name(&n.domain, &n.op_type))
        .collect();
    ops.sort();
    ops.dedup();
    ops
}

/// The class labels of the first node that declares them, in score order.
fn class_labels(graph: &crate::proto::GraphProto) -> Option<Keys> {
    graph.node.iter().find_map(|n| {
        let a = Attrs::new(n);
        let strings = a.strings("classlabels_strings");
        if !strings.is_empty() {
            return Some(Keys::Str(strings));
        }
        [a.ints("classlabels_int64s"), a.ints("classlabels_ints")]
            .into_iter()
            .find(|v| !v.is_empty())
            .map(Keys::I64)
    })
}

/// What a model file declares, read without compiling it: for a model another runtime
/// will execute.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Inputs the caller provides (initializers excluded), in order.
    pub inputs: Vec<IoInfo>,
    /// Outputs, in order.
    pub outputs: Vec<IoInfo>,
    /// Class labels of its classifier, if any.
    pub class_labels: Option<Keys>,
    /// Operators the native engine lacks (domain-qualified), empty if it can run it all.
    pub unsupported: Vec<String>,
}

/// Reads a model's declared inputs, outputs and class labels, and which of its operators
/// the native engine lacks.
pub fn describe(bytes: &[u8]) -> Result<Description, LoadError> {
    let model = ModelProto::decode(bytes).map_err(|e| LoadError::Decode(e.to_string()))?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| LoadError::Decode("the model has no graph".into()))?;
    let unsupported = unsupported_ops(graph);
    Ok(Description {
        inputs: graph
            .input
            .iter()
            .filter(|i| !graph.initializer.iter().any(|t| t.name == i.name))
            .map(|i| IoInfo {
                name: i.name.clone(),
                ty: ValueType::from_proto(i.r#type.as_ref()),
            })
            .collect(),
        outputs: graph
            .output
            .iter()
            .map(|o| IoInfo {
                name: o.name.clone(),
                ty: ValueType::from_proto(o.r#type.as_ref()),
            })
            .collect(),
        class_labels: class_labels(graph),
        unsupported,
    })
}
