//! Occupancy: how many children are in each state at regular sample times, counted once
//! from the index with difference arrays. Cluster sizes and the statistics read it.

use rayon::prelude::*;

use crate::index::Index;
use crate::time::{Minute, OPEN};

/// Counts per state at times `t0 + i * step` for `i in 0..n_steps`.
#[derive(Debug, Clone, Default)]
pub struct Occupancy {
    pub t0: Minute,
    pub step: i32,
    pub n_steps: usize,
    pub n_states: usize,
    /// State-major: `counts[s * n_steps + i]`.
    pub counts: Vec<u32>,
}

/// Largest grid kept in memory (states x steps); coarser steps beyond it.
const MAX_CELLS: usize = 64 << 20;

impl Occupancy {
    /// Samples `[lo, hi]` every `step` minutes (coarsened if the grid would be too large).
    pub fn count(index: &Index, lo: Minute, hi: Minute, step: i32) -> Occupancy {
        let n_states = index.labels.len().max(1);
        let mut step = step.max(1) as i64;
        let span = (hi as i64 - lo as i64).max(0);
        while (span / step + 2) as usize * n_states > MAX_CELLS {
            step *= 2;
        }
        let n_steps = (span / step + 2) as usize;
        let t0 = lo as i64;
        // index of the first sample at or after time m
        let first_at_or_after = |m: i64| -> usize {
            ((m - t0 + step - 1).div_euclid(step)).clamp(0, n_steps as i64) as usize
        };
        let chunk = 1 << 18;
        let n = index.n_spells();
        let diff: Vec<i64> = (0..n.div_ceil(chunk))
            .into_par_iter()
            .fold(
                || vec![0i64; n_states * (n_steps + 1)],
                |mut d, k| {
                    for i in k * chunk..((k + 1) * chunk).min(n) {
                        let s = index.state[i] as usize;
                        let a = first_at_or_after(index.start[i] as i64);
                        let b = if index.end[i] == OPEN {
                            n_steps
                        } else {
                            first_at_or_after(index.end[i] as i64)
                        };
                        if b > a {
                            d[s * (n_steps + 1) + a] += 1;
                            d[s * (n_steps + 1) + b] -= 1;
                        }
                    }
                    d
                },
            )
            .reduce(
                || vec![0i64; n_states * (n_steps + 1)],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        let mut counts = vec![0u32; n_states * n_steps];
        for s in 0..n_states {
            let mut run = 0i64;
            for i in 0..n_steps {
                run += diff[s * (n_steps + 1) + i];
                counts[s * n_steps + i] = run.max(0) as u32;
            }
        }
        Occupancy {
            t0: lo,
            step: step as i32,
            n_steps,
            n_states,
            counts,
        }
    }

    /// The count of state `s`, linearly interpolated between samples, at time `t`.
    pub fn at(&self, s: usize, t: f64) -> f32 {
        if self.n_steps == 0 || s >= self.n_states {
            return 0.0;
        }
        let u = ((t - self.t0 as f64) / self.step as f64).clamp(0.0, (self.n_steps - 1) as f64);
        let i = u.floor() as usize;
        let f = (u - i as f64) as f32;
        let row = &self.counts[s * self.n_steps..(s + 1) * self.n_steps];
        let a = row[i] as f32;
        let b = row[(i + 1).min(self.n_steps - 1)] as f32;
        a + (b - a) * f
    }

    /// The largest count of each state over the sampled range.
    pub fn max_per_state(&self) -> Vec<u32> {
        (0..self.n_states)
            .map(|s| {
                self.counts[s * self.n_steps..(s + 1) * self.n_steps]
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::OnError;

    #[test]
    fn counts_match_brute_force() {
        let idx = Index::from_rows(
            vec![1, 1, 2, 3],
            vec![0, 1, 0, 1],
            vec![0, 1440, 720, 2880],
            vec![1440, OPEN, 4000, 2880],
            vec!["A".into(), "B".into()],
            OnError::Raise,
        )
        .unwrap();
        let occ = Occupancy::count(&idx, 0, 5760, 1440);
        for i in 0..occ.n_steps {
            let t = (i as i32) * 1440;
            for s in 0..2u16 {
                let brute = (0..idx.n_spells())
                    .filter(|&k| idx.state[k] == s && idx.start[k] <= t && t < idx.end[k])
                    .count() as u32;
                assert_eq!(
                    occ.counts[s as usize * occ.n_steps + i],
                    brute,
                    "state {s} step {i}"
                );
            }
        }
        assert_eq!(occ.max_per_state(), vec![1, 1]);
    }
}
