//! `retort models deploy --check-sample`: the fidelity check from the command line, on
//! the real binary.

#![allow(clippy::unwrap_used)]

use retort::testing::TestDb;
use serde_json::Value;

mod support;

use support::retort;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_sample_refuses_a_deploy_that_differs_unless_accepted() {
    let db = TestDb::sqlite().await;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/models");
    let file = fixtures.join("pipeline_regressor.onnx");
    let spec: Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("pipeline_regressor.json")).unwrap())
            .unwrap();
    // A CSV sample with the expected column.
    let inputs = spec["inputs"].as_object().unwrap();
    let names: Vec<&String> = inputs.keys().collect();
    let expected = spec["outputs"]["variable"]["data"].as_array().unwrap();
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut csv = names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(",")
        + ",expected\n";
    for (r, want) in expected.iter().enumerate() {
        let cells: Vec<String> = names.iter().map(|n| cell(&inputs[*n]["data"][r])).collect();
        // Row 5 off by 2 %.
        let want = if r == 5 {
            want.as_f64().unwrap() * 1.02
        } else {
            want.as_f64().unwrap()
        };
        csv.push_str(&format!("{},{want}\n", cells.join(",")));
    }
    let sample_dir = tempfile::tempdir().unwrap();
    let sample = sample_dir.path().join("sample.csv");
    std::fs::write(&sample, csv).unwrap();
    let checked = |extra: &[&str]| {
        retort()
            .args(["models", "deploy"])
            .arg(&file)
            .args(["--name", "checked", "--check-sample"])
            .arg(&sample)
            .args(extra)
            .args(["--database-url", &db.url])
            .output()
            .unwrap()
    };
    let refused = checked(&[]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("/check_sample") && err.contains("on 1 of 20 rows") && err.contains("row 5"),
        "{err}"
    );
    let accepted = checked(&["--accept-fidelity"]);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let out = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        out.contains("fidelity: 20 rows checked")
            && out.contains("1 rows beyond the tolerance, accepted"),
        "{out}"
    );
}
