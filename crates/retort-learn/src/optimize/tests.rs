//! Closed-form and error-path tests of the price optimiser.

use super::*;

fn item(price: f64, cost: f64, units: f64, elasticity: f64) -> Item {
    Item {
        price,
        cost,
        units,
        elasticity,
        ladder: None,
    }
}

fn problem(items: Vec<Item>, objective: Objective, max_change: f64) -> Problem {
    Problem {
        items,
        objective,
        constraints: Constraints {
            max_change,
            min_margin: None,
            ladder: true,
        },
        demand: DemandModel::Linear,
    }
}

fn assert_close(actual: f64, expected: f64, rel: f64) {
    assert!(
        (actual - expected).abs() <= rel * expected.abs().max(1.0),
        "{actual} is not within {rel} of {expected}"
    );
}

/// The unconstrained optimum p0(e − 1)/(2e) + c/2.
fn closed_form(item: &Item, objective: Objective) -> f64 {
    let e = item.elasticity;
    let c = match objective {
        Objective::Profit => item.cost,
        Objective::Revenue => 0.0,
    };
    item.price * (e - 1.0) / (2.0 * e) + c / 2.0
}

#[test]
fn one_product_unconstrained_matches_closed_form() {
    for objective in [Objective::Profit, Objective::Revenue] {
        for it in [item(100.0, 40.0, 50.0, -2.5), item(20.0, 3.0, 1.0, -1.5)] {
            let expected = closed_form(&it, objective);
            let sol = solve(&problem(vec![it], objective, 0.6)).unwrap();
            assert_close(sol.prices[0], expected, 1e-6);
            assert!(sol.binding[0].is_empty(), "{:?}", sol.binding);
            assert!(sol.status == "Solved" || sol.status == "AlmostSolved");
            assert!(sol.iterations > 0);
        }
    }
    // p* = 90 for profit and 70 for revenue.
    let it = item(100.0, 40.0, 50.0, -2.5);
    assert_close(closed_form(&it, Objective::Profit), 90.0, 1e-12);
    assert_close(closed_form(&it, Objective::Revenue), 70.0, 1e-12);
}

#[test]
fn bounds_clamp_the_optimum_and_bind() {
    // Optimum 90 below the 5 % floor of 95.
    let sol = solve(&problem(
        vec![item(100.0, 40.0, 50.0, -2.5)],
        Objective::Profit,
        0.05,
    ))
    .unwrap();
    assert_close(sol.prices[0], 95.0, 1e-12);
    assert_eq!(sol.binding[0], vec![Binding::MaxDecrease]);
    // Optimum 121.67 above the 10 % ceiling of 110.
    let sol = solve(&problem(
        vec![item(100.0, 60.0, 5.0, -1.2)],
        Objective::Profit,
        0.1,
    ))
    .unwrap();
    assert_close(sol.prices[0], 110.0, 1e-12);
    assert_eq!(sol.binding[0], vec![Binding::MaxIncrease]);
    assert_eq!(sol.binding[0][0].as_str(), "max_increase");
    assert_close(sol.lower[0], 90.0, 1e-12);
    assert_close(sol.upper[0], 110.0, 1e-12);
}

#[test]
fn minimum_margin_binds() {
    // Optimum 92.5; a 40 % margin on cost 60 needs at least 100.
    let mut p = problem(vec![item(100.0, 60.0, 30.0, -4.0)], Objective::Profit, 0.2);
    p.constraints.min_margin = Some(0.4);
    let sol = solve(&p).unwrap();
    assert_close(sol.prices[0], 100.0, 1e-12);
    assert_eq!(sol.binding[0], vec![Binding::MinMargin]);
    assert_close(sol.lower[0], 100.0, 1e-12);
}

#[test]
fn demand_is_capped_where_it_reaches_zero() {
    // e = −20: demand reaches zero at 105, inside the 10 % box; cost 110 pushes the
    // unconstrained optimum (107.5) beyond it.
    let it = item(100.0, 110.0, 10.0, -20.0);
    let sol = solve(&problem(vec![it.clone()], Objective::Profit, 0.1)).unwrap();
    assert_close(sol.upper[0], 105.0, 1e-12);
    assert_close(sol.prices[0], 105.0, 1e-12);
    assert_eq!(sol.binding[0], vec![Binding::ZeroDemand]);
    assert_eq!(expected_units(DemandModel::Linear, &it, 105.0), 0.0);
    assert_eq!(expected_units(DemandModel::Linear, &it, 120.0), 0.0);
}

