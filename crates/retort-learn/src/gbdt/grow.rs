//! Training: checks, column coding, and the boosting loop that grows each tree from
//! gradient histograms.

use std::collections::HashMap;

use super::bins::Binned;
use super::{
    Booster, Column, Dataset, Feature, FeatureKind, Node, Params, SplitMix64, TrainError, encode,
};

/// Names the graph uses for its own values; no column may take them.
const RESERVED: &str = "variable";
/// Prefix of the graph's intermediate values.
pub(super) const INTERNAL_PREFIX: &str = "_gbdt_";

/// Trains a booster on `data` against `target`. `progress` is called after every tree
/// with (trees done, trees asked for); when it returns false training stops there and
/// the trees grown so far are returned ([`Booster::trees`] tells how many).
pub fn train(
    data: &Dataset,
    target: &[f64],
    params: &Params,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Booster, TrainError> {
    check_params(params)?;
    let rows = check_data(data, target, params.log_target)?;
    let y: Vec<f64> = if params.log_target {
        target.iter().map(|v| v.ln()).collect()
    } else {
        target.to_vec()
    };

    let columns: Vec<Column> = data.features.iter().map(|f| column(f, &y)).collect();
    let encoded: Vec<Vec<f32>> = columns
        .iter()
        .zip(&data.features)
        .map(|(c, f)| encode(c, Some(f), rows))
        .collect();
    let binned = Binned::new(&encoded, rows, params.max_bins);
    drop(encoded);

    let base = (y.iter().sum::<f64>() / rows as f64) as f32;
    let mut pred = vec![f64::from(base); rows];
    let mut grad: Vec<f64> = pred.iter().zip(&y).map(|(p, t)| p - t).collect();
    let mut grower = Grower::new(&binned, params);
    let mut rng = SplitMix64(params.seed);
    let mut trees = Vec::with_capacity(params.trees);
    for t in 0..params.trees {
        grower.order.clear();
        if params.subsample < 1.0 {
            grower
                .order
                .extend((0..rows as u32).filter(|_| rng.unit() < params.subsample));
        } else {
            grower.order.extend(0..rows as u32);
        }
        let tree = grower.tree(&grad);
        for r in 0..rows {
            pred[r] += f64::from(grower.leaf_of(&tree, r));
            grad[r] = pred[r] - y[r];
        }
        trees.push(tree);
        if !progress(t + 1, params.trees) {
            break;
        }
    }
    Ok(Booster {
        columns,
        base,
        trees,
        log_target: params.log_target,
        gains: grower.gains,
    })
}

fn check_params(p: &Params) -> Result<(), TrainError> {
    let fail = |m: String| Err(TrainError::new(m));
    if p.trees == 0 {
        return fail("trees must be at least 1".into());
    }
    if !(p.learning_rate.is_finite() && p.learning_rate > 0.0) {
        return fail(format!(
            "learning_rate must be a positive number, got {}",
            p.learning_rate
        ));
    }
    if p.max_depth == 0 {
        return fail("max_depth must be at least 1".into());
    }
    if p.min_samples_leaf == 0 {
        return fail("min_samples_leaf must be at least 1".into());
    }
    if !(2..=usize::from(u16::MAX)).contains(&p.max_bins) {
        return fail(format!(
            "max_bins must be between 2 and 65535, got {}",
            p.max_bins
        ));
    }
    if !(p.l2.is_finite() && p.l2 >= 0.0) {
        return fail(format!("l2 must be a number >= 0, got {}", p.l2));
    }
    if !(p.subsample > 0.0 && p.subsample <= 1.0) {
        return fail(format!("subsample must be in (0, 1], got {}", p.subsample));
    }
    Ok(())
}

/// Checks columns and target; returns the number of rows.
fn check_data(data: &Dataset, target: &[f64], log_target: bool) -> Result<usize, TrainError> {
    let Some(first) = data.features.first() else {
        return Err(TrainError::new("the data set has no columns"));
    };
    let rows = first.len();
    if rows == 0 {
        return Err(TrainError::new("the data set has no rows"));
    }
    if rows > u32::MAX as usize {
        return Err(TrainError::new(format!(
            "the data set has {rows} rows, more than {} can be trained on",
            u32::MAX
        )));
    }
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, f) in data.features.iter().enumerate() {
        let name = f.name();
        if name.is_empty() {
            return Err(TrainError::new(format!("column {i} has no name")));
        }
        if name == RESERVED || name.starts_with(INTERNAL_PREFIX) {
            return Err(TrainError::new(format!(
                "column {name:?}: the name is reserved by the exported graph \
                 (\"{RESERVED}\" and names starting with \"{INTERNAL_PREFIX}\")"
            )));
        }
        if names.insert(name, i).is_some() {
            return Err(TrainError::new(format!("two columns are named {name:?}")));
        }
        if f.len() != rows {
            return Err(TrainError::new(format!(
                "column {name:?} has {} values but column {:?} has {rows}",
                f.len(),
                first.name()
            )));
        }
        if let Feature::Numeric { values, int, .. } = f {
            for (r, &v) in values.iter().enumerate() {
                if v.is_nan() {
                    continue;
                }
                if !(v as f32).is_finite() {
                    return Err(TrainError::new(format!(
                        "column {name:?} has a value out of range at row {r} ({v}); \
                         use NaN for a missing value"
                    )));
                }
                if *int && v.fract() != 0.0 {
                    return Err(TrainError::new(format!(
                        "column {name:?} holds integers but row {r} has {v}"
                    )));
                }
            }
        }
    }
    if target.len() != rows {
        return Err(TrainError::new(format!(
            "the target has {} values but the data set has {rows} rows",
            target.len()
        )));
    }
    for (r, &v) in target.iter().enumerate() {
        if !v.is_finite() {
            return Err(TrainError::new(format!(
                "the target is not a finite number at row {r} ({v})"
            )));
        }
        if log_target && v <= 0.0 {
            return Err(TrainError::new(format!(
                "the target must be positive to be fitted on a log scale, but row {r} has {v}"
            )));
        }
    }
    Ok(rows)
}

