//! Constant-elasticity demand: sequential quadratic programming over the same
//! constraints.
//!
//! Under `q = q0·(p/p0)^e` an item's objective in the scaled variable `x = p/p0` is
//! `f(x) = w·(x − γ)·x^e` with `w = q0·p0/scale` and `γ = c/p0` (0 for revenue). It is
//! not a quadratic, so it is reached in steps, each one the convex QP of
//! [`model::solve_qp`] with the problem's constraints unchanged:
//!
//! 1. The first step is the QP under demand linearised at the current prices (the linear
//!    model's own answer): a feasible start close to the optimum.
//! 2. Every further step maximises the second-order model of `f` around the last prices
//!    `x_k`: `f(x_k) + f'(x_k)·(x − x_k) − ½·h·(x − x_k)²`, with `h = −f''(x_k)` where
//!    `f` is concave there and never less than a fraction ([`CURVATURE_FLOOR`]) of the
//!    linearised demand's curvature `−2·e·w·x_k^(e−1)`, so every step's QP is convex.
//! 3. The step from `x_k` towards the QP's answer is taken per component (a ladder group,
//!    or an item alone: they share no constraint and their objectives add up), shortened
//!    (halved until the true objective rises by an Armijo fraction of the predicted
//!    gain) so the objective never falls — no oscillation; both ends are feasible, so
//!    every point between is — or lengthened while a longer step stays feasible and
//!    gains more (see [`step_length`]).
//! 4. The iteration stops when no price moves by more than [`STEP_TOLERANCE`] of its
//!    current price (a tenth of a cent on a $1,000 tire), when no step improves the
//!    objective, or after [`MAX_STEPS`].
//!
//! At a fixed point the gradient of the model equals the gradient of `f`, so the prices
//! satisfy the optimality conditions of the constant-elasticity problem. Where `f` is
//! concave near the optimum (profit with `|e| > 1`, the usual case) the steps are Newton
//! steps and converge quadratically: a handful of QPs.

use super::model::{self, ItemBounds, Quadratic};
use super::{LadderGroup, OptimizeError, Problem};

/// Most QPs solved for one problem.
pub const MAX_STEPS: u32 = 40;

/// Largest move of any price, relative to its current price, at which the iteration has
/// converged.
pub const STEP_TOLERANCE: f64 = 1e-6;

/// Smallest curvature of a step's model, relative to that of linearised demand.
const CURVATURE_FLOOR: f64 = 0.05;

/// Sufficient increase (Armijo) fraction of the predicted gain.
const ARMIJO: f64 = 1e-4;

/// Halvings of a step before giving up on it.
const MAX_HALVINGS: u32 = 30;

/// Longest step, as a multiple of the model's.
const MAX_STRETCH: f64 = 16.0;

/// The iterated solution in the scaled variables.
pub(crate) struct Iterated {
    pub x: Vec<f64>,
    pub steps: u32,
    pub iterations: u32,
    pub status: String,
    pub converged: bool,
}

/// Per item: the scaled weight `w`, `γ`, the elasticity and the box in `x`.
struct Terms {
    w: Vec<f64>,
    gamma: Vec<f64>,
    e: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl Terms {
    fn new(problem: &Problem, bounds: &[ItemBounds], scale: &[f64]) -> Self {
        let items = &problem.items;
        Terms {
            w: items
                .iter()
                .zip(scale)
                .map(|(it, s)| it.units * it.price / s)
                .collect(),
            gamma: items
                .iter()
                .map(|it| model::gamma(problem.objective, it))
                .collect(),
            e: items.iter().map(|it| it.elasticity).collect(),
            lo: items
                .iter()
                .zip(bounds)
                .map(|(it, b)| b.lo / it.price)
                .collect(),
            hi: items
                .iter()
                .zip(bounds)
                .map(|(it, b)| b.hi / it.price)
                .collect(),
        }
    }

    /// `f_i(x)`.
    fn value(&self, i: usize, x: f64) -> f64 {
        if self.w[i] > 0.0 {
            self.w[i] * (x - self.gamma[i]) * x.powf(self.e[i])
        } else {
            0.0
        }
    }

    /// `(f_i'(x), f_i''(x))`.
    fn derivatives(&self, i: usize, x: f64) -> (f64, f64) {
        let (w, g, e) = (self.w[i], self.gamma[i], self.e[i]);
        let xe2 = x.powf(e - 2.0);
        let first = w * x * xe2 * ((1.0 + e) * x - e * g);
        let second = w * e * xe2 * ((1.0 + e) * x - (e - 1.0) * g);
        (first, second)
    }

    fn clamp(&self, x: &mut [f64]) {
        for (i, xi) in x.iter_mut().enumerate() {
            *xi = xi.max(self.lo[i]).min(self.hi[i]);
        }
    }

    /// The second-order model of `−f` around `x`, curvature floored.
    fn newton_objective(&self, x: &[f64]) -> Quadratic {
        let mut quad = Quadratic::with_capacity(x.len());
        for (i, &xi) in x.iter().enumerate() {
            if self.w[i] > 0.0 {
                let (g, second) = self.derivatives(i, xi);
                let linear = -2.0 * self.e[i] * self.w[i] * xi.powf(self.e[i] - 1.0);
                let h = (-second).max(CURVATURE_FLOOR * linear);
                quad.diag.push(h);
                quad.lin.push(-g - h * xi);
            } else {
                quad.push_idle();
            }
        }
        quad
    }
}

/// A set of items that share constraints (a ladder group, or one item alone): the unit
/// of the line search.
struct Component<'a> {
    items: Vec<usize>,
    /// The group's tiers, cheapest first; empty for an item alone.
    tiers: &'a [(super::Tier, Vec<usize>)],
}

