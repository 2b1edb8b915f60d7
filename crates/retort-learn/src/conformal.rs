//! Prediction intervals by split conformal prediction on a held-out set.
//!
//! A model predicting positive prices is calibrated on rows it did not train on: the
//! nonconformity score of a row is `|ln(actual / predicted)|`, and the interval of a new
//! prediction `ŷ` is `[ŷ·e^(−q), ŷ·e^q]` with `q` the `⌈(n + 1)·coverage⌉`-th smallest of
//! the `n` calibration scores. Whenever the new row and the calibration rows are
//! exchangeable (drawn alike), its actual value lies in that interval with probability
//! at least `coverage` — whatever the model, however wrong. The interval is symmetric in
//! log space: a constant relative width, as suits prices.
//!
//! The coverage reached is measured, not assumed: the calibration rows are split in two
//! halves by a seeded shuffle, and each half's `q` is checked on the other
//! (cross-conformal); [`Interval::holdout_coverage`] is the share of rows covered. The
//! `q` reported is calibrated on every row.

use crate::rng::SplitMix64;

/// A calibrated interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// The coverage asked for, in (0, 1).
    pub coverage: f64,
    /// `q`: the interval of `ŷ` is `[ŷ·e^(−q), ŷ·e^q]`.
    pub log_halfwidth: f64,
    /// Calibration rows used (those with a positive actual value and prediction).
    pub rows: usize,
    /// Share of rows inside the interval calibrated on the other half of the rows.
    pub holdout_coverage: f64,
}

/// Why no interval could be calibrated.
#[derive(Debug, Clone, PartialEq)]
pub enum ConformalError {
    /// `coverage` is not in (0, 1).
    Coverage(f64),
    /// Too few usable rows for the coverage: at least `needed` are required.
    TooFewRows {
        /// Usable rows given.
        rows: usize,
        /// Rows needed.
        needed: usize,
    },
}

impl std::fmt::Display for ConformalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConformalError::Coverage(c) => {
                write!(f, "coverage must be between 0 and 1, exclusive (got {c})")
            }
            ConformalError::TooFewRows { rows, needed } => write!(
                f,
                "{rows} usable held-out rows; an interval at this coverage needs at least {needed}"
            ),
        }
    }
}

impl std::error::Error for ConformalError {}

/// The rank (1-based) of `q` among `n` sorted scores, or `None` when `n` is too small.
fn rank(n: usize, coverage: f64) -> Option<usize> {
    let k = ((n as f64 + 1.0) * coverage).ceil() as usize;
    (k >= 1 && k <= n).then_some(k)
}

/// Fewest rows for which each half can be calibrated at `coverage`.
fn needed(coverage: f64) -> usize {
    // A half of m rows needs ⌈(m + 1)·coverage⌉ ≤ m (m ≥ coverage/(1 − coverage)),
    // found by counting up from just below that so that rounding cannot move it.
    let mut half = ((coverage / (1.0 - coverage)).floor() as usize)
        .saturating_sub(2)
        .max(1);
    while rank(half, coverage).is_none() {
        half += 1;
    }
    half.saturating_mul(2)
}

/// `q` of sorted scores at `coverage`.
fn quantile(sorted: &[f64], coverage: f64) -> Option<f64> {
    rank(sorted.len(), coverage).map(|k| sorted[k - 1])
}