#[test]
fn zero_units_keep_the_current_price() {
    let items = vec![item(100.0, 40.0, 0.0, -2.0), item(50.0, 10.0, 20.0, -2.0)];
    let sol = solve(&problem(items, Objective::Profit, 0.3)).unwrap();
    assert_eq!(sol.prices[0], 100.0);
    assert_close(sol.prices[1], 50.0 * 3.0 / 4.0 + 5.0, 1e-6);
}

#[test]
fn zero_units_in_a_ladder_stay_between_their_neighbours() {
    let mut economy = item(100.0, 70.0, 10.0, -2.0); // alone: 110
    economy.ladder = Some((1, Tier::Economy));
    let mut premium = item(120.0, 80.0, 10.0, -2.0); // alone: 130
    premium.ladder = Some((1, Tier::Premium));
    for (current, expected) in [(105.0, 110.0), (115.0, 115.0), (135.0, 130.0)] {
        let mut idle = item(current, 50.0, 0.0, -2.0);
        idle.ladder = Some((1, Tier::Mid));
        let p = problem(
            vec![economy.clone(), idle, premium.clone()],
            Objective::Profit,
            0.2,
        );
        let sol = solve(&p).unwrap();
        assert_close(sol.prices[0], 110.0, 1e-6);
        assert_close(sol.prices[2], 130.0, 1e-6);
        assert_close(sol.prices[1], expected, 1e-6);
        assert!(sol.prices[0] <= sol.prices[1] && sol.prices[1] <= sol.prices[2]);
        if current == 115.0 {
            assert_eq!(sol.prices[1], 115.0);
            assert!(sol.binding[1].is_empty());
        } else if current == 105.0 {
            assert_eq!(sol.prices[1], sol.prices[0]);
            assert_eq!(sol.binding[1], vec![Binding::LadderBelow]);
        } else {
            assert_eq!(sol.prices[1], sol.prices[2]);
            assert_eq!(sol.binding[1], vec![Binding::LadderAbove]);
        }
    }
}

/// The maximiser of the sum of the items' objectives at one common price.
fn joint_optimum(items: &[Item]) -> f64 {
    // d/dp of q0(p − c)(1 − e + e·p/p0) = q0(1 − e − c·e/p0) + p·2·q0·e/p0.
    let a: f64 = items
        .iter()
        .map(|it| it.units * (1.0 - it.elasticity - it.cost * it.elasticity / it.price))
        .sum();
    let b: f64 = items
        .iter()
        .map(|it| 2.0 * it.units * it.elasticity / it.price)
        .sum();
    -a / b
}

#[test]
fn ladder_ties_two_tiers_at_the_joint_optimum() {
    let mut premium = item(100.0, 50.0, 10.0, -3.0); // alone: 91.67
    premium.ladder = Some((3, Tier::Premium));
    let mut economy = item(95.0, 30.0, 20.0, -1.5); // alone: 94.17
    economy.ladder = Some((3, Tier::Economy));
    let items = vec![premium, economy];
    let joint = joint_optimum(&items);
    assert!((92.0..93.5).contains(&joint), "{joint}");

    // Wide bounds: both at the joint optimum.
    let sol = solve(&problem(items.clone(), Objective::Profit, 0.2)).unwrap();
    assert_close(sol.prices[0], joint, 1e-6);
    assert_eq!(sol.prices[0], sol.prices[1]);
    assert_eq!(sol.binding[0], vec![Binding::LadderBelow]);
    assert_eq!(sol.binding[1], vec![Binding::LadderAbove]);

    // 6.5 %: the premium item cannot go below 93.5, so both sit there.
    let sol = solve(&problem(items.clone(), Objective::Profit, 0.065)).unwrap();
    assert_close(sol.prices[0], 93.5, 1e-12);
    assert_eq!(sol.prices[0], sol.prices[1]);
    assert_eq!(
        sol.binding[0],
        vec![Binding::MaxDecrease, Binding::LadderBelow]
    );
    assert_eq!(sol.binding[1], vec![Binding::LadderAbove]);

    // Ladder off: each at its own optimum.
    let mut p = problem(items.clone(), Objective::Profit, 0.2);
    p.constraints.ladder = false;
    let sol = solve(&p).unwrap();
    assert_close(
        sol.prices[0],
        closed_form(&items[0], Objective::Profit),
        1e-6,
    );
    assert_close(
        sol.prices[1],
        closed_form(&items[1], Objective::Profit),
        1e-6,
    );
}

