//! A compiled model: the plan [`Model::load`] makes of a graph (in `load.rs`) and
//! [`Model::run`] evaluates (in `run.rs`); and [`describe`], which reads a model's
//! interface without compiling it.

mod load;
mod run;

use prost::Message;

use crate::attrs::Attrs;
use crate::error::LoadError;
use crate::ops::{self, Kernel};
use crate::proto::ModelProto;
use crate::tensor::{Keys, Value, ValueType};

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
    /// The domain-qualified operator.
    op: String,
    /// The node as errors name it: its name (or index) and operator.
    label: String,
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

/// A node as errors name it: `node "scaler" (ai.onnx.ml:Scaler)`, or by its index in the
/// graph when it has no name: `node #3 (ai.onnx:Transpose)`.
fn node_label(index: usize, node: &crate::proto::NodeProto) -> String {
    let op = op_name(&node.domain, &node.op_type);
    if node.name.is_empty() {
        format!("node #{index} ({op})")
    } else {
        format!("node {:?} ({op})", node.name)
    }
}

/// The graph inputs the caller provides: those no initializer also defines.
fn caller_inputs(graph: &crate::proto::GraphProto) -> Vec<IoInfo> {
    let initialized: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    graph
        .input
        .iter()
        .filter(|i| !initialized.contains(i.name.as_str()))
        .map(|i| IoInfo {
            name: i.name.clone(),
            ty: ValueType::from_proto(i.r#type.as_ref()),
        })
        .collect()
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
        inputs: caller_inputs(graph),
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
