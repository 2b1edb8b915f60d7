//! Evaluating a validated tree ensemble: each row walks each tree from its root to a
//! leaf. Load has checked that every walk ends at a leaf within
//! [`MAX_TREE_DEPTH`](crate::MAX_TREE_DEPTH) steps and that every feature read is below
//! the row width the run checks once per batch, so the walk itself checks nothing.
//!
//! Sums take blocks of [`BLOCK_ROWS`] rows through the trees one tree at a time. When
//! every branch makes the same comparison (the usual export), the rows of a block step
//! through a tree together, level by level, as many steps as the tree is deep: a row at
//! its leaf stays there (a leaf leads to itself), the comparison is compiled in (no
//! branch on the node's mode), and the next node is picked by the comparison's outcome
//! rather than jumped to, so the rows' walks overlap instead of waiting on mispredicted
//! branches. Per row and target, the leaves' weights are added in tree order, as before.

use super::{
    Aggregate, BLOCK_ROWS, LOCKSTEP_DEPTH, Mode, Node, PACKED_NODES, SMALL_MISSING_FIRST,
    STEP_MISSING_FIRST, Small, Split, Step64, TreeEnsemble,
};

/// A comparison compiled into the walk: whether a row with value `x` goes to a branch's
/// second child (`next[1]`: the comparison fails and the value is not a missing value
/// routed to the first). `missing_first` is the node's own flag, read under
/// [`Split::MissingPerNode`] only.
trait Compare {
    /// Whether rows step together (false: each node's own mode is read, row by row).
    const LOCKSTEP: bool = true;
    /// Whether the comparison reads the node's flag.
    const FLAGGED: bool = false;
    /// The same comparison for rows without a missing value, where the flag does not
    /// matter.
    type NoNan: Compare;
    fn second(x: f32, threshold: f32, missing_first: bool) -> bool;
}

macro_rules! compare {
    ($($name:ident($no_nan:ident, $flagged:literal): |$x:ident, $t:ident, $m:ident| $second:expr;)*) => {$(
        struct $name;
        impl Compare for $name {
            const FLAGGED: bool = $flagged;
            type NoNan = $no_nan;
            #[inline(always)]
            #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN makes every comparison false
            fn second($x: f32, $t: f32, $m: bool) -> bool {
                $second
            }
        }
    )*};
}

// `…Nan` variants send NaN to the first child (`nodes_missing_value_tracks_true`); the
// others send it wherever the comparison, false for NaN, sends it; `…Flag` variants
// read the node's flag. The ordered forms that route NaN to the first child (`x > t` for
// `not (x <= t or x is NaN)`) hold for thresholds that are numbers: an ensemble with a
// NaN threshold is walked `PerNode`. `&` and `|` rather than `&&` and `||`: no branch.
// In blocks without a NaN, the `…Flag` variants (flagged `true`) give way to the one
// in parentheses (`x > t`, the plain comparison for a number); the others stand for
// themselves.
compare! {
    Leq(Leq, false): |x, t, _m| !(x <= t);
    LeqNan(LeqNan, false): |x, t, _m| x > t;
    LeqFlag(LeqNan, true): |x, t, m| (x > t) | (x.is_nan() & !m);
    Lt(Lt, false): |x, t, _m| !(x < t);
    LtNan(LtNan, false): |x, t, _m| x >= t;
    LtFlag(LtNan, true): |x, t, m| (x >= t) | (x.is_nan() & !m);
    Gte(Gte, false): |x, t, _m| !(x >= t);
    GteNan(GteNan, false): |x, t, _m| x < t;
    GteFlag(GteNan, true): |x, t, m| (x < t) | (x.is_nan() & !m);
    Gt(Gt, false): |x, t, _m| !(x > t);
    GtNan(GtNan, false): |x, t, _m| x <= t;
    GtFlag(GtNan, true): |x, t, m| (x <= t) | (x.is_nan() & !m);
    Eq(Eq, false): |x, t, _m| x != t;
    EqNan(EqNan, false): |x, t, _m| (x != t) & !x.is_nan();
    EqFlag(Eq, true): |x, t, m| (x != t) & !(x.is_nan() & m);
    Neq(Neq, false): |x, t, _m| x == t;
}

