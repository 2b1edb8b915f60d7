//! Job tests with a test kind whose runs are counted: the full life cycle, cancel, retry
//! with backoff, lease expiry after a simulated crash, graceful hand-back, the event
//! stream, and exactly-once execution with several workers — on SQLite and PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::model;
use super::worker::{self, WorkerConfig};
use crate::db_test;
use crate::kernel::error::FieldError;
use crate::kernel::jobs::{BoxFuture, JobContext, JobError, JobKind, JobKinds};
use crate::kernel::state::AppState;
use crate::testing::{TestDb, call, get};

/// Counts how many times each job ran; fails its first `fail_times` attempts; reports
/// `steps` progress steps, `sleep_ms` apart.
#[derive(Clone, Default)]
struct Counted {
    runs: Arc<Mutex<HashMap<i64, u32>>>,
}

impl JobKind for Counted {
    fn name(&self) -> &'static str {
        "counted"
    }

    fn check(&self, params: &Value) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        for key in ["steps", "fail_times", "sleep_ms"] {
            if params.get(key).is_some_and(|v| v.as_u64().is_none()) {
                errors.push(FieldError::new(
                    format!("/{key}"),
                    "must be a whole number, 0 or more",
                ));
            }
        }
        if errors.is_empty() {
            Ok(params.clone())
        } else {
            Err(errors)
        }
    }

    fn run<'a>(
        &'a self,
        ctx: &'a JobContext,
        params: Value,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            let attempt = {
                let mut runs = self
                    .runs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let n = runs.entry(ctx.job_id).or_insert(0);
                *n += 1;
                *n
            };
            if params["panic"] == json!(true) {
                panic!("a planned panic in attempt {attempt}");
            }
            if u64::from(attempt) <= params["fail_times"].as_u64().unwrap_or(0) {
                return Err(JobError::Failed(format!("planned failure {attempt}")));
            }
            let steps = params["steps"].as_u64().unwrap_or(1);
            for i in 0..steps {
                tokio::time::sleep(Duration::from_millis(
                    params["sleep_ms"].as_u64().unwrap_or(0),
                ))
                .await;
                ctx.progress(
                    (i + 1) as f64 / steps as f64,
                    format!("step {} of {steps}", i + 1),
                )
                .await?;
            }
            Ok(json!({ "steps": steps }))
        })
    }
}

fn fast() -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_secs(5),
        poll: Duration::from_millis(10),
        grace: Duration::from_secs(5),
        backoff: Duration::from_millis(20),
    }
}

fn state(db: &TestDb, kind: &Counted) -> AppState {
    db.state().with_jobs(JobKinds::default().with(kind.clone()))
}

async fn start(state: &AppState, params: Value) -> i64 {
    let response = crate::entities::job::service::start(state, "counted", &params)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.to_problem()));
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location.rsplit('/').next().unwrap().parse().unwrap()
}

