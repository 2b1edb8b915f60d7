//! Compiled models in memory, shared by every thread: a model version is decoded and
//! compiled once, then each request takes an `Arc` of it, so replacing or dropping an
//! entry never disturbs a request already running.
//!
//! A model runs on the native engine (`retort-onnx`) when it can; a graph with operators
//! the native engine lacks runs on ONNX Runtime, when a `libonnxruntime` is configured.

mod pool;
mod runtime;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use retort_onnx::{IoInfo, Keys, Model, RunError, Value};

pub use pool::InferencePool;
pub use runtime::{Runtime, RuntimeModel, find_in_python_packages, find_installed};

/// A compiled model on one of the two backends.
#[derive(Debug)]
pub enum Engine {
    /// The native evaluator.
    Native(Model),
    /// ONNX Runtime, loaded at run time.
    Runtime(RuntimeModel),
}

impl Engine {
    /// The backend's name, as the API reports it.
    pub fn backend(&self) -> &'static str {
        match self {
            Engine::Native(_) => "native",
            Engine::Runtime(_) => "onnxruntime",
        }
    }

    /// The inputs the caller provides, in order.
    pub fn inputs(&self) -> &[IoInfo] {
        match self {
            Engine::Native(m) => &m.inputs,
            Engine::Runtime(m) => &m.description.inputs,
        }
    }

    /// The outputs, in order.
    pub fn outputs(&self) -> &[IoInfo] {
        match self {
            Engine::Native(m) => &m.outputs,
            Engine::Runtime(m) => &m.description.outputs,
        }
    }

    /// Class labels, for classifiers.
    pub fn class_labels(&self) -> Option<&Keys> {
        match self {
            Engine::Native(m) => m.class_labels.as_ref(),
            Engine::Runtime(m) => m.description.class_labels.as_ref(),
        }
    }

    /// Runs one batch: inputs in [`Engine::inputs`] order, outputs in [`Engine::outputs`] order.
    pub fn run(&self, inputs: Vec<Value>) -> Result<Vec<Value>, RunError> {
        match self {
            Engine::Native(m) => m.run(inputs),
            Engine::Runtime(m) => m.run(inputs),
        }
    }
}

/// Compiled models by model-version id.
#[derive(Debug, Default)]
pub struct ModelCache {
    map: RwLock<HashMap<i64, Arc<Engine>>>,
}

impl ModelCache {
    /// The compiled model of version `id`, if loaded.
    pub fn get(&self, id: i64) -> Option<Arc<Engine>> {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Keeps a compiled model for version `id`.
    pub fn insert(&self, id: i64, model: Arc<Engine>) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, model);
    }

    /// Forgets version `id` (after it is deleted).
    pub fn remove(&self, id: i64) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// How many models are loaded.
    pub fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether none is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
