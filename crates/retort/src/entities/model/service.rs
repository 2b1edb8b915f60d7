//! The registry's rules: deploy (validate, compile, store, swap in), aliases, deletes,
//! and predictions with the version a name, number or alias selects.

use std::sync::Arc;

use retort_onnx::{LoadError, Model};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::interface::{self, Ensemble, Signature, parse_alias, parse_name};
use super::model::{self, NewVersion, VersionRow};
use super::predict;
use super::schema::{AliasOut, DeployMeta, ModelOut, PredictOut, VersionOut};

pub use super::ensemble::deploy_ensemble;
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::inference::Engine;
use crate::kernel::state::AppState;
use crate::kernel::time;

/// Which version of a model answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The `production` alias if it exists, else the latest version.
    Default,
    /// A version number.
    Version(i64),
    /// An alias.
    Alias(String),
}

/// The alias the default selector prefers.
pub const PRODUCTION: &str = "production";

pub(super) fn model_name(raw: &str) -> AppResult<String> {
    parse_name("model", raw)
        .map_err(|m| AppError::Validation(vec![FieldError::path_param("name", m)]))
}

fn no_model(name: &str) -> AppError {
    AppError::NotFound(format!("no model named {name:?}"))
}

fn no_version(name: &str, version: i64) -> AppError {
    AppError::NotFound(format!("model {name:?} has no version {version}"))
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How to turn on the ONNX Runtime backend, for error messages.
pub const RUNTIME_HINT: &str = "to serve it with ONNX Runtime, `pip install onnxruntime` where retort can \
find it (a virtualenv, pyenv, user or system site-packages) and restart, or start retort with \
--onnxruntime-lib PATH (or RETORT_ONNXRUNTIME_LIB), PATH being a libonnxruntime.so such as \
site-packages/onnxruntime/capi/libonnxruntime.so.*";

/// Compiles ONNX bytes off the async runtime: on the native engine if it can run every
/// operator, else on ONNX Runtime if configured. A bad file is a 422 naming the problem.
async fn compile(state: &AppState, bytes: Arc<Vec<u8>>) -> AppResult<Engine> {
    let runtime = state.runtime.clone();
    let result = tokio::task::spawn_blocking(move || match Model::load(&bytes) {
        Ok(m) => Ok(Engine::Native(m)),
        Err(LoadError::Unsupported(ops)) => match runtime {
            Some(rt) => {
                let description = retort_onnx::describe(&bytes).map_err(|e| e.to_string())?;
                rt.session(&bytes, description).map(Engine::Runtime)
            }
            None => Err(format!(
                "uses operators the native engine does not implement: {}; {RUNTIME_HINT}",
                ops.join(", ")
            )),
        },
        Err(LoadError::Decode(m)) => Err(format!("is not an ONNX model: {m}")),
        Err(LoadError::Invalid(m)) => Err(format!("is not a valid ONNX model: {m}")),
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("model compiler panicked: {e}")))?;
    result.map_err(|message| AppError::Validation(vec![FieldError::new("/file", message)]))
}

/// Deploys `bytes` as the next version of model `name`.
pub async fn deploy(
    state: &AppState,
    name: &str,
    meta: DeployMeta,
    bytes: Vec<u8>,
) -> AppResult<VersionOut> {
    let name = model_name(name)?;
    if bytes.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "/file",
            "is empty: send the ONNX file's bytes",
        )]));
    }
    let bytes = Arc::new(bytes);
    let compiled = compile(state, bytes.clone()).await?;
    let sig = interface::signature(&compiled, meta.feature_names.as_deref()).map_err(|m| {
        let path = if meta.feature_names.is_some() {
            "/feature_names"
        } else {
            "/file"
        };
        AppError::Validation(vec![FieldError::new(path, m)])
    })?;
    let compiled = Arc::new(compiled);
    let fidelity = match &meta.check {
        Some(check) => Some(super::fidelity::check(state, &compiled, &sig, check).await?),
        None => None,
    };
    let fidelity = fidelity
        .map(|f| serde_json::to_string(&f))
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    let signature = serde_json::to_string(&sig).map_err(|e| AppError::Internal(e.into()))?;
    let metrics = meta.metrics.to_string();
    let feature_names = meta
        .feature_names
        .as_ref()
        .map(|f| Json::from(f.clone()).to_string());
    let sha = sha256_hex(&bytes);
    let now = time::now();

    let mut tx = state.db.begin_write().await?;
    let m = model::upsert_model(&mut tx, &name, &now).await?;
    let version = model::next_version(&mut tx, m.id).await?;
    let new = NewVersion {
        description: &meta.description,
        framework: &meta.framework,
        metrics: &metrics,
        feature_names: feature_names.as_deref(),
        sha256: &sha,
        backend: compiled.backend(),
        signature: &signature,
        onnx: &bytes,
        ensemble: None,
        fidelity: fidelity.as_deref(),
    };
    let id = model::insert_version(&mut tx, m.id, version, &new, &now)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(format!(
                "another deploy of {name:?} took version {version} at the same time; retry"
            )),
            _ => AppError::from(e),
        })?;
    tx.commit().await?;
    state.memo.forget_prefix(&memo_prefix(&name));
    state.models.insert(id, compiled);
    let mut aliases = Vec::new();
    if let Some(alias) = &meta.alias {
        model::set_alias(&state.db, m.id, alias, version, &now).await?;
        aliases.push(alias.clone());
    }
    let row = model::find_version(&state.db, &name, version)
        .await?
        .ok_or_else(|| no_version(&name, version))?;
    Ok(VersionOut::new(row, aliases))
}

