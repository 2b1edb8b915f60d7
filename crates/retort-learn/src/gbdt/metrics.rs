//! Holdout evaluation: a deterministic train/holdout split and regression metrics.

use super::SplitMix64;

/// Regression metrics of predictions against actual values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Coefficient of determination, `1 - SS_res / SS_tot`.
    pub r2: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean absolute percentage error as a fraction (0.05 = 5%), over rows whose actual
    /// value is not zero.
    pub mape: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Number of rows compared.
    pub n: usize,
}

/// Metrics of `predicted` against `actual`, pairing them row by row (the longer slice's
/// extra rows are ignored). Every metric is NaN when there is no row; `r2` is NaN when
/// the actual values are all equal.
pub fn metrics(actual: &[f64], predicted: &[f64]) -> Metrics {
    let n = actual.len().min(predicted.len());
    if n == 0 {
        return Metrics {
            r2: f64::NAN,
            mae: f64::NAN,
            mape: f64::NAN,
            rmse: f64::NAN,
            n: 0,
        };
    }
    let (actual, predicted) = (&actual[..n], &predicted[..n]);
    let count = n as f64;
    let mean = actual.iter().sum::<f64>() / count;
    let (mut abs, mut sq, mut tot, mut pct, mut pct_n) = (0.0, 0.0, 0.0, 0.0, 0usize);
    for (&a, &p) in actual.iter().zip(predicted) {
        let e = a - p;
        abs += e.abs();
        sq += e * e;
        tot += (a - mean) * (a - mean);
        if a != 0.0 {
            pct += (e / a).abs();
            pct_n += 1;
        }
    }
    Metrics {
        r2: if tot > 0.0 { 1.0 - sq / tot } else { f64::NAN },
        mae: abs / count,
        mape: if pct_n > 0 {
            pct / pct_n as f64
        } else {
            f64::NAN
        },
        rmse: (sq / count).sqrt(),
        n,
    }
}

/// Splits row indices `0..n` into a training part and a holdout of `fraction` of the
/// rows (rounded; clamped to `[0, 1]`, NaN = 0), by a shuffle seeded with `seed`. Both
/// lists are sorted; the same arguments always give the same split.
pub fn split_holdout(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let mut rng = SplitMix64(seed);
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        perm.swap(i, j);
    }
    let k = ((n as f64 * fraction).round() as usize).min(n);
    let mut holdout = perm[..k].to_vec();
    let mut train = perm[k..].to_vec();
    holdout.sort_unstable();
    train.sort_unstable();
    (train, holdout)
}
