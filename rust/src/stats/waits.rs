//! Current waits at many moments: per moment and state, the children in it and the lower
//! median of their time so far, found by one sweep over time per state (an order-statistic
//! tree of the starts of the spells open at each moment) rather than one count per moment.

use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::time::Minute;

/// [`super::survival::current_waits`] at many moments at once, for the states flagged in
/// `states` (all strata together): per (moment, state) with anyone in it, the number of
/// spells in it (`start <= t < end`) and their lower median time so far (minutes), in
/// (moment, state) order. `times` must be ascending. Each state is one sweep over
/// `times`, so the cost grows with its spells and the moments, not with their product.
pub fn waits_at_times(
    index: &Index,
    states: &[bool],
    times: &[Minute],
) -> Result<Vec<(u32, u16, u64, i64)>> {
    let ns = index.labels.len().max(1) as u64;
    if times.windows(2).any(|w| w[0] > w[1]) {
        return Err(CoreError::config(
            "times",
            "moments must be in ascending order",
        ));
    }
    if (times.len() as u64).saturating_mul(ns) >= 1 << 32 {
        return Err(CoreError::config(
            "times",
            "too many moments for the states",
        ));
    }
    let watched: Vec<u16> = (0..index.labels.len())
        .filter(|&s| states.get(s).copied().unwrap_or(false))
        .map(|s| s as u16)
        .collect();
    let per_state: Vec<Vec<(u32, u16, u64, i64)>> = watched
        .par_iter()
        .map(|&s| sweep(index, s, times))
        .collect();
    let mut out: Vec<_> = per_state.into_iter().flatten().collect();
    out.sort_unstable_by_key(|r| (r.0, r.1));
    Ok(out)
}

/// One state's waits at each of `times` (ascending).
fn sweep(index: &Index, s: u16, times: &[Minute]) -> Vec<(u32, u16, u64, i64)> {
    // A spell is in the state at t when start <= t < end; one with end <= start never is.
    let spells: Vec<(Minute, Minute)> = (0..index.state.len())
        .into_par_iter()
        .filter(|&i| index.state[i] == s && index.start[i] < index.end[i])
        .map(|i| (index.start[i], index.end[i]))
        .collect();
    let mut starts: Vec<Minute> = spells.iter().map(|p| p.0).collect();
    starts.par_sort_unstable();
    let mut ends: Vec<(Minute, Minute)> = spells.iter().map(|&(a, e)| (e, a)).collect();
    ends.par_sort_unstable();
    let mut keys = starts.clone();
    keys.dedup();
    let rank = |a: Minute| keys.partition_point(|&k| k < a);
    let mut tree = Fenwick::new(keys.len());
    let (mut next_start, mut next_end, mut open) = (0, 0, 0u64);
    let mut out = Vec::new();
    for (j, &t) in times.iter().enumerate() {
        while next_start < starts.len() && starts[next_start] <= t {
            tree.add(rank(starts[next_start]), 1);
            (next_start, open) = (next_start + 1, open + 1);
        }
        while next_end < ends.len() && ends[next_end].0 <= t {
            tree.add(rank(ends[next_end].1), -1);
            (next_end, open) = (next_end + 1, open - 1);
        }
        if open > 0 {
            // The lower median wait is the start ranked (m - 1) / 2 from the latest.
            let from_earliest = open - 1 - (open - 1) / 2;
            let a = keys[tree.kth(from_earliest)];
            let wait = (t as i64 - a as i64).min(u32::MAX as i64);
            out.push((j as u32, s, open, wait));
        }
    }
    out
}

/// Counts per rank, with prefix sums and the k-th element in logarithmic time.
struct Fenwick {
    tree: Vec<i64>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Fenwick {
            tree: vec![0; n + 1],
        }
    }

    fn add(&mut self, rank: usize, by: i64) {
        let mut i = rank + 1;
        while i < self.tree.len() {
            self.tree[i] += by;
            i += i & i.wrapping_neg();
        }
    }

    /// The rank holding the `k`-th element (from 0) in rank order; `k` below the total.
    fn kth(&self, k: u64) -> usize {
        let (mut pos, mut left) = (0, k as i64);
        let mut step = (self.tree.len() - 1)
            .checked_next_power_of_two()
            .unwrap_or(1);
        while step > 0 {
            let next = pos + step;
            if next < self.tree.len() && self.tree[next] <= left {
                pos = next;
                left -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::survival::current_waits;
    use crate::stats::testdata::{index, D};
    use crate::stats::Strata;
    use proptest::prelude::*;

    /// The slow reference: the current waits counted afresh at each moment.
    fn one_by_one(idx: &Index, states: &[bool], times: &[Minute]) -> Vec<(u32, u16, u64, i64)> {
        let mut want = Vec::new();
        for (k, &t) in times.iter().enumerate() {
            for (s, _, n, m) in current_waits(idx, &Strata::none(), t) {
                if states[s as usize] {
                    want.push((k as u32, s, n, m));
                }
            }
        }
        want
    }

    #[test]
    fn waits_at_times_equal_current_waits_one_by_one() {
        let idx = index(
            &[
                (0, 0, 0, Some(5)),
                (0, 1, 5, None),
                (1, 0, 2, Some(9)),
                (2, 0, 3, Some(4)),
                (3, 1, 1, Some(30)),
            ],
            2,
        );
        let times: Vec<Minute> = (0..12).map(|d| d * D).collect();
        let got = waits_at_times(&idx, &[true, true], &times).unwrap();
        assert_eq!(got, one_by_one(&idx, &[true, true], &times));
        let only = waits_at_times(&idx, &[false, true], &times).unwrap();
        assert!(only.iter().all(|r| r.1 == 1) && !only.is_empty());
        assert!(waits_at_times(&idx, &[true, true], &[D, 0]).is_err());
    }

    #[test]
    fn waits_by_hand() {
        // S0 at day 10: starts 0, 4, 8 (waits 10, 6, 2) -> 3, median 6 days; at day 20
        // the spell from day 4 has ended (end 20 is not in it): waits 20, 12 -> lower 12.
        let idx = index(
            &[
                (1, 0, 0, None),
                (2, 0, 4, Some(20)),
                (3, 0, 8, None),
                (4, 0, 9, Some(9)),
                (5, 1, 0, Some(5)),
            ],
            2,
        );
        let got = waits_at_times(&idx, &[true, false], &[10 * D, 20 * D]).unwrap();
        assert_eq!(got, vec![(0, 0, 3, 6 * D as i64), (1, 0, 2, 12 * D as i64)]);
    }

    proptest! {
        #[test]
        fn sweep_equals_counting_at_each_moment(
            rows in prop::collection::vec((0u16..3, 0i32..60, prop::option::of(0i32..70)), 1..120),
            mut days in prop::collection::vec(-5i32..80, 1..40),
            mask in prop::collection::vec(any::<bool>(), 3),
        ) {
            // One child a spell (a child's spells may not overlap); ends at or after starts.
            let rows: Vec<_> = rows
                .into_iter()
                .enumerate()
                .map(|(c, (s, a, e))| (c as u64, s, a, e.map(|e| e.max(a))))
                .collect();
            let idx = index(&rows, 3);
            days.sort_unstable();
            // Moments on and between day boundaries, ascending.
            let times: Vec<Minute> = days.iter().map(|d| d * D + d.rem_euclid(3) * 7).collect();
            let got = waits_at_times(&idx, &mask, &times).unwrap();
            prop_assert_eq!(got, one_by_one(&idx, &mask, &times));
        }
    }
}
