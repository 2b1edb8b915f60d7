//! From Clarabel's answer to exact prices: clamp into the boxes, snap onto bounds and
//! ladder ties, and report the binding constraints.

use super::model::ItemBounds;
use super::{BINDING_TOLERANCE, Binding, LadderGroup, Problem};

/// Prices from the scaled solution `x`, with the constraints binding each one.
pub(crate) fn polish(
    problem: &Problem,
    bounds: &[ItemBounds],
    groups: &[LadderGroup],
    x: &[f64],
) -> (Vec<f64>, Vec<Vec<Binding>>) {
    let items = &problem.items;
    let mut prices: Vec<f64> = items
        .iter()
        .zip(bounds)
        .zip(x)
        .map(|((item, b), &xi)| {
            let tol = BINDING_TOLERANCE * item.price;
            let p = (xi * item.price).max(b.lo).min(b.hi);
            if p - b.lo <= tol {
                b.lo
            } else if b.hi - p <= tol {
                b.hi
            } else {
                p
            }
        })
        .collect();
    for group in groups {
        let tol = BINDING_TOLERANCE * reference_price(problem, group);
        tie_ladder(group, bounds, tol, &mut prices);
        for _ in 0..2 {
            repair_ladder(group, bounds, &mut prices);
        }
    }
    place_idle_items(problem, bounds, groups, &mut prices);

    let mut binding: Vec<Vec<Binding>> = items
        .iter()
        .zip(bounds)
        .zip(&prices)
        .map(|((item, b), &p)| {
            let tol = BINDING_TOLERANCE * item.price;
            let mut found = Vec::new();
            if b.hi - p <= tol {
                if (b.increase - p).abs() <= tol {
                    found.push(Binding::MaxIncrease);
                }
                if (b.zero_demand - p).abs() <= tol {
                    found.push(Binding::ZeroDemand);
                }
            }
            if p - b.lo <= tol {
                if (p - b.decrease).abs() <= tol {
                    found.push(Binding::MaxDecrease);
                }
                if b.floor.is_some_and(|f| (p - f).abs() <= tol) {
                    found.push(Binding::MinMargin);
                }
            }
            found
        })
        .collect();
    for group in groups {
        let tol = BINDING_TOLERANCE * reference_price(problem, group);
        for pair in group.tiers.windows(2) {
            let (lower, upper) = (&pair[0].1, &pair[1].1);
            let max_low = extreme(lower, &prices, f64::max);
            let min_up = extreme(upper, &prices, f64::min);
            for &j in lower {
                if prices[j] >= min_up - tol {
                    binding[j].push(Binding::LadderAbove);
                }
            }
            for &i in upper {
                if prices[i] <= max_low + tol {
                    binding[i].push(Binding::LadderBelow);
                }
            }
        }
    }
    for found in &mut binding {
        found.sort_unstable();
        found.dedup();
    }
    (prices, binding)
}

/// The mean current price of a group's items: the scale of its ladder tolerance.
pub(crate) fn reference_price(problem: &Problem, group: &LadderGroup) -> f64 {
    let members = group.tiers.iter().flat_map(|(_, items)| items);
    let count = members.clone().count().max(1) as f64;
    members.map(|&i| problem.items[i].price).sum::<f64>() / count
}

fn extreme(items: &[usize], prices: &[f64], pick: fn(f64, f64) -> f64) -> f64 {
    items
        .iter()
        .map(|&i| prices[i])
        .reduce(pick)
        .unwrap_or(f64::NAN)
}

