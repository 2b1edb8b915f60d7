use retort_onnx::{Data, Model, Tensor, Value};

use super::*;

const BRANDS: [(&str, f64); 12] = [
    ("Michelin", 1.45),
    ("Bridgestone", 1.35),
    ("Continental", 1.38),
    ("Pirelli", 1.42),
    ("Goodyear", 1.30),
    ("Dunlop", 1.15),
    ("Hankook", 1.0),
    ("Yokohama", 1.05),
    ("Toyo", 0.98),
    ("Falken", 0.88),
    ("Nexen", 0.8),
    ("Kumho", 0.78),
];
const CATEGORIES: [(&str, f64); 4] = [
    ("summer", 1.0),
    ("winter", 1.12),
    ("all-season", 1.06),
    ("performance", 1.3),
];

/// A tire-catalogue-like data set: price = base × brand × category × rim and width
/// curves × warranty bonus × (1 ± 5%). Warranty (thousands of km, int) is missing for
/// about a tenth of the rows.
fn catalogue(rows: usize, seed: u64) -> (Dataset, Vec<f64>) {
    let mut rng = SplitMix64(seed);
    let (mut brand, mut category, mut rim, mut width, mut warranty, mut load) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut price = Vec::with_capacity(rows);
    let mut runflat = Vec::with_capacity(rows);
    for _ in 0..rows {
        let rf = rng.unit() < 0.1;
        let (b, bm) = BRANDS[rng.below(12) as usize];
        let (c, cm) = CATEGORIES[rng.below(4) as usize];
        let r = 14 + rng.below(9) as i64;
        let w = 165.0 + 10.0 * rng.below(15) as f64 + (r as f64 - 14.0) * 5.0;
        let wr = if rng.unit() < 0.1 {
            f64::NAN
        } else {
            40.0 + 10.0 * rng.below(5) as f64
        };
        let li = 70.0 + rng.unit() * 40.0;
        let bonus = if wr.is_nan() {
            0.97
        } else {
            1.0 + (wr - 40.0) * 0.004
        };
        let noise = 1.0 + (rng.unit() - 0.5) * 0.1;
        let p = 55.0
            * bm
            * cm
            * (r as f64 / 16.0).powf(1.6)
            * (w / 205.0).powf(0.8)
            * bonus
            * (1.0 + (li - 90.0) * 0.002)
            * if rf { 1.18 } else { 1.0 }
            * noise;
        runflat.push(rf);
        brand.push(b.to_owned());
        category.push(c.to_owned());
        rim.push(r as f64);
        width.push(w);
        warranty.push(wr);
        load.push(li);
        price.push(p);
    }
    let data = Dataset {
        features: vec![
            Feature::categorical("brand", &brand),
            Feature::categorical("category", &category),
            Feature::Numeric {
                name: "rim".into(),
                values: rim,
                int: false,
            },
            Feature::Numeric {
                name: "width".into(),
                values: width,
                int: false,
            },
            Feature::Numeric {
                name: "warranty".into(),
                values: warranty,
                int: true,
            },
            Feature::Numeric {
                name: "load_index".into(),
                values: load,
                int: false,
            },
            Feature::Flag {
                name: "runflat".into(),
                values: runflat,
            },
        ],
    };
    (data, price)
}

fn quick() -> Params {
    Params {
        trees: 200,
        ..Params::default()
    }
}

fn fit(data: &Dataset, y: &[f64], params: &Params) -> Booster {
    match train(data, y, params, &mut |_, _| true) {
        Ok(b) => b,
        Err(e) => panic!("training failed: {e}"),
    }
}

fn train_err(data: &Dataset, y: &[f64], params: &Params) -> String {
    match train(data, y, params, &mut |_, _| true) {
        Ok(_) => panic!("training should have failed"),
        Err(e) => e.to_string(),
    }
}

/// The graph's inputs for `data`: strings, int64 (i64::MIN for missing) or float.
fn onnx_inputs(data: &Dataset) -> Vec<Value> {
    let n = data.rows();
    data.features
        .iter()
        .map(|f| {
            let d = match f {
                Feature::Categorical { codes, .. } => Data::Str(
                    (0..codes.len())
                        .map(|r| f.text(r).unwrap_or_default().to_owned())
                        .collect(),
                ),
                Feature::Flag { values, .. } => Data::Bool(values.clone()),
                Feature::Numeric {
                    values, int: true, ..
                } => Data::I64(
                    values
                        .iter()
                        .map(|&v| if v.is_nan() { i64::MIN } else { v as i64 })
                        .collect(),
                ),
                Feature::Numeric { values, .. } => {
                    Data::F32(values.iter().map(|&v| v as f32).collect())
                }
            };
            Value::Tensor(Tensor::new(vec![n, 1], d).unwrap())
        })
        .collect()
}

fn run_onnx(bytes: &[u8], data: &Dataset) -> Vec<f64> {
    let model = Model::load(bytes).unwrap();
    let out = model.run(onnx_inputs(data)).unwrap();
    let t = out[0].tensor("variable").unwrap();
    assert_eq!(t.shape, vec![data.rows(), 1]);
    match &t.data {
        Data::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        other => panic!("unexpected output {}", other.kind()),
    }
}

