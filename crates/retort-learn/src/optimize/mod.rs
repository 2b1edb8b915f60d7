//! Price optimisation as a convex quadratic programme, solved by Clarabel.
//!
//! # Model
//!
//! There are `n` products. Product `i` has a current price `p0 > 0`, a unit cost `c ≥ 0`,
//! baseline weekly units `q0 ≥ 0` sold at `p0` and a price elasticity `e < 0`. Demand
//! follows one of two [`DemandModel`]s:
//!
//! ```text
//! constant elasticity   q(p) = q0 · (p/p0)^e
//! linear                q(p) = q0 · (1 + e·(p − p0)/p0)
//! ```
//!
//! The linear model is constant-elasticity demand linearised at the current price: the
//! profit `(p − c)·q(p)` of a product is then a concave quadratic in `p` (for the revenue
//! objective `c` is taken as zero), and maximising the sum over products is one convex
//! QP, `minimise ½ xᵀPx + qᵀx` subject to `Ax ≤ b`, in the scaled variables
//! `x_i = p_i / p0_i` (every variable is near 1 whatever the price level). But it bends
//! away from constant elasticity beyond a few percent (10 % up at `e = −2`: 20 % fewer
//! units, not 17.4 %). Under constant elasticity the optimum is reached by a sequence of
//! the same QPs with the same constraints (module `sqp`): the linear model's answer
//! first, then Newton steps on the true objective with a per-component line search,
//! until no price moves by more than [`STEP_TOLERANCE`] of itself.
//!
//! Ladder groups and the products outside them are independent sub-problems (they share
//! no constraint), so each one's objective is divided by its own mean `q0·p0`: a product
//! selling a unit a month is priced as accurately as one selling thousands a week, and
//! the currency and volume do not matter. Within one ladder group the relative weights
//! are of course kept.
//!
//! A product with `q0 = 0` has no objective. The QP gives it a tiny pull towards its
//! current price (weight 10⁻⁶ of a typical product of its group) so that its variable is
//! well defined, and the polish step then sets it exactly: its current price if its box
//! and neighbouring tiers allow it, else the nearest price they allow.
//!
//! Without constraints a product's optimum is, under constant elasticity with `e < −1`,
//! the markup `p* = c·e/(1 + e)` for profit (revenue falls with price when `e < −1` and
//! rises when `e > −1`: a bound holds it); under linear demand `p* = p0·(e − 1)/(2e) +
//! c/2` for profit and `p0·(e − 1)/(2e)` for revenue.
//!
//! # Constraints
//!
//! - **Maximum change**: `p0·(1 − max_change) ≤ p ≤ p0·(1 + max_change)`, `max_change`
//!   a fraction in (0, 1).
//! - **Zero demand** (linear demand only): the linear demand reaches zero at
//!   `p0·(1 − 1/e)`; above that it would be negative and the quadratic meaningless.
//!   The upper bound is therefore capped there ([`Binding::ZeroDemand`] when the cap
//!   holds the price), so that demand is non-negative everywhere in the feasible set. With the usual elasticities (|e| below
//!   `1/max_change`) the cap is looser than the maximum change and never matters.
//! - **Minimum margin** (optional): `(p − c)/p ≥ m ⇔ p ≥ c/(1 − m)`, `m` in [0, 1).
//! - **Price ladder** (optional): products carry a ladder group (same size and category)
//!   and a [`Tier`]. Within a group every premium price is at least every mid price, which
//!   is at least every economy price; tiers absent from a group are skipped (premium ≥
//!   economy when there is no mid). Instead of one constraint per pair, each boundary
//!   between consecutive present tiers gets an auxiliary threshold `t`, with
//!   `p_lower ≤ t ≤ p_upper` for every product on either side: O(n) constraints. The
//!   threshold is scaled by the group's mean current price, so the constraint rows read
//!   `(p0_j/r)·x_j − s ≤ 0` and `s − (p0_i/r)·x_i ≤ 0` with `t = r·s`.
//!
//! The maximum change, zero-demand cap and margin floor combine into one box per product,
//! reported as [`Solution::lower`] and [`Solution::upper`].
//!
//! # Before and after the solver
//!
//! The input is validated first, with errors naming the item and field. Infeasibility is
//! detected and explained before solving: an item whose margin floor lies above its upper
//! bound, or a ladder group where some lower tier cannot go below a price that some
//! higher tier cannot reach (pairwise tier checks are exact for a ladder).
//!
//! Clarabel runs with tightened tolerances (10⁻¹⁰). Its answer is then polished: prices
//! are clamped into their boxes, prices within 10⁻⁶ (relative) of a bound are snapped
//! onto it, and products tied across a ladder boundary within that tolerance are set to
//! one common price (the mean of their values, clamped into every member's box and
//! snapped onto a member's bound); any ladder violation left by snapping (at most the
//! tolerance) is then removed. A constraint *binds* when the polished price lies within
//! that tolerance of it ([`BINDING_TOLERANCE`]).
//!
//! Size: O(n) variables and constraints; 50,000 products in ~9,000 ladder groups solve
//! in 16 interior-point iterations, about a second, per QP.
//!
//! [`apply_price_ending`] is an optional post-step that moves prices to endings such as
//! `.99`; see its documentation.