/// Every model.
pub async fn list_models(state: &AppState) -> AppResult<Vec<ModelOut>> {
    let mut out = Vec::new();
    for m in model::list_models(&state.db).await? {
        let versions = model::versions(&state.db, m.id)
            .await?
            .iter()
            .map(|v| v.version)
            .collect();
        let aliases = model::aliases(&state.db, m.id).await?;
        out.push(ModelOut::new(m, versions, aliases));
    }
    Ok(out)
}

/// One model; 404 if there is none.
pub async fn get_model(state: &AppState, name: &str) -> AppResult<ModelOut> {
    let m = model::find_model(&state.db, name)
        .await?
        .ok_or_else(|| no_model(name))?;
    let versions = model::versions(&state.db, m.id)
        .await?
        .iter()
        .map(|v| v.version)
        .collect();
    let aliases = model::aliases(&state.db, m.id).await?;
    Ok(ModelOut::new(m, versions, aliases))
}

pub(super) async fn version_row(
    state: &AppState,
    name: &str,
    version: i64,
) -> AppResult<VersionRow> {
    model::find_version(&state.db, name, version)
        .await?
        .ok_or_else(|| no_version(name, version))
}

async fn aliases_of(state: &AppState, v: &VersionRow) -> AppResult<Vec<String>> {
    Ok(model::aliases(&state.db, v.model_id)
        .await?
        .into_iter()
        .filter(|(_, n)| *n == v.version)
        .map(|(a, _)| a)
        .collect())
}

/// One version; 404 if missing.
pub async fn get_version(state: &AppState, name: &str, version: i64) -> AppResult<VersionOut> {
    let row = version_row(state, name, version).await?;
    let aliases = aliases_of(state, &row).await?;
    Ok(VersionOut::new(row, aliases))
}

/// The ONNX file of a version, with its SHA-256.
pub async fn onnx_file(state: &AppState, name: &str, version: i64) -> AppResult<(Vec<u8>, String)> {
    let row = version_row(state, name, version).await?;
    if row.ensemble.is_some() {
        return Err(AppError::NotFound(format!(
            "{name} version {version} is an ensemble: it has no ONNX file"
        )));
    }
    let bytes = model::onnx_bytes(&state.db, row.id)
        .await?
        .ok_or_else(|| no_version(name, version))?;
    Ok((bytes, row.sha256))
}

/// Points `alias` at `version`; 404 for an unknown model, 422 for an unknown version.
pub async fn set_alias(
    state: &AppState,
    name: &str,
    alias: &str,
    version: i64,
) -> AppResult<AliasOut> {
    let alias = parse_alias(alias)
        .map_err(|m| AppError::Validation(vec![FieldError::path_param("alias", m)]))?;
    let m = model::find_model(&state.db, name)
        .await?
        .ok_or_else(|| no_model(name))?;
    if model::find_version(&state.db, name, version)
        .await?
        .is_none()
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "/version",
            format!("model {name:?} has no version {version}"),
        )]));
    }
    model::set_alias(&state.db, m.id, &alias, version, &time::now()).await?;
    state.memo.forget_prefix(&memo_prefix(name));
    Ok(AliasOut {
        model: m.name,
        alias,
        version,
    })
}