/// Every item in exactly one component.
fn components<'a>(n: usize, groups: &'a [LadderGroup]) -> Vec<Component<'a>> {
    let mut grouped = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for group in groups {
        let items: Vec<usize> = group
            .tiers
            .iter()
            .flat_map(|(_, items)| items.iter().copied())
            .collect();
        for &i in &items {
            grouped[i] = true;
        }
        out.push(Component {
            items,
            tiers: &group.tiers,
        });
    }
    out.extend((0..n).filter(|&i| !grouped[i]).map(|i| Component {
        items: vec![i],
        tiers: &[],
    }));
    out
}

/// Whether `x + alpha·d` over a component's items lies in their boxes and keeps its
/// ladder (to a relative slack: the polish step removes what is left).
fn feasible(
    problem: &Problem,
    terms: &Terms,
    comp: &Component<'_>,
    x: &[f64],
    d: &[f64],
    alpha: f64,
) -> bool {
    const SLACK: f64 = 1e-9;
    let at = |i: usize| x[i] + alpha * d[i];
    if comp
        .items
        .iter()
        .any(|&i| at(i) < terms.lo[i] - SLACK || at(i) > terms.hi[i] + SLACK)
    {
        return false;
    }
    let price = |i: usize| at(i) * problem.items[i].price;
    comp.tiers.windows(2).all(|pair| {
        let max_low = pair[0].1.iter().map(|&i| price(i)).fold(f64::MIN, f64::max);
        let min_up = pair[1].1.iter().map(|&i| price(i)).fold(f64::MAX, f64::min);
        max_low <= min_up * (1.0 + SLACK)
    })
}

/// The step length along `d` for one component: the first of 1, ½, ¼, … that raises
/// its objective by an Armijo fraction of the predicted gain, lengthened (2, 4, … up to
/// [`MAX_STRETCH`]) while the longer step stays feasible and gains more — where the
/// model's curvature overstates the objective's (a component held together by the
/// ladder with items whose objective is convex there) the plain step is short, and the
/// longer ones recover the lost speed. Zero when no step gains.
fn step_length(
    problem: &Problem,
    terms: &Terms,
    comp: &Component<'_>,
    x: &[f64],
    d: &[f64],
) -> f64 {
    let value = |alpha: f64| -> f64 {
        comp.items
            .iter()
            .map(|&i| terms.value(i, x[i] + alpha * d[i]))
            .sum()
    };
    let slope: f64 = comp
        .items
        .iter()
        .map(|&i| terms.derivatives(i, x[i]).0 * d[i])
        .sum();
    if slope <= 0.0 {
        return 0.0;
    }
    let base = value(0.0);
    let mut alpha = 1.0;
    for _ in 0..MAX_HALVINGS {
        let v = value(alpha);
        if v >= base + ARMIJO * alpha * slope {
            if alpha == 1.0 {
                let mut best = v;
                let mut longer = 2.0;
                while longer <= MAX_STRETCH && feasible(problem, terms, comp, x, d, longer) {
                    let v = value(longer);
                    if v <= best {
                        break;
                    }
                    best = v;
                    alpha = longer;
                    longer *= 2.0;
                }
            }
            return alpha;
        }
        alpha *= 0.5;
    }
    0.0
}

/// Solves the problem under constant-elasticity demand (see the module documentation).
pub(crate) fn solve(
    problem: &Problem,
    bounds: &[ItemBounds],
    groups: &[LadderGroup],
) -> Result<Iterated, OptimizeError> {
    let scale = model::scales(problem, groups);
    let terms = Terms::new(problem, bounds, &scale);
    let first = model::solve_qp(
        problem,
        bounds,
        groups,
        model::linear_objective(problem, &scale),
    )?;
    let mut x = first.x;
    terms.clamp(&mut x);
    let comps = components(x.len(), groups);
    let mut out = Iterated {
        x: Vec::new(),
        steps: 1,
        iterations: first.iterations,
        status: first.status,
        converged: false,
    };
    while out.steps < MAX_STEPS {
        let qp = model::solve_qp(problem, bounds, groups, terms.newton_objective(&x))?;
        out.steps += 1;
        out.iterations += qp.iterations;
        out.status = qp.status;
        let mut target = qp.x;
        terms.clamp(&mut target);
        let d: Vec<f64> = target.iter().zip(&x).map(|(t, a)| t - a).collect();
        let mut moved: f64 = 0.0;
        for comp in &comps {
            let largest = comp.items.iter().map(|&i| d[i].abs()).fold(0.0, f64::max);
            if largest <= STEP_TOLERANCE {
                // Within the tolerance: take the model's answer as it is, unless it is
                // worse.
                let (before, after): (f64, f64) = comp.items.iter().fold((0.0, 0.0), |acc, &i| {
                    (
                        acc.0 + terms.value(i, x[i]),
                        acc.1 + terms.value(i, target[i]),
                    )
                });
                if after >= before {
                    for &i in &comp.items {
                        x[i] = target[i];
                    }
                }
                continue;
            }
            let alpha = step_length(problem, &terms, comp, &x, &d);
            for &i in &comp.items {
                x[i] += alpha * d[i];
            }
            moved = moved.max(alpha * largest);
        }
        terms.clamp(&mut x);
        if moved <= STEP_TOLERANCE {
            out.converged = true;
            break;
        }
    }
    out.x = x;
    Ok(out)
}