/// Items on either side of a tier boundary whose prices are within `tol` of each other
/// are tied by the ladder at the optimum; chains of ties (economy = mid = premium) form
/// one cluster. Each cluster gets one common price: the mean of its members, clamped
/// into every member's box and snapped onto a member bound within `tol`.
fn tie_ladder(group: &LadderGroup, bounds: &[ItemBounds], tol: f64, prices: &mut [f64]) {
    let members: Vec<usize> = group
        .tiers
        .iter()
        .flat_map(|(_, items)| items.iter().copied())
        .collect();
    // Union-find over the members followed by one node per boundary.
    let mut parent: Vec<usize> = (0..members.len() + group.tiers.len()).collect();
    let mut offset = 0;
    for (k, pair) in group.tiers.windows(2).enumerate() {
        let (lower, upper) = (&pair[0].1, &pair[1].1);
        let node = members.len() + k;
        let max_low = extreme(lower, prices, f64::max);
        let min_up = extreme(upper, prices, f64::min);
        if min_up - max_low <= tol {
            let t = 0.5 * (max_low + min_up);
            for (n, &j) in lower.iter().enumerate() {
                if prices[j] >= t - tol {
                    union(&mut parent, offset + n, node);
                }
            }
            let upper_offset = offset + lower.len();
            for (n, &i) in upper.iter().enumerate() {
                if prices[i] <= t + tol {
                    union(&mut parent, upper_offset + n, node);
                }
            }
        }
        offset += lower.len();
    }
    let mut clusters: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (n, &member) in members.iter().enumerate() {
        let root = find(&mut parent, n);
        clusters.entry(root).or_default().push(member);
    }
    for cluster in clusters.values().filter(|c| c.len() >= 2) {
        let lo = cluster
            .iter()
            .map(|&i| bounds[i].lo)
            .fold(f64::MIN, f64::max);
        let hi = cluster
            .iter()
            .map(|&i| bounds[i].hi)
            .fold(f64::MAX, f64::min);
        if lo > hi {
            continue;
        }
        let mean = cluster.iter().map(|&i| prices[i]).sum::<f64>() / cluster.len() as f64;
        let mut v = mean.max(lo).min(hi);
        if v - lo <= tol {
            v = lo;
        } else if hi - v <= tol {
            v = hi;
        }
        for &i in cluster {
            prices[i] = v;
        }
    }
}

/// Removes what is left of ladder violations after snapping (at most a tolerance): raise
/// upper-tier prices to the dearest lower-tier price, or lower lower-tier prices to the
/// cheapest upper-tier price, within each item's box.
fn repair_ladder(group: &LadderGroup, bounds: &[ItemBounds], prices: &mut [f64]) {
    for pair in group.tiers.windows(2) {
        let (lower, upper) = (&pair[0].1, &pair[1].1);
        let max_low = extreme(lower, prices, f64::max);
        for &i in upper {
            if prices[i] < max_low {
                prices[i] = max_low.min(bounds[i].hi);
            }
        }
        let min_up = extreme(upper, prices, f64::min);
        for &j in lower {
            if prices[j] > min_up {
                prices[j] = min_up.max(bounds[j].lo);
            }
        }
    }
}

/// Items with no units have no objective (the solver only pulls them gently towards
/// their current price): put each exactly at its current price, or at the nearest price
/// its box and its neighbouring tiers allow.
fn place_idle_items(
    problem: &Problem,
    bounds: &[ItemBounds],
    groups: &[LadderGroup],
    prices: &mut [f64],
) {
    let idle: Vec<usize> = (0..problem.items.len())
        .filter(|&i| problem.items[i].units == 0.0)
        .collect();
    if idle.is_empty() {
        return;
    }
    // (group, tier position) of every laddered item.
    let mut place: Vec<Option<(usize, usize)>> = vec![None; problem.items.len()];
    for (g, group) in groups.iter().enumerate() {
        for (k, (_, items)) in group.tiers.iter().enumerate() {
            for &i in items {
                place[i] = Some((g, k));
            }
        }
    }
    for i in idle {
        let (mut lo, mut hi) = (bounds[i].lo, bounds[i].hi);
        if let Some((g, k)) = place[i] {
            let tiers = &groups[g].tiers;
            if k > 0 {
                lo = lo.max(extreme(&tiers[k - 1].1, prices, f64::max));
            }
            if let Some((_, above)) = tiers.get(k + 1) {
                hi = hi.min(extreme(above, prices, f64::min));
            }
        }
        if lo <= hi {
            prices[i] = problem.items[i].price.max(lo).min(hi);
        }
    }
}

fn find(parent: &mut [usize], mut n: usize) -> usize {
    while parent[n] != n {
        parent[n] = parent[parent[n]];
        n = parent[n];
    }
    n
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra] = rb;
    }
}
