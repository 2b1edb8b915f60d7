//! Running a compiled model on one batch: check the inputs, then evaluate the plan node
//! by node within the run's byte budget.

use super::Model;
use crate::error::RunError;
use crate::limits::{MAX_RUN_BYTES, MAX_TENSOR_ELEMENTS};
use crate::tensor::Value;

impl Model {
    /// Runs the graph on one batch: `inputs` in the order of [`Model::inputs`]. Returns
    /// the outputs in the order of [`Model::outputs`].
    ///
    /// Each input must be consistent (a tensor's shape multiplies to its element count)
    /// and hold at most [`MAX_TENSOR_ELEMENTS`] elements; the nodes may produce at most
    /// [`MAX_RUN_BYTES`] in all. Anything a node cannot compute is a [`RunError`] naming
    /// the node.
    pub fn run(&self, inputs: Vec<Value>) -> Result<Vec<Value>, RunError> {
        if inputs.len() != self.inputs.len() {
            return Err(RunError::Input(format!(
                "the model takes {} input(s), got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        for (info, value) in self.inputs.iter().zip(&inputs) {
            value
                .check()
                .map_err(|e| RunError::Input(format!("input {:?}: {}", info.name, message(&e))))?;
            if let Value::Tensor(t) = value {
                if t.data.len() > MAX_TENSOR_ELEMENTS {
                    return Err(RunError::Input(format!(
                        "input {:?} has {} elements, more than the {MAX_TENSOR_ELEMENTS} allowed",
                        info.name,
                        t.data.len()
                    )));
                }
            }
        }
        let mut values: Vec<Option<Value>> = vec![None; self.constants.len()];
        for (&slot, value) in self.input_slots.iter().zip(inputs) {
            if let Some(v) = values.get_mut(slot) {
                *v = Some(value);
            }
        }
        let mut produced = 0usize;
        for step in &self.steps {
            let args: Vec<Option<&Value>> = step
                .inputs
                .iter()
                .map(|s| {
                    s.and_then(|s| {
                        self.constants
                            .get(s)
                            .and_then(Option::as_ref)
                            .or_else(|| values.get(s).and_then(Option::as_ref))
                    })
                })
                .collect();
            let results = step.kernel.run(&args).map_err(|e| match e {
                RunError::Input(m) => RunError::Input(m),
                RunError::Type(m) => RunError::Type(format!("{}: {m}", step.label)),
                RunError::Shape(m) => RunError::Shape(format!("{}: {m}", step.label)),
            })?;
            for value in &results {
                produced = produced.saturating_add(value.approx_bytes());
            }
            if produced > MAX_RUN_BYTES {
                return Err(RunError::Shape(format!(
                    "{}: the run has produced more than the {MAX_RUN_BYTES} bytes allowed",
                    step.label
                )));
            }
            for (&slot, value) in step.outputs.iter().zip(results) {
                if let Some(v) = values.get_mut(slot) {
                    *v = Some(value);
                }
            }
        }
        self.output_slots
            .iter()
            .map(|&s| {
                self.constants
                    .get(s)
                    .cloned()
                    .flatten()
                    .or_else(|| values.get_mut(s).and_then(Option::take))
                    .ok_or_else(|| RunError::Type("an output was not computed".into()))
            })
            .collect()
    }
}

/// The text of an error, without its kind's prefix.
fn message(e: &RunError) -> &str {
    match e {
        RunError::Input(m) | RunError::Type(m) | RunError::Shape(m) => m,
    }
}
