//! Hostile models are refused at deploy, naming the node and the reason, and nothing is
//! stored; models that cannot do a job are refused when the job starts.

use retort::testing::TestDb;
use retort_onnx::proto::NodeProto;
use serde_json::json;

use super::{App, detail, fixture, limits, one_node, tree_model};

async fn refused(app: &App, bytes: Vec<u8>, words: &[&str]) {
    let r = app.deploy("hostile", bytes).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let d = detail(&r);
    for w in words {
        assert!(d.contains(w), "{w:?} not in {d}");
    }
    assert_eq!(
        app.get("/api/models/hostile").await.status,
        404,
        "nothing is stored"
    );
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_whose_node_points_back_at_itself_is_refused() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    refused(
        &app,
        tree_model(&[("BRANCH_LEQ", 0, 1), ("LEAF", 0, 0)]),
        &["trees"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_with_a_cycle_or_a_shared_node_is_refused() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    // 0 -> 1 -> 0: a cycle through two nodes.
    refused(
        &app,
        tree_model(&[("BRANCH_LEQ", 1, 2), ("BRANCH_LEQ", 0, 2), ("LEAF", 0, 0)]),
        &["trees"],
    )
    .await;
    // Node 2 is the child of both 0 and 1.
    refused(
        &app,
        tree_model(&[
            ("BRANCH_LEQ", 1, 2),
            ("BRANCH_LEQ", 2, 3),
            ("LEAF", 0, 0),
            ("LEAF", 0, 0),
        ]),
        &["trees"],
    )
    .await;
    // A child id past the tree.
    refused(
        &app,
        tree_model(&[("BRANCH_LEQ", 1, 7), ("LEAF", 0, 0)]),
        &["trees"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_declaring_four_billion_columns_is_refused_at_deploy() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    let node = NodeProto {
        input: vec!["x".into()],
        output: vec!["y".into()],
        name: "copy".into(),
        op_type: "Identity".into(),
        ..Default::default()
    };
    refused(
        &app,
        one_node(node, 4_000_000_000, 4_000_000_000),
        &["4000000000"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transpose_whose_perm_does_not_fit_its_input_is_refused() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    let node = NodeProto {
        input: vec!["x".into()],
        output: vec!["y".into()],
        name: "flip".into(),
        op_type: "Transpose".into(),
        attribute: vec![retort_onnx::proto::AttributeProto {
            name: "perm".into(),
            r#type: 7,
            ints: vec![1],
            ..Default::default()
        }],
        ..Default::default()
    };
    refused(&app, one_node(node, 3, 3), &["flip", "perm"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ensemble_cannot_score_and_a_read_never_queues_work() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    for (name, file) in [("a", "pipeline_regressor"), ("b", "pipeline_regressor")] {
        assert_eq!(app.deploy(name, fixture(file)).await.status, 201);
    }
    let ensemble = json!({"members": [{"model": "a", "version": 1}, {"model": "b", "version": 1}]});
    let r = app.post_json("/api/models/both/versions", &ensemble).await;
    assert_eq!(r.status, 201, "{}", r.text);
    for _ in 0..3 {
        let r = app.get("/api/pricing/mispriced?model=both").await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(detail(&r).contains("ensemble"), "{}", r.text);
    }
    let r = app
        .post_json("/api/products/score", &json!({"model": "both"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = app
        .post_json("/api/pricing/mispriced/score", &json!({"model": "both"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        app.get("/api/jobs").await.json["total"],
        0,
        "no job was queued"
    );
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ensemble_has_a_bounded_number_of_members() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    assert_eq!(
        app.deploy("a", fixture("pipeline_regressor")).await.status,
        201
    );
    let members: Vec<_> = (0..17)
        .map(|_| json!({"model": "a", "version": 1}))
        .collect();
    let r = app
        .post_json("/api/models/many/versions", &json!({ "members": members }))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(detail(&r).contains("at most 16"), "{}", r.text);
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_the_same_job_twice_answers_the_queued_one() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db, limits(|_| {})).await;
    let params = json!({"trees": 50, "max_depth": 4});
    let first = app
        .post_json("/api/pricing/fair-price-model/train", &params)
        .await;
    assert_eq!(first.status, 202, "{}", first.text);
    let second = app
        .post_json("/api/pricing/fair-price-model/train", &params)
        .await;
    assert_eq!(second.status, 202, "{}", second.text);
    assert_eq!(first.headers["location"], second.headers["location"]);
    let other = app
        .post_json("/api/pricing/fair-price-model/train", &json!({"trees": 60}))
        .await;
    assert_ne!(first.headers["location"], other.headers["location"]);
    assert_eq!(app.get("/api/jobs").await.json["total"], 2);
    app.assert_healthy().await;
}
