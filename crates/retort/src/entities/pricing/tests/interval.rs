//! The fair price's interval: calibrated at training, shown on every row, and the list
//! restricted to the products outside it.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::trained;
use crate::db_test;
use crate::testing::{get, run_pending_jobs, send_json};

db_test! {
    async fn fair_prices_carry_a_calibrated_interval_and_the_list_keeps_those_outside(db: TestDb) {
        let state = db.state();
        let (router, result) = trained(&state, 1_500).await;
        let iv = &result["metrics"]["interval"];
        assert_eq!(iv["method"], "split_conformal", "{iv}");
        assert_eq!(iv["coverage"], 0.9, "{iv}");
        assert_eq!(iv["calibration_rows"], 300, "{iv}");
        let reached = iv["holdout_coverage"].as_f64().unwrap();
        assert!((0.8..=0.97).contains(&reached), "{iv}");
        let q = iv["log_halfwidth"].as_f64().unwrap();
        assert!(q > 0.0 && q < 0.5, "{iv}");

        let all = get(&router, "/api/pricing/mispriced?limit=1000").await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.text);
        assert_eq!(all.json["model"]["interval"]["log_halfwidth"].as_f64(), Some(q), "{}", all.json["model"]);
        let rows = all.json["items"].as_array().unwrap();
        let mut outside = 0;
        for it in rows {
            let f = |k: &str| it[k].as_f64().unwrap();
            assert!((f("fair_low") - f("fair_price") * (-q).exp()).abs() <= 0.006, "{it}");
            assert!((f("fair_high") - f("fair_price") * q.exp()).abs() <= 0.006, "{it}");
            let out = f("mispricing") > q;
            assert_eq!(it["outside_interval"], out, "{it}");
            outside += i64::from(out);
        }
        // On the whole catalogue (mostly the products it trained on) the share outside is
        // near 1 − coverage, and never most of it.
        let total = all.json["total"].as_i64().unwrap();
        let out_page = get(&router, "/api/pricing/mispriced?outside_interval=true&limit=1000").await.json;
        let in_page = get(&router, "/api/pricing/mispriced?outside_interval=false&limit=1").await.json;
        let n_out = out_page["total"].as_i64().unwrap();
        assert_eq!(n_out + in_page["total"].as_i64().unwrap(), total);
        assert!(n_out > 0 && n_out < total / 4, "{n_out} of {total}");
        assert!(out_page["items"].as_array().unwrap().iter().all(|i| i["outside_interval"] == true));
        if total <= 1000 {
            assert_eq!(n_out, outside);
        }
        // With other filters, facets and charts alike.
        let over = get(&router, "/api/pricing/mispriced?outside_interval=true&direction=over&limit=1000").await.json;
        assert!(over["items"].as_array().unwrap().iter().all(|i| i["outside_interval"] == true && i["direction"] == "over"));
        let facets = get(&router, "/api/pricing/mispriced/facets?outside_interval=true").await.json;
        assert_eq!(facets["total"].as_i64(), Some(n_out), "{facets}");
        // The export carries the interval.
        let csv = get(&router, "/api/pricing/mispriced?outside_interval=true&format=csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        let mut lines = csv.text.lines();
        assert!(lines.next().unwrap().ends_with(",fair_low,fair_high,outside_interval"));
        assert_eq!(lines.clone().count() as i64, n_out);
        assert!(lines.all(|l| l.ends_with(",true")));
        // A bad value is named.
        let bad = get(&router, "/api/pricing/mispriced?outside_interval=yes").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert_eq!(bad.error_paths(), vec!["/outside_interval"], "{}", bad.text);
    }
}

db_test! {
    async fn a_version_without_an_interval_says_so(db: TestDb) {
        let state = db.state();
        crate::demo::load(&state.db, 60, 5, 0).await.unwrap();
        let router = crate::app::build_router(state.clone());
        // 60 products, 12 held out: too few for a 90 % interval (18 are needed).
        let r = send_json(&router, Method::POST, "/api/pricing/fair-price-model/train", &json!({"trees": 20, "interval_coverage": 0.9})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        run_pending_jobs(&state).await;
        let job = get(&router, r.header("location")).await.json;
        assert_eq!(job["status"], "succeeded", "{job}");
        let iv = &job["result"]["metrics"]["interval"];
        assert!(iv["error"].as_str().unwrap().contains("needs at least 18"), "{iv}");
        let page = get(&router, "/api/pricing/mispriced?limit=5").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.json["model"]["interval"].is_null());
        assert!(page.json["items"][0]["fair_low"].is_null() && page.json["items"][0]["outside_interval"].is_null());
        let r = get(&router, "/api/pricing/mispriced?outside_interval=true").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.error_paths(), vec!["/outside_interval"]);
        assert!(r.text.contains("no fair-price interval"), "{}", r.text);
        // The coverage is checked like every training parameter.
        let r = send_json(&router, Method::POST, "/api/pricing/fair-price-model/train", &json!({"interval_coverage": 1.0})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.error_paths(), vec!["/interval_coverage"]);
    }
}
