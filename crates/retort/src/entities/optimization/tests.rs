//! Price optimisation over HTTP on both databases: a small scope solved by the job, the
//! proposal within its constraints, review, accept selected then all (prices and audit
//! rows in one go, accepting twice changes nothing), reject, and every bad request named.

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::entities::pricing::tests::finish;
use crate::kernel::state::AppState;
use crate::testing::{call, get, send_json};

/// The demo with sales for `products` products and estimated elasticities.
async fn ready(state: &AppState, products: usize) -> Router {
    crate::demo::load(&state.db, products, 9, products)
        .await
        .unwrap();
    let router = crate::app::build_router(state.clone());
    let r = send_json(
        &router,
        Method::POST,
        "/api/pricing/elasticities/estimate",
        &json!({}),
    )
    .await;
    assert_eq!(
        finish(state, &router, r.header("location")).await["status"],
        "succeeded"
    );
    router
}

/// A decision (accept or reject) made with a new approver key named `name`.
async fn decide_as(
    state: &AppState,
    router: &Router,
    name: &str,
    url: &str,
    body: &Value,
) -> crate::testing::TestResponse {
    let input = crate::entities::key::schema::KeyIn {
        name: name.into(),
        roles: vec![crate::kernel::auth::Role::Approver],
        expires_in_days: None,
    };
    let key = crate::entities::key::service::create_key(&state.db, &input)
        .await
        .unwrap()
        .secret;
    crate::testing::call_as(
        router,
        Some(&key),
        Method::POST,
        url,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

async fn optimize(state: &AppState, router: &Router, body: Value) -> Value {
    let r = send_json(router, Method::POST, "/api/pricing/optimizations", &body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let location = r.header("location").to_owned();
    assert_eq!(
        location,
        format!("/api/pricing/optimizations/{}", r.json["id"])
    );
    let job = finish(state, router, &format!("/api/jobs/{}", r.json["job_id"])).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    get(router, &location).await.json
}

async fn items(router: &Router, id: &Value, query: &str) -> Vec<Value> {
    let r = get(
        router,
        &format!("/api/pricing/optimizations/{id}/items?limit=1000{query}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

db_test! {
    async fn a_proposal_respects_its_constraints_and_is_applied_once(db: TestDb) {
        let state = db.state();
        let router = ready(&state, 800).await;
        let opt = optimize(&state, &router, json!({
            "scope": {"filters": {"category": ["suv", "touring"]}},
            "objective": "profit", "max_change_pct": 8, "min_margin_pct": 25, "price_ladder": true,
        })).await;
        assert_eq!(opt["status"], "ready", "{opt}");
        let totals = &opt["totals"];
        assert!(totals["profit_after"].as_f64() >= totals["profit_before"].as_f64(), "{totals}");
        assert_eq!(totals["solver_status"], "Solved");
        assert_eq!(opt["params"]["demand_model"], "constant_elasticity");
        assert_eq!(totals["demand_model"], "constant_elasticity");
        let steps = totals["steps"].as_i64().unwrap();
        assert!((2..=40).contains(&steps), "{totals}");
        let all = items(&router, &opt["id"], "").await;
        // Expected units under constant elasticity, from the stored inputs.
        for it in &all {
            let f = |k: &str| it[k].as_f64().unwrap();
            let expected = f("baseline_units") * (f("new_price") / f("old_price")).powf(f("elasticity"));
            assert!((f("expected_units") - expected).abs() <= 1e-9 * expected.max(1.0), "{it}");
        }
        assert_eq!(all.len() as i64, totals["products"].as_i64().unwrap());
        assert!(all.windows(2).all(|w| w[0]["profit_delta"].as_f64() >= w[1]["profit_delta"].as_f64()), "largest gain first");
        for it in &all {
            let (old, new, cost) = (it["old_price"].as_f64().unwrap(), it["new_price"].as_f64().unwrap(), it["cost"].as_f64().unwrap());
            assert!(new >= old * 0.92 - 0.011 && new <= old * 1.08 + 0.011, "{it}");
            let relaxed = it["binding"].to_string();
            if relaxed.contains("min_margin_unreachable") {
                assert!((new - (old * 1.08 * 100.0).round() / 100.0).abs() < 0.011, "as high as allowed: {it}");
            } else {
                assert!((new - cost) / new >= 0.25 - 1e-3, "{it}");
            }
            assert!(it["elasticity"].as_f64().unwrap() < 0.0 && it["baseline_units"].as_f64().unwrap() >= 0.0, "{it}");
            assert!(["suv", "touring"].contains(&it["category"].as_str().unwrap()));
        }
        // The ladder: within a category and size, no premium product below a mid or an
        // economy one (to the cent).
        let mut products = std::collections::HashMap::new();
        for it in &all {
            let p = get(&router, &format!("/api/products/{}", it["product_id"])).await.json;
            let key = format!("{}-{}-{}-{}", p["category"], p["width_mm"], p["aspect_ratio"], p["rim_in"]);
            products.entry(key).or_insert_with(Vec::new).push(it.clone());
        }
        let rank = |t: &Value| match t.as_str() { Some("premium") => 3, Some("mid") => 2, Some("economy") => 1, _ => 0 };
        for group in products.values() {
            for a in group {
                for b in group {
                    let relaxed = |i: &Value| i["binding"].to_string().contains("unreachable");
                    if rank(&a["tier"]) > rank(&b["tier"]) && rank(&b["tier"]) > 0 && !relaxed(a) && !relaxed(b) {
                        assert!(a["new_price"].as_f64().unwrap() >= b["new_price"].as_f64().unwrap() - 0.011, "{a} vs {b}");
                    }
                }
            }
        }
        // Filters on the review list.
        let binding = items(&router, &opt["id"], "&binding=max_increase").await;
        assert!(binding.iter().all(|i| i["binding"].to_string().contains("max_increase")));
        let suv = items(&router, &opt["id"], "&category=suv&sort=sku").await;
        assert!(suv.iter().all(|i| i["category"] == "suv"));
        // Accept two selected products.
        let chosen: Vec<Value> = all.iter().filter(|i| i["new_price"] != i["old_price"]).take(2).cloned().collect();
        let skus: Vec<&Value> = chosen.iter().map(|i| &i["sku"]).collect();
        let url = format!("/api/pricing/optimizations/{}/accept", opt["id"]);
        let r = send_json(&router, Method::POST, &url, &json!({"skus": skus, "actor": "ana"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the actor comes from the credential: {}", r.text);
        assert_eq!(r.error_paths(), ["/actor"]);
        let r = decide_as(&state, &router, "ana", &url, &json!({"skus": skus})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.json["changed"].as_i64(), r.json["unchanged"].as_i64()), (Some(2), Some(0)));
        assert_eq!(r.json["optimization"]["status"], "partially_accepted");
        for it in &chosen {
            let p = get(&router, &format!("/api/products/{}", it["product_id"])).await.json;
            assert_eq!(p["list_price"], it["new_price"]);
            let h = get(&router, &format!("/api/products/{}/price-changes", it["product_id"])).await;
            assert_eq!(h.status, StatusCode::OK, "{}", h.text);
            let change = &h.json["items"][0];
            assert_eq!((change["old_price"].clone(), change["new_price"].clone()), (it["old_price"].clone(), it["new_price"].clone()));
            assert_eq!(change["actor"], "ana");
            assert_eq!(change["proposal_id"], opt["id"]);
        }
        // Accept the rest; then again: nothing changes the second time.
        let rest = call(&router, Method::POST, &url, None, vec![]).await;
        assert_eq!(rest.status, StatusCode::BAD_REQUEST, "a body-less POST is refused: {}", rest.text);
        let rest = send_json(&router, Method::POST, &url, &json!({})).await;
        assert_eq!(rest.status, StatusCode::OK, "{}", rest.text);
        assert_eq!(rest.json["changed"].as_i64().unwrap(), all.len() as i64 - 2);
        assert_eq!(rest.json["optimization"]["status"], "accepted");
        let audit = get(&router, &format!("/api/price-changes?proposal_id={}&limit=1", opt["id"])).await.json;
        assert_eq!(audit["total"].as_i64().unwrap(), all.len() as i64);
        let twice = send_json(&router, Method::POST, &url, &json!({"skus": skus})).await;
        assert_eq!((twice.json["changed"].as_i64(), twice.json["unchanged"].as_i64()), (Some(0), Some(2)));
        let audit = get(&router, &format!("/api/price-changes?proposal_id={}&limit=1", opt["id"])).await.json;
        assert_eq!(audit["total"].as_i64().unwrap(), all.len() as i64, "no new audit rows");
        let chart = get(&router, &format!("/api/pricing/optimizations/{}/chart", opt["id"])).await;
        assert_eq!(chart.json["data"].as_array().map(Vec::len), Some(2), "{}", chart.text);
    }
}

db_test! {
    async fn rejecting_leaves_prices_and_price_endings_end_in_99(db: TestDb) {
        let state = db.state();
        let router = ready(&state, 300).await;
        let some: Vec<Value> = get(&router, "/api/products?brand=Kumho&limit=5").await.json["items"].as_array().unwrap().clone();
        let skus: Vec<&Value> = some.iter().map(|p| &p["sku"]).collect();
        let opt = optimize(&state, &router, json!({"scope": {"skus": skus}, "objective": "revenue", "demand_model": "linear", "price_ending": 0.99, "price_ladder": false})).await;
        assert_eq!((&opt["totals"]["demand_model"], &opt["totals"]["steps"]), (&json!("linear"), &json!(1)));
        let all = items(&router, &opt["id"], "").await;
        for it in &all {
            let f = |k: &str| it[k].as_f64().unwrap();
            let expected = f("baseline_units") * (1.0 + f("elasticity") * (f("new_price") / f("old_price") - 1.0));
            assert!((f("expected_units") - expected.max(0.0)).abs() <= 1e-9 * expected.max(1.0), "linear units: {it}");
        }
        assert_eq!(all.len(), some.len());
        for it in &all {
            let cents = (it["new_price"].as_f64().unwrap() * 100.0).round() as i64 % 100;
            assert!(cents == 99 || it["new_price"] == it["old_price"], "{it}");
        }
        let url = format!("/api/pricing/optimizations/{}/reject", opt["id"]);
        let r = decide_as(&state, &router, "bo", &url, &json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["optimization"]["status"], "rejected");
        for p in &some {
            assert_eq!(get(&router, &format!("/api/products/{}", p["id"])).await.json["list_price"], p["list_price"]);
        }
        let accept = send_json(&router, Method::POST, &format!("/api/pricing/optimizations/{}/accept", opt["id"]), &json!({})).await;
        assert_eq!(accept.json["changed"], 0, "rejected products stay rejected");
    }
}

db_test! {
    async fn bad_requests_name_every_field(db: TestDb) {
        let state = db.state();
        let router = crate::app::build_router(state.clone());
        crate::demo::load(&state.db, 100, 3, 100).await.unwrap();
        let r = send_json(&router, Method::POST, "/api/pricing/optimizations", &json!({
            "scope": {"skus": ["NOPE-1"]}, "objective": "joy", "demand_model": "log", "max_change_pct": 0, "min_margin_pct": 100, "price_ending": 1.5, "color": "red"
        })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let paths = r.error_paths();
        for p in ["/objective", "/demand_model", "/max_change_pct", "/min_margin_pct", "/price_ending", "/color"] {
            assert!(paths.iter().any(|x| x == p), "{p}: {paths:?}");
        }
        let r = send_json(&router, Method::POST, "/api/pricing/optimizations", &json!({"scope": {"skus": ["NOPE-1"]}})).await;
        assert_eq!(r.error_paths(), vec!["/scope/skus/0"], "{}", r.text);
        let r = send_json(&router, Method::POST, "/api/pricing/optimizations", &json!({"scope": {"filters": {"brand": ["Nobody"]}}})).await;
        assert_eq!(r.error_paths(), vec!["/scope/filters"], "{}", r.text);
        let r = send_json(&router, Method::POST, "/api/pricing/optimizations", &json!({"scope": {"filters": {"season": ["monsoon"]}}})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        // No elasticities yet: 409 and an estimation is queued.
        let r = send_json(&router, Method::POST, "/api/pricing/optimizations", &json!({"scope": {"filters": {"brand": ["Kumho"]}}})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(get(&router, "/api/pricing/optimizations/999").await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn products_that_cannot_meet_the_constraints_are_relaxed_not_fatal(db: TestDb) {
        let state = db.state();
        let router = ready(&state, 200).await;
        let opt = optimize(&state, &router, json!({
            "scope": {"filters": {"brand": ["Westlake"]}}, "max_change_pct": 1, "min_margin_pct": 60,
        })).await;
        assert_eq!(opt["status"], "ready", "{opt}");
        let all = items(&router, &opt["id"], "").await;
        assert!(!all.is_empty());
        for it in &all {
            // A 60 % margin is out of reach within 1 %: each goes up as far as allowed.
            assert_eq!(it["binding"], json!(["max_increase", "min_margin_unreachable"]), "{it}");
            let (old, new) = (it["old_price"].as_f64().unwrap(), it["new_price"].as_f64().unwrap());
            assert!((new - (old * 1.01 * 100.0).round() / 100.0).abs() < 0.011, "{it}");
        }
    }
}

db_test! {
    async fn accepting_leaves_a_product_whose_price_changed_since_and_reports_it(db: TestDb) {
        let state = db.state();
        let router = ready(&state, 400).await;
        let opt = optimize(&state, &router, json!({
            "scope": {"filters": {"category": ["suv"]}}, "objective": "profit", "max_change_pct": 10,
        })).await;
        let changed: Vec<Value> = items(&router, &opt["id"], "").await.into_iter()
            .filter(|it| it["old_price"] != it["new_price"]).collect();
        assert!(changed.len() >= 2, "{opt}");
        let (moved, kept) = (&changed[0], &changed[1]);
        // Someone changes one product's price after the proposal was made.
        let r = send_json(&router, Method::PATCH, &format!("/api/products/{}", moved["product_id"]), &json!({"list_price": 1.23})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let skus = json!({"skus": [moved["sku"], kept["sku"]]});
        let r = decide_as(&state, &router, "ana", &format!("/api/pricing/optimizations/{}/accept", opt["id"]), &skus).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["changed"], 1, "{}", r.json);
        assert_eq!(r.json["conflicts"], json!([{"sku": moved["sku"], "old_price": moved["old_price"], "current_price": 1.23}]));
        let moved_now = get(&router, &format!("/api/products/{}", moved["product_id"])).await;
        assert_eq!(moved_now.json["list_price"], 1.23, "the newer change stays");
        let kept_now = get(&router, &format!("/api/products/{}", kept["product_id"])).await;
        assert_eq!(kept_now.json["list_price"], kept["new_price"]);
        let pending = items(&router, &opt["id"], &format!("&sku={}", moved["sku"].as_str().unwrap())).await;
        assert_eq!(pending[0]["status"], "pending", "a conflict stays to be decided");
    }
}

/// Runs optimisation `opt`'s job again, as after a lost lease; its status must stay.
async fn rerun(state: &AppState, router: &Router, opt: &Value, status: &str) {
    let id = &opt["id"];
    let job = crate::entities::job::service::enqueue(
        state,
        "optimize_prices",
        &json!({"optimization": id}),
    )
    .await
    .unwrap();
    assert_eq!(
        finish(state, router, &format!("/api/jobs/{job}")).await["status"],
        "succeeded"
    );
    let now = get(router, &format!("/api/pricing/optimizations/{id}"))
        .await
        .json;
    assert_eq!(now["status"], status, "{now}");
    assert_eq!(now["totals"], opt["totals"]);
}

db_test! {
    async fn a_rerun_optimisation_job_never_takes_a_ready_or_decided_proposal_back(db: TestDb) {
        let state = db.state();
        let router = ready(&state, 300).await;
        let opt = optimize(&state, &router, json!({"scope": {"filters": {"category": ["suv"]}}, "objective": "profit"})).await;
        assert_eq!(opt["status"], "ready");
        rerun(&state, &router, &opt, "ready").await;
        let r = send_json(&router, Method::POST, &format!("/api/pricing/optimizations/{}/reject", opt["id"]), &json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        rerun(&state, &router, &opt, "rejected").await;
        let items_after = items(&router, &opt["id"], "").await;
        assert_eq!(items_after.len() as i64, opt["totals"]["products"].as_i64().unwrap(), "no items added twice");
    }
}
