//! Regression tests of the hardening: each hostile request, upload or model of the
//! hardening issue over real HTTP, each ending with the server still answering
//! `/healthz`.

use std::net::SocketAddr;
use std::time::Duration;

use prost::Message;
use retort::kernel::config::Limits;
use retort::kernel::state::AppState;
use retort::testing::TestDb;
use retort_onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto,
    TypeProto, ValueInfoProto, tensor_shape_proto, type_proto,
};
use serde_json::Value;
use tokio::sync::oneshot;

pub use crate::support::{Reply, send};

mod limits;
mod models;
mod time;
mod writes;

/// A running server and how to stop it.
pub struct App {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl App {
    /// The app over `db` with `limits`, on a random port.
    pub async fn start(db: &TestDb, limits: Limits) -> Self {
        Self::serve(db.state_with(limits)).await
    }

    /// The app with `state`, on a random port.
    pub async fn serve(state: AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(retort::app::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            state,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Sends a request with these headers and body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        send(self.addr, method, path, headers, body.into()).await
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], Vec::new()).await
    }

    /// POST JSON to `path`.
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    /// Asserts the server still answers its liveness probe.
    pub async fn assert_healthy(&self) {
        let r = self.get("/healthz").await;
        assert_eq!(r.status, 200, "the server stopped answering /healthz");
    }

    /// Deploys ONNX `bytes` as model `name`.
    pub async fn deploy(&self, name: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            "POST",
            &format!("/api/models/{name}/versions"),
            &[("content-type", "application/octet-stream")],
            bytes,
        )
        .await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

/// A fixture model's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/models/{name}.onnx",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A problem document's detail, with its field messages.
pub fn detail(r: &Reply) -> String {
    let mut text = r.json["detail"].as_str().unwrap_or_default().to_owned();
    for e in r.json["errors"].as_array().into_iter().flatten() {
        text.push_str(&format!(" | {} {}", e["path"], e["message"]));
    }
    if let Some(e) = r.json["error"].as_str() {
        text.push_str(e);
    }
    text
}

fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 7,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn attr_floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 6,
        floats: v.to_vec(),
        ..Default::default()
    }
}

fn attr_strings(name: &str, v: &[&str]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 8,
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 2,
        i: v,
        ..Default::default()
    }
}

/// A float tensor value of shape `[rows?, width]`.
fn float_io(name: &str, width: i64) -> ValueInfoProto {
    use tensor_shape_proto::{Dimension, dimension};
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: 1,
                shape: Some(TensorShapeProto {
                    dim: vec![
                        Dimension {
                            value: Some(dimension::Value::DimParam("N".into())),
                        },
                        Dimension {
                            value: Some(dimension::Value::DimValue(width)),
                        },
                    ],
                }),
            })),
        }),
        ..Default::default()
    }
}

/// A one-node model from `x` (float[N, width]) to `y`.
pub fn one_node(node: NodeProto, width: i64, out_width: i64) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: 15,
            },
            OperatorSetIdProto {
                domain: "ai.onnx.ml".into(),
                version: 3,
            },
        ],
        graph: Some(GraphProto {
            node: vec![node],
            name: "hostile".into(),
            input: vec![float_io("x", width)],
            output: vec![float_io("y", out_width)],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// A tree ensemble regressor of one tree whose nodes are given as (mode, true child,
/// false child); leaves carry weight 1.
pub fn tree_model(nodes: &[(&str, i64, i64)]) -> Vec<u8> {
    let n = nodes.len();
    let leaves: Vec<i64> = (0..n as i64)
        .filter(|i| nodes[*i as usize].0 == "LEAF")
        .collect();
    let node = NodeProto {
        input: vec!["x".into()],
        output: vec!["y".into()],
        name: "trees".into(),
        op_type: "TreeEnsembleRegressor".into(),
        domain: "ai.onnx.ml".into(),
        attribute: vec![
            attr_int("n_targets", 1),
            attr_ints("nodes_treeids", &vec![0; n]),
            attr_ints("nodes_nodeids", &(0..n as i64).collect::<Vec<_>>()),
            attr_ints("nodes_featureids", &vec![0; n]),
            attr_strings(
                "nodes_modes",
                &nodes.iter().map(|x| x.0).collect::<Vec<_>>(),
            ),
            attr_floats("nodes_values", &vec![0.5; n]),
            attr_ints(
                "nodes_truenodeids",
                &nodes.iter().map(|x| x.1).collect::<Vec<_>>(),
            ),
            attr_ints(
                "nodes_falsenodeids",
                &nodes.iter().map(|x| x.2).collect::<Vec<_>>(),
            ),
            attr_ints("target_treeids", &vec![0; leaves.len()]),
            attr_ints("target_nodeids", &leaves),
            attr_ints("target_ids", &vec![0; leaves.len()]),
            attr_floats("target_weights", &vec![1.0; leaves.len()]),
        ],
    };
    one_node(node, 1, 1)
}

/// Default limits with a few changed.
pub fn limits(change: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    change(&mut l);
    l
}

/// Waits a little for something that happens in the background.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} did not happen within 10 s");
}
