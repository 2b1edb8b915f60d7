//! Evaluating a validated tree ensemble: each row walks each tree from its root to a
//! leaf. Load has checked that every walk ends at a leaf within
//! [`MAX_TREE_DEPTH`](crate::MAX_TREE_DEPTH) steps and that every feature read is below
//! the row width the run checks once per batch, so the walk itself checks nothing.

use super::{Aggregate, BLOCK_ROWS, Mode, TreeEnsemble};

impl TreeEnsemble {
    /// The index of the leaf a row reaches in the tree rooted at `root`.
    #[inline]
    pub(super) fn leaf(&self, root: u32, row: &[f32]) -> usize {
        let mut i = root as usize;
        loop {
            let node = &self.nodes[i];
            let x = match node.mode {
                Mode::Leaf => return i,
                _ => row[node.feature as usize],
            };
            let t = node.threshold;
            let holds = match node.mode {
                Mode::Leq => x <= t,
                Mode::Lt => x < t,
                Mode::Gte => x >= t,
                Mode::Gt => x > t,
                Mode::Eq => x == t,
                _ => x != t,
            };
            let go_true = holds || (node.missing_true && x.is_nan());
            i = if go_true { node.a } else { node.b } as usize;
        }
    }

    /// The aggregated scores of every row, `rows × n_targets`, with base values added
    /// (before the post-transform). Sums walk blocks of rows tree by tree.
    pub(super) fn raw_scores(&self, data: &[f32], rows: usize, cols: usize) -> Vec<f64> {
        let nt = self.n_targets;
        // The caller checked `rows × n_targets` against the output limits.
        let mut out = vec![0.0f64; rows * nt];
        match self.aggregate {
            Aggregate::Sum | Aggregate::Average => {
                for start in (0..rows).step_by(BLOCK_ROWS) {
                    let end = (start + BLOCK_ROWS).min(rows);
                    for &root in &self.roots {
                        for r in start..end {
                            let leaf = self.leaf(root, &data[r * cols..(r + 1) * cols]);
                            if nt == 1 {
                                out[r] += self.leaf_value[leaf];
                            } else {
                                let n = &self.nodes[leaf];
                                for &(t, w) in &self.weights[n.a as usize..n.b as usize] {
                                    out[r * nt + t as usize] += w;
                                }
                            }
                        }
                    }
                }
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
}
