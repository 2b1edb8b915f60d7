//! Price elasticity of demand from a sales panel: for each group of products (e.g. a
//! category and brand tier), the slope of log units on log price with product and week
//! fixed effects,
//!
//! `ln q_it = β · ln p_it + α_i + γ_t + ε_it`,
//!
//! estimated by removing both effects (alternating demeaning by product and by week until
//! it converges, which is exact for unbalanced panels too) and regressing the residuals.
//! β is the elasticity. Its standard error is clustered by product (weekly errors of
//! one product are correlated; the classic formula would be too optimistic), with the
//! usual G/(G−1) small-sample factor. Weeks with zero units have no logarithm and are
//! left out, which biases β a little toward zero when many weeks sell nothing.

use std::collections::HashMap;

pub mod poisson;

/// One product-week.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// The group (0-based) the product belongs to.
    pub group: usize,
    /// The product (any id, unique across groups).
    pub product: i64,
    /// The week (any id).
    pub week: i64,
    /// The price that week.
    pub price: f64,
    /// Units sold that week.
    pub units: f64,
}

/// The estimate for one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The elasticity β (negative for normal goods).
    pub elasticity: f64,
    /// Its standard error, clustered by product.
    pub std_error: f64,
    /// Product-weeks used (units above zero).
    pub observations: usize,
    /// Products with at least two such weeks.
    pub products: usize,
    /// The share of the group's product-weeks that sold nothing (the log-log method
    /// leaves them out; PPML keeps them).
    pub zero_share: f64,
}

/// Fewer observations than this, or no price variation, and a group gets no estimate.
pub const MIN_OBSERVATIONS: usize = 30;

/// Estimates every group `0..groups`; `None` where the data cannot identify β.
pub fn estimate(observations: &[Observation], groups: usize) -> Vec<Option<Estimate>> {
    let mut by_group: Vec<Vec<&Observation>> = vec![Vec::new(); groups];
    let mut zeros = vec![(0usize, 0usize); groups];
    for o in observations {
        if o.group < groups
            && o.units >= 0.0
            && o.price > 0.0
            && o.units.is_finite()
            && o.price.is_finite()
        {
            zeros[o.group].1 += 1;
            if o.units > 0.0 {
                by_group[o.group].push(o);
            } else {
                zeros[o.group].0 += 1;
            }
        }
    }
    by_group
        .iter()
        .zip(zeros)
        .map(|(obs, (zero, all))| {
            estimate_group(obs).map(|e| Estimate {
                zero_share: zero as f64 / all.max(1) as f64,
                ..e
            })
        })
        .collect()
}

fn index(keys: impl Iterator<Item = i64>) -> (Vec<usize>, usize) {
    let mut ids: HashMap<i64, usize> = HashMap::new();
    let idx = keys
        .map(|k| {
            let next = ids.len();
            *ids.entry(k).or_insert(next)
        })
        .collect();
    (idx, ids.len())
}

/// Removes product and week means from `v` by alternating projections.
fn demean(v: &mut [f64], products: &[usize], np: usize, weeks: &[usize], nw: usize) {
    let mut sums_p = vec![0.0; np];
    let mut counts_p = vec![0.0; np];
    let mut sums_w = vec![0.0; nw];
    let mut counts_w = vec![0.0; nw];
    for (&p, &w) in products.iter().zip(weeks) {
        counts_p[p] += 1.0;
        counts_w[w] += 1.0;
    }
    let scale = v.iter().map(|x| x.abs()).fold(0.0, f64::max).max(1e-300);
    for _ in 0..500 {
        sums_p.iter_mut().for_each(|s| *s = 0.0);
        for (x, &p) in v.iter().zip(products) {
            sums_p[p] += x;
        }
        for (x, &p) in v.iter_mut().zip(products) {
            *x -= sums_p[p] / counts_p[p];
        }
        sums_w.iter_mut().for_each(|s| *s = 0.0);
        for (x, &w) in v.iter().zip(weeks) {
            sums_w[w] += x;
        }
        let mut moved = 0.0f64;
        for (x, &w) in v.iter_mut().zip(weeks) {
            let m = sums_w[w] / counts_w[w];
            moved = moved.max(m.abs());
            *x -= m;
        }
        if moved < 1e-12 * scale {
            break;
        }
    }
}

