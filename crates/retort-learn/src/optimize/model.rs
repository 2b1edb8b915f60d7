//! Bounds, feasibility checks and the QP handed to Clarabel.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus};

use super::polish::reference_price;
use super::{DemandModel, ErrorKind, LadderGroup, Objective, OptimizeError, Problem};

/// Weight (relative to a typical product) of the pull towards the current price given to
/// products with zero baseline units.
const ZERO_UNITS_PULL: f64 = 1e-6;

/// Solver tolerances: Clarabel's defaults (1e-8) leave the prices visibly short of the
/// optimum on large problems.
const SOLVER_TOLERANCE: f64 = 1e-10;

/// Errors listed in full before "and N more".
const MAX_LISTED: usize = 5;

/// The box of one item, in prices, and the constraints it is made of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemBounds {
    /// Effective lower bound: the larger of `decrease` and `floor`.
    pub lo: f64,
    /// Effective upper bound: the smaller of `increase` and `zero_demand`.
    pub hi: f64,
    /// `p0·(1 − max_change)`.
    pub decrease: f64,
    /// `p0·(1 + max_change)`.
    pub increase: f64,
    /// `cost/(1 − min_margin)` when a minimum margin is set.
    pub floor: Option<f64>,
    /// `p0·(1 − 1/e)`, where linear demand reaches zero; infinite under constant
    /// elasticity, where demand never does.
    pub zero_demand: f64,
}

