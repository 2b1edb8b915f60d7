//! Compiled models in memory, shared by every thread: a model version is decoded and
//! compiled once, then each request takes an `Arc` of it, so replacing or dropping an
//! entry never disturbs a request already running.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use retort_onnx::Model;

/// Compiled models by model-version id.
#[derive(Debug, Default)]
pub struct ModelCache {
    map: RwLock<HashMap<i64, Arc<Model>>>,
}

impl ModelCache {
    /// The compiled model of version `id`, if loaded.
    pub fn get(&self, id: i64) -> Option<Arc<Model>> {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Keeps a compiled model for version `id`.
    pub fn insert(&self, id: i64, model: Arc<Model>) {
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
