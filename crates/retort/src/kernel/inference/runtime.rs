//! The ONNX Runtime backend: `libonnxruntime` loaded at run time from a configured path
//! (for example the library inside the `onnxruntime` Python package), for graphs whose
//! operators the native engine lacks. Nothing is downloaded, at build or at run time.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ort::session::Session;
use ort::value::{DynValue, Tensor as OrtTensor, TensorElementType, ValueType as OrtType};
use retort_onnx::{Data, Description, ElemType, Keys, RunError, Tensor, Value, ValueType};

/// A loaded ONNX Runtime library; one per process.
#[derive(Debug)]
pub struct Runtime {
    env: ort::environment::Environment,
    /// Where the library was loaded from.
    pub path: PathBuf,
}

static RUNTIME: OnceLock<Result<Arc<Runtime>, String>> = OnceLock::new();

impl Runtime {
    /// Loads the library at `path` (once per process: later calls return the first
    /// result, whatever their path).
    pub fn load(path: &Path) -> Result<Arc<Runtime>, String> {
        RUNTIME
            .get_or_init(|| {
                let env = ort::init_from(path)
                    .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?
                    .with_name("retort")
                    .build()
                    .map_err(|e| {
                        format!("cannot start ONNX Runtime from {}: {e}", path.display())
                    })?;
                Ok(Arc::new(Runtime {
                    env,
                    path: path.to_owned(),
                }))
            })
            .clone()
    }

    /// Compiles a model for this runtime, on one thread per request (requests run side
    /// by side instead).
    pub fn session(&self, bytes: &[u8], description: Description) -> Result<RuntimeModel, String> {
        let session = Session::builder(&self.env)
            .and_then(|b| b.with_intra_threads(1).map_err(Into::into))
            .and_then(|mut b| b.commit_from_memory(bytes))
            .map_err(|e| format!("ONNX Runtime cannot load this model: {e}"))?;
        Ok(RuntimeModel {
            session: Mutex::new(session),
            description,
        })
    }
}

/// A model compiled by ONNX Runtime.
#[derive(Debug)]
pub struct RuntimeModel {
    session: Mutex<Session>,
    /// What the model declares.
    pub description: Description,
}

fn err(e: impl std::fmt::Display) -> RunError {
    RunError::Input(format!("ONNX Runtime: {e}"))
}

fn to_ort(t: Tensor, want: Option<ElemType>) -> Result<DynValue, RunError> {
    let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
    Ok(match (t.data, want) {
        (Data::F32(v), _) => OrtTensor::from_array((shape, v)).map_err(err)?.into_dyn(),
        (Data::F64(v), _) => OrtTensor::from_array((shape, v)).map_err(err)?.into_dyn(),
        (Data::I64(v), Some(ElemType::Int32)) => {
            let v: Vec<i32> = v.into_iter().map(|x| x as i32).collect();
            OrtTensor::from_array((shape, v)).map_err(err)?.into_dyn()
        }
        (Data::I64(v), _) => OrtTensor::from_array((shape, v)).map_err(err)?.into_dyn(),
        (Data::Bool(v), _) => OrtTensor::from_array((shape, v)).map_err(err)?.into_dyn(),
        (Data::Str(v), _) => OrtTensor::from_string_array((shape, &v[..]))
            .map_err(err)?
            .into_dyn(),
    })
}

/// A sequence of maps (ZipMap's output) as one map of keys to a row of values each.
fn map_sequence(name: &str, v: &DynValue, key: TensorElementType) -> Result<Value, RunError> {
    fn rows<K>(maps: &[ort::value::DynMap]) -> Result<(Vec<K>, Vec<f32>), RunError>
    where
        K: ort::value::IntoTensorElementType + Clone + std::hash::Hash + Eq + Ord,
    {
        let mut keys: Vec<K> = Vec::new();
        let mut values = Vec::new();
        for (i, m) in maps.iter().enumerate() {
            let mut kv = m.try_extract_key_values::<K, f32>().map_err(err)?;
            kv.sort_by(|a, b| a.0.cmp(&b.0));
            if i == 0 {
                keys = kv.iter().map(|(k, _)| k.clone()).collect();
            }
            values.extend(kv.into_iter().map(|(_, v)| v));
        }
        Ok((keys, values))
    }
    let maps = v
        .try_extract_sequence::<ort::value::DynMapValueType>()
        .map_err(err)?;
    match key {
        TensorElementType::Int64 => rows::<i64>(&maps).map(|(k, values)| Value::MapSeq {
            keys: Keys::I64(k),
            values,
        }),
        TensorElementType::String => rows::<String>(&maps).map(|(k, values)| Value::MapSeq {
            keys: Keys::Str(k),
            values,
        }),
        other => Err(RunError::Type(format!(
            "output {name:?} maps from {other:?}, which is not supported"
        ))),
    }
}