/// A trained column: numbers as they are, categories ordered by their mean target
/// (ties by name; the empty string is missing and gets no code).
fn column(feature: &Feature, y: &[f64]) -> Column {
    let kind = match feature {
        Feature::Numeric { int: false, .. } => FeatureKind::Float,
        Feature::Numeric { int: true, .. } => FeatureKind::Int,
        Feature::Flag { .. } => FeatureKind::Bool,
        Feature::Categorical { levels, codes, .. } => {
            // Per level: (sum of targets, rows). A text held by two levels counts once.
            let mut stats: HashMap<&str, (f64, usize)> = HashMap::new();
            let mut per_level = vec![(0.0, 0usize); levels.len()];
            for (&c, &t) in codes.iter().zip(y) {
                if let Some(e) = per_level.get_mut(c as usize) {
                    e.0 += t;
                    e.1 += 1;
                }
            }
            for (level, (sum, n)) in levels.iter().zip(per_level) {
                if n > 0 && !level.is_empty() {
                    let e = stats.entry(level.as_str()).or_insert((0.0, 0));
                    e.0 += sum;
                    e.1 += n;
                }
            }
            let mut means: Vec<(&str, f64)> = stats
                .into_iter()
                .map(|(k, (sum, n))| (k, sum / n as f64))
                .collect();
            means.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(b.0)));
            FeatureKind::Categorical(means.into_iter().map(|(k, _)| k.to_owned()).collect())
        }
    };
    Column {
        name: feature.name().to_owned(),
        kind,
    }
}

/// The best split of a node: rows with `code <= bin` in `feature` go left.
struct Split {
    feature: usize,
    bin: u16,
    gain: f64,
    left_g: f64,
    left_n: f64,
}

/// A histogram slot: (sum of gradients, row count).
type Slot = [f64; 2];

/// Grows trees on the binned matrix; keeps its buffers from one tree to the next.
struct Grower<'a> {
    binned: &'a Binned,
    max_depth: usize,
    min_leaf: f64,
    l2: f64,
    learning_rate: f64,
    /// The rows of the current tree, each node's rows contiguous.
    order: Vec<u32>,
    scratch: Vec<u32>,
    pool: Vec<Vec<Slot>>,
    nodes: Vec<Node>,
    /// Total split gain per column.
    gains: Vec<f64>,
}

impl<'a> Grower<'a> {
    fn new(binned: &'a Binned, p: &Params) -> Self {
        Self {
            binned,
            max_depth: p.max_depth,
            min_leaf: p.min_samples_leaf as f64,
            l2: p.l2,
            learning_rate: p.learning_rate,
            order: Vec::new(),
            scratch: Vec::new(),
            pool: Vec::new(),
            nodes: Vec::new(),
            gains: vec![0.0; binned.features],
        }
    }

    /// A tree fitted to `grad` on the rows in `order`.
    fn tree(&mut self, grad: &[f64]) -> Vec<Node> {
        self.nodes.clear();
        let n = self.order.len();
        let g: f64 = self.order.iter().map(|&r| grad[r as usize]).sum();
        let hist = (self.max_depth > 0).then(|| self.hist(grad, 0, n));
        self.grow(grad, 0, n, hist, g, n as f64, 0);
        std::mem::take(&mut self.nodes)
    }