#[test]
fn three_tier_ladder_orders_every_tier() {
    // Unconstrained optima run the wrong way: economy dearest, premium cheapest.
    // Alone: premium 85, mid 95, economy 105.
    let tiers = [
        (Tier::Premium, 20.0),
        (Tier::Mid, 40.0),
        (Tier::Economy, 60.0),
    ];
    let mut items = Vec::new();
    for (tier, cost) in tiers {
        for j in 0..2 {
            let mut it = item(100.0 + j as f64, cost, 10.0, -2.0);
            it.ladder = Some((9, tier));
            items.push(it);
        }
    }
    let sol = solve(&problem(items.clone(), Objective::Profit, 0.3)).unwrap();
    let (premium, mid, economy) = (&sol.prices[0..2], &sol.prices[2..4], &sol.prices[4..6]);
    let max = |s: &[f64]| s.iter().copied().fold(f64::MIN, f64::max);
    let min = |s: &[f64]| s.iter().copied().fold(f64::MAX, f64::min);
    assert!(
        max(economy) <= min(mid) && max(mid) <= min(premium),
        "{:?}",
        sol.prices
    );
    // Everything collapses to one price: the joint optimum of all six.
    let joint = joint_optimum(&items);
    for &p in &sol.prices {
        assert_close(p, joint, 1e-6);
    }
    assert!(sol.binding[2].contains(&Binding::LadderAbove));
    assert!(sol.binding[2].contains(&Binding::LadderBelow));
}

#[test]
fn infeasible_margin_names_the_item() {
    let mut p = problem(
        vec![item(100.0, 40.0, 5.0, -2.0), item(100.0, 95.0, 5.0, -2.0)],
        Objective::Profit,
        0.1,
    );
    p.constraints.min_margin = Some(0.2);
    let err = solve(&p).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Infeasible);
    let msg = err.to_string();
    assert!(msg.contains("item 1"), "{msg}");
    assert!(msg.contains("118.75") && msg.contains("110.0000"), "{msg}");
    assert!(!msg.contains("item 0"), "{msg}");
}

#[test]
fn infeasible_ladder_names_the_group_and_tiers() {
    let mut economy = item(100.0, 10.0, 5.0, -2.0);
    economy.ladder = Some((7, Tier::Economy));
    let mut premium = item(50.0, 10.0, 5.0, -2.0);
    premium.ladder = Some((7, Tier::Premium));
    let p = problem(vec![economy, premium], Objective::Profit, 0.1);
    let err = solve(&p).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Infeasible);
    let msg = err.to_string();
    assert!(msg.contains("ladder group 7"), "{msg}");
    assert!(msg.contains("economy") && msg.contains("premium"), "{msg}");
    assert!(msg.contains("item 0") && msg.contains("item 1"), "{msg}");
    // Without the ladder the same items are fine.
    let mut p = p;
    p.constraints.ladder = false;
    assert!(solve(&p).is_ok());
}

#[test]
fn invalid_input_names_the_item_and_field() {
    let good = || problem(vec![item(10.0, 5.0, 1.0, -2.0); 3], Objective::Profit, 0.1);
    type Spoil = Box<dyn Fn(&mut Problem)>;
    let cases: Vec<(Spoil, &str)> = vec![
        (Box::new(|p| p.items[2].price = -1.0), "item 2: price"),
        (Box::new(|p| p.items[1].price = f64::NAN), "item 1: price"),
        (Box::new(|p| p.items[0].cost = -0.5), "item 0: cost"),
        (Box::new(|p| p.items[1].units = -3.0), "item 1: units"),
        (
            Box::new(|p| p.items[2].elasticity = 0.0),
            "item 2: elasticity",
        ),
        (
            Box::new(|p| p.items[2].elasticity = f64::NEG_INFINITY),
            "item 2: elasticity",
        ),
        (Box::new(|p| p.constraints.max_change = 1.0), "max_change"),
        (Box::new(|p| p.constraints.max_change = 0.0), "max_change"),
        (
            Box::new(|p| p.constraints.min_margin = Some(1.0)),
            "min_margin",
        ),
        (
            Box::new(|p| p.constraints.min_margin = Some(-0.1)),
            "min_margin",
        ),
        (Box::new(|p| p.items.clear()), "no items"),
    ];
    for (spoil, expected) in cases {
        let mut p = good();
        spoil(&mut p);
        let err = solve(&p).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert!(err.to_string().contains(expected), "{err} lacks {expected}");
    }
    assert!(solve(&good()).is_ok());
}

