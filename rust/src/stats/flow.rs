//! Occupancy, entries and exits per period, and transitions between states (to the
//! child's next spell, or "(left)"), per stratum.

use super::{tally, Periods, Strata};
use crate::index::Index;
use crate::time::OPEN;

/// Occupancy (at the end of each period's last day: the stock at 31 March for years to
/// 31 March), entries and exits per period, state and stratum.
/// Dense, laid out `[period][state][stratum]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flows {
    pub n_periods: usize,
    pub n_states: usize,
    pub n_strata: usize,
    pub occupancy: Vec<u64>,
    pub entries: Vec<u64>,
    pub exits: Vec<u64>,
}

impl Flows {
    pub fn cell(&self, period: usize, state: usize, stratum: usize) -> usize {
        (period * self.n_states + state) * self.n_strata + stratum
    }
}

/// Counts occupancy at each period's end `t` (`start < t <= end`: in the state at the end of
/// the period's last day), spells starting in each period (entries) and closed spells
/// ending in it (exits).
pub fn flows(index: &Index, periods: &Periods, strata: &Strata) -> Flows {
    let (np, ns, nk) = (periods.n(), index.labels.len().max(1), strata.n());
    let block = ns * nk;
    let cell = |p: usize, s: usize, k: usize| (p * ns + s) * nk + k;
    // Three tallies in one pass: [diff (np + 1 rows) | entries | exits].
    let diff_len = (np + 1) * block;
    let total = diff_len + 2 * np * block;
    let t = tally(index, total, |c, acc| {
        for i in index.spells(c) {
            let (s, a, e) = (index.state[i] as usize, index.start[i], index.end[i]);
            let k = strata.of(c, a);
            // In the state at the end of period p (the instant bounds[p + 1]) when
            // start < bounds[p + 1] <= end: p runs over [ended_by(start), ended_by(end)).
            let from = periods.ended_by(a);
            let to = if e == OPEN { np } else { periods.ended_by(e) };
            if to > from {
                acc[cell(from, s, k)] = acc[cell(from, s, k)].wrapping_add(1);
                acc[cell(to, s, k)] = acc[cell(to, s, k)].wrapping_sub(1);
            }
            if let Some(p) = periods.of(a) {
                acc[diff_len + cell(p, s, k)] += 1;
            }
            if e != OPEN {
                if let Some(p) = periods.of(e) {
                    acc[diff_len + np * block + cell(p, s, k)] += 1;
                }
            }
        }
    });
    let mut occupancy = vec![0u64; np * block];
    let mut run = vec![0u64; block];
    for p in 0..np {
        for j in 0..block {
            run[j] = run[j].wrapping_add(t[p * block + j]);
            occupancy[p * block + j] = run[j];
        }
    }
    Flows {
        n_periods: np,
        n_states: ns,
        n_strata: nk,
        occupancy,
        entries: t[diff_len..diff_len + np * block].to_vec(),
        exits: t[diff_len + np * block..].to_vec(),
    }
}

/// Transition counts `[period][stratum][from][to]`, `to == n_states` meaning "(left)": the
/// child has no next spell starting when this one ends. Counted in the period the spell ends;
/// open spells make no transition.
#[derive(Debug, Clone, PartialEq)]
pub struct Transitions {
    pub n_periods: usize,
    pub n_states: usize,
    pub n_strata: usize,
    pub counts: Vec<u64>,
}

impl Transitions {
    pub fn cell(&self, period: usize, stratum: usize, from: usize, to: usize) -> usize {
        ((period * self.n_strata + stratum) * self.n_states + from) * (self.n_states + 1) + to
    }
}