/// Branches that differ: each row walks each tree to its leaf, reading the node's mode.
struct PerNode;
impl Compare for PerNode {
    const LOCKSTEP: bool = false;
    type NoNan = PerNode;
    fn second(_: f32, _: f32, _: bool) -> bool {
        false
    }
}

impl TreeEnsemble {
    /// The index of the leaf a row reaches in the tree rooted at `root`.
    #[inline]
    pub(super) fn leaf(&self, root: u32, row: &[f32]) -> usize {
        self.descend(root, row, |_, node| node.threshold, f32::is_nan)
    }

    /// The leaf a row reaches from `root`, each branch comparing the row's feature with
    /// `threshold(node index, node)`.
    #[inline]
    fn descend<T: Copy + PartialOrd>(
        &self,
        root: u32,
        row: &[T],
        threshold: impl Fn(usize, &Node) -> T,
        is_nan: fn(T) -> bool,
    ) -> usize {
        let mut i = root as usize;
        loop {
            let node = &self.nodes[i];
            let x = match node.mode {
                Mode::Leaf => return i,
                _ => row[node.feature as usize],
            };
            let t = threshold(i, node);
            let holds = match node.mode {
                Mode::Leq => x <= t,
                Mode::Lt => x < t,
                Mode::Gte => x >= t,
                Mode::Gt => x > t,
                Mode::Eq => x == t,
                _ => x != t,
            };
            let go_true = holds || (node.missing_true && is_nan(x));
            i = if go_true { node.a } else { node.b } as usize;
        }
    }

    /// The index of the leaf a row of doubles reaches in the tree rooted at `root`,
    /// comparing in double precision with the double thresholds if the graph has them.
    fn leaf_f64(&self, root: u32, row: &[f64]) -> usize {
        match &self.thresholds64 {
            Some(t) => self.descend(root, row, |i, _| t[i], f64::is_nan),
            None => self.descend(root, row, |_, n| f64::from(n.threshold), f64::is_nan),
        }
    }

