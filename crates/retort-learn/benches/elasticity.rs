//! Times the two elasticity estimators on a demo-sized count panel: 50,000 products in 18
//! groups, 52 weeks each (2.6M product-weeks), Poisson units of mean 0.4–3 a week.
//!
//! `cargo bench -p retort-learn --bench elasticity` (RETORT_BENCH_PRODUCTS to change the
//! size). Prints seconds per estimator and each one's mean distance from the truth.

use std::time::Instant;

use retort_learn::elasticity::{self, Observation, poisson};

fn main() {
    let products: i64 = std::env::var("RETORT_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let groups = 18usize;
    let truth: Vec<f64> = (0..groups).map(|g| -0.8 - 0.1 * g as f64).collect();
    let mut state = 42u64;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let started = Instant::now();
    let mut panel = Vec::with_capacity(products as usize * 52);
    for p in 0..products {
        let g = p as usize % groups;
        let (list, base) = (40.0 + 160.0 * unit(), 0.4 + 2.6 * unit());
        for w in 0..52i64 {
            let promo = if unit() < 0.2 {
                0.75 + 0.15 * unit()
            } else {
                1.0
            };
            let price = list * promo * (0.95 + 0.1 * unit());
            let lambda =
                base * (price / list).powf(truth[g]) * (1.0 + 0.4 * (w as f64 / 8.0).sin());
            // Poisson by inversion of the cumulative distribution.
            let (mut k, mut p_k, u) = (0.0, (-lambda).exp(), unit());
            let mut cdf = p_k;
            while u > cdf && k < 200.0 {
                k += 1.0;
                p_k *= lambda / k;
                cdf += p_k;
            }
            panel.push(Observation {
                group: g,
                product: p,
                week: w,
                price,
                units: k,
            });
        }
    }
    let zeros = panel.iter().filter(|o| o.units == 0.0).count() as f64 / panel.len() as f64;
    println!(
        "panel: {} product-weeks, {products} products in {groups} groups, {:.0} % zero weeks (generated in {:.2} s)",
        panel.len(),
        100.0 * zeros,
        started.elapsed().as_secs_f64()
    );
    let report = |name: &str, estimates: Vec<Option<elasticity::Estimate>>, seconds: f64| {
        let off: Vec<f64> = estimates
            .iter()
            .zip(&truth)
            .filter_map(|(e, t)| e.map(|e| e.elasticity - t))
            .collect();
        let mean_off = off.iter().sum::<f64>() / off.len().max(1) as f64;
        let worst = off.iter().map(|d| d.abs()).fold(0.0, f64::max);
        println!(
            "{name:<8} {seconds:>6.2} s   {} of {groups} groups estimated, mean estimate − truth {mean_off:+.3}, worst |estimate − truth| {worst:.3}",
            off.len()
        );
    };
    let t = Instant::now();
    let loglog = elasticity::estimate(&panel, groups);
    report("log-log", loglog, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let ppml = poisson::estimate(&panel, groups);
    report("PPML", ppml, t.elapsed().as_secs_f64());
}
