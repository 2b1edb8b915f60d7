//! Constant-elasticity demand: closed-form optima of single products and a brute-force
//! grid search over a small laddered problem.

use super::*;

fn item(price: f64, cost: f64, elasticity: f64, ladder: Option<(u32, Tier)>) -> Item {
    Item {
        price,
        cost,
        units: 20.0,
        elasticity,
        ladder,
    }
}

fn problem(items: Vec<Item>, objective: Objective, c: Constraints) -> Problem {
    Problem {
        items,
        objective,
        constraints: c,
        demand: DemandModel::ConstantElasticity,
    }
}

fn loose(max_change: f64) -> Constraints {
    Constraints {
        max_change,
        min_margin: None,
        ladder: true,
    }
}

#[test]
fn expected_units_follow_the_power_law() {
    let it = item(100.0, 50.0, -2.0, None);
    let ce = DemandModel::ConstantElasticity;
    assert!((expected_units(ce, &it, 100.0) - 20.0).abs() < 1e-12);
    assert!((expected_units(ce, &it, 200.0) - 5.0).abs() < 1e-12);
    assert!((expected_units(ce, &it, 50.0) - 80.0).abs() < 1e-12);
    assert_eq!(expected_units(ce, &it, 0.0), 0.0);
    // Linear demand bends away: 10 % up loses 20 % of units, not 17.4 %.
    assert!((expected_units(DemandModel::Linear, &it, 110.0) - 16.0).abs() < 1e-12);
    assert!((expected_units(ce, &it, 110.0) - 20.0 / 1.21).abs() < 1e-12);
    assert_eq!(DemandModel::parse("constant_elasticity"), Some(ce));
    assert_eq!(
        DemandModel::parse(DemandModel::Linear.as_str()),
        Some(DemandModel::Linear)
    );
    assert_eq!(DemandModel::parse("log"), None);
}

#[test]
fn one_product_reaches_the_closed_form_markup_optimum() {
    // p* = c·e/(1 + e), inside ±50 % of the current price.
    for (p0, c, e) in [
        (100.0, 50.0, -3.0),
        (100.0, 70.0, -2.2),
        (100.0, 30.0, -1.5),
        (20.0, 10.0, -4.0),
        (250.0, 160.0, -2.5),
        (80.0, 72.0, -6.0),
    ] {
        let expected = c * e / (1.0 + e);
        let it = item(p0, c, e, None);
        let sol = solve(&problem(vec![it.clone()], Objective::Profit, loose(0.5))).unwrap();
        assert!(
            (sol.prices[0] - expected).abs() <= 1e-6 * expected,
            "p0 {p0}, c {c}, e {e}: {} is not {expected}",
            sol.prices[0]
        );
        assert!(sol.binding[0].is_empty(), "{:?}", sol.binding[0]);
        assert!(
            sol.converged && sol.steps >= 2 && sol.steps <= 15,
            "{} steps",
            sol.steps
        );
        // The linear model's answer is worse under the true demand.
        let mut lin = problem(vec![it.clone()], Objective::Profit, loose(0.5));
        lin.demand = DemandModel::Linear;
        let linear = solve(&lin).unwrap().prices[0];
        let ce = DemandModel::ConstantElasticity;
        assert!(profit(ce, &it, sol.prices[0]) >= profit(ce, &it, linear));
    }
}