    /// [`Self::raw_scores`] for rows of doubles, row by row and tree by tree (in the
    /// order of `roots`, each tree's weights summed in double precision).
    pub(super) fn raw_scores_f64(&self, data: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        let nt = self.n_targets;
        let mut out = vec![0.0f64; rows * nt];
        if matches!(self.aggregate, Aggregate::Sum | Aggregate::Average) {
            // The usual split (`x <= t`, missing values to the false child) walks compact
            // steps a fixed number of times per tree: a leaf leads to itself.
            let steps = (self.split == Split::Uniform(Mode::Leq, false)).then(|| {
                self.steps64.get_or_init(|| {
                    self.steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Step64 {
                            threshold: match &self.thresholds64 {
                                Some(t) => t[i],
                                None => f64::from(s.threshold),
                            },
                            feature: s.feature,
                            next: s.next,
                        })
                        .collect()
                })
            });
            // Blocks of rows, tree by tree, so one tree's nodes stay in cache; each row
            // still adds its trees' weights in the order of `roots`.
            for start in (0..rows).step_by(BLOCK_ROWS) {
                let end = (start + BLOCK_ROWS).min(rows);
                for (tree, &root) in self.roots.iter().enumerate() {
                    let depth = self.depths.get(tree).copied().unwrap_or(0);
                    for r in start..end {
                        let row = &data[r * cols..(r + 1) * cols];
                        let leaf = match steps {
                            Some(steps) => {
                                let mut i = root as usize;
                                for _ in 0..depth {
                                    let s = &steps[i];
                                    // NaN fails `x <= t`: to the false child, as asked.
                                    let holds = row[s.feature as usize] <= s.threshold;
                                    i = s.next[usize::from(!holds)] as usize;
                                }
                                i
                            }
                            None => self.leaf_f64(root, row),
                        };
                        let n = &self.nodes[leaf];
                        let row_out = &mut out[r * nt..(r + 1) * nt];
                        for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                            row_out[t as usize] += w;
                        }
                    }
                }
            }
            return self.finish_scores(out);
        }
        let mut seen = vec![false; nt];
        for r in 0..rows {
            seen.iter_mut().for_each(|v| *v = false);
            let row = &data[r * cols..(r + 1) * cols];
            let row_out = &mut out[r * nt..(r + 1) * nt];
            for &root in &self.roots {
                let n = &self.nodes[self.leaf_f64(root, row)];
                for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                    let t = t as usize;
                    row_out[t] = match (seen[t], self.aggregate) {
                        (false, Aggregate::Min | Aggregate::Max) => w,
                        (_, Aggregate::Sum | Aggregate::Average) => row_out[t] + w,
                        (true, Aggregate::Min) => row_out[t].min(w),
                        (true, Aggregate::Max) => row_out[t].max(w),
                    };
                    seen[t] = true;
                }
            }
        }
        self.finish_scores(out)
    }

    /// Divides sums by the number of trees for `AVERAGE` and adds the base values.
    fn finish_scores(&self, mut out: Vec<f64>) -> Vec<f64> {
        if self.aggregate == Aggregate::Average && !self.roots.is_empty() {
            let n = self.roots.len() as f64;
            out.iter_mut().for_each(|v| *v /= n);
        }
        for row in out.chunks_mut(self.n_targets.max(1)) {
            for (v, b) in row.iter_mut().zip(&self.base_values) {
                *v += b;
            }
        }
        out
    }

    /// The aggregated scores of every row, `rows × n_targets`, with base values added
    /// (before the post-transform). Sums walk blocks of rows tree by tree.
    pub(super) fn raw_scores(&self, data: &[f32], rows: usize, cols: usize) -> Vec<f64> {
        let nt = self.n_targets;
        // The caller checked `rows × n_targets` against the output limits.
        let mut out = vec![0.0f64; rows * nt];
        match self.aggregate {
            Aggregate::Sum | Aggregate::Average => {
                type Sum = fn(&TreeEnsemble, &[f32], usize, usize, &mut [f64]);
                let sum: Sum = match self.split {
                    Split::Uniform(Mode::Leq, false) => Self::sum::<Leq>,
                    Split::Uniform(Mode::Leq, true) => Self::sum::<LeqNan>,
                    Split::Uniform(Mode::Lt, false) => Self::sum::<Lt>,
                    Split::Uniform(Mode::Lt, true) => Self::sum::<LtNan>,
                    Split::Uniform(Mode::Gte, false) => Self::sum::<Gte>,
                    Split::Uniform(Mode::Gte, true) => Self::sum::<GteNan>,
                    Split::Uniform(Mode::Gt, false) => Self::sum::<Gt>,
                    Split::Uniform(Mode::Gt, true) => Self::sum::<GtNan>,
                    Split::Uniform(Mode::Eq, false) => Self::sum::<Eq>,
                    Split::Uniform(Mode::Eq, true) => Self::sum::<EqNan>,
                    Split::Uniform(Mode::Neq, _) => Self::sum::<Neq>,
                    Split::MissingPerNode(Mode::Leq) => Self::sum::<LeqFlag>,
                    Split::MissingPerNode(Mode::Lt) => Self::sum::<LtFlag>,
                    Split::MissingPerNode(Mode::Gte) => Self::sum::<GteFlag>,
                    Split::MissingPerNode(Mode::Gt) => Self::sum::<GtFlag>,
                    Split::MissingPerNode(Mode::Eq) => Self::sum::<EqFlag>,
                    Split::Uniform(Mode::Leaf, _)
                    | Split::MissingPerNode(Mode::Leaf | Mode::Neq)
                    | Split::PerNode => Self::sum::<PerNode>,
                };
                sum(self, data, rows, cols, &mut out);
                if self.aggregate == Aggregate::Average && !self.roots.is_empty() {
                    let n = self.roots.len() as f64;
                    out.iter_mut().for_each(|v| *v /= n);
                }
            }
            Aggregate::Min | Aggregate::Max => {
                let mut seen = vec![false; nt];
                for r in 0..rows {
                    seen.iter_mut().for_each(|v| *v = false);
                    let row_out = &mut out[r * nt..(r + 1) * nt];
                    for &root in &self.roots {
                        let n = &self.nodes[self.leaf(root, &data[r * cols..(r + 1) * cols])];
                        for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                            let t = t as usize;
                            row_out[t] = match (seen[t], self.aggregate) {
                                (false, _) => w,
                                (true, Aggregate::Min) => row_out[t].min(w),
                                (true, _) => row_out[t].max(w),
                            };
                            seen[t] = true;
                        }
                    }
                }
            }
        }
        for row in out.chunks_mut(nt.max(1)) {
            for (v, b) in row.iter_mut().zip(&self.base_values) {
                *v += b;
            }
        }
        out
    }

    /// Adds every tree's leaf weights to `out` (`rows × n_targets`), block by block, tree
    /// by tree: rows of up to 64 columns are first copied into rows of a fixed width.
    fn sum<C: Compare>(&self, data: &[f32], rows: usize, cols: usize, out: &mut [f64]) {
        if C::LOCKSTEP && cols <= 16 {
            self.sum_fixed::<C, 16>(data, rows, cols, out);
        } else if C::LOCKSTEP && cols <= 64 {
            self.sum_fixed::<C, 64>(data, rows, cols, out);
        } else {
            self.sum_any::<C>(data, rows, cols, out);
        }
    }

    /// [`Self::sum`] for rows of at most `W` columns (`W` a power of two): each block's
    /// rows are copied into `[f32; W]`, and the walk reads `row[feature & (W - 1)]`, the
    /// feature itself since load checked it is below `cols`.
    fn sum_fixed<C: Compare, const W: usize>(
        &self,
        data: &[f32],
        rows: usize,
        cols: usize,
        out: &mut [f64],
    ) {
        let nt = self.n_targets;
        let mut block = vec![[0.0f32; W]; rows.min(BLOCK_ROWS)];
        let mut leaves = [0u32; BLOCK_ROWS];
        let mut at = [0u8; BLOCK_ROWS];
        for start in (0..rows).step_by(BLOCK_ROWS) {
            let end = (start + BLOCK_ROWS).min(rows);
            let n = end - start;
            let block = &mut block[..n];
            if cols > 0 {
                let from = data[start * cols..end * cols].chunks_exact(cols);
                for (row, from) in block.iter_mut().zip(from) {
                    row[..cols].copy_from_slice(from);
                }
            }
            let block = &*block;
            let (at, leaves) = (&mut at[..n], &mut leaves[..n]);
            let sums = &mut out[start * nt..end * nt];
            let no_nan = || block.iter().all(|r| !r[..cols].iter().any(|v| v.is_nan()));
            if C::FLAGGED && no_nan() {
                self.sum_block::<C::NoNan, W>(block, at, leaves, sums);
            } else {
                self.sum_block::<C, W>(block, at, leaves, sums);
            }
        }
    }

    /// Adds every tree's leaf weights for the rows of `block` to their `sums`.
    fn sum_block<C: Compare, const W: usize>(
        &self,
        block: &[[f32; W]],
        at: &mut [u8],
        leaves: &mut [u32],
        sums: &mut [f64],
    ) {
        let nt = self.n_targets;
        for (t, (&root, &depth)) in self.roots.iter().zip(&self.depths).enumerate() {
            let packed = self.packed.as_ref().and_then(|p| p.tree(t));
            match packed {
                Some((tree, global, value)) if depth <= LOCKSTEP_DEPTH => {
                    walk_packed::<C, W>(tree, depth, block, at);
                    if nt == 1 {
                        for (s, &at) in sums.iter_mut().zip(at.iter()) {
                            *s += value[usize::from(at)];
                        }
                        continue;
                    }
                    for (leaf, &at) in leaves.iter_mut().zip(at.iter()) {
                        *leaf = global[usize::from(at)];
                    }
                }
                None if C::LOCKSTEP && depth <= LOCKSTEP_DEPTH => {
                    leaves.fill(root);
                    for _ in 0..depth {
                        for (at, row) in leaves.iter_mut().zip(block) {
                            let step = &self.steps[*at as usize];
                            let x = row[step.feature as usize & (W - 1)];
                            let m = step.feature & STEP_MISSING_FIRST != 0;
                            *at = step.next[usize::from(C::second(x, step.threshold, m))];
                        }
                    }
                }
                _ => {
                    for (leaf, row) in leaves.iter_mut().zip(block) {
                        *leaf = self.leaf(root, row) as u32;
                    }
                }
            }
            self.add_leaves(leaves, sums);
        }
    }

    /// [`Self::sum`] for rows of any width.
    fn sum_any<C: Compare>(&self, data: &[f32], rows: usize, cols: usize, out: &mut [f64]) {
        let nt = self.n_targets;
        let mut leaves = [0u32; BLOCK_ROWS];
        for start in (0..rows).step_by(BLOCK_ROWS) {
            let end = (start + BLOCK_ROWS).min(rows);
            let leaves = &mut leaves[..end - start];
            let block = &data[start * cols..end * cols];
            let sums = &mut out[start * nt..end * nt];
            for (&root, &depth) in self.roots.iter().zip(&self.depths) {
                if C::LOCKSTEP && depth <= LOCKSTEP_DEPTH {
                    self.step_together::<C>(root, depth, block, cols, leaves);
                } else {
                    for (r, leaf) in leaves.iter_mut().enumerate() {
                        *leaf = self.leaf(root, &block[r * cols..(r + 1) * cols]) as u32;
                    }
                }
                self.add_leaves(leaves, sums);
            }
        }
    }

    /// Adds the weights of the leaves one tree gave a block's rows to their sums
    /// (`leaves.len() × n_targets`).
    #[inline]
    fn add_leaves(&self, leaves: &[u32], sums: &mut [f64]) {
        let nt = self.n_targets;
        if nt == 1 {
            for (s, &leaf) in sums.iter_mut().zip(leaves) {
                *s += self.leaf_value[leaf as usize];
            }
        } else {
            for (r, &leaf) in leaves.iter().enumerate() {
                let n = &self.nodes[leaf as usize];
                for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                    sums[r * nt + t as usize] += w;
                }
            }
        }
    }

    /// Takes the rows of `block` (`leaves.len()` rows of `cols`) through the tree rooted
    /// at `root`, `depth` levels deep, all together: `leaves` ends with each row's leaf.
    #[inline]
    fn step_together<C: Compare>(
        &self,
        root: u32,
        depth: u32,
        block: &[f32],
        cols: usize,
        leaves: &mut [u32],
    ) {
        leaves.fill(root);
        // A tree with a branch reads a feature below `cols`, so `cols` is not zero when
        // there is a level to step; `max(1)` keeps the chunking defined regardless.
        for _ in 0..depth {
            for (at, row) in leaves.iter_mut().zip(block.chunks_exact(cols.max(1))) {
                let step = &self.steps[*at as usize];
                // Features are below `cols`, so below the flag's bit.
                let x = row[(step.feature & !STEP_MISSING_FIRST) as usize];
                let m = step.feature & STEP_MISSING_FIRST != 0;
                *at = step.next[usize::from(C::second(x, step.threshold, m))];
            }
        }
    }
}

/// Takes the rows of `block` through a packed tree `depth` levels deep, all together:
/// `at` ends with each row's leaf (its index in the tree).
#[inline]
fn walk_packed<C: Compare, const W: usize>(
    tree: &[Small; PACKED_NODES],
    depth: u32,
    block: &[[f32; W]],
    at: &mut [u8],
) {
    if depth == 0 {
        at.fill(0);
        return;
    }
    // Every row starts at the root (index 0): its node is read once.
    let root = &tree[0];
    let f = usize::from(root.feature) & (W - 1);
    let m = root.feature & SMALL_MISSING_FIRST != 0;
    for (at, row) in at.iter_mut().zip(block) {
        *at = root.next[usize::from(C::second(row[f], root.threshold, m))];
    }
    for _ in 1..depth {
        for (at, row) in at.iter_mut().zip(block) {
            let node = &tree[usize::from(*at)];
            let x = row[usize::from(node.feature) & (W - 1)];
            let m = node.feature & SMALL_MISSING_FIRST != 0;
            *at = node.next[usize::from(C::second(x, node.threshold, m))];
        }
    }
}