/// Removes an alias; 404 if it does not exist.
pub async fn delete_alias(state: &AppState, name: &str, alias: &str) -> AppResult<()> {
    let m = model::find_model(&state.db, name)
        .await?
        .ok_or_else(|| no_model(name))?;
    state.memo.forget_prefix(&memo_prefix(name));
    if model::delete_alias(&state.db, m.id, alias).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "model {name:?} has no alias {alias:?}"
        )))
    }
}

/// Deletes a version; 409 while an alias points to it.
pub async fn delete_version(state: &AppState, name: &str, version: i64) -> AppResult<()> {
    let row = version_row(state, name, version).await?;
    for e in model::ensembles(&state.db).await? {
        let spec: Ensemble = serde_json::from_str(e.ensemble.as_deref().unwrap_or("{}"))
            .map_err(|err| AppError::Internal(err.into()))?;
        if spec
            .members
            .iter()
            .any(|m| m.model == name && m.version == version)
        {
            return Err(AppError::Conflict(format!(
                "version {version} of {name:?} is a member of ensemble {:?} version {}; delete that first",
                e.model, e.version
            )));
        }
    }
    state.memo.forget_prefix(&memo_prefix(name));
    if !model::delete_version_unless_aliased(&state.db, row.id, row.model_id, version).await? {
        let aliases = aliases_of(state, &row).await?;
        return Err(AppError::Conflict(format!(
            "version {version} of {name:?} is what alias(es) {} point to; move them first",
            aliases.join(", ")
        )));
    }
    state.models.remove(row.id);
    Ok(())
}

/// The version row a selector picks; 404 if there is none.
pub async fn resolve(state: &AppState, name: &str, selector: &Selector) -> AppResult<VersionRow> {
    let version = match selector {
        Selector::Version(v) => *v,
        Selector::Alias(a) => model::alias_version(&state.db, name, a)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("model {name:?} has no alias {a:?}")))?,
        Selector::Default => match model::alias_version(&state.db, name, PRODUCTION).await? {
            Some(v) => v,
            None => model::latest_version(&state.db, name)
                .await?
                .ok_or_else(|| no_model(name))?,
        },
    };
    version_row(state, name, version).await
}

pub(super) fn memo_prefix(name: &str) -> String {
    format!("model/{name}/")
}

/// [`resolve`], memoized for a second: the predict path asks the database at most once
/// a second per model and selector. Changes made through this process clear it at once.
pub async fn resolve_memo(
    state: &AppState,
    name: &str,
    selector: &Selector,
) -> AppResult<Arc<VersionRow>> {
    let key = format!("{}{selector:?}", memo_prefix(name));
    if let Some(row) = state.memo.get::<VersionRow>(&key) {
        return Ok(row);
    }
    let row = Arc::new(resolve(state, name, selector).await?);
    state.memo.put(key, row.clone());
    Ok(row)
}

/// The parsed signature of a version (immutable, so memoized by version id).
pub(super) fn signature_of(state: &AppState, row: &VersionRow) -> AppResult<Arc<Signature>> {
    let key = format!("signature/{}", row.id);
    if let Some(sig) = state.memo.get::<Signature>(&key) {
        return Ok(sig);
    }
    let sig: Arc<Signature> =
        Arc::new(serde_json::from_str(&row.signature).map_err(|e| AppError::Internal(e.into()))?);
    state.memo.put(key, sig.clone());
    Ok(sig)
}