/// Calibrates an interval at `coverage` from held-out `actual` values and the model's
/// `predicted` values (pairs where either is not a positive finite number are skipped),
/// with the halves for the coverage check drawn by `seed`.
pub fn calibrate(
    actual: &[f64],
    predicted: &[f64],
    coverage: f64,
    seed: u64,
) -> Result<Interval, ConformalError> {
    if !(coverage > 0.0 && coverage < 1.0) {
        return Err(ConformalError::Coverage(coverage));
    }
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let mut scores: Vec<f64> = actual
        .iter()
        .zip(predicted)
        .filter(|(a, p)| usable(**a) && usable(**p))
        .map(|(a, p)| (a / p).ln().abs())
        .collect();
    let n = scores.len();
    let needed = needed(coverage);
    if n < needed {
        return Err(ConformalError::TooFewRows { rows: n, needed });
    }
    // Two halves by a seeded shuffle; each half's q checked on the other.
    let mut rng = SplitMix64(seed);
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        scores.swap(i, j);
    }
    let (a, b) = scores.split_at(n / 2);
    let sorted = |s: &[f64]| {
        let mut v = s.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let (sa, sb) = (sorted(a), sorted(b));
    let covered = |q: Option<f64>, other: &[f64]| match q {
        Some(q) => other.iter().filter(|&&s| s <= q).count(),
        None => other.len(),
    };
    let inside = covered(quantile(&sa, coverage), b) + covered(quantile(&sb, coverage), a);
    scores.sort_by(f64::total_cmp);
    let log_halfwidth =
        quantile(&scores, coverage).ok_or(ConformalError::TooFewRows { rows: n, needed })?;
    Ok(Interval {
        coverage,
        log_halfwidth,
        rows: n,
        holdout_coverage: inside as f64 / n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Log-normal noise around a prediction of 100: `actual = 100·e^(σ·z)`.
    fn sample(n: usize, sigma: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = SplitMix64(seed);
        let mut actual = Vec::with_capacity(n);
        for _ in 0..n {
            // Box–Muller.
            let (u, v) = (rng.unit().max(1e-300), rng.unit());
            let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            actual.push(100.0 * (sigma * z).exp());
        }
        (actual, vec![100.0; n])
    }

    #[test]
    fn the_interval_covers_new_rows_at_the_stated_rate() {
        for coverage in [0.8, 0.9, 0.95] {
            let (actual, predicted) = sample(4_000, 0.1, 1);
            let iv = calibrate(&actual, &predicted, coverage, 7).unwrap();
            // Fresh rows from the same distribution.
            let (fresh, _) = sample(20_000, 0.1, 2);
            let inside = fresh
                .iter()
                .filter(|&&a| (a / 100.0).ln().abs() <= iv.log_halfwidth)
                .count() as f64
                / fresh.len() as f64;
            assert!((inside - coverage).abs() < 0.015, "{coverage}: {inside}");
            assert!(
                (iv.holdout_coverage - coverage).abs() < 0.02,
                "{coverage}: {iv:?}"
            );
            // q is the normal quantile times σ: 1.2816, 1.6449, 1.9600 for these.
            let z = match coverage {
                0.8 => 1.2816,
                0.9 => 1.6449,
                _ => 1.9600,
            };
            assert!((iv.log_halfwidth / 0.1 - z).abs() < 0.1, "{iv:?}");
            assert_eq!(iv.rows, 4_000);
        }
    }

    #[test]
    fn bad_input_is_refused_and_unusable_rows_skipped() {
        assert_eq!(
            calibrate(&[1.0], &[1.0], 1.0, 0),
            Err(ConformalError::Coverage(1.0))
        );
        assert!(matches!(
            calibrate(&[1.0], &[1.0], f64::NAN, 0),
            Err(ConformalError::Coverage(_))
        ));
        let e = calibrate(&[1.0; 10], &[1.0; 10], 0.95, 0).unwrap_err();
        assert_eq!(
            e,
            ConformalError::TooFewRows {
                rows: 10,
                needed: 38
            }
        );
        assert!(e.to_string().contains("at least 38"));
        assert_eq!(needed(0.9), 18);
        assert_eq!(needed(0.5), 2);
        assert_eq!(needed(0.99), 198);
        assert!(calibrate(&[1.0; 10], &[1.0; 10], 1.0 - 1e-15, 0).is_err());
        let (mut actual, mut predicted) = sample(200, 0.2, 3);
        actual.extend([0.0, -1.0, f64::NAN, 5.0]);
        predicted.extend([1.0, 1.0, 1.0, f64::INFINITY]);
        let iv = calibrate(&actual, &predicted, 0.9, 0).unwrap();
        assert_eq!(iv.rows, 200);
        assert!(iv.log_halfwidth.is_finite() && iv.log_halfwidth > 0.0);
    }

    #[test]
    fn the_rank_is_the_finite_sample_one() {
        // n = 9, 90 %: ⌈10·0.9⌉ = 9th smallest; n = 8: 9 > 8, no interval.
        assert_eq!(rank(9, 0.9), Some(9));
        assert_eq!(rank(8, 0.9), None);
        assert_eq!(rank(100, 0.9), Some(91));
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&sorted, 0.9), Some(91.0));
    }
}