pub fn transitions(index: &Index, periods: &Periods, strata: &Strata) -> Transitions {
    let (np, ns, nk) = (periods.n(), index.labels.len().max(1), strata.n());
    let cell = |p: usize, k: usize, f: usize, t: usize| ((p * nk + k) * ns + f) * (ns + 1) + t;
    let counts = tally(index, np * nk * ns * (ns + 1), |c, acc| {
        let r = index.spells(c);
        for i in r.clone() {
            let e = index.end[i];
            if e == OPEN {
                continue;
            }
            let Some(p) = periods.of(e) else { continue };
            // The next spell starting exactly when this one ends (zero-length spells sort
            // first among equal starts, so a passage through a node is kept).
            let to = (i + 1..r.end)
                .take_while(|&j| index.start[j] <= e)
                .find(|&j| index.start[j] == e)
                .map_or(ns, |j| index.state[j] as usize);
            let k = strata.of(c, index.start[i]);
            acc[cell(p, k, index.state[i] as usize, to)] += 1;
        }
    });
    Transitions {
        n_periods: np,
        n_states: ns,
        n_strata: nk,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testdata::{index, D};

    #[test]
    fn occupancy_entries_exits_by_hand() {
        // child 1: S0 days 0-10, S1 10-open; child 2: S0 5-25, then S0 again 30-35.
        let idx = index(
            &[
                (1, 0, 0, Some(10)),
                (1, 1, 10, None),
                (2, 0, 5, Some(25)),
                (2, 0, 30, Some(35)),
            ],
            2,
        );
        let b = [0, 10 * D, 20 * D, 30 * D, 40 * D];
        let f = flows(&idx, &Periods::new(&b).unwrap(), &Strata::none());
        let occ = |p, s| f.occupancy[f.cell(p, s, 0)];
        // At the end of each period (the instant days 10, 20, 30, 40 begin): end of day 9:
        // both children in S0 (child 1's spell ends on day 10, so it still counts); end of
        // day 19: child 2 in S0, child 1 in S1; end of day 29: child 2 between spells (its
        // next starts on day 30, so it does not count yet); end of day 39: it has left.
        assert_eq!([occ(0, 0), occ(1, 0), occ(2, 0), occ(3, 0)], [2, 1, 0, 0]);
        assert_eq!([occ(0, 1), occ(1, 1), occ(2, 1), occ(3, 1)], [0, 1, 1, 1]);
        let ent = |p, s| f.entries[f.cell(p, s, 0)];
        let ex = |p, s| f.exits[f.cell(p, s, 0)];
        assert_eq!([ent(0, 0), ent(1, 0), ent(2, 0), ent(3, 0)], [2, 0, 0, 1]);
        assert_eq!(ent(1, 1), 1);
        assert_eq!([ex(0, 0), ex(1, 0), ex(2, 0), ex(3, 0)], [0, 1, 1, 1]);
        assert_eq!(f.exits.iter().sum::<u64>(), 3);
    }

    #[test]
    fn transitions_next_spell_or_left() {
        // child 1: S0 -> S1 (no gap) -> left; child 2: S0, gap, S0 (leaves, re-enters), open.
        let idx = index(
            &[
                (1, 0, 0, Some(10)),
                (1, 1, 10, Some(20)),
                (2, 0, 0, Some(5)),
                (2, 0, 8, None),
                (3, 0, 0, Some(3)),
                (3, 2, 3, Some(3)),
                (3, 1, 3, Some(9)),
            ],
            3,
        );
        let b = [0, 100 * D];
        let t = transitions(&idx, &Periods::new(&b).unwrap(), &Strata::none());
        let n = |f, to| t.counts[t.cell(0, 0, f, to)];
        assert_eq!(n(0, 1), 1);
        assert_eq!(n(1, 3), 2); // child 1 and child 3 leave from S1
        assert_eq!(n(0, 3), 1); // child 2's gap
        assert_eq!(n(0, 2), 1); // child 3 passes through S2 (zero length)
        assert_eq!(n(2, 1), 1);
        assert_eq!(t.counts.iter().sum::<u64>(), 6);
    }

    #[test]
    fn strata_split_counts() {
        let idx = index(
            &[
                (1, 0, 0, Some(10)),
                (2, 0, 0, Some(10)),
                (3, 0, 0, Some(10)),
            ],
            1,
        );
        let groups = [0u16, 1, 1];
        let strata = Strata::new(&idx, Some(&groups), 2, None).unwrap();
        let b = [0, 5 * D, 20 * D];
        let f = flows(&idx, &Periods::new(&b).unwrap(), &strata);
        assert_eq!(f.occupancy[f.cell(0, 0, 0)], 1);
        assert_eq!(f.occupancy[f.cell(0, 0, 1)], 2);
        assert_eq!(f.exits[f.cell(1, 0, 1)], 2);
        assert!(Strata::new(&idx, Some(&[0, 2, 1]), 2, None).is_err());
        assert!(Strata::new(&idx, Some(&[0, 1]), 2, None).is_err());
    }
}