async fn wait_until(
    state: &AppState,
    id: i64,
    done: impl Fn(&model::JobRow) -> bool,
) -> model::JobRow {
    for _ in 0..1000 {
        let row = model::find(&state.db, id).await.unwrap().unwrap();
        if done(&row) {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not get there");
}

db_test! {
    async fn a_started_job_runs_to_success_with_its_result_and_progress(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let pool = worker::spawn(state.clone(), 1, fast());
        let id = start(&state, json!({"steps": 3})).await;
        let row = wait_until(&state, id, model::JobRow::is_finished).await;
        pool.shutdown().await;
        assert_eq!(row.status, "succeeded");
        assert_eq!(row.progress, 1.0);
        assert_eq!(row.message, "step 3 of 3");
        let r = get(&crate::app::build_router(state), &format!("/api/jobs/{id}")).await;
        assert_eq!(r.json["result"], json!({"steps": 3}));
        assert_eq!(r.json["attempts"], 1);
        assert!(r.json["finished_at"].is_string());
    }
}

db_test! {
    async fn bad_parameters_are_a_422_when_the_job_is_started(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let err = crate::entities::job::service::start(&state, "counted", &json!({"steps": -1, "sleep_ms": "x"})).await.unwrap_err();
        let paths: Vec<String> = err.to_problem().errors.unwrap().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/steps", "/sleep_ms"]);
        assert!(crate::entities::job::service::start(&state, "nope", &json!({})).await.is_err());
        assert_eq!(get(&crate::app::build_router(state), "/api/jobs").await.json["total"], 0);
    }
}

db_test! {
    async fn cancel_stops_a_queued_job_at_once_and_a_running_one_at_its_next_report(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let router = crate::app::build_router(state.clone());
        let queued = start(&state, json!({"steps": 1})).await;
        let r = call(&router, Method::POST, &format!("/api/jobs/{queued}/cancel"), None, "").await;
        assert_eq!(r.json["status"], "cancelled");
        let pool = worker::spawn(state.clone(), 1, fast());
        let running = start(&state, json!({"steps": 400, "sleep_ms": 5})).await;
        wait_until(&state, running, |r| r.progress > 0.0).await;
        call(&router, Method::POST, &format!("/api/jobs/{running}/cancel"), None, "").await;
        let row = wait_until(&state, running, model::JobRow::is_finished).await;
        pool.shutdown().await;
        assert_eq!(row.status, "cancelled");
        assert!(row.progress < 1.0);
        let again = call(&router, Method::POST, &format!("/api/jobs/{running}/cancel"), None, "").await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(kind.runs.lock().unwrap().get(&queued), None, "a cancelled queued job never runs");
    }
}

db_test! {
    async fn failures_retry_with_backoff_until_attempts_run_out(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let pool = worker::spawn(state.clone(), 1, fast());
        let recovers = start(&state, json!({"fail_times": 2})).await;
        let gives_up = start(&state, json!({"fail_times": 9})).await;
        let a = wait_until(&state, recovers, model::JobRow::is_finished).await;
        let b = wait_until(&state, gives_up, model::JobRow::is_finished).await;
        pool.shutdown().await;
        assert_eq!((a.status.as_str(), a.attempts), ("succeeded", 3));
        assert_eq!((b.status.as_str(), b.attempts), ("failed", 3));
        assert_eq!(b.error.as_deref(), Some("planned failure 3"));
        assert_eq!(worker::backoff(Duration::from_secs(2), 1), Duration::from_secs(2));
        assert_eq!(worker::backoff(Duration::from_secs(2), 3), Duration::from_secs(8));
        assert_eq!(worker::backoff(Duration::from_secs(2), 60), Duration::from_secs(600));
    }
}

db_test! {
    async fn a_job_whose_worker_died_is_taken_up_when_its_lease_runs_out(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let id = start(&state, json!({"steps": 1})).await;
        // A worker claims it and dies (kill -9): no renewal, no end recorded.
        let claimed = model::claim(&state.db, "dead-worker", Duration::from_millis(200), &["counted"]).await.unwrap().unwrap();
        assert_eq!(claimed.id, id);
        assert!(model::claim(&state.db, "other", Duration::from_secs(5), &["counted"]).await.unwrap().is_none(), "a leased job is not claimed twice");
        let pool = worker::spawn(state.clone(), 1, fast());
        let row = wait_until(&state, id, model::JobRow::is_finished).await;
        pool.shutdown().await;
        assert_eq!((row.status.as_str(), row.attempts), ("succeeded", 2));
        assert!(!model::finish(&state.db, id, "dead-worker", &model::Outcome::Cancelled).await.unwrap(), "the dead worker's late write is refused");
    }
}

db_test! {
    async fn shutdown_hands_an_unfinished_job_back_to_the_queue(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let config = WorkerConfig { grace: Duration::from_millis(50), ..fast() };
        let pool = worker::spawn(state.clone(), 1, config);
        let id = start(&state, json!({"steps": 1000, "sleep_ms": 5})).await;
        wait_until(&state, id, |r| r.progress > 0.0).await;
        pool.shutdown().await;
        let row = model::find(&state.db, id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.attempts), ("queued", 0));
    }
}

db_test! {
    async fn the_event_stream_delivers_every_change_in_order_and_ends(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let router = crate::app::build_router(state.clone());
        let id = start(&state, json!({"steps": 5, "sleep_ms": 250})).await;
        let pool = worker::spawn(state.clone(), 1, fast());
        let r = get(&router, &format!("/api/jobs/{id}/events")).await;
        pool.shutdown().await;
        assert!(r.header("content-type").starts_with("text/event-stream"));
        let events: Vec<Value> = r
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let rank = |s: &Value| ["queued", "running", "succeeded"].iter().position(|x| s == x).unwrap();
        let ranks: Vec<usize> = events.iter().map(|e| rank(&e["status"])).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
        assert_eq!(events.last().unwrap()["status"], "succeeded");
        let fractions: Vec<f64> = events.iter().map(|e| e["progress"]["fraction"].as_f64().unwrap()).collect();
        assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
        assert!(events.len() >= 5, "{} events", events.len());
    }
}

db_test! {
    async fn several_workers_run_every_job_exactly_once(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let jobs = if state.db.backend() == crate::kernel::db::Backend::Postgres { 1000 } else { 200 };
        let mut ids = Vec::new();
        for _ in 0..jobs {
            ids.push(model::enqueue(&state.db, "counted", "{\"steps\": 1}", 3).await.unwrap());
        }
        // Four pools, as four processes would be.
        let pools: Vec<_> = (0..4).map(|_| worker::spawn(state.clone(), 2, fast())).collect();
        for id in &ids {
            wait_until(&state, *id, model::JobRow::is_finished).await;
        }
        for p in pools {
            p.shutdown().await;
        }
        let runs = kind.runs.lock().unwrap();
        assert_eq!(runs.len(), jobs);
        assert!(runs.values().all(|&n| n == 1), "a job ran twice");
    }
}

db_test! {
    async fn jobs_list_by_kind_and_status(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let router = crate::app::build_router(state.clone());
        for steps in 1..=3 {
            start(&state, json!({ "steps": steps })).await;
        }
        let r = get(&router, "/api/jobs?kind=counted&status=queued&sort=-id&limit=2").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["total"], 3);
        assert_eq!(r.json["items"].as_array().unwrap().len(), 2);
        assert!(r.json["next_cursor"].is_string());
        assert_eq!(get(&router, "/api/jobs?status=sleeping").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(get(&router, "/api/jobs/999").await.status, StatusCode::NOT_FOUND);
    }

}

db_test! {
    async fn starting_a_job_already_queued_with_the_same_parameters_answers_that_job(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let first = start(&state, json!({ "steps": 2 })).await;
        assert_eq!(start(&state, json!({ "steps": 2 })).await, first);
        let other = start(&state, json!({ "steps": 3 })).await;
        assert_ne!(other, first);
        // Once the first has run, the same parameters queue a new job.
        let pool = worker::spawn(state.clone(), 1, fast());
        wait_until(&state, first, |r| r.status == "succeeded").await;
        pool.shutdown().await;
        assert_ne!(start(&state, json!({ "steps": 2 })).await, first);
    }

}

db_test! {
    async fn a_panicking_kind_fails_its_attempts_and_releases_the_job(db: TestDb) {
        let kind = Counted::default();
        let state = state(&db, &kind);
        let id = start(&state, json!({ "panic": true })).await;
        let pool = worker::spawn(state.clone(), 1, fast());
        let row = wait_until(&state, id, model::JobRow::is_finished).await;
        pool.shutdown().await;
        assert_eq!(row.status, "failed");
        assert_eq!(row.attempts, 3, "retried like any failure");
        let error = row.error.unwrap_or_default();
        assert!(error.contains("internal error") && !error.contains("planned panic"), "{error}");
    }
}
