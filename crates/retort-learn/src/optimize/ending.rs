//! Price endings: moving optimal prices to nearby prices such as `x.99`.

use super::{Problem, Solution, ladder_groups};

/// Relative slack when testing a rounded price against a bound computed in floating point.
const SLACK: f64 = 1e-9;

/// Moves each optimal price to a nearby price ending in `ending` (e.g. `0.99` for x.99).
///
/// `ending` is taken in whole cents (it is rounded to the cent) and must lie in [0, 1);
/// otherwise, or when `solution` does not belong to `problem` (different lengths), the
/// optimal prices are returned unchanged.
///
/// For each item the candidates are the nearest price with that ending at or below the
/// optimum and the next one above it. Candidates outside the item's bounds
/// ([`Solution::lower`] and [`Solution::upper`], which include the margin floor) are
/// dropped, and the candidate with the better objective for that item is kept; when
/// neither candidate is feasible the unrounded price is kept.
///
/// With the ladder on, each ladder group is processed tier by tier from economy up: an
/// item's candidates must be at least the dearest price already chosen in the lower tiers
/// and, when possible, at most the highest price every higher-tier item can still reach.
/// If the group's rounded prices nevertheless break the ladder, the whole group keeps its
/// unrounded prices (which satisfy it). Rounding can change the objective only slightly,
/// but the result is no longer exactly optimal.
pub fn apply_price_ending(problem: &Problem, solution: &Solution, ending: f64) -> Vec<f64> {
    let n = problem.items.len();
    let mut out = solution.prices.clone();
    let cents = (ending * 100.0).round();
    if solution.prices.len() != n
        || solution.lower.len() != n
        || solution.upper.len() != n
        || !(0.0..100.0).contains(&cents)
    {
        return out;
    }
    let rounding = Rounding {
        problem,
        solution,
        cents,
    };
    let mut done = vec![false; n];
    for group in ladder_groups(problem) {
        let tiers: Vec<&[usize]> = group.tiers.iter().map(|(_, items)| &items[..]).collect();
        let highest: Vec<f64> = tiers
            .iter()
            .map(|items| {
                items
                    .iter()
                    .map(|&i| rounding.highest(i))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        // ceiling[k]: the highest price every item above tier k can reach.
        let mut ceiling = vec![f64::INFINITY; tiers.len()];
        for k in (0..tiers.len() - 1).rev() {
            ceiling[k] = ceiling[k + 1].min(highest[k + 1]);
        }
        let mut floor = f64::NEG_INFINITY;
        for (k, items) in tiers.iter().enumerate() {
            let mut top = floor;
            for &i in *items {
                let options = rounding.options(i);
                let choice = rounding
                    .best(
                        i,
                        options.iter().filter(|&&c| c >= floor && c <= ceiling[k]),
                    )
                    .or_else(|| rounding.best(i, options.iter().filter(|&&c| c >= floor)))
                    .unwrap_or(solution.prices[i]);
                out[i] = choice;
                top = top.max(choice);
                done[i] = true;
            }
            floor = top;
        }
        let holds = tiers.windows(2).all(|pair| {
            let max_low = pair[0].iter().map(|&i| out[i]).fold(f64::MIN, f64::max);
            let min_up = pair[1].iter().map(|&i| out[i]).fold(f64::MAX, f64::min);
            max_low <= min_up * (1.0 + SLACK)
        });
        if !holds {
            for &i in tiers.iter().flat_map(|items| items.iter()) {
                out[i] = solution.prices[i];
            }
        }
    }
    for (i, price) in out.iter_mut().enumerate() {
        if !done[i] {
            let options = rounding.options(i);
            if let Some(best) = rounding.best(i, options.iter()) {
                *price = best;
            }
        }
    }
    out
}

struct Rounding<'a> {
    problem: &'a Problem,
    solution: &'a Solution,
    /// The ending in cents, 0 to 99.
    cents: f64,
}

impl Rounding<'_> {
    /// The feasible candidates for item `i`, ascending: the price with the ending at or
    /// below the optimum and the one above it, within the item's bounds.
    fn options(&self, i: usize) -> Vec<f64> {
        let p = self.solution.prices[i];
        let whole = ((p * 100.0 - self.cents) / 100.0).floor();
        let below = (whole * 100.0 + self.cents) / 100.0;
        let above = ((whole + 1.0) * 100.0 + self.cents) / 100.0;
        let slack = SLACK * self.problem.items[i].price;
        let (lo, hi) = (
            self.solution.lower[i] - slack,
            self.solution.upper[i] + slack,
        );
        [below, above]
            .into_iter()
            .filter(|&c| c > 0.0 && c >= lo && c <= hi)
            .collect()
    }

    /// The highest price item `i` can take after rounding.
    fn highest(&self, i: usize) -> f64 {
        self.options(i)
            .last()
            .copied()
            .unwrap_or(self.solution.prices[i])
    }

    /// The candidate with the better objective for item `i` (the nearer one on a tie).
    fn best<'b>(&self, i: usize, candidates: impl Iterator<Item = &'b f64>) -> Option<f64> {
        let item = &self.problem.items[i];
        let p = self.solution.prices[i];
        let objective = self.problem.objective;
        candidates
            .copied()
            .fold(None, |best: Option<f64>, c| match best {
                Some(b) => {
                    let demand = self.problem.demand;
                    let (vb, vc) = (
                        objective.value(demand, item, b),
                        objective.value(demand, item, c),
                    );
                    if vc > vb || (vc == vb && (c - p).abs() < (b - p).abs()) {
                        Some(c)
                    } else {
                        Some(b)
                    }
                }
                None => Some(c),
            })
    }
}