/// Each item's box; an error naming the items whose margin floor lies above their upper
/// bound.
pub(crate) fn bounds(problem: &Problem) -> Result<Vec<ItemBounds>, OptimizeError> {
    let c = &problem.constraints;
    let mut out = Vec::with_capacity(problem.items.len());
    let mut problems = Vec::new();
    for (i, item) in problem.items.iter().enumerate() {
        let decrease = item.price * (1.0 - c.max_change);
        let increase = item.price * (1.0 + c.max_change);
        let zero_demand = match problem.demand {
            DemandModel::Linear => item.price * (1.0 - 1.0 / item.elasticity),
            DemandModel::ConstantElasticity => f64::INFINITY,
        };
        let floor = c.min_margin.map(|m| item.cost / (1.0 - m));
        let lo = floor.map_or(decrease, |f| f.max(decrease));
        let hi = increase.min(zero_demand);
        if let Some(f) = floor {
            if f > hi {
                let (what, bound) = if increase <= zero_demand {
                    ("its max-increase bound", increase)
                } else {
                    ("the price where its demand reaches zero", zero_demand)
                };
                problems.push(format!(
                    "item {i}: the margin floor {f:.4} (cost {} at a {:.1} % minimum margin) \
                     lies above {what} {bound:.4}",
                    item.cost,
                    c.min_margin.unwrap_or(0.0) * 100.0
                ));
            }
        }
        out.push(ItemBounds {
            lo,
            hi,
            decrease,
            increase,
            floor,
            zero_demand,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(infeasible("the minimum margin cannot be met", problems))
    }
}

/// An error naming every ladder group (up to a few) where a lower tier cannot go below a
/// price that a higher tier cannot reach. Pairwise checks suffice: when they pass,
/// raising every item to the largest lower bound among its own and lower tiers is
/// feasible.
pub(crate) fn check_ladder(
    groups: &[LadderGroup],
    bounds: &[ItemBounds],
) -> Result<(), OptimizeError> {
    let mut problems = Vec::new();
    for group in groups {
        // Highest lower bound (and its item) of each tier; lowest upper bound of each.
        let extreme = |items: &[usize], low: bool| -> (usize, f64) {
            let mut best = (
                items[0],
                if low {
                    bounds[items[0]].lo
                } else {
                    bounds[items[0]].hi
                },
            );
            for &i in items {
                let v = if low { bounds[i].lo } else { bounds[i].hi };
                if (low && v > best.1) || (!low && v < best.1) {
                    best = (i, v);
                }
            }
            best
        };
        'pairs: for (a, (tier_a, items_a)) in group.tiers.iter().enumerate() {
            let (low_item, low) = extreme(items_a, true);
            for (tier_b, items_b) in &group.tiers[a + 1..] {
                let (high_item, high) = extreme(items_b, false);
                if low > high {
                    problems.push(format!(
                        "ladder group {}: {} and {} cannot be ordered within the bounds \
                         ({} item {low_item} cannot go below {low:.4} while {} item \
                         {high_item} cannot go above {high:.4})",
                        group.id,
                        tier_a.as_str(),
                        tier_b.as_str(),
                        tier_a.as_str(),
                        tier_b.as_str()
                    ));
                    break 'pairs;
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(infeasible("the price ladder cannot be kept", problems))
    }
}

fn infeasible(what: &str, problems: Vec<String>) -> OptimizeError {
    let count = problems.len();
    let mut message = format!("infeasible: {what}: ");
    message.push_str(&problems[..count.min(MAX_LISTED)].join("; "));
    if count > MAX_LISTED {
        message.push_str(&format!("; and {} more", count - MAX_LISTED));
    }
    OptimizeError::new(ErrorKind::Infeasible, message)
}

/// Clarabel's answer in the scaled variables `x_i = p_i/p0_i`.
pub(crate) struct QpResult {
    pub x: Vec<f64>,
    pub iterations: u32,
    pub status: String,
}

/// Each item's objective scale: the mean `q0·p0` of the selling items of its component
/// (its ladder group, or the item alone). Components share no constraint, so scaling
/// each one separately leaves the optimum unchanged and keeps a product selling a few
/// units as accurate as one selling thousands.
pub(crate) fn scales(problem: &Problem, groups: &[LadderGroup]) -> Vec<f64> {
    let mut scale: Vec<f64> = problem
        .items
        .iter()
        .map(|it| it.units * it.price)
        .map(|w| if w > 0.0 { w } else { 1.0 })
        .collect();
    for group in groups {
        let members = || {
            group
                .tiers
                .iter()
                .flat_map(|(_, items)| items.iter().copied())
        };
        let selling: Vec<f64> = members()
            .map(|i| problem.items[i].units * problem.items[i].price)
            .filter(|&w| w > 0.0)
            .collect();
        let mean = if selling.is_empty() {
            1.0
        } else {
            selling.iter().sum::<f64>() / selling.len() as f64
        };
        for i in members() {
            scale[i] = mean;
        }
    }
    scale
}

/// The separable quadratic objective `Σ ½·diag_i·x_i² + lin_i·x_i` (minimised) in the
/// scaled variables `x_i = p_i/p0_i`.
pub(crate) struct Quadratic {
    pub diag: Vec<f64>,
    pub lin: Vec<f64>,
}

impl Quadratic {
    /// Room for `n` items.
    pub fn with_capacity(n: usize) -> Self {
        Quadratic {
            diag: Vec::with_capacity(n),
            lin: Vec::with_capacity(n),
        }
    }

    /// The tiny pull `ε·(x − 1)²` that defines the price of an item without demand.
    pub fn push_idle(&mut self) {
        self.diag.push(2.0 * ZERO_UNITS_PULL);
        self.lin.push(-2.0 * ZERO_UNITS_PULL);
    }
}

/// The objective under demand linearised at the current price: for an item with weight
/// `w = q0·p0/scale` and `γ = c/p0` (0 for revenue), `w·(x − γ)·(1 − e + e·x)`, negated.
pub(crate) fn linear_objective(problem: &Problem, scale: &[f64]) -> Quadratic {
    let mut quad = Quadratic::with_capacity(problem.items.len());
    for (i, item) in problem.items.iter().enumerate() {
        let w = item.units * item.price / scale[i];
        let e = item.elasticity;
        if w > 0.0 {
            quad.diag.push(-2.0 * w * e);
            quad.lin
                .push(-w * (1.0 - e - gamma(problem.objective, item) * e));
        } else {
            quad.push_idle();
        }
    }
    quad
}

/// `c/p0` for profit, 0 for revenue.
pub(crate) fn gamma(objective: Objective, item: &super::Item) -> f64 {
    match objective {
        Objective::Profit => item.cost / item.price,
        Objective::Revenue => 0.0,
    }
}

/// Builds and solves the QP with the objective `quad` and the problem's constraints; an
/// error unless Clarabel reports `Solved` or `AlmostSolved`.
pub(crate) fn solve_qp(
    problem: &Problem,
    bounds: &[ItemBounds],
    groups: &[LadderGroup],
    quad: Quadratic,
) -> Result<QpResult, OptimizeError> {
    let n = problem.items.len();
    let boundaries: usize = groups.iter().map(|g| g.tiers.len() - 1).sum();
    let vars = n + boundaries;
    let Quadratic { diag, mut lin } = quad;
    lin.resize(vars, 0.0);
    let mut colptr: Vec<usize> = (0..=n).collect();
    colptr.resize(vars + 1, n);
    let p_matrix = CscMatrix::new(vars, vars, colptr, (0..n).collect(), diag);

    // Constraints A·x ≤ b: the box, then the ladder rows.
    let ladder_rows: usize = groups
        .iter()
        .map(|g| {
            let sizes: Vec<usize> = g.tiers.iter().map(|(_, items)| items.len()).collect();
            sizes.iter().sum::<usize>() * 2 - sizes[0] - sizes[sizes.len() - 1]
        })
        .sum();
    let rows = 2 * n + ladder_rows;
    let mut ri = Vec::with_capacity(2 * rows);
    let mut ci = Vec::with_capacity(2 * rows);
    let mut vi = Vec::with_capacity(2 * rows);
    let mut b = Vec::with_capacity(rows);
    for (i, (item, bd)) in problem.items.iter().zip(bounds).enumerate() {
        ri.extend([2 * i, 2 * i + 1]);
        ci.extend([i, i]);
        vi.extend([1.0, -1.0]);
        b.extend([bd.hi / item.price, -bd.lo / item.price]);
    }
    let mut aux = n;
    for group in groups {
        let reference = reference_price(problem, group);
        for pair in group.tiers.windows(2) {
            // lower item j: (p0_j/r)·x_j − s ≤ 0
            for &j in &pair[0].1 {
                let row = b.len();
                ri.extend([row, row]);
                ci.extend([j, aux]);
                vi.extend([problem.items[j].price / reference, -1.0]);
                b.push(0.0);
            }
            // upper item i: s − (p0_i/r)·x_i ≤ 0
            for &i in &pair[1].1 {
                let row = b.len();
                ri.extend([row, row]);
                ci.extend([i, aux]);
                vi.extend([-problem.items[i].price / reference, 1.0]);
                b.push(0.0);
            }
            aux += 1;
        }
    }
    let a_matrix = CscMatrix::new_from_triplets(b.len(), vars, ri, ci, vi);
    let cones = [NonnegativeConeT(b.len())];

    let settings = DefaultSettings {
        verbose: false,
        tol_gap_abs: SOLVER_TOLERANCE,
        tol_gap_rel: SOLVER_TOLERANCE,
        tol_feas: SOLVER_TOLERANCE,
        tol_ktratio: 1e-8,
        max_iter: 200,
        ..DefaultSettings::default()
    };
    let mut solver =
        DefaultSolver::new(&p_matrix, &lin, &a_matrix, &b, &cones, settings).map_err(|e| {
            OptimizeError::new(
                ErrorKind::Solver,
                format!("the solver rejected the problem: {e}"),
            )
        })?;
    solver.solve();
    let status = solver.solution.status;
    let iterations = solver.solution.iterations;
    match status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => Ok(QpResult {
            x: solver.solution.x[..n].to_vec(),
            iterations,
            status: status.to_string(),
        }),
        other => Err(OptimizeError::new(
            ErrorKind::Solver,
            format!("the solver stopped with status {other} after {iterations} iterations"),
        )),
    }
}
