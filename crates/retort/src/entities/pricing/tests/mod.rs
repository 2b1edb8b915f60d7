//! The pricing analysis end to end over HTTP, on both databases: train the fair-price
//! model on the demo catalogue, score it, find the planted mispricings, list, filter,
//! facet and export the mispriced products, and re-score when the catalogue changes.

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::kernel::state::AppState;
use crate::testing::{call, get, run_pending_jobs, send_json};

/// Demo products in the test catalogue: about 2 % (some 160) are planted mispricings,
/// enough for precision@100 to mean something.
pub const PRODUCTS: usize = 8_000;

/// Runs every pending job to its end in this task (no workers, no polling), then the
/// job at `location` as the API shows it.
pub async fn finish(state: &AppState, router: &Router, location: &str) -> Value {
    run_pending_jobs(state).await;
    let job = get(router, location).await.json;
    assert!(
        ["succeeded", "failed", "cancelled"].contains(&job["status"].as_str().unwrap_or("")),
        "the job at {location} has not ended: {job}"
    );
    job
}

/// The demo catalogue (no sales) and a trained and scored fair-price model (the jobs run
/// in this task, no polling); the router and the training job's result.
pub async fn trained(state: &AppState, products: usize) -> (Router, Value) {
    crate::demo::load(&state.db, products, 42, 0).await.unwrap();
    let router = crate::app::build_router(state.clone());
    let r = send_json(
        &router,
        Method::POST,
        "/api/pricing/fair-price-model/train",
        &json!({"trees": 200}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(
        run_pending_jobs(state).await,
        2,
        "training, then the scoring it queues"
    );
    let job = get(&router, r.header("location")).await.json;
    assert_eq!(job["status"], "succeeded", "{job}");
    let score = get(
        &router,
        &format!("/api/jobs/{}", job["result"]["score_job"]),
    )
    .await
    .json;
    assert_eq!(score["status"], "succeeded", "{score}");
    (router, job["result"].clone())
}

db_test! {
    async fn the_fair_price_model_finds_the_planted_mispricings(db: TestDb) {
        let state = db.state();
        let (router, result) = trained(&state, PRODUCTS).await;
        let metrics = &result["metrics"];
        assert!(metrics["r2"].as_f64().unwrap() >= 0.95, "holdout {metrics}");
        assert!(metrics["mape"].as_f64().unwrap() < 0.06, "holdout {metrics}");
        assert_eq!(metrics["rows_holdout"], PRODUCTS / 5);
        let e = get(&router, "/api/pricing/evaluation?k=100").await;
        assert_eq!(e.status, StatusCode::OK, "{}", e.text);
        let planted = &e.json["planted"];
        assert!(planted["products"].as_i64().unwrap() >= 100, "{}", e.json);
        assert!(planted["precision_at_k"].as_f64().unwrap() >= 0.8, "{}", e.json);
        assert_eq!(planted["precision_at_k"], planted["precision_at_100"]);
        // Some 160 planted among 8,000: the top 1,000 holds at most 16 % of them.
        let at_1000 = planted["precision_at_1000"].as_f64().unwrap();
        assert!(at_1000 > 0.1 && at_1000 <= 0.17, "{}", e.json);
        assert!(planted["direction_agreement"].as_f64().unwrap() >= 0.95, "{}", e.json);
        assert!(
            planted["recall_top_2pct_relative"].as_f64().unwrap() > planted["recall_top_2pct_dollars"].as_f64().unwrap(),
            "ranking by relative gap beats dollars: {}", e.json
        );
        // The holdout and the interval, as training stored them; no sales, no elasticities.
        assert_eq!(e.json["holdout"]["r2"], metrics["r2"], "{}", e.json);
        assert_eq!(e.json["holdout"]["rows"], PRODUCTS / 5);
        assert_eq!(e.json["interval"]["log_halfwidth"], metrics["interval"]["log_halfwidth"]);
        assert!(e.json["elasticities"].is_null(), "{}", e.json);
        // Products outside their interval: most planted ones are among them.
        let flag = &planted["outside_interval"];
        assert!(flag["recall"].as_f64().unwrap() >= 0.8, "{flag}");
        assert!(flag["precision"].as_f64().unwrap() > 0.1, "{flag}");

        // A model version like any other: listed, served, downloadable.
        let models = get(&router, "/api/models").await.json;
        assert!(models.to_string().contains("fair-price"), "{models}");
        let version = get(&router, "/api/models/fair-price/versions/1").await;
        assert_eq!(version.status, StatusCode::OK, "{}", version.text);
        assert_eq!(version.json["backend"], "native", "{}", version.text);
        assert!(version.json["metrics"]["r2"].as_f64().is_some(), "{}", version.text);
        assert!(version.json["aliases"].to_string().contains("production"));
        let top = get(&router, "/api/pricing/mispriced?limit=3").await;
        assert_eq!(top.status, StatusCode::OK, "{}", top.text);
        let row = &top.json["items"][0];
        let product = get(&router, &format!("/api/products/{}", row["id"])).await.json;
        let input: serde_json::Map<String, Value> = crate::entities::pricing::train::FEATURES
            .iter()
            .map(|k| (k.to_string(), product[*k].clone()))
            .collect();
        let p = send_json(&router, Method::POST, "/api/models/fair-price/predict", &json!({"rows": [input]})).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        let predicted = p.json["predictions"][0].as_f64().unwrap();
        assert!((predicted - row["fair_price"].as_f64().unwrap()).abs() < 0.01, "{predicted} vs {row}");
    }
}

db_test! {
    async fn the_mispriced_list_ranks_filters_facets_and_exports(db: TestDb) {
        let state = db.state();
        let (router, _) = trained(&state, 1_500).await;
        let page = get(&router, "/api/pricing/mispriced?limit=50").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.json["total"], 1_500);
        assert_eq!(page.json["model"]["name"], "fair-price");
        assert_eq!(page.json["model"]["stale"], false, "{}", page.json["model"]);
        let items = page.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 50);
        for pair in items.windows(2) {
            assert!(pair[0]["mispricing"].as_f64() >= pair[1]["mispricing"].as_f64());
        }
        for it in items {
            let (list, fair) = (it["list_price"].as_f64().unwrap(), it["fair_price"].as_f64().unwrap());
            assert!((it["gap"].as_f64().unwrap() - (list - fair)).abs() < 0.011, "{it}");
            assert!((it["gap_pct"].as_f64().unwrap() - 100.0 * (list - fair) / fair).abs() < 0.05, "{it}");
            assert!((it["mispricing"].as_f64().unwrap() - (list / fair).ln().abs()).abs() < 1e-3, "{it}");
            assert_eq!(it["peer_z"].is_number(), it["peer_count"].as_i64().unwrap() >= 5, "{it}");
        }
        // The next page continues where this one ended.
        let next = get(&router, &format!("/api/pricing/mispriced?limit=50&cursor={}", page.json["next_cursor"].as_str().unwrap())).await;
        assert!(next.json["items"][0]["mispricing"].as_f64() <= items[49]["mispricing"].as_f64());
        // Direction and product filters.
        let over = get(&router, "/api/pricing/mispriced?direction=over&limit=1000").await.json;
        let under = get(&router, "/api/pricing/mispriced?direction=under&limit=1").await.json;
        assert_eq!(over["total"].as_i64().unwrap() + under["total"].as_i64().unwrap(), 1_500);
        assert!(over["items"].as_array().unwrap().iter().all(|i| i["log_ratio"].as_f64().unwrap() > 0.0));
        let kumho = get(&router, "/api/pricing/mispriced?brand=Kumho&category=suv&sort=-gap_pct").await.json;
        let rows = kumho["items"].as_array().unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|i| i["brand"] == "Kumho" && i["category"] == "suv" && i["tier"] == "economy"));
        assert!(rows.windows(2).all(|w| w[0]["gap_pct"].as_f64() >= w[1]["gap_pct"].as_f64()));
        // Facets: with no filter, every facet's counts add up to the whole (stored at
        // scoring); with one, each facet counts among the other filters.
        let all = get(&router, "/api/pricing/mispriced/facets").await.json;
        assert_eq!(all["total"], 1_500, "{all}");
        for facet in ["brand", "tier", "category", "season", "rim_in", "speed_rating"] {
            let sum: i64 = all["facets"][facet].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum();
            assert_eq!(sum, 1_500, "{facet}: {all}");
        }
        // Facets: each facet counts among the other filters.
        let f = get(&router, "/api/pricing/mispriced/facets?brand=Kumho").await;
        assert_eq!(f.status, StatusCode::OK, "{}", f.text);
        let brand_counts: i64 = f.json["facets"]["brand"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum();
        assert_eq!(brand_counts, 1_500, "the brand facet ignores the brand filter");
        let category_counts: i64 = f.json["facets"]["category"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum();
        assert_eq!(category_counts, f.json["total"].as_i64().unwrap());
        // CSV export of the same query, every row.
        let csv = call(&router, Method::GET, "/api/pricing/mispriced?direction=over&format=csv&limit=7", None, vec![]).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.header("content-type").starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines[0], crate::entities::pricing::service::CSV_HEADER);
        assert_eq!(lines.len() as i64 - 1, over["total"].as_i64().unwrap());
        // Bad parameters: every one named.
        let bad = get(&router, "/api/pricing/mispriced?direction=sideways&season=monsoon&nope=1").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let paths = bad.error_paths();
        for p in ["/direction", "/season", "/nope"] {
            assert!(paths.iter().any(|x| x == p), "{paths:?}");
        }
        assert_eq!(get(&router, "/api/pricing/mispriced?model=nothing").await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn a_changed_catalogue_is_rescored(db: TestDb) {
        let state = db.state();
        let (router, _) = trained(&state, 300).await;
        let first = get(&router, "/api/pricing/mispriced?limit=1&direction=under").await.json;
        let id = first["items"][0]["id"].as_i64().unwrap();
        let fair = first["items"][0]["fair_price"].as_f64().unwrap();
        let r = send_json(&router, Method::PATCH, &format!("/api/products/{id}"), &json!({"list_price": (fair * 3.0 * 100.0).round() / 100.0})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        super::super::score::catalogue_changed(&state); // forget the remembered scoring state
        let stale = get(&router, "/api/pricing/mispriced?limit=1").await.json;
        assert_eq!(stale["model"]["stale"], true, "{}", stale["model"]);
        // A read never queues work: the background refresh does, once however often.
        assert!(stale["model"]["rescore_job"].is_null(), "{}", stale["model"]);
        let jobs = crate::entities::pricing::service::refresh_stale(&state).await.unwrap();
        assert_eq!(jobs.len(), 1);
        let job = jobs[0];
        assert_eq!(crate::entities::pricing::service::refresh_stale(&state).await.unwrap(), vec![job]);
        super::super::score::catalogue_changed(&state); // forget the remembered scoring state
        let again = get(&router, "/api/pricing/mispriced?limit=1").await.json;
        assert!(again["model"]["rescore_job"] == job || again["model"]["stale"] == false, "{}", again["model"]);
        assert_eq!(finish(&state, &router, &format!("/api/jobs/{job}")).await["status"], "succeeded");
        super::super::score::catalogue_changed(&state);
        let fresh = get(&router, "/api/pricing/mispriced?limit=1").await.json;
        assert_eq!(fresh["model"]["stale"], false, "{}", fresh["model"]);
        assert_eq!(fresh["items"][0]["id"], id, "the product now three times its fair price leads");
        // The new run's rows replaced the old run's: none of those are left.
        let scoring = crate::entities::pricing::service::scoring(&state, "fair-price").await.unwrap();
        assert!(scoring.rows_key.ends_with(&format!("@{job}")), "{}", scoring.rows_key);
        let left = super::super::model::orphan_keys(&state.db, "fair-price", &scoring.rows_key).await.unwrap();
        assert!(left.is_empty(), "{left:?}");
        assert_eq!(fresh["total"], 300);
    }
}

db_test! {
    async fn charts_are_plotly_figures(db: TestDb) {
        let state = db.state();
        let (router, _) = trained(&state, 400).await;
        for uri in ["/api/pricing/charts/price-scatter", "/api/pricing/charts/gap-distribution?category=suv"] {
            let r = get(&router, uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
            assert!(r.json["data"].as_array().is_some_and(|d| !d.is_empty()), "{uri}");
            assert!(r.json["layout"]["title"]["text"].is_string(), "{uri}");
        }
        let scatter = get(&router, "/api/pricing/charts/price-scatter").await.json;
        let points: usize = scatter["data"].as_array().unwrap().iter()
            .filter(|t| t["mode"] == "markers")
            .map(|t| t["x"].as_array().unwrap().len())
            .sum();
        assert_eq!(points, 400);
    }
}

db_test! {
    async fn training_parameters_are_checked_when_the_job_starts(db: TestDb) {
        let router = crate::app::build_router(db.state());
        let r = send_json(&router, Method::POST, "/api/pricing/fair-price-model/train", &json!({"trees": 0, "learning_rate": "fast", "model": "a b", "depth": 3})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let paths = r.error_paths();
        for p in ["/trees", "/learning_rate", "/model", "/depth"] {
            assert!(paths.iter().any(|x| x == p), "{paths:?}");
        }
        // No products: the job fails with a clear message.
        let r = call(&router, Method::POST, "/api/pricing/fair-price-model/train", Some("application/json"), "{}").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        let job = finish(&db.state(), &router, r.header("location")).await;
        assert_eq!(job["status"], "failed");
        assert!(job["error"].as_str().unwrap_or("").contains("at least 50"), "{job}");
        assert_eq!(get(&router, "/api/pricing/mispriced").await.status, StatusCode::NOT_FOUND);
    }
}

/// Orders two rows (as JSON) by `sort` (`-gap_pct,brand`), NULL lowest, id last.
fn cmp_rows(sort: &str, a: &Value, b: &Value) -> std::cmp::Ordering {
    let mut keys: Vec<(&str, bool)> = sort
        .split(',')
        .map(|k| k.strip_prefix('-').map_or((k, false), |k| (k, true)))
        .collect();
    let last_desc = keys.last().is_some_and(|k| k.1);
    keys.push(("id", last_desc));
    for (name, desc) in keys {
        let o = match (&a[name], &b[name]) {
            (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
            (Value::Null, _) => std::cmp::Ordering::Less,
            (_, Value::Null) => std::cmp::Ordering::Greater,
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            (x, y) => x.as_f64().unwrap().total_cmp(&y.as_f64().unwrap()),
        };
        let o = if desc { o.reverse() } else { o };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

/// Every row of the mispricing list for `query` (a query string), walking its pages of
/// `limit`; the total the first page gave.
async fn walk(router: &Router, query: &str, limit: usize) -> (Vec<Value>, i64) {
    let (mut rows, mut cursor, mut total) = (Vec::new(), String::new(), -1);
    loop {
        let r = get(
            router,
            &format!("/api/pricing/mispriced?{query}&limit={limit}&cursor={cursor}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        if total < 0 {
            total = r.json["total"].as_i64().unwrap();
        }
        assert_eq!(
            r.json["total"].as_i64().unwrap(),
            total,
            "{query}: the total holds on every page"
        );
        rows.extend(r.json["items"].as_array().unwrap().iter().cloned());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return (rows, total),
        }
    }
}

db_test! {
    async fn the_in_memory_analysis_filters_sorts_pages_and_counts_as_its_sources_say(db: TestDb) {
        let state = db.state();
        let (router, _) = trained(&state, 1_200).await;
        let scoring = crate::entities::pricing::service::scoring(&state, "fair-price").await.unwrap();
        // The index the scoring job kept, and one read back from price_scores joined with
        // the products, hold the same rows.
        let kept = crate::entities::pricing::service::index(&state, &scoring).await.unwrap();
        let read = crate::entities::pricing::index::ScoreIndex::build(&state.db, &scoring.rows_key, scoring.version, &scoring.scored_at).await.unwrap();
        assert_eq!(kept.len(), 1_200);
        assert_eq!(read.len(), kept.len());
        for i in 0..kept.len() {
            assert_eq!(read.row(i), kept.row(i), "row {i}");
        }
        // Every row, in the default order, by paging.
        let (all, total) = walk(&router, "", 500).await;
        assert_eq!((all.len(), total), (1_200, 1_200));
        let mut expected = all.clone();
        expected.sort_by(|a, b| cmp_rows("-mispricing", a, b));
        assert_eq!(all, expected, "the default order: mispricing, largest first");
        // Filters on product attributes count as the product list (SQL) counts them.
        for q in [
            "brand=Kumho&brand=Toyo&season=winter", "category=suv&rim_in_min=18&rim_in_max=20",
            "q=pil", "q=KUM-00", "runflat=true", "tread_warranty_miles_min=60000",
            "tread_warranty_miles_max=50000", "list_price_max=90.5&cost_min=40",
            "speed_rating=W&speed_rating=Y", "width_mm_min=205&width_mm_max=205", "brand=Nobody",
            "sku=KUM-0000011", "line=Ecsta&season=summer", "load_index_min=100&aspect_ratio_max=45",
        ] {
            let products = get(&router, &format!("/api/products?{q}&limit=1")).await;
            assert_eq!(products.status, StatusCode::OK, "{q}: {}", products.text);
            let (rows, total) = walk(&router, q, 97).await;
            assert_eq!(total, products.json["total"].as_i64().unwrap(), "{q}");
            assert_eq!(rows.len() as i64, total, "{q}");
        }
        // Filters on the analysis and the tier, against the rows themselves.
        type Pred = fn(&Value) -> bool;
        let cases: Vec<(&str, Pred)> = vec![
            ("direction=over", |r| r["direction"] == "over"),
            ("direction=under&brand=Kumho", |r| r["direction"] == "under" && r["brand"] == "Kumho"),
            ("tier=premium", |r| r["tier"] == "premium"),
            ("tier=economy&direction=over", |r| r["tier"] == "economy" && r["direction"] == "over"),
            ("peer_z_min=1.5", |r| r["peer_z"].as_f64().is_some_and(|z| z >= 1.5)),
            ("peer_z_max=-2", |r| r["peer_z"].as_f64().is_some_and(|z| z <= -2.0)),
            ("gap_pct_min=10&gap_pct_max=40", |r| (10.0..=40.0).contains(&r["gap_pct"].as_f64().unwrap())),
            ("mispricing_min=0.2", |r| r["mispricing"].as_f64().unwrap() >= 0.2),
        ];
        for (q, pred) in cases {
            let want: Vec<&Value> = all.iter().filter(|r| pred(r)).collect();
            let (rows, total) = walk(&router, q, 61).await;
            assert_eq!(total as usize, want.len(), "{q}");
            assert_eq!(rows.iter().collect::<Vec<_>>(), want, "{q}");
        }
        // Sorts: every page in order, no row twice, none missed.
        for sort in ["gap", "-peer_z", "brand,-gap_pct", "tier", "tread_warranty_miles", "-runflat,sku", "-list_price"] {
            let (rows, _) = walk(&router, &format!("sort={sort}&category=passenger"), 53).await;
            let mut expected: Vec<Value> = all.iter().filter(|r| r["category"] == "passenger").cloned().collect();
            expected.sort_by(|a, b| cmp_rows(sort, a, b));
            assert_eq!(rows, expected, "sort={sort}");
        }
        // Facets: each facet's counts among the rows matching every other filter.
        for q in ["", "direction=over", "brand=Kumho&season=winter", "tier=premium&rim_in_min=17"] {
            let r = get(&router, &format!("/api/pricing/mispriced/facets?{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            let pairs = crate::kernel::extract::QueryPairs::from_request(Some(q)).unwrap().0;
            for (facet, counts) in r.json["facets"].as_object().unwrap() {
                let own = |k: &str| k == facet || k == format!("{facet}_min") || k == format!("{facet}_max");
                let others: Vec<String> = pairs.iter().filter(|(k, _)| !own(k)).map(|(k, v)| format!("{k}={v}")).collect();
                let (rows, _) = walk(&router, &others.join("&"), 1000).await;
                let mut want = std::collections::HashMap::new();
                for row in &rows {
                    *want.entry(row[facet.as_str()].to_string()).or_insert(0) += 1;
                }
                let got: std::collections::HashMap<String, i64> = counts
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c["value"].to_string(), c["count"].as_i64().unwrap()))
                    .collect();
                assert_eq!(got, want, "{q}: {facet}");
            }
        }
        // A fixed SQL predicate is not evaluated in memory.
        let mut query = crate::entities::pricing::service::parse(&[]).unwrap().query;
        query.require("log_ratio > 0");
        assert_eq!(kept.count(&query), None);
    }
}

#[test]
fn the_csv_export_neutralises_formula_text_and_keeps_negative_numbers() {
    use crate::entities::pricing::schema::MispricedOut;
    let row = MispricedOut {
        id: 7,
        sku: "-X1".into(),
        brand: "=HYPERLINK(\"http://x\")".into(),
        tier: Some("@mid".into()),
        line: "+Line, One".into(),
        category: "suv".into(),
        width_mm: 225,
        aspect_ratio: 45,
        rim_in: 17,
        load_index: 94,
        speed_rating: "H".into(),
        season: "summer".into(),
        tread_warranty_miles: None,
        runflat: false,
        cost: 50.0,
        list_price: 80.0,
        fair_price: 100.0,
        gap: -20.0,
        gap_pct: -20.0,
        log_ratio: -0.223,
        direction: "under".into(),
        mispricing: 0.223,
        peer_z: Some(-1.5),
        peer_count: 9,
        fair_low: Some(90.48),
        fair_high: None,
        outside_interval: Some(true),
        version: 1,
        scored_at: "2026-11-26T01:54:35.123456Z".into(),
    };
    let line = crate::entities::pricing::service::csv_line(&row);
    assert_eq!(
        line,
        "7,'-X1,\"'=HYPERLINK(\"\"http://x\"\")\",'@mid,\"'+Line, One\",suv,225,45,17,94,H,summer,,false,\
         50,80,100,-20,-20,-0.223,under,0.223,-1.5,9,1,2026-11-26T01:54:35.123456Z,90.48,,true\n"
    );
}

db_test! {
    async fn training_and_scoring_read_the_same_features_of_every_product(db: TestDb) {
        use retort_learn::gbdt::Feature;
        use retort_onnx::{Data, Value as Tensor};
        let state = db.state();
        let (_router, _) = trained(&state, 300).await;
        // A product without a warranty, so a missing value is compared too.
        let r = send_json(&_router, Method::PATCH, "/api/products/3", &json!({"tread_warranty_miles": null})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // Read in chunks smaller than the catalogue, as scoring does.
        let catalogue = crate::entities::product::catalogue(&state.db, 64).await.unwrap();
        let n = catalogue.len();
        assert_eq!(n, 300);
        assert!(catalogue.tread_warranty_miles.iter().any(Option::is_none));
        let training = super::super::train::features(&catalogue);
        let version = crate::entities::model::service::resolve(&state, "fair-price", &crate::entities::model::service::Selector::Default)
            .await
            .unwrap();
        let scorer = crate::entities::model::scorer(&state, &version).await.unwrap();
        let inputs = scorer.inputs(n, |c| catalogue.column(c)).unwrap();
        let sig = scorer.signature();
        assert_eq!(sig.columns.len(), training.features.len());
        let cell = |data: &Data, i: usize| match data {
            Data::F32(v) => format!("{:?}", v[i]),
            Data::F64(v) => format!("{:?}", v[i] as f32),
            Data::I64(v) => format!("{:?}", v[i] as f32),
            Data::Str(v) => v[i].clone(),
            Data::Bool(v) => v[i].to_string(),
        };
        for feature in &training.features {
            let (name, trained): (&str, Vec<String>) = match feature {
                Feature::Categorical { name, codes, .. } => (name, (0..codes.len()).map(|r| feature.text(r).unwrap_or_default().to_owned()).collect()),
                Feature::Numeric { name, values, .. } => (name, values.iter().map(|v| format!("{:?}", *v as f32)).collect()),
                Feature::Flag { name, values } => (name, values.iter().map(bool::to_string).collect()),
            };
            let column = sig.columns.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("the graph reads no {name}"));
            let at = scorer.input_names().iter().position(|i| *i == column.input).unwrap();
            let Tensor::Tensor(t) = &inputs[at] else { panic!("{name}: not a tensor") };
            let width = t.shape[1];
            let scored: Vec<String> = (0..n).map(|r| cell(&t.data, r * width + column.index)).collect();
            // A flag may reach the graph as a number: compare as the graph reads it.
            let scored: Vec<String> = scored.into_iter().map(|s| match s.as_str() { "1.0" if matches!(feature, Feature::Flag { .. }) => "true".into(), "0.0" if matches!(feature, Feature::Flag { .. }) => "false".into(), _ => s }).collect();
            assert_eq!(trained, scored, "{name}");
        }
    }
}

mod interval;