fn ends_in(price: f64, cents: i64) -> bool {
    ((price * 100.0).round() as i64).rem_euclid(100) == cents
}

#[test]
fn price_endings_end_in_99_within_bounds() {
    let items: Vec<Item> = (0..40)
        .map(|k| {
            let mut it = item(
                5.0 + 7.3 * k as f64,
                2.0 + 3.1 * k as f64,
                10.0,
                -1.2 - 0.1 * k as f64,
            );
            if k % 4 != 0 {
                let tier = [Tier::Economy, Tier::Mid, Tier::Premium][k % 3];
                it.ladder = Some((k as u32 / 8, tier));
                it.price = 60.0 + 10.0 * (tier as usize as f64) + (k % 8) as f64 * 0.3;
                it.cost = 0.4 * it.price;
            }
            it
        })
        .collect();
    let mut p = problem(items, Objective::Profit, 0.2);
    p.constraints.min_margin = Some(0.3);
    let sol = solve(&p).unwrap();
    let rounded = apply_price_ending(&p, &sol, 0.99);
    for (i, &r) in rounded.iter().enumerate() {
        assert!(ends_in(r, 99), "item {i}: {r}");
        assert!(
            r >= sol.lower[i] - 1e-9 && r <= sol.upper[i] + 1e-9,
            "item {i}: {r}"
        );
        assert!(
            (r - sol.prices[i]).abs() < 1.0,
            "item {i}: {r} vs {}",
            sol.prices[i]
        );
    }
    for group in ladder_groups(&p) {
        for pair in group.tiers.windows(2) {
            for &j in &pair[0].1 {
                for &i in &pair[1].1 {
                    assert!(rounded[j] <= rounded[i], "group {}: {j} > {i}", group.id);
                }
            }
        }
    }
    // The rounded objective is close to the optimum and not above it.
    let best = total_objective(&p, &sol.prices);
    let after = total_objective(&p, &rounded);
    assert!(
        after <= best + 1e-9 && after > 0.97 * best,
        "{after} vs {best}"
    );
}

#[test]
fn price_ending_keeps_the_price_when_no_candidate_fits() {
    // Box [9.999, 10.201]: neither 9.99 nor 10.99 fits.
    let p = problem(vec![item(10.1, 1.0, 5.0, -0.5)], Objective::Profit, 0.01);
    let sol = solve(&p).unwrap();
    assert_eq!(apply_price_ending(&p, &sol, 0.99), sol.prices);
    // A whole-number ending fits: 10.00.
    assert_eq!(apply_price_ending(&p, &sol, 0.0), vec![10.0]);
    // An ending that is not a fraction changes nothing.
    assert_eq!(apply_price_ending(&p, &sol, 1.5), sol.prices);
}

#[test]
fn names_are_snake_case() {
    let all = [
        Binding::MaxIncrease,
        Binding::MaxDecrease,
        Binding::MinMargin,
        Binding::ZeroDemand,
        Binding::LadderAbove,
        Binding::LadderBelow,
    ];
    let names: Vec<&str> = all.iter().map(|b| b.as_str()).collect();
    assert_eq!(
        names,
        [
            "max_increase",
            "max_decrease",
            "min_margin",
            "zero_demand",
            "ladder_above",
            "ladder_below"
        ]
    );
    assert_eq!(Tier::Mid.as_str(), "mid");
    assert!(Tier::Economy < Tier::Mid && Tier::Mid < Tier::Premium);
    assert_eq!(Objective::Revenue.as_str(), "revenue");
}

#[test]
fn heterogeneous_scales_stay_accurate() {
    let mut items = Vec::new();
    for (k, units) in [1e-3, 1.0, 1e3, 1e6].into_iter().enumerate() {
        for (j, price) in [0.5, 100.0, 20_000.0].into_iter().enumerate() {
            let e = -1.3 - 0.4 * (k + j) as f64;
            items.push(item(price, 0.3 * price, units, e));
        }
    }
    let p = problem(items.clone(), Objective::Profit, 0.9);
    let sol = solve(&p).unwrap();
    for (it, &price) in items.iter().zip(&sol.prices) {
        assert_close(price, closed_form(it, Objective::Profit), 1e-6);
    }
}
