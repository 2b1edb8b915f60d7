//! Randomised checks of the price optimiser against independently computed constraints,
//! and an ignored timing test for large problems.

use super::*;

/// SplitMix64: a small deterministic generator, enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random problem whose current prices satisfy every constraint: about 60 % of the
/// items sit in ladder groups of 2 to 7 items, current prices ordered by tier; margins at
/// the current price are at least 30 %; a few items have zero units or a steep
/// elasticity (so the zero-demand cap binds).
pub(super) fn random_problem(n: usize, seed: u64) -> Problem {
    let mut rng = Rng(seed);
    let mut items = Vec::with_capacity(n);
    let mut group = 0u32;
    while items.len() < n {
        let base = rng.uniform(30.0, 300.0);
        let size = if rng.below(10) < 4 {
            1
        } else {
            2 + rng.below(6) as usize
        };
        let size = size.min(n - items.len());
        group += 1;
        for _ in 0..size {
            let tier = [Tier::Economy, Tier::Mid, Tier::Premium][rng.below(3) as usize];
            let price = match (size, tier) {
                (1, _) => base,
                (_, Tier::Economy) => base * rng.uniform(0.80, 0.95),
                (_, Tier::Mid) => base * rng.uniform(0.95, 1.05),
                (_, Tier::Premium) => base * rng.uniform(1.05, 1.30),
            };
            let elasticity = if rng.below(20) == 0 {
                rng.uniform(-14.0, -8.0)
            } else {
                rng.uniform(-4.5, -0.5)
            };
            let units = if rng.below(20) == 0 {
                0.0
            } else {
                rng.uniform(1.0, 200.0)
            };
            items.push(Item {
                price: (price * 100.0).round() / 100.0,
                cost: price * rng.uniform(0.2, 0.7),
                units,
                elasticity,
                ladder: (size > 1).then_some((group, tier)),
            });
        }
    }
    Problem {
        items,
        objective: Objective::Profit,
        constraints: Constraints {
            max_change: 0.15,
            min_margin: Some(0.25),
            ladder: true,
        },
        demand: DemandModel::Linear,
    }
}

/// Each item's box computed from the definitions, independently of the solver.
fn box_of(problem: &Problem, item: &Item) -> (f64, f64) {
    let c = &problem.constraints;
    let mut lo = item.price * (1.0 - c.max_change);
    if let Some(m) = c.min_margin {
        lo = lo.max(item.cost / (1.0 - m));
    }
    let mut hi = item.price * (1.0 + c.max_change);
    if problem.demand == DemandModel::Linear {
        hi = hi.min(item.price * (1.0 - 1.0 / item.elasticity));
    }
    (lo, hi)
}

/// Panics unless `prices` meets every constraint to a relative `tol`.
fn assert_feasible(problem: &Problem, prices: &[f64], tol: f64) {
    for (i, (item, &p)) in problem.items.iter().zip(prices).enumerate() {
        let (lo, hi) = box_of(problem, item);
        assert!(
            p >= lo * (1.0 - tol) && p <= hi * (1.0 + tol),
            "item {i}: {p} not in [{lo}, {hi}]"
        );
        assert!(expected_units(problem.demand, item, p) >= 0.0);
    }
    for group in ladder_groups(problem) {
        for pair in group.tiers.windows(2) {
            let max_low = pair[0]
                .1
                .iter()
                .map(|&j| prices[j])
                .fold(f64::MIN, f64::max);
            let min_up = pair[1]
                .1
                .iter()
                .map(|&i| prices[i])
                .fold(f64::MAX, f64::min);
            assert!(
                max_low <= min_up * (1.0 + tol),
                "group {}: {max_low} > {min_up}",
                group.id
            );
        }
    }
}

/// A random feasible point: tier by tier from economy up, each price drawn between the
/// larger of its lower bound and the dearest lower-tier price, and the smaller of its
/// upper bound and the lowest upper bound of the higher tiers.
fn random_feasible(problem: &Problem, rng: &mut Rng) -> Vec<f64> {
    let mut prices: Vec<f64> = problem
        .items
        .iter()
        .map(|it| {
            let (lo, hi) = box_of(problem, it);
            rng.uniform(lo, hi)
        })
        .collect();
    for group in ladder_groups(problem) {
        let tiers = &group.tiers;
        let mut floor = f64::MIN;
        for k in 0..tiers.len() {
            let ceiling = tiers[k + 1..]
                .iter()
                .flat_map(|(_, items)| items)
                .map(|&i| box_of(problem, &problem.items[i]).1)
                .fold(f64::MAX, f64::min);
            let mut top = floor;
            for &i in &tiers[k].1 {
                let (lo, hi) = box_of(problem, &problem.items[i]);
                let p = rng.uniform(lo.max(floor), hi.min(ceiling));
                prices[i] = p;
                top = top.max(p);
            }
            floor = top;
        }
    }
    prices
}

