//! Solving a scope: the products that cannot meet the constraints are relaxed first (so
//! a few of them cannot make a whole scope infeasible), the rest go to the QP, and the
//! price-ending post-step runs on the solution.

use std::collections::{HashMap, HashSet};

use retort_learn::optimize::{
    self, Constraints, DemandModel, Item, Objective, OptimizeError, Problem, Tier,
};

/// Every product's outcome, solved or fixed, in the order of the items.
#[derive(Debug, Clone, Default)]
pub struct Solved {
    /// The proposed price (after the price ending, if any).
    pub prices: Vec<f64>,
    /// The solver's price before the price ending.
    pub unrounded: Vec<f64>,
    /// Lowest allowed price.
    pub lower: Vec<f64>,
    /// Highest allowed price.
    pub upper: Vec<f64>,
    /// Binding constraints and relaxation notes.
    pub binding: Vec<Vec<String>>,
    /// Solver seconds, iterations and status.
    pub stats: (f64, u32, String),
    /// QPs solved (see [`optimize::Solution::steps`]).
    pub steps: u32,
}

/// Products left out of the QP and notes, from [`relax`].
#[derive(Debug, Clone)]
pub struct Relaxed {
    /// The fixed price of each product left out of the QP.
    pub fixed: Vec<Option<f64>>,
    /// Notes per product.
    pub notes: Vec<Vec<String>>,
}

/// Products whose margin floor lies above their highest allowed price are priced at
/// that highest price and left out of the QP (`min_margin_unreachable`); a ladder group
/// whose tiers cannot be ordered within their bounds is solved without the ladder
/// (`ladder_unreachable` on its products).
pub fn relax(items: &mut [Item], c: &Constraints, demand: DemandModel) -> Relaxed {
    let n = items.len();
    let mut fixed = vec![None; n];
    let mut notes = vec![Vec::new(); n];
    let mut bounds = vec![(0.0, 0.0); n];
    for (i, it) in items.iter().enumerate() {
        let mut hi = it.price * (1.0 + c.max_change);
        if demand == DemandModel::Linear {
            hi = hi.min(it.price * (1.0 - 1.0 / it.elasticity));
        }
        let lo = it.price * (1.0 - c.max_change);
        let floor = c.min_margin.map(|m| it.cost / (1.0 - m));
        if floor.is_some_and(|f| f > hi) {
            fixed[i] = Some(hi);
            notes[i].push("min_margin_unreachable".to_owned());
        }
        bounds[i] = (floor.map_or(lo, |f| f.max(lo)), hi);
    }
    if c.ladder {
        // Per group and tier: the highest lower bound and the lowest upper bound; a lower
        // tier that cannot go below a higher tier's ceiling breaks the group.
        let mut tiers: HashMap<u32, HashMap<Tier, (f64, f64)>> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            if let (Some((g, t)), None) = (it.ladder, fixed[i]) {
                let e = tiers
                    .entry(g)
                    .or_default()
                    .entry(t)
                    .or_insert((f64::MIN, f64::MAX));
                e.0 = e.0.max(bounds[i].0);
                e.1 = e.1.min(bounds[i].1);
            }
        }
        let broken: HashSet<u32> = tiers
            .iter()
            .filter(|(_, t)| {
                t.iter()
                    .any(|(a, (lo, _))| t.iter().any(|(b, (_, hi))| a < b && lo > hi))
            })
            .map(|(g, _)| *g)
            .collect();
        for (i, it) in items.iter_mut().enumerate() {
            if it.ladder.is_some_and(|(g, _)| broken.contains(&g)) {
                it.ladder = None;
                notes[i].push("ladder_unreachable".to_owned());
            }
        }
    }
    Relaxed { fixed, notes }
}