/// Blanks some values: NaN widths and warranties, a missing and an unseen brand, an
/// unseen category.
fn with_gaps(mut data: Dataset) -> Dataset {
    for f in &mut data.features {
        match f {
            Feature::Categorical { name, .. } if name == "brand" => {
                set_text(f, 0, "NoSuchBrand");
                set_text(f, 1, "");
            }
            Feature::Categorical { .. } => set_text(f, 2, "racing"),
            Feature::Numeric { name, values, .. } if name == "width" => {
                values[3] = f64::NAN;
                values[4] = f64::NAN;
            }
            Feature::Numeric { name, values, .. } if name == "warranty" => values[5] = f64::NAN,
            Feature::Numeric { values, .. } => values[6] = 1.0e6,
            Feature::Flag { values, .. } => values[7] = !values[7],
        }
    }
    data
}

#[test]
fn learns_a_multiplicative_price_on_the_holdout() {
    let (data, price) = catalogue(5_000, 7);
    let (tr, ho) = split_holdout(price.len(), 0.2, 1);
    assert_eq!((tr.len(), ho.len()), (4_000, 1_000));
    let pick = |idx: &[usize]| idx.iter().map(|&i| price[i]).collect::<Vec<_>>();
    let booster = fit(&data.select(&tr), &pick(&tr), &quick());
    assert_eq!(booster.trees(), 200);
    let m = metrics(&pick(&ho), &booster.predict(&data.select(&ho)));
    assert_eq!(m.n, 1_000);
    assert!(m.r2 >= 0.95, "holdout {m:?}");
    assert!(m.mape < 0.06, "holdout {m:?}");
    println!("holdout {m:?}");

    let importance = booster.feature_importance();
    assert_eq!(importance.len(), 7);
    let top: Vec<&str> = importance[..2].iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        top.contains(&"rim") && top.contains(&"brand"),
        "{importance:?}"
    );
    assert_eq!(importance[6].0, "load_index", "{importance:?}");
    let total: f64 = importance.iter().map(|(_, v)| v).sum();
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn the_onnx_export_matches_predict_with_missing_and_unseen_values() {
    let (data, price) = catalogue(3_000, 11);
    let (tr, ho) = split_holdout(price.len(), 0.25, 2);
    let target: Vec<f64> = tr.iter().map(|&i| price[i]).collect();
    let booster = fit(&data.select(&tr), &target, &quick());
    let holdout = with_gaps(data.select(&ho));
    let bytes = booster.to_onnx("tire_price");

    let model = Model::load(&bytes).unwrap();
    let names: Vec<&str> = model.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "brand",
            "category",
            "rim",
            "width",
            "warranty",
            "load_index",
            "runflat"
        ]
    );
    assert_eq!(model.outputs[0].name, "variable");

    let ours = booster.predict(&holdout);
    let theirs = run_onnx(&bytes, &holdout);
    assert_eq!(ours.len(), theirs.len());
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert!(((a - b) / a).abs() < 1e-5, "row {i}: predict {a}, onnx {b}");
    }
    // Unseen and missing categories route alike.
    assert_eq!(ours[0], {
        let mut d = holdout.select(&[0]);
        set_text(&mut d.features[0], 0, "");
        booster.predict(&d)[0]
    });
}

#[test]
fn without_log_target_the_graph_has_no_exp_and_still_matches() {
    let (data, price) = catalogue(1_500, 3);
    let params = Params {
        trees: 40,
        log_target: false,
        subsample: 0.7,
        ..Params::default()
    };
    let booster = fit(&data, &price, &params);
    let gaps = with_gaps(data.select(&(0..200).collect::<Vec<_>>()));
    let ours = booster.predict(&gaps);
    let theirs = run_onnx(&booster.to_onnx("linear_scale"), &gaps);
    for (a, b) in ours.iter().zip(&theirs) {
        assert!(((a - b) / a).abs() < 1e-5, "predict {a}, onnx {b}");
    }
    let model = Model::load(&booster.to_onnx("x")).unwrap();
    assert!(!format!("{model:?}").contains("Exp"));
}

#[test]
fn same_seed_same_bytes() {
    let (data, price) = catalogue(1_000, 5);
    let params = Params {
        trees: 30,
        subsample: 0.8,
        seed: 42,
        ..Params::default()
    };
    let a = fit(&data, &price, &params).to_onnx("m");
    let b = fit(&data, &price, &params).to_onnx("m");
    assert_eq!(a, b);
    let c = fit(&data, &price, &Params { seed: 43, ..params }).to_onnx("m");
    assert_ne!(a, c);
    assert_eq!(split_holdout(100, 0.3, 9), split_holdout(100, 0.3, 9));
    assert_ne!(split_holdout(100, 0.3, 9), split_holdout(100, 0.3, 10));
}