fn from_ort(name: &str, v: &DynValue) -> Result<Value, RunError> {
    let ty = match v.dtype() {
        OrtType::Tensor { ty, .. } => ty,
        OrtType::Sequence(inner) => match inner.as_ref() {
            OrtType::Map { key, .. } => return map_sequence(name, v, *key),
            _ => {
                return Err(RunError::Type(format!(
                    "output {name:?} is a sequence of non-maps, which is not supported"
                )));
            }
        },
        _ => {
            return Err(RunError::Type(format!(
                "output {name:?} is neither a tensor nor a sequence of maps"
            )));
        }
    };
    let shape = |s: &[i64]| s.iter().map(|&d| d.max(0) as usize).collect::<Vec<_>>();
    let (dims, data) = match ty {
        TensorElementType::Float32 => v
            .try_extract_tensor::<f32>()
            .map(|(s, d)| (shape(s), Data::F32(d.to_vec()))),
        TensorElementType::Float64 => v
            .try_extract_tensor::<f64>()
            .map(|(s, d)| (shape(s), Data::F64(d.to_vec()))),
        TensorElementType::Int64 => v
            .try_extract_tensor::<i64>()
            .map(|(s, d)| (shape(s), Data::I64(d.to_vec()))),
        TensorElementType::Int32 => v.try_extract_tensor::<i32>().map(|(s, d)| {
            (
                shape(s),
                Data::I64(d.iter().map(|&x| i64::from(x)).collect()),
            )
        }),
        TensorElementType::Bool => v
            .try_extract_tensor::<bool>()
            .map(|(s, d)| (shape(s), Data::Bool(d.to_vec()))),
        TensorElementType::String => v
            .try_extract_strings()
            .map(|(s, d)| (shape(s), Data::Str(d))),
        other => {
            return Err(RunError::Type(format!(
                "output {name:?} has element type {other:?}, which is not supported"
            )));
        }
    }
    .map_err(err)?;
    Tensor::new(dims, data).map(Value::Tensor)
}

impl RuntimeModel {
    /// Runs one batch.
    pub fn run(&self, inputs: Vec<Value>) -> Result<Vec<Value>, RunError> {
        if inputs.len() != self.description.inputs.len() {
            return Err(RunError::Input(format!(
                "the model takes {} input(s), got {}",
                self.description.inputs.len(),
                inputs.len()
            )));
        }
        let mut feed: Vec<(String, DynValue)> = Vec::with_capacity(inputs.len());
        for (info, value) in self.description.inputs.iter().zip(inputs) {
            let Value::Tensor(t) = value else {
                return Err(RunError::Type(format!(
                    "input {:?} must be a tensor",
                    info.name
                )));
            };
            let want = match &info.ty {
                ValueType::Tensor { elem, .. } => Some(*elem),
                _ => None,
            };
            feed.push((info.name.clone(), to_ort(t, want)?));
        }
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session.run(feed).map_err(err)?;
        self.description
            .outputs
            .iter()
            .map(|o| {
                let v = outputs.get(&o.name).ok_or_else(|| {
                    RunError::Type(format!("output {:?} was not produced", o.name))
                })?;
                from_ort(&o.name, v)
            })
            .collect()
    }
}

/// Where Python packages usually live: the active virtualenv, pyenv versions, the user's
/// and the system's site-packages.
fn python_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        roots.push(PathBuf::from(venv).join("lib"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        roots.push(home.join(".local/lib"));
        if let Ok(versions) = std::fs::read_dir(home.join(".pyenv/versions")) {
            roots.extend(versions.flatten().map(|v| v.path().join("lib")));
        }
    }
    roots.extend(["/usr/local/lib", "/usr/lib"].map(PathBuf::from));
    roots
}

/// Finds the `libonnxruntime` inside an installed `onnxruntime` Python package, looking
/// in `roots` (each a `lib` folder holding `python3.*/site-packages` or `dist-packages`).
pub fn find_in_python_packages(roots: &[PathBuf]) -> Option<PathBuf> {
    for root in roots {
        let Ok(pythons) = std::fs::read_dir(root) else {
            continue;
        };
        let mut pythons: Vec<PathBuf> = pythons.flatten().map(|e| e.path()).collect();
        pythons.sort();
        for python in pythons.iter().rev().filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python3"))
        }) {
            for packages in ["site-packages", "dist-packages"] {
                let capi = python.join(packages).join("onnxruntime/capi");
                let Ok(files) = std::fs::read_dir(&capi) else {
                    continue;
                };
                let mut libs: Vec<PathBuf> = files
                    .flatten()
                    .map(|f| f.path())
                    .filter(|p| {
                        p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
                    })
                    .collect();
                libs.sort();
                if let Some(lib) = libs.pop() {
                    return Some(lib);
                }
            }
        }
    }
    None
}

/// The library of an installed `onnxruntime` Python package, if there is one.
pub fn find_installed() -> Option<PathBuf> {
    find_in_python_packages(&python_roots())
}

#[cfg(test)]
mod discovery_tests {
    use super::*;

    #[test]
    fn the_library_inside_an_onnxruntime_package_is_found() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let lib = dir.path().join("lib");
        let capi = lib.join("python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(find_in_python_packages(std::slice::from_ref(&lib)), None);
        std::fs::write(capi.join("libonnxruntime.so.1.32.0"), b"")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(capi.join("libonnxruntime_providers_shared.so"), b"")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            find_in_python_packages(&[lib]),
            Some(capi.join("libonnxruntime.so.1.32.0"))
        );
    }
}