fn estimate_group(obs: &[&Observation]) -> Option<Estimate> {
    if obs.len() < MIN_OBSERVATIONS {
        return None;
    }
    let (products, np) = index(obs.iter().map(|o| o.product));
    let (weeks, nw) = index(obs.iter().map(|o| o.week));
    let mut x: Vec<f64> = obs.iter().map(|o| o.price.ln()).collect();
    let mut y: Vec<f64> = obs.iter().map(|o| o.units.ln()).collect();
    demean(&mut x, &products, np, &weeks, nw);
    demean(&mut y, &products, np, &weeks, nw);
    let sxx: f64 = x.iter().map(|v| v * v).sum();
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
    if sxx <= 1e-12 {
        return None;
    }
    let beta = sxy / sxx;
    // Cluster-robust variance by product: Σ_g (Σ_{i∈g} x_i e_i)² / sxx².
    let mut scores = vec![0.0; np];
    for ((xi, yi), &p) in x.iter().zip(&y).zip(&products) {
        scores[p] += xi * (yi - beta * xi);
    }
    let mut counts = vec![0usize; np];
    for &p in &products {
        counts[p] += 1;
    }
    let clusters = counts.iter().filter(|&&c| c >= 2).count();
    if clusters < 2 {
        return None;
    }
    let meat: f64 = scores.iter().map(|s| s * s).sum();
    let g = np as f64;
    let variance = g / (g - 1.0) * meat / (sxx * sxx);
    Some(Estimate {
        elasticity: beta,
        std_error: variance.sqrt(),
        observations: obs.len(),
        products: clusters,
        zero_share: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panel with known elasticities per group, product levels, week shocks, random
    /// price moves and multiplicative noise.
    fn panel(elasticities: &[f64], products: i64, weeks: i64) -> Vec<Observation> {
        let mut state = 7u64;
        let mut unit = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut out = Vec::new();
        for (g, &e) in elasticities.iter().enumerate() {
            for p in 0..products {
                let level = 20.0 + 80.0 * unit();
                let base = 5.0 + 20.0 * unit();
                for w in 0..weeks {
                    let season = 1.0 + 0.5 * ((w as f64) / 8.0).sin();
                    let promo = if unit() < 0.15 { 0.85 } else { 1.0 };
                    let price = level * promo * (0.97 + 0.06 * unit());
                    let noise = ((unit() + unit() + unit() - 1.5) * 0.3).exp();
                    let units = base * (price / level).powf(e) * season * noise;
                    out.push(Observation {
                        group: g,
                        product: g as i64 * 10_000 + p,
                        week: w,
                        price,
                        units,
                    });
                }
            }
        }
        out
    }

    #[test]
    fn recovers_known_elasticities_within_their_standard_errors() {
        let truth = [-2.2, -1.3, -0.6];
        let est = estimate(&panel(&truth, 200, 52), 3);
        for (e, t) in est.iter().zip(truth) {
            let e = e.unwrap_or_else(|| panic!("no estimate"));
            assert!(
                (e.elasticity - t).abs() < 3.0 * e.std_error + 0.02,
                "{e:?} vs {t}"
            );
            assert!(e.std_error > 0.0 && e.std_error < 0.1, "{e:?}");
            assert_eq!((e.observations, e.products), (200 * 52, 200));
        }
    }

    #[test]
    fn unbalanced_panels_and_zero_weeks_still_work_and_tiny_groups_get_none() {
        let mut obs = panel(&[-1.8], 100, 40);
        // Drop a third of the weeks at random positions and zero some units.
        obs = obs
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 1)
            .map(|(_, o)| o)
            .collect();
        obs[5].units = 0.0;
        let e = estimate(&obs, 2);
        let first = e[0].unwrap_or_else(|| panic!("no estimate"));
        assert!((first.elasticity + 1.8).abs() < 0.15, "{first:?}");
        assert_eq!(first.observations, obs.len() - 1);
        assert_eq!(e[1], None, "an empty group");
        // No price variation within products: not identified.
        let flat: Vec<Observation> = (0..60)
            .map(|i| Observation {
                group: 0,
                product: i % 6,
                week: i / 6,
                price: 10.0 + (i % 6) as f64,
                units: 3.0,
            })
            .collect();
        assert_eq!(estimate(&flat, 1)[0], None);
    }
}
