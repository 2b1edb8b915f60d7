//! Quantile binning: every column becomes small integer codes, with the float32
//! threshold that separates each pair of neighbouring bins.
//!
//! Code 0 holds missing values (NaN); codes `1..=k` hold the real values in increasing
//! order. A split "code <= b" has the threshold `cuts[b]`, chosen so that on the training
//! values `x <= cuts[b]` (in float32) holds exactly for codes `1..=b` — and NaN goes left
//! too, as the exported graph sends it.

/// The binned training matrix.
pub(super) struct Binned {
    /// Codes, row-major: `codes[row * features + feature]`.
    pub codes: Vec<u16>,
    /// Number of columns.
    pub features: usize,
    /// Where each column's bins start in a histogram; `offsets[features]` is the total.
    pub offsets: Vec<usize>,
    /// Per column, the threshold of "code <= b" for every `b` but the last bin.
    pub cuts: Vec<Vec<f32>>,
}

impl Binned {
    /// Bins `columns` (each `rows` long, float32 with NaN = missing) into at most
    /// `max_bins` bins of real values each (`max_bins` in `1..=65535`).
    pub fn new(columns: &[Vec<f32>], rows: usize, max_bins: usize) -> Self {
        let features = columns.len();
        let mut codes = vec![0u16; rows * features];
        let mut offsets = Vec::with_capacity(features + 1);
        let mut cuts = Vec::with_capacity(features);
        let mut total = 0usize;
        for (f, values) in columns.iter().enumerate() {
            let (column_codes, column_cuts) = bin_column(values, max_bins);
            for (r, c) in column_codes.into_iter().enumerate() {
                codes[r * features + f] = c;
            }
            offsets.push(total);
            total += column_cuts.len() + 1;
            cuts.push(column_cuts);
        }
        offsets.push(total);
        Self {
            codes,
            features,
            offsets,
            cuts,
        }
    }

    /// Total number of histogram slots over all columns.
    pub fn total_bins(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }
}

/// One column's codes and cuts.
fn bin_column(values: &[f32], max_bins: usize) -> (Vec<u16>, Vec<f32>) {
    let max_bins = max_bins.clamp(1, usize::from(u16::MAX));
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f32::total_cmp);
    // Distinct values (-0.0 and 0.0 compare equal, as thresholds see them) and counts.
    let mut distinct: Vec<(f32, usize)> = Vec::new();
    for &v in &sorted {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }

    // Each bin's lowest and highest value: one bin per distinct value if they fit, else
    // greedy quantiles that re-aim at an equal share of the rows not yet binned.
    let n = sorted.len();
    let mut lows: Vec<f32> = Vec::new();
    let mut highs: Vec<f32> = Vec::new();
    let mut cumulative = 0usize;
    let mut target = n as f64 / max_bins as f64;
    let mut open = false;
    for (i, &(v, count)) in distinct.iter().enumerate() {
        if !open {
            lows.push(v);
            open = true;
        }
        cumulative += count;
        let last = i + 1 == distinct.len();
        let room = highs.len() + 1 < max_bins;
        if last || (room && distinct.len() <= max_bins) || (room && cumulative as f64 >= target) {
            highs.push(v);
            open = false;
            let bins_left = max_bins - highs.len();
            if bins_left > 0 {
                target = cumulative as f64 + (n - cumulative) as f64 / bins_left as f64;
            }
        }
    }

    let mut cuts = Vec::with_capacity(highs.len());
    if let Some(&lowest) = lows.first() {
        cuts.push(below(lowest));
    }
    for b in 1..highs.len() {
        cuts.push(between(highs[b - 1], lows[b]));
    }
    let codes = values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                0
            } else {
                // The first bin whose highest value is >= v.
                let b = highs
                    .partition_point(|&h| h < v)
                    .min(highs.len().saturating_sub(1));
                (b + 1) as u16
            }
        })
        .collect();
    (codes, cuts)
}

/// A float32 threshold `t` with `a <= t < b` (for `a < b`), near their midpoint.
fn between(a: f32, b: f32) -> f32 {
    let mid = ((f64::from(a) + f64::from(b)) * 0.5) as f32;
    if mid >= a && mid < b { mid } else { a }
}

/// A float32 threshold below `lowest`, so that only missing values go left: half a unit
/// (or half its magnitude, if larger) below it.
fn below(lowest: f32) -> f32 {
    let lo = f64::from(lowest);
    let t = (lo - lo.abs().max(1.0) * 0.5) as f32;
    if t < lowest && t.is_finite() {
        t
    } else {
        f32::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_get_a_bin_each_and_cuts_separate_them() {
        let values = vec![3.0, 1.0, f32::NAN, 2.0, 1.0, 3.0];
        let (codes, cuts) = bin_column(&values, 255);
        assert_eq!(codes, vec![3, 1, 0, 2, 1, 3]);
        assert_eq!(cuts, vec![0.5, 1.5, 2.5]);
    }

    #[test]
    fn many_values_are_cut_into_quantiles_that_agree_with_thresholds() {
        let values: Vec<f32> = (0..10_000)
            .map(|i| ((i * 7919) % 10_007) as f32 * 0.013)
            .collect();
        let (codes, cuts) = bin_column(&values, 16);
        let bins = cuts.len();
        assert!((15..=16).contains(&bins), "{bins} bins");
        for (&v, &c) in values.iter().zip(&codes) {
            for (b, &t) in cuts.iter().enumerate() {
                assert_eq!(
                    v <= t,
                    usize::from(c) <= b,
                    "value {v} code {c} cut {b} = {t}"
                );
            }
        }
        let mut counts = vec![0usize; bins + 1];
        codes.iter().for_each(|&c| counts[usize::from(c)] += 1);
        assert!(
            counts[1..].iter().all(|&c| c > 400 && c < 900),
            "{counts:?}"
        );
    }

    #[test]
    fn thresholds_stay_between_neighbouring_floats() {
        let a = 1.0f32;
        let b = f32::from_bits(a.to_bits() + 1);
        let t = between(a, b);
        assert!(a <= t && t < b);
        assert!(below(0.0) < 0.0 && below(14.0) == 7.0 && below(-3.0) == -4.5);
    }
}