mod ending;
mod model;
mod polish;
mod sqp;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ce;
#[cfg(test)]
mod tests_random;

use std::fmt;
use std::time::Instant;

pub use ending::apply_price_ending;
pub use sqp::{MAX_STEPS, STEP_TOLERANCE};

/// Relative tolerance under which a price is considered on a bound (and snapped onto it).
pub const BINDING_TOLERANCE: f64 = 1e-6;

/// A product's place in its ladder group, from cheapest to dearest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The cheapest tier.
    Economy,
    /// Between economy and premium.
    Mid,
    /// The dearest tier.
    Premium,
}

impl Tier {
    /// The snake_case name: `economy`, `mid` or `premium`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Economy => "economy",
            Tier::Mid => "mid",
            Tier::Premium => "premium",
        }
    }
}

/// One product to price.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Current price, above zero.
    pub price: f64,
    /// Unit cost, zero or more.
    pub cost: f64,
    /// Baseline weekly units sold at the current price, zero or more.
    pub units: f64,
    /// Price elasticity of demand, below zero.
    pub elasticity: f64,
    /// Ladder group (products of the same size and category) and tier; `None` when the
    /// product is not in a ladder.
    pub ladder: Option<(u32, Tier)>,
}

/// What to maximise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// Total `(price − cost) · expected units`.
    Profit,
    /// Total `price · expected units`.
    Revenue,
}

impl Objective {
    /// The snake_case name: `profit` or `revenue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Profit => "profit",
            Objective::Revenue => "revenue",
        }
    }

    /// This objective for one item at a price under a demand model ([`profit`] or
    /// [`revenue`]).
    pub fn value(self, demand: DemandModel, item: &Item, price: f64) -> f64 {
        match self {
            Objective::Profit => profit(demand, item, price),
            Objective::Revenue => revenue(demand, item, price),
        }
    }
}

/// How expected units respond to price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemandModel {
    /// Constant elasticity, `q0·(p/p0)^e`: the model the elasticities are estimated
    /// under. Solved by sequential QPs.
    ConstantElasticity,
    /// Constant elasticity linearised at the current price, `q0·(1 + e·(p − p0)/p0)`,
    /// floored at zero; prices are capped where it reaches zero. One QP.
    Linear,
}

impl DemandModel {
    /// The snake_case name: `constant_elasticity` or `linear`.
    pub fn as_str(self) -> &'static str {
        match self {
            DemandModel::ConstantElasticity => "constant_elasticity",
            DemandModel::Linear => "linear",
        }
    }

    /// The model named `name` (as [`DemandModel::as_str`] spells it).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "constant_elasticity" => Some(DemandModel::ConstantElasticity),
            "linear" => Some(DemandModel::Linear),
            _ => None,
        }
    }
}

/// The constraints on every price.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraints {
    /// Largest allowed change as a fraction of the current price, in (0, 1); 0.10 allows
    /// ±10 %.
    pub max_change: f64,
    /// Smallest allowed margin `(price − cost)/price`, in [0, 1), if any.
    pub min_margin: Option<f64>,
    /// Whether to keep prices ordered by tier within each ladder group.
    pub ladder: bool,
}

