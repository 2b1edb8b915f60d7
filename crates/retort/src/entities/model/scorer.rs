//! A model version scoring typed columns off the request path (a job's CPU step): no
//! JSON rows, the same conversion rules as the row API.

use std::sync::Arc;

use super::interface::Signature;
use super::model::VersionRow;
use super::predict;
use super::service::{compiled, signature_of};
use crate::kernel::error::AppResult;
use crate::kernel::inference::Engine;
use crate::kernel::state::AppState;

/// A single version ready to score typed columns off the request path (a job's CPU
/// step): the compiled graph, its signature and its input names.
#[derive(Clone)]
pub struct Scorer {
    engine: Arc<Engine>,
    sig: Arc<Signature>,
    inputs: Vec<String>,
}

impl Scorer {
    /// The row signature: the columns the model reads.
    pub fn signature(&self) -> &Signature {
        &self.sig
    }

    /// The graph's input names, in order.
    pub fn input_names(&self) -> &[String] {
        &self.inputs
    }

    /// The input tensors for `rows` rows of typed columns, in input order (what
    /// [`Scorer::score`] evaluates).
    pub fn inputs<'a>(
        &self,
        rows: usize,
        column: impl Fn(&str) -> Option<crate::kernel::columns::ColumnRef<'a>>,
    ) -> Result<Vec<retort_onnx::Value>, String> {
        predict::columns_to_inputs(&self.sig, &self.inputs, rows, column).map_err(|e| e.join("; "))
    }

    /// One number per row from a regressor (NaN where the model gives none); `column`
    /// gives each signature column by name. CPU-bound: call it on the blocking pool.
    pub fn score<'a>(
        &self,
        rows: usize,
        column: impl Fn(&str) -> Option<crate::kernel::columns::ColumnRef<'a>>,
    ) -> Result<Vec<f64>, String> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let inputs = self.inputs(rows, column)?;
        let outputs = self.engine.run(inputs).map_err(|e| e.to_string())?;
        Ok(predict::regression_values(&outputs, rows))
    }
}

/// A [`Scorer`] for a single (non-ensemble) version.
pub async fn scorer(state: &AppState, row: &VersionRow) -> AppResult<Scorer> {
    let engine = compiled(state, row).await?;
    let sig = signature_of(state, row)?;
    let inputs = engine.inputs().iter().map(|i| i.name.clone()).collect();
    Ok(Scorer {
        engine,
        sig,
        inputs,
    })
}
