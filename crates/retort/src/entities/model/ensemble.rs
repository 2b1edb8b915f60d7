//! Ensembles: a version that combines deployed versions, pinned when it is made.

use super::interface::{Ensemble, Member, Signature};
use super::model::{self, NewVersion};
use super::schema::{EnsembleIn, VersionOut};
use super::service::{Selector, memo_prefix, model_name, resolve, sha256_hex, version_row};
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::state::AppState;
use crate::kernel::time;

/// Deploys an ensemble of existing versions as the next version of model `name`.
pub async fn deploy_ensemble(
    state: &AppState,
    name: &str,
    input: EnsembleIn,
) -> AppResult<VersionOut> {
    let name = model_name(name)?;
    let mut members = Vec::new();
    let mut first: Option<Signature> = None;
    let mut errors = Vec::new();
    for (i, m) in input.members.iter().enumerate() {
        let selector = match (&m.version, &m.alias) {
            (Some(v), _) => Selector::Version(*v),
            (None, Some(a)) => Selector::Alias(a.clone()),
            (None, None) => Selector::Default,
        };
        let row = match resolve(state, &m.model, &selector).await {
            Ok(row) => row,
            Err(AppError::NotFound(d)) => {
                errors.push(FieldError::new(format!("/members/{i}"), d));
                continue;
            }
            Err(e) => return Err(e),
        };
        if row.ensemble.is_some() {
            errors.push(FieldError::new(
                format!("/members/{i}"),
                "is itself an ensemble; ensembles combine single models",
            ));
            continue;
        }
        let sig: Signature =
            serde_json::from_str(&row.signature).map_err(|e| AppError::Internal(e.into()))?;
        match &first {
            None => first = Some(sig),
            Some(f) => {
                let cols = |s: &Signature| {
                    s.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.dtype.clone()))
                        .collect::<Vec<_>>()
                };
                if cols(f) != cols(&sig) || f.task != sig.task || f.class_labels != sig.class_labels
                {
                    errors.push(FieldError::new(
                        format!("/members/{i}"),
                        "has different columns, task or classes than the first member; members must take the same rows",
                    ));
                }
            }
        }
        members.push(Member {
            model: row.model.clone(),
            version: row.version,
            weight: m.weight.unwrap_or(1.0),
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let sig = first
        .ok_or_else(|| AppError::Validation(vec![FieldError::new("/members", "no member")]))?;
    let spec = serde_json::to_string(&Ensemble {
        method: input.method,
        members,
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    let signature = serde_json::to_string(&sig).map_err(|e| AppError::Internal(e.into()))?;
    let sha = sha256_hex(spec.as_bytes());
    let now = time::now();
    let mut tx = state.db.begin_write().await?;
    let m = model::upsert_model(&mut tx, &name, &now).await?;
    let version = model::next_version(&mut tx, m.id).await?;
    let new = NewVersion {
        description: &input.description,
        framework: "ensemble",
        metrics: "{}",
        feature_names: None,
        sha256: &sha,
        backend: "ensemble",
        signature: &signature,
        onnx: &[],
        ensemble: Some(&spec),
        fidelity: None,
    };
    model::insert_version(&mut tx, m.id, version, &new, &now).await?;
    tx.commit().await?;
    state.memo.forget_prefix(&memo_prefix(&name));
    let mut aliases = Vec::new();
    if let Some(alias) = &input.alias {
        model::set_alias(&state.db, m.id, alias, version, &now).await?;
        aliases.push(alias.clone());
    }
    let row = version_row(state, &name, version).await?;
    Ok(VersionOut::new(row, aliases))
}