/// A pricing problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The products.
    pub items: Vec<Item>,
    /// What to maximise.
    pub objective: Objective,
    /// The constraints on every price.
    pub constraints: Constraints,
    /// How expected units respond to price.
    pub demand: DemandModel,
}

/// A constraint that holds a price at the optimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Binding {
    /// At the largest allowed increase.
    MaxIncrease,
    /// At the largest allowed decrease.
    MaxDecrease,
    /// At the minimum margin.
    MinMargin,
    /// At the price where expected demand reaches zero.
    ZeroDemand,
    /// Held down by a higher tier of its ladder group (equal to its cheapest price).
    LadderAbove,
    /// Held up by a lower tier of its ladder group (equal to its dearest price).
    LadderBelow,
}

impl Binding {
    /// The snake_case name, e.g. `max_increase` or `ladder_below`.
    pub fn as_str(self) -> &'static str {
        match self {
            Binding::MaxIncrease => "max_increase",
            Binding::MaxDecrease => "max_decrease",
            Binding::MinMargin => "min_margin",
            Binding::ZeroDemand => "zero_demand",
            Binding::LadderAbove => "ladder_above",
            Binding::LadderBelow => "ladder_below",
        }
    }
}

/// The optimal prices and how they were found.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Optimal price per item, in the order of [`Problem::items`].
    pub prices: Vec<f64>,
    /// The constraints holding each price (empty when the price is interior).
    pub binding: Vec<Vec<Binding>>,
    /// Lowest allowed price per item: the larger of the max-decrease bound and the
    /// margin floor (the ladder not included).
    pub lower: Vec<f64>,
    /// Highest allowed price per item: the smaller of the max-increase bound and the
    /// zero-demand price (the ladder not included).
    pub upper: Vec<f64>,
    /// Interior-point iterations, summed over the steps.
    pub iterations: u32,
    /// QPs solved: 1 for linear demand; under constant elasticity, the linearised start
    /// and each further step (at most [`MAX_STEPS`]).
    pub steps: u32,
    /// Whether the steps converged (no price moved by more than [`STEP_TOLERANCE`] of
    /// its current price in the last one); always true for linear demand.
    pub converged: bool,
    /// Wall-clock seconds for the whole of [`solve`]: checks, set-up, solve and polish.
    pub solve_seconds: f64,
    /// Clarabel's status in the last step: `Solved` or `AlmostSolved` (reduced accuracy).
    pub status: String,
}

/// Why an optimisation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is malformed (a bad number or setting).
    Invalid,
    /// The constraints cannot all be met.
    Infeasible,
    /// The solver did not reach a solution.
    Solver,
}

/// An optimisation error with a message naming the item, group or solver status.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// A human-readable explanation.
    pub message: String,
}

impl OptimizeError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        OptimizeError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for OptimizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OptimizeError {}

/// Expected weekly units at `price`: `units·(price/p0)^elasticity` under constant
/// elasticity, `units·(1 + elasticity·(price − p0)/p0)` floored at zero under linear
/// demand.
pub fn expected_units(demand: DemandModel, item: &Item, price: f64) -> f64 {
    match demand {
        DemandModel::ConstantElasticity => {
            if price > 0.0 {
                item.units * (price / item.price).powf(item.elasticity)
            } else {
                0.0
            }
        }
        DemandModel::Linear => {
            let relative = (price - item.price) / item.price;
            (item.units * (1.0 + item.elasticity * relative)).max(0.0)
        }
    }
}

/// Expected weekly profit at `price`: `(price − cost) · expected_units`.
pub fn profit(demand: DemandModel, item: &Item, price: f64) -> f64 {
    (price - item.cost) * expected_units(demand, item, price)
}

/// Expected weekly revenue at `price`: `price · expected_units`.
pub fn revenue(demand: DemandModel, item: &Item, price: f64) -> f64 {
    price * expected_units(demand, item, price)
}

/// The problem's objective summed over all items at the given prices (one per item).
pub fn total_objective(problem: &Problem, prices: &[f64]) -> f64 {
    problem
        .items
        .iter()
        .zip(prices)
        .map(|(item, &p)| problem.objective.value(problem.demand, item, p))
        .sum()
}

