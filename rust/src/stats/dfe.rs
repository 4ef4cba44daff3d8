//! DfE-shaped counts: the children in a set of states at the end of given days (the stock
//! at 31 March), and periods of care started and ceased in each year with each child
//! counted once per year, as "Children looked after in England" counts them.

use rayon::prelude::*;

use super::{Periods, CHUNK};
use crate::index::Index;
use crate::time::{Minute, OPEN};

/// A spell row in a snapshot or a year: `which` is the snapshot or period number, `row` the
/// input row of the spell (so attributes can be taken by row), `state` its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub which: u32,
    pub row: u32,
    pub state: u16,
}

/// Whether a spell `[start, end)` holds the instant just before `t`: in the state at the
/// end of the day that ends at `t` (a spell ending at `t` counts, one starting at `t` not).
#[inline]
pub fn at_end_of_day(start: Minute, end: Minute, t: Minute) -> bool {
    start < t && (end == OPEN || end >= t)
}

/// Runs `f` over fixed chunks of children in parallel and concatenates in child order.
fn per_child<T: Send>(index: &Index, f: impl Fn(usize, &mut Vec<T>) + Sync) -> Vec<T> {
    let n = index.n_children();
    (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|k| {
            let mut out = Vec::new();
            for c in k * CHUNK..((k + 1) * CHUNK).min(n) {
                f(c, &mut out);
            }
            out
        })
        .collect()
}

/// For each snapshot `ends[k]` (the instant a day ends, i.e. midnight after it), one hit per
/// child in one of `states` at that instant: the child's first such spell.
pub fn stock(index: &Index, states: &[bool], ends: &[Minute]) -> Vec<Hit> {
    let wanted = |s: u16| states.get(s as usize).copied().unwrap_or(false);
    per_child(index, |c, out| {
        let r = index.spells(c);
        // most children are never in these states: one pass over their spells, not one per end
        if !r.clone().any(|i| wanted(index.state[i])) {
            return;
        }
        for (k, &t) in ends.iter().enumerate() {
            if let Some(i) = r
                .clone()
                .find(|&i| wanted(index.state[i]) && at_end_of_day(index.start[i], index.end[i], t))
            {
                out.push(Hit {
                    which: k as u32,
                    row: index.spell_row[i],
                    state: index.state[i],
                });
            }
        }
    })
}

/// Periods of care started and ceased per period, each child once per period: the first
/// start (the row of its first spell) and the last cessation (the row of its last care
/// spell; `state` = the state entered as care ends, `n_states` when none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CareFlows {
    pub started: Vec<Hit>,
    pub ceased: Vec<Hit>,
}

/// Walks each child's runs of care spells with no gap (periods of care).
pub fn care_flows(index: &Index, care: &[bool], periods: &Periods) -> CareFlows {
    let ns = index.labels.len() as u16;
    let is_care = |s: u16| care.get(s as usize).copied().unwrap_or(false);
    let pairs: Vec<(bool, Hit)> = per_child(index, |c, out| {
        let r = index.spells(c);
        let mut last_start: Option<u32> = None;
        let mut last_cease: Option<(u32, usize)> = None;
        let mut i = r.start;
        while i < r.end {
            if !is_care(index.state[i]) {
                i += 1;
                continue;
            }
            let entry = index.start[i];
            if let Some(p) = periods.of(entry) {
                let p = p as u32;
                if last_start != Some(p) {
                    last_start = Some(p);
                    out.push((
                        true,
                        Hit {
                            which: p,
                            row: index.spell_row[i],
                            state: index.state[i],
                        },
                    ));
                }
            }
            let mut j = i;
            while index.end[j] != OPEN
                && j + 1 < r.end
                && index.start[j + 1] == index.end[j]
                && is_care(index.state[j + 1])
            {
                j += 1;
            }
            let end = index.end[j];
            if end != OPEN {
                if let Some(p) = periods.of(end) {
                    let exit = (j + 1..r.end)
                        .take_while(|&q| index.start[q] <= end)
                        .find(|&q| index.start[q] == end)
                        .map_or(ns, |q| index.state[q]);
                    let hit = Hit {
                        which: p as u32,
                        row: index.spell_row[j],
                        state: exit,
                    };
                    match last_cease {
                        // The child's last cessation in the period replaces an earlier one.
                        Some((q, at)) if q == p as u32 => out[at] = (false, hit),
                        _ => {
                            last_cease = Some((p as u32, out.len()));
                            out.push((false, hit));
                        }
                    }
                }
            }
            i = j + 1;
        }
    });
    let mut flows = CareFlows::default();
    for (started, hit) in pairs {
        if started {
            flows.started.push(hit);
        } else {
            flows.ceased.push(hit);
        }
    }
    flows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testdata::{index, D};

    // States: 0 referral, 1 foster, 2 home, 3 adopted (exit), 4 returned home (exit).
    const CARE: [bool; 5] = [false, true, true, false, false];

    #[test]
    fn stock_is_at_the_end_of_the_day() {
        let idx = index(
            &[
                (1, 1, 0, Some(10)),  // ends on day 10: in care at the end of day 9
                (2, 1, 10, Some(20)), // starts on day 10: in care at the end of day 10
                (3, 0, 5, Some(15)),  // not care
                (4, 1, 9, Some(9)),   // same-day spell: never in the stock
                (5, 1, 2, Some(10)),  // a move on day 10 counts the child once
                (5, 2, 10, None),
            ],
            5,
        );
        let hits = stock(&idx, &CARE, &[10 * D, 11 * D]);
        let at = |k: u32| {
            let mut rows: Vec<u32> = hits
                .iter()
                .filter(|h| h.which == k)
                .map(|h| h.row)
                .collect();
            rows.sort_unstable();
            rows
        };
        // End of day 9 (instant 10 * D): rows 0 (child 1) and 4 (child 5's first placement).
        assert_eq!(at(0), vec![0, 4]);
        // End of day 10: child 2 and child 5's second placement.
        assert_eq!(at(1), vec![1, 5]);
    }

    #[test]
    fn each_child_once_a_year() {
        let idx = index(
            &[
                // child 1: two periods of care in year 0, the second ending in adoption.
                (1, 1, 10, Some(20)),
                (1, 4, 20, Some(20)),
                (1, 1, 100, Some(150)),
                (1, 2, 150, Some(200)),
                (1, 3, 200, Some(228)),
                // child 2: starts in year 0, still in care.
                (2, 0, 5, Some(6)),
                (2, 1, 6, None),
            ],
            5,
        );
        let b = [0, 365 * D, 730 * D];
        let f = care_flows(&idx, &CARE, &Periods::new(&b).unwrap());
        // Started: child 1 once (its first period), child 2 once.
        assert_eq!(
            f.started
                .iter()
                .map(|h| (h.which, h.row))
                .collect::<Vec<_>>(),
            vec![(0, 0), (0, 6)]
        );
        // Ceased: child 1 once, its last cessation (to adopted, from row 3).
        assert_eq!(
            f.ceased
                .iter()
                .map(|h| (h.which, h.row, h.state))
                .collect::<Vec<_>>(),
            vec![(0, 3, 3)]
        );
    }
}