/// Panics if any of 20 random feasible points (seeded), or a point 1 % of the way from
/// `prices` towards one of them, has a better objective than `prices`.
fn assert_beats_random_points(problem: &Problem, prices: &[f64], seed: u64) {
    let best = total_objective(problem, prices);
    let mut rng = Rng(seed);
    for round in 0..20 {
        let other = random_feasible(problem, &mut rng);
        assert_feasible(problem, &other, 1e-12);
        assert!(
            best >= total_objective(problem, &other),
            "round {round}: worse than random"
        );
        // Close to the optimum: still no better.
        let near: Vec<f64> = prices
            .iter()
            .zip(&other)
            .map(|(p, o)| p + 0.01 * (o - p))
            .collect();
        let gap = best - total_objective(problem, &near);
        assert!(
            gap >= -1e-9 * best.abs(),
            "round {round}: {gap} better near the optimum"
        );
    }
}

#[test]
fn random_problem_is_feasible_and_optimal() {
    let problem = random_problem(2_000, 42);
    assert_feasible(
        &problem,
        &problem.items.iter().map(|it| it.price).collect::<Vec<_>>(),
        0.0,
    );
    let sol = solve(&problem).unwrap();
    assert_feasible(&problem, &sol.prices, 1e-6);
    let best = total_objective(&problem, &sol.prices);
    let current: Vec<f64> = problem.items.iter().map(|it| it.price).collect();
    assert!(
        best >= total_objective(&problem, &current),
        "worse than the current prices"
    );

    assert_beats_random_points(&problem, &sol.prices, 7);

    // Items outside any ladder: interior prices are their own optimum, bound prices
    // lean against their bound.
    let groups = ladder_groups(&problem);
    let laddered: std::collections::HashSet<usize> = groups
        .iter()
        .flat_map(|g| g.tiers.iter().flat_map(|(_, items)| items.iter().copied()))
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for (i, item) in problem.items.iter().enumerate() {
        for b in &sol.binding[i] {
            *counts.entry(b.as_str()).or_insert(0) += 1;
        }
        if laddered.contains(&i) {
            continue;
        }
        if item.units == 0.0 {
            // No objective: the current price, which the random data always allow.
            assert_eq!(sol.prices[i], item.price, "item {i}");
            continue;
        }
        let own = item.price * (item.elasticity - 1.0) / (2.0 * item.elasticity) + item.cost / 2.0;
        let p = sol.prices[i];
        if sol.binding[i].is_empty() {
            assert!((p - own).abs() <= 1e-6 * own, "item {i}: {p} vs {own}");
        } else if p >= sol.upper[i] {
            assert!(
                own >= p * (1.0 - 1e-6),
                "item {i}: held at {p}, wants {own}"
            );
        } else {
            assert!(
                own <= p * (1.0 + 1e-6),
                "item {i}: held at {p}, wants {own}"
            );
        }
    }
    // The data exercise every kind of binding but the zero-demand cap, which only holds a
    // price when the cost lies above it (impossible with a margin floor); it still caps
    // the steep items' boxes.
    for name in [
        "max_increase",
        "max_decrease",
        "min_margin",
        "ladder_above",
        "ladder_below",
    ] {
        assert!(counts.contains_key(name), "no {name} binding in {counts:?}");
    }
    let capped = problem
        .items
        .iter()
        .zip(&sol.upper)
        .filter(|(it, u)| **u < it.price * 1.149)
        .count();
    assert!(capped > 0);
}

#[test]
#[ignore = "timing: run with --release -- --ignored --nocapture"]
fn timing_large_problems() {
    for n in [10_000, 50_000] {
        let problem = random_problem(n, n as u64);
        let groups = ladder_groups(&problem).len();
        let sol = solve(&problem).unwrap();
        assert_feasible(&problem, &sol.prices, 1e-6);
        let current: Vec<f64> = problem.items.iter().map(|it| it.price).collect();
        assert!(total_objective(&problem, &sol.prices) >= total_objective(&problem, &current));
        println!(
            "{n} items, {groups} ladder groups: {:.3} s, {} iterations, {}",
            sol.solve_seconds, sol.iterations, sol.status
        );
    }
}

#[test]
fn constant_elasticity_random_problem_is_feasible_and_optimal() {
    let mut problem = random_problem(1_000, 43);
    problem.constraints.min_margin = Some(0.05);
    let linear = solve(&problem).unwrap();
    problem.demand = DemandModel::ConstantElasticity;
    let sol = solve(&problem).unwrap();
    assert!(sol.converged, "{} steps", sol.steps);
    assert!(sol.steps > 1 && sol.steps <= MAX_STEPS);
    assert_feasible(&problem, &sol.prices, 1e-6);
    let best = total_objective(&problem, &sol.prices);
    // Better, under the true demand, than the answer of the linearised model.
    let linearised = total_objective(&problem, &linear.prices);
    assert!(best >= linearised, "{best} < {linearised}");
    assert_beats_random_points(&problem, &sol.prices, 11);
}