/// Finds the prices that maximise the objective under the constraints.
///
/// Errors: [`ErrorKind::Invalid`] for malformed input (naming the item and field),
/// [`ErrorKind::Infeasible`] when a margin floor or a ladder group cannot be met (naming
/// the item or group), [`ErrorKind::Solver`] when Clarabel ends in another status than
/// `Solved` or `AlmostSolved`.
pub fn solve(problem: &Problem) -> Result<Solution, OptimizeError> {
    let started = Instant::now();
    validate(problem)?;
    let bounds = model::bounds(problem)?;
    let groups = ladder_groups(problem);
    model::check_ladder(&groups, &bounds)?;
    let qp = match problem.demand {
        DemandModel::Linear => {
            let quad = model::linear_objective(problem, &model::scales(problem, &groups));
            let qp = model::solve_qp(problem, &bounds, &groups, quad)?;
            sqp::Iterated {
                x: qp.x,
                steps: 1,
                iterations: qp.iterations,
                status: qp.status,
                converged: true,
            }
        }
        DemandModel::ConstantElasticity => sqp::solve(problem, &bounds, &groups)?,
    };
    let (prices, binding) = polish::polish(problem, &bounds, &groups, &qp.x);
    Ok(Solution {
        prices,
        binding,
        lower: bounds.iter().map(|b| b.lo).collect(),
        upper: bounds.iter().map(|b| b.hi).collect(),
        iterations: qp.iterations,
        steps: qp.steps,
        converged: qp.converged,
        solve_seconds: started.elapsed().as_secs_f64(),
        status: qp.status,
    })
}

fn validate(problem: &Problem) -> Result<(), OptimizeError> {
    let invalid = |message: String| Err(OptimizeError::new(ErrorKind::Invalid, message));
    if problem.items.is_empty() {
        return invalid("there are no items to price".to_string());
    }
    let c = &problem.constraints;
    if !(c.max_change.is_finite() && c.max_change > 0.0 && c.max_change < 1.0) {
        return invalid(format!(
            "max_change must be a fraction between 0 and 1, exclusive (got {})",
            c.max_change
        ));
    }
    if let Some(m) = c.min_margin {
        if !(m.is_finite() && (0.0..1.0).contains(&m)) {
            return invalid(format!("min_margin must be a fraction in [0, 1) (got {m})"));
        }
    }
    for (i, item) in problem.items.iter().enumerate() {
        if !(item.price.is_finite() && item.price > 0.0) {
            return invalid(format!(
                "item {i}: price must be a finite number above zero (got {})",
                item.price
            ));
        }
        if !(item.cost.is_finite() && item.cost >= 0.0) {
            return invalid(format!(
                "item {i}: cost must be a finite number, zero or more (got {})",
                item.cost
            ));
        }
        if !(item.units.is_finite() && item.units >= 0.0) {
            return invalid(format!(
                "item {i}: units must be a finite number, zero or more (got {})",
                item.units
            ));
        }
        if !(item.elasticity.is_finite() && item.elasticity < 0.0) {
            return invalid(format!(
                "item {i}: elasticity must be a finite number below zero (got {})",
                item.elasticity
            ));
        }
    }
    Ok(())
}

/// A ladder group with at least two tiers present: its id and, per present tier in
/// ascending order, the indices of its items.
pub(crate) struct LadderGroup {
    pub id: u32,
    pub tiers: Vec<(Tier, Vec<usize>)>,
}

/// The ladder groups that constrain anything (none when the ladder is off), by group id.
pub(crate) fn ladder_groups(problem: &Problem) -> Vec<LadderGroup> {
    if !problem.constraints.ladder {
        return Vec::new();
    }
    let mut by_id: std::collections::BTreeMap<u32, [Vec<usize>; 3]> = Default::default();
    for (i, item) in problem.items.iter().enumerate() {
        if let Some((group, tier)) = item.ladder {
            by_id.entry(group).or_default()[tier as usize].push(i);
        }
    }
    by_id
        .into_iter()
        .filter_map(|(id, members)| {
            let tiers: Vec<(Tier, Vec<usize>)> = [Tier::Economy, Tier::Mid, Tier::Premium]
                .into_iter()
                .zip(members)
                .filter(|(_, items)| !items.is_empty())
                .collect();
            (tiers.len() >= 2).then_some(LadderGroup { id, tiers })
        })
        .collect()
}