/// The compiled model of a version: from memory, or loaded from the database once.
pub async fn compiled(state: &AppState, row: &VersionRow) -> AppResult<Arc<Engine>> {
    if row.ensemble.is_some() {
        return Err(AppError::BadRequest(format!(
            "{} version {} is an ensemble: it answers POST /api/models/{}/predict; the inference protocol serves single models",
            row.model, row.version, row.model
        )));
    }
    if let Some(m) = state.models.get(row.id) {
        return Ok(m);
    }
    let bytes = model::onnx_bytes(&state.db, row.id)
        .await?
        .ok_or_else(|| no_version(&row.model, row.version))?;
    let compiled = Arc::new(compile(state, Arc::new(bytes)).await.map_err(|e| {
        if row.backend == "onnxruntime" && state.runtime.is_none() {
            AppError::Unavailable(format!(
                "{} version {} is served by ONNX Runtime, which is not configured; {RUNTIME_HINT}",
                row.model, row.version
            ))
        } else {
            AppError::Internal(anyhow::anyhow!(
                "stored model {} v{} no longer compiles: {e:?}",
                row.model,
                row.version
            ))
        }
    })?);
    state.models.insert(row.id, compiled.clone());
    Ok(compiled)
}

/// Predicts on `body` (`{"rows": [...]}`) with the version `selector` picks.
pub async fn predict(
    state: &AppState,
    name: &str,
    selector: &Selector,
    body: &Json,
) -> AppResult<PredictOut> {
    let row = resolve_memo(state, name, selector).await?;
    let predictions = match &row.ensemble {
        Some(spec) => {
            let spec: Ensemble =
                serde_json::from_str(spec).map_err(|e| AppError::Internal(e.into()))?;
            let sig: Signature =
                serde_json::from_str(&row.signature).map_err(|e| AppError::Internal(e.into()))?;
            let mut per_member = Vec::with_capacity(spec.members.len());
            for m in &spec.members {
                let member = version_row(state, &m.model, m.version).await?;
                per_member.push(predict_one(state, &member, body).await?);
            }
            interface::combine(&spec, &per_member, &sig)
        }
        None => predict_one(state, &row, body).await?,
    };
    Ok(PredictOut {
        model: row.model.clone(),
        version: row.version,
        predictions,
    })
}

/// One prediction per row from a single (non-ensemble) version.
pub async fn predict_one(state: &AppState, row: &VersionRow, body: &Json) -> AppResult<Vec<Json>> {
    let model = compiled(state, row).await?;
    let sig = signature_of(state, row)?;
    run_rows(state, &model, &sig, body, "").await
}

/// Predicts `body`'s rows with a compiled `model`: bounded, checked cell by cell (paths
/// under `prefix`), run in an inference slot.
pub async fn run_rows(
    state: &AppState,
    model: &Arc<Engine>,
    sig: &Signature,
    body: &Json,
    prefix: &str,
) -> AppResult<Vec<Json>> {
    let at = |errors: Vec<FieldError>| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(format!("{prefix}{}", e.path), e.message))
                .collect(),
        )
    };
    let input_names: Vec<String> = model.inputs().iter().map(|i| i.name.clone()).collect();
    let rows = predict::check_size(body, sig, &state.limits).map_err(|e| match e {
        AppError::Validation(errors) => at(errors),
        other => other,
    })?;
    let inputs = predict::rows_to_inputs(body, sig, &input_names).map_err(at)?;
    let run = {
        let model = model.clone();
        move || model.run(inputs)
    };
    let outputs = state.inference.run(run).await?.map_err(|e| {
        AppError::Validation(vec![FieldError::new(
            format!("{prefix}/rows"),
            format!("the model rejected these rows: {e}"),
        )])
    })?;
    let output_names: Vec<String> = model.outputs().iter().map(|o| o.name.clone()).collect();
    Ok(predict::predictions(&outputs, sig, &output_names, rows))
}

/// Loads the versions requests will ask for — every aliased version and each model's
/// latest — so the first prediction after a start does not pay for compiling.
pub async fn preload(state: &AppState) -> AppResult<usize> {
    let mut loaded = 0;
    for m in model::list_models(&state.db).await? {
        let versions = model::versions(&state.db, m.id).await?;
        let aliased: Vec<i64> = model::aliases(&state.db, m.id)
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        let latest = versions.last().map(|v| v.version);
        for v in versions
            .iter()
            .filter(|v| Some(v.version) == latest || aliased.contains(&v.version))
        {
            compiled(state, v).await?;
            loaded += 1;
        }
    }
    Ok(loaded)
}