/// Relaxes, solves and applies the price ending. An error names items by their index
/// in `items` (`item 12`).
pub fn solve_all(
    mut items: Vec<Item>,
    constraints: Constraints,
    objective: Objective,
    demand: DemandModel,
    ending: Option<f64>,
) -> Result<(Vec<Item>, Solved), OptimizeError> {
    let relaxed = relax(&mut items, &constraints, demand);
    let n = items.len();
    let solve_idx: Vec<usize> = (0..n).filter(|&i| relaxed.fixed[i].is_none()).collect();
    let mut out = Solved {
        prices: vec![0.0; n],
        unrounded: vec![0.0; n],
        lower: vec![0.0; n],
        upper: vec![0.0; n],
        binding: relaxed.notes,
        stats: (0.0, 0, "no products to solve".into()),
        steps: 0,
    };
    for (i, fixed) in relaxed.fixed.iter().enumerate() {
        if let Some(price) = *fixed {
            out.prices[i] = price;
            out.unrounded[i] = price;
            out.lower[i] = price;
            out.upper[i] = price;
            out.binding[i].insert(0, "max_increase".into());
        }
    }
    if solve_idx.is_empty() {
        return Ok((items, out));
    }
    let problem = Problem {
        items: solve_idx.iter().map(|&i| items[i].clone()).collect(),
        objective,
        constraints,
        demand,
    };
    let solution = optimize::solve(&problem).map_err(|mut e| {
        e.message = renumber(&e.message, &solve_idx);
        e
    })?;
    let prices = match ending {
        Some(e) => optimize::apply_price_ending(&problem, &solution, e),
        None => solution.prices.clone(),
    };
    for (k, &i) in solve_idx.iter().enumerate() {
        out.prices[i] = prices[k];
        out.unrounded[i] = solution.prices[k];
        out.lower[i] = solution.lower[k];
        out.upper[i] = solution.upper[k];
        let mut b: Vec<String> = solution.binding[k]
            .iter()
            .map(|b| b.as_str().to_owned())
            .collect();
        b.append(&mut out.binding[i]);
        out.binding[i] = b;
    }
    let status = if solution.converged {
        solution.status
    } else {
        format!(
            "{} (stopped after {} steps before prices settled)",
            solution.status, solution.steps
        )
    };
    out.stats = (solution.solve_seconds, solution.iterations, status);
    out.steps = solution.steps;
    Ok((items, out))
}

/// A solver message with each `item k` replaced by `name(k)` (left as it was when that
/// is `None`): renumbering a sub-problem's items, naming items by sku.
pub fn rename_items(message: &str, name: impl Fn(usize) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(pos) = rest.find("item ") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 5..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<usize>().ok().and_then(&name) {
            Some(n) => out.push_str(&n),
            None => out.push_str(&format!("item {digits}")),
        }
        rest = &after[digits.len()..];
    }
    out.push_str(rest);
    out
}

/// A solver message about the sub-problem's `item k`, renumbered to the full list.
fn renumber(message: &str, idx: &[usize]) -> String {
    rename_items(message, |k| idx.get(k).map(|i| format!("item {i}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(price: f64, cost: f64, ladder: Option<(u32, Tier)>) -> Item {
        Item {
            price,
            cost,
            units: 10.0,
            elasticity: -2.0,
            ladder,
        }
    }

    #[test]
    fn unreachable_margins_and_broken_ladders_are_relaxed_not_fatal() {
        let items = vec![
            item(100.0, 95.0, None), // margin floor 118.75 > 110
            item(100.0, 50.0, Some((1, Tier::Premium))),
            item(200.0, 50.0, Some((1, Tier::Economy))), // economy cannot go below 180 > 110
            item(100.0, 50.0, Some((2, Tier::Premium))),
            item(95.0, 50.0, Some((2, Tier::Economy))),
        ];
        let c = Constraints {
            max_change: 0.1,
            min_margin: Some(0.2),
            ladder: true,
        };
        let (items, solved) = solve_all(
            items,
            c.clone(),
            Objective::Profit,
            DemandModel::Linear,
            None,
        )
        .unwrap();
        assert_eq!(solved.prices[0], 110.00000000000001f64.min(100.0 * 1.1));
        assert_eq!(
            solved.binding[0],
            ["max_increase", "min_margin_unreachable"]
        );
        assert!(solved.binding[1].contains(&"ladder_unreachable".to_owned()));
        assert!(solved.binding[2].contains(&"ladder_unreachable".to_owned()));
        assert!(items[1].ladder.is_none() && items[3].ladder.is_some());
        assert!(
            solved.prices[3] >= solved.prices[4] - 1e-6,
            "group 2 keeps its ladder"
        );
        // Without a problem left to solve.
        let (_, only) = solve_all(
            vec![item(100.0, 99.0, None)],
            c,
            Objective::Profit,
            DemandModel::ConstantElasticity,
            Some(0.99),
        )
        .unwrap();
        assert_eq!(only.stats.2, "no products to solve");
    }

    #[test]
    fn solver_messages_name_items_in_the_full_list() {
        assert_eq!(
            renumber("item 0 and item 2: x", &[3, 5, 9]),
            "item 3 and item 9: x"
        );
    }
}