#[test]
fn progress_reports_every_tree_and_can_stop() {
    let (data, price) = catalogue(500, 1);
    let mut seen = Vec::new();
    let booster = train(&data, &price, &quick(), &mut |done, total| {
        seen.push((done, total));
        done < 5
    })
    .unwrap();
    assert_eq!(booster.trees(), 5);
    assert_eq!(seen, (1..=5).map(|d| (d, 200)).collect::<Vec<_>>());
}

#[test]
fn errors_name_the_column_the_row_or_the_parameter() {
    let (data, price) = catalogue(50, 2);
    let p = Params::default();

    let mut short = data.clone();
    if let Feature::Numeric { values, .. } = &mut short.features[3] {
        values.pop();
    }
    let e = train_err(&short, &price, &p);
    assert!(e.contains("\"width\"") && e.contains("49"), "{e}");

    let mut y = price.clone();
    y[7] = f64::NAN;
    let e = train_err(&data, &y, &p);
    assert!(e.contains("row 7") && e.contains("NaN"), "{e}");

    y[7] = -3.0;
    let e = train_err(&data, &y, &p);
    assert!(e.contains("row 7") && e.contains("positive"), "{e}");
    // Without the log, negative targets are fine.
    let linear = Params {
        log_target: false,
        trees: 3,
        ..Params::default()
    };
    assert!(train(&data, &y, &linear, &mut |_, _| true).is_ok());

    let e = train_err(&data, &price[..40], &p);
    assert!(e.contains("40") && e.contains("50 rows"), "{e}");

    let e = train_err(&Dataset::default(), &[], &p);
    assert!(e.contains("no columns"), "{e}");
    let e = train_err(&data.select(&[]), &[], &p);
    assert!(e.contains("no rows"), "{e}");

    let e = train_err(
        &data,
        &price,
        &Params {
            trees: 0,
            ..p.clone()
        },
    );
    assert!(e.contains("trees"), "{e}");
    let e = train_err(
        &data,
        &price,
        &Params {
            min_samples_leaf: 0,
            ..p.clone()
        },
    );
    assert!(e.contains("min_samples_leaf"), "{e}");
    let e = train_err(
        &data,
        &price,
        &Params {
            subsample: 0.0,
            ..p.clone()
        },
    );
    assert!(e.contains("subsample"), "{e}");
    let e = train_err(
        &data,
        &price,
        &Params {
            learning_rate: 0.0,
            ..p.clone()
        },
    );
    assert!(e.contains("learning_rate"), "{e}");

    let mut bad = data.clone();
    if let Feature::Numeric { values, .. } = &mut bad.features[4] {
        values[9] = 2.5;
    }
    let e = train_err(&bad, &price, &p);
    assert!(e.contains("\"warranty\"") && e.contains("row 9"), "{e}");
    if let Feature::Numeric { values, .. } = &mut bad.features[4] {
        values[9] = f64::INFINITY;
    }
    let e = train_err(&bad, &price, &p);
    assert!(e.contains("\"warranty\"") && e.contains("row 9"), "{e}");

    let mut dup = data.clone();
    dup.features.push(dup.features[2].clone());
    assert!(train_err(&dup, &price, &p).contains("\"rim\""));
}

#[test]
fn metrics_of_a_perfect_and_a_constant_fit() {
    let a = [1.0, 2.0, 3.0, 4.0];
    let m = metrics(&a, &a);
    assert_eq!((m.r2, m.mae, m.mape, m.rmse, m.n), (1.0, 0.0, 0.0, 0.0, 4));
    let m = metrics(&a, &[2.5; 4]);
    assert!(m.r2.abs() < 1e-12 && (m.mae - 1.0).abs() < 1e-12);
    assert!(metrics(&[], &[]).r2.is_nan());
}

/// 50,000 rows × 12 columns × 300 trees of depth 6, timed. Run with
/// `cargo test --release -p retort-learn gbdt::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let (base, price) = catalogue(50_000, 99);
    let mut data = base.clone();
    let mut rng = SplitMix64(3);
    for k in 0..6 {
        data.features.push(Feature::Numeric {
            name: format!("extra{k}"),
            values: (0..50_000).map(|_| rng.unit() * 100.0).collect(),
            int: false,
        });
    }
    assert_eq!(data.features.len(), 12);
    let start = std::time::Instant::now();
    let booster = fit(&data, &price, &Params::default());
    let secs = start.elapsed().as_secs_f64();
    let bytes = booster.to_onnx("timing");
    let m = metrics(&price, &booster.predict(&data));
    println!(
        "trained 50000 rows x 12 columns x {} trees (depth 6) in {secs:.2} s \
         ({:.0} rows x trees / s); model {} KB; train R² {:.4}",
        booster.trees(),
        50_000.0 * 300.0 / secs,
        bytes.len() / 1024,
        m.r2
    );
}

/// Sets the text of a categorical column at `row`.
fn set_text(f: &mut Feature, row: usize, text: &str) {
    if let Feature::Categorical { levels, codes, .. } = f {
        let code = match levels.iter().position(|l| l == text) {
            Some(i) => i,
            None => {
                levels.push(text.to_owned());
                levels.len() - 1
            }
        };
        codes[row] = code as u32;
    }
}