#[test]
fn bounds_hold_the_price_where_the_optimum_lies_beyond_them() {
    // p* = 300 for profit at e = −1.2: held at +20 %.
    let it = item(100.0, 50.0, -1.2, None);
    let sol = solve(&problem(vec![it.clone()], Objective::Profit, loose(0.2))).unwrap();
    assert!((sol.prices[0] - 120.0).abs() < 1e-9);
    assert_eq!(sol.binding[0], [Binding::MaxIncrease]);
    // No zero-demand cap under constant elasticity, even where linear demand has one.
    let it = item(100.0, 90.0, -8.0, None);
    let sol = solve(&problem(vec![it.clone()], Objective::Profit, loose(0.5))).unwrap();
    assert!((sol.prices[0] - 90.0 * 8.0 / 7.0).abs() < 1e-6);
    assert!(sol.upper[0] == 150.0, "{}", sol.upper[0]);
    // Revenue p·q0·(p/p0)^e falls with price when e < −1 and rises when e > −1.
    let sol = solve(&problem(
        vec![item(100.0, 0.0, -2.0, None), item(100.0, 0.0, -0.5, None)],
        Objective::Revenue,
        loose(0.1),
    ))
    .unwrap();
    assert!((sol.prices[0] - 90.0).abs() < 1e-9 && (sol.prices[1] - 110.0).abs() < 1e-9);
    // A margin floor above the optimum holds it.
    let mut c = loose(0.5);
    c.min_margin = Some(0.4);
    let sol = solve(&problem(
        vec![item(100.0, 50.0, -3.0, None)],
        Objective::Profit,
        c,
    ))
    .unwrap();
    assert!((sol.prices[0] - 50.0 / 0.6).abs() < 1e-9);
    assert_eq!(sol.binding[0], [Binding::MinMargin]);
}

/// The best of `f` over a grid of every price triple (economy ≤ mid ≤ premium) with
/// these steps, each price within its box.
fn grid_best(boxes: &[(f64, f64); 3], step: f64, f: impl Fn(usize, f64) -> f64) -> (f64, [f64; 3]) {
    let axis = |k: usize| -> Vec<(f64, f64)> {
        let (lo, hi) = boxes[k];
        let n = ((hi - lo) / step).floor() as usize;
        (0..=n)
            .map(|j| lo + j as f64 * step)
            .chain(std::iter::once(hi))
            .map(|p| (p, f(k, p)))
            .collect()
    };
    let (a, b, c) = (axis(0), axis(1), axis(2));
    let mut best = (f64::MIN, [0.0; 3]);
    for &(pa, va) in &a {
        for &(pb, vb) in b.iter().filter(|(p, _)| *p >= pa) {
            for &(pc, vc) in c.iter().filter(|(p, _)| *p >= pb) {
                if va + vb + vc > best.0 {
                    best = (va + vb + vc, [pa, pb, pc]);
                }
            }
        }
    }
    best
}

#[test]
fn a_laddered_problem_matches_a_brute_force_grid_search() {
    // Alone, economy would go to 105 and mid and premium to about 92: the ladder ties
    // them. The margin floor holds nothing here but is part of the boxes.
    let items = vec![
        item(100.0, 70.0, -3.0, Some((1, Tier::Economy))),
        item(102.0, 50.0, -2.2, Some((1, Tier::Mid))),
        item(105.0, 55.0, -2.5, Some((1, Tier::Premium))),
    ];
    let c = Constraints {
        max_change: 0.3,
        min_margin: Some(0.1),
        ladder: true,
    };
    for objective in [Objective::Profit, Objective::Revenue] {
        let p = problem(items.clone(), objective, c.clone());
        let sol = solve(&p).unwrap();
        assert!(sol.converged);
        let boxes = [0, 1, 2].map(|k| (sol.lower[k], sol.upper[k]));
        let value = |k: usize, price: f64| objective.value(p.demand, &p.items[k], price);
        // A coarse grid, then a fine one around its best.
        let (_, coarse) = grid_best(&boxes, 0.25, value);
        let fine_boxes = [0, 1, 2].map(|k| {
            (
                (coarse[k] - 0.5).max(boxes[k].0),
                (coarse[k] + 0.5).min(boxes[k].1),
            )
        });
        let (grid_value, grid) = grid_best(&fine_boxes, 0.01, value);
        let solved = total_objective(&p, &sol.prices);
        assert!(
            solved >= grid_value - 1e-9 * grid_value.abs(),
            "{objective:?}: solver {solved} < grid {grid_value} at {grid:?}"
        );
        for (k, (solved, grid)) in sol.prices.iter().zip(grid).enumerate() {
            assert!(
                (solved - grid).abs() <= 0.02,
                "{objective:?} item {k}: solver {solved} vs grid {grid}"
            );
        }
        assert!(sol.prices[0] <= sol.prices[1] && sol.prices[1] <= sol.prices[2]);
    }
}