    /// Grows the node over `order[start..end]` (gradient sum `g`, `n` rows) and its
    /// subtree; `hist` is its histogram, `None` when it is too deep to split.
    #[allow(clippy::too_many_arguments)]
    fn grow(
        &mut self,
        grad: &[f64],
        start: usize,
        end: usize,
        hist: Option<Vec<Slot>>,
        g: f64,
        n: f64,
        depth: usize,
    ) -> u32 {
        let id = self.nodes.len();
        self.nodes.push(Node::Leaf(0.0));
        let split = match &hist {
            Some(h) if depth < self.max_depth && n >= 2.0 * self.min_leaf => {
                self.best_split(h, g, n)
            }
            _ => None,
        };
        let Some(s) = split else {
            let value = if n + self.l2 > 0.0 {
                -g / (n + self.l2) * self.learning_rate
            } else {
                0.0
            };
            self.nodes[id] = Node::Leaf(value as f32);
            if let Some(h) = hist {
                self.pool.push(h);
            }
            return id as u32;
        };
        self.gains[s.feature] += s.gain;
        let mid = self.partition(start, end, s.feature, s.bin);
        let (left_hist, right_hist) = match hist {
            Some(mut parent) if depth + 1 < self.max_depth => {
                let left_smaller = mid - start <= end - mid;
                let small = if left_smaller {
                    self.hist(grad, start, mid)
                } else {
                    self.hist(grad, mid, end)
                };
                for (p, s) in parent.iter_mut().zip(&small) {
                    p[0] -= s[0];
                    p[1] -= s[1];
                }
                if left_smaller {
                    (Some(small), Some(parent))
                } else {
                    (Some(parent), Some(small))
                }
            }
            other => {
                if let Some(h) = other {
                    self.pool.push(h);
                }
                (None, None)
            }
        };
        let left = self.grow(grad, start, mid, left_hist, s.left_g, s.left_n, depth + 1);
        let right = self.grow(
            grad,
            mid,
            end,
            right_hist,
            g - s.left_g,
            n - s.left_n,
            depth + 1,
        );
        let threshold = self.binned.cuts[s.feature][usize::from(s.bin)];
        self.nodes[id] = Node::Split {
            feature: s.feature as u32,
            bin: s.bin,
            threshold,
            left,
            right,
        };
        id as u32
    }

    /// The histogram of the rows `order[start..end]`.
    fn hist(&mut self, grad: &[f64], start: usize, end: usize) -> Vec<Slot> {
        let mut h = self.pool.pop().unwrap_or_default();
        h.clear();
        h.resize(self.binned.total_bins(), [0.0; 2]);
        let nf = self.binned.features;
        let offsets = &self.binned.offsets[..nf];
        for &r in &self.order[start..end] {
            let r = r as usize;
            let g = grad[r];
            let row = &self.binned.codes[r * nf..(r + 1) * nf];
            for (&code, &offset) in row.iter().zip(offsets) {
                let slot = &mut h[offset + usize::from(code)];
                slot[0] += g;
                slot[1] += 1.0;
            }
        }
        h
    }

    /// The split with the highest gain, if any gains and leaves both sides at least
    /// `min_samples_leaf` rows.
    fn best_split(&self, hist: &[Slot], g: f64, n: f64) -> Option<Split> {
        let l2 = self.l2;
        let parent = g * g / (n + l2);
        let mut best_gain = 1e-12 * (1.0 + parent);
        let mut best = None;
        for f in 0..self.binned.features {
            let slots = &hist[self.binned.offsets[f]..self.binned.offsets[f + 1]];
            let (mut gl, mut nl) = (0.0, 0.0);
            for (b, slot) in slots.iter().enumerate().take(slots.len().saturating_sub(1)) {
                gl += slot[0];
                nl += slot[1];
                if nl < self.min_leaf || slot[1] == 0.0 {
                    continue;
                }
                let nr = n - nl;
                if nr < self.min_leaf {
                    break;
                }
                let gr = g - gl;
                let gain = gl * gl / (nl + l2) + gr * gr / (nr + l2) - parent;
                if gain > best_gain {
                    best_gain = gain;
                    best = Some(Split {
                        feature: f,
                        bin: b as u16,
                        gain,
                        left_g: gl,
                        left_n: nl,
                    });
                }
            }
        }
        best
    }

    /// Reorders `order[start..end]` so rows going left come first (both sides keep
    /// their order); returns where the right side starts.
    fn partition(&mut self, start: usize, end: usize, feature: usize, bin: u16) -> usize {
        let nf = self.binned.features;
        let codes = &self.binned.codes;
        self.scratch.clear();
        let mut write = start;
        for i in start..end {
            let r = self.order[i];
            if codes[r as usize * nf + feature] <= bin {
                self.order[write] = r;
                write += 1;
            } else {
                self.scratch.push(r);
            }
        }
        self.order[write..end].copy_from_slice(&self.scratch);
        write
    }

    /// The value of the leaf training row `row` reaches in `tree`, following bin codes.
    fn leaf_of(&self, tree: &[Node], row: usize) -> f32 {
        let nf = self.binned.features;
        let mut i = 0usize;
        loop {
            match tree.get(i) {
                Some(Node::Split {
                    feature,
                    bin,
                    left,
                    right,
                    ..
                }) => {
                    let code = self.binned.codes[row * nf + *feature as usize];
                    i = if code <= *bin { *left } else { *right } as usize;
                }
                Some(Node::Leaf(v)) => return *v,
                None => return 0.0,
            }
        }
    }
}
