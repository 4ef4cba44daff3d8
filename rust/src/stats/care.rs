//! Periods of care (runs of care spells with no gap), with their entry, exit, first
//! placement for adoption and first placement order; placement moves and care time per
//! period; repeat entries (re-referrals) within a window.

use rayon::prelude::*;

use super::{tally, Periods, Strata};
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::time::{Minute, OPEN};

/// No such time.
pub const NONE: Minute = Minute::MIN;
/// `exit_state` of a period still open when the data ends.
pub const STILL_IN: u16 = u16::MAX;

/// Which states mean what for care measures.
#[derive(Debug, Clone)]
pub struct Roles {
    /// Per state: a looked-after (care) placement.
    pub care: Vec<bool>,
    /// The "placed for adoption" state.
    pub placed_for_adoption: Option<u16>,
}

impl Roles {
    pub fn check(&self, index: &Index) -> Result<()> {
        if self.care.len() != index.labels.len() {
            return Err(CoreError::config(
                "care states",
                format!(
                    "{} flags for {} states",
                    self.care.len(),
                    index.labels.len()
                ),
            ));
        }
        Ok(())
    }
}

/// One period of care. No child identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarePeriod {
    /// Stratum at entry.
    pub stratum: u32,
    pub entry: Minute,
    /// When the last care spell ends (`OPEN` while still in care).
    pub end: Minute,
    /// The state of the spell starting as care ends; `n_states` when none (left the data);
    /// [`STILL_IN`] while open.
    pub exit_state: u16,
    /// Start of the first "placed for adoption" spell, or [`NONE`].
    pub placed_for_adoption: Minute,
    /// Start of the first spell under a placement order (E1), or [`NONE`].
    pub placement_order: Minute,
    /// New care spells following a care spell with no gap.
    pub moves: u32,
    /// End of the same child's previous period of care, or [`NONE`].
    pub previous_end: Minute,
}

/// Every period of care, in child order. `e1` flags input rows under a placement order.
pub fn care_periods(
    index: &Index,
    roles: &Roles,
    strata: &Strata,
    e1: Option<&[bool]>,
) -> Result<Vec<CarePeriod>> {
    roles.check(index)?;
    let ns = index.labels.len() as u16;
    let n = index.n_children();
    let out = (0..n.div_ceil(super::CHUNK))
        .into_par_iter()
        .flat_map_iter(|k| {
            let mut out = Vec::new();
            for c in k * super::CHUNK..((k + 1) * super::CHUNK).min(n) {
                let r = index.spells(c);
                let mut previous_end = NONE;
                let mut i = r.start;
                while i < r.end {
                    if !roles.care[index.state[i] as usize] {
                        i += 1;
                        continue;
                    }
                    let mut p = CarePeriod {
                        stratum: strata.of(c, index.start[i]) as u32,
                        entry: index.start[i],
                        end: index.end[i],
                        exit_state: STILL_IN,
                        placed_for_adoption: NONE,
                        placement_order: NONE,
                        moves: 0,
                        previous_end,
                    };
                    let mut j = i;
                    loop {
                        let s = index.state[j];
                        if roles.placed_for_adoption == Some(s) && p.placed_for_adoption == NONE {
                            p.placed_for_adoption = index.start[j];
                        }
                        if p.placement_order == NONE
                            && e1.is_some_and(|f| {
                                f.get(index.spell_row[j] as usize).copied().unwrap_or(false)
                            })
                        {
                            p.placement_order = index.start[j];
                        }
                        p.end = index.end[j];
                        let next = j + 1;
                        if p.end != OPEN
                            && next < r.end
                            && index.start[next] == p.end
                            && roles.care[index.state[next] as usize]
                        {
                            p.moves += 1;
                            j = next;
                        } else {
                            break;
                        }
                    }
                    if p.end != OPEN {
                        p.exit_state = (j + 1..r.end)
                            .take_while(|&q| index.start[q] <= p.end)
                            .find(|&q| index.start[q] == p.end)
                            .map_or(ns, |q| index.state[q]);
                    }
                    previous_end = p.end;
                    out.push(p);
                    i = j + 1;
                }
            }
            out
        })
        .collect();
    Ok(out)
}

/// Placement moves and time in care per period and stratum: `[period][stratum]` pairs of
/// (moves, care minutes). Open spells count up to `as_of`.
pub fn stability(
    index: &Index,
    roles: &Roles,
    periods: &Periods,
    strata: &Strata,
    as_of: Minute,
) -> Result<(Vec<u64>, Vec<u64>)> {
    roles.check(index)?;
    let (np, nk) = (periods.n(), strata.n());
    let t = tally(index, 2 * np * nk, |c, acc| {
        let r = index.spells(c);
        for i in r.clone() {
            if !roles.care[index.state[i] as usize] {
                continue;
            }
            let (a, e) = (index.start[i], index.end[i].min(as_of));
            let k = strata.of(c, a);
            if i > r.start && roles.care[index.state[i - 1] as usize] && index.end[i - 1] == a {
                if let Some(p) = periods.of(a) {
                    acc[(p * nk + k) * 2] += 1;
                }
            }
            if e <= a {
                continue;
            }
            let first = periods.of(a).unwrap_or(0);
            for p in first..np {
                let (lo, hi) = (periods.bounds[p].max(a), periods.bounds[p + 1].min(e));
                if lo >= hi {
                    if periods.bounds[p] >= e {
                        break;
                    }
                    continue;
                }
                acc[(p * nk + k) * 2 + 1] += (hi as i64 - lo as i64) as u64;
            }
        }
    });
    Ok((
        t.iter().step_by(2).copied().collect(),
        t.iter().skip(1).step_by(2).copied().collect(),
    ))
}

/// Entries into `states` per period and stratum, and how many of them came within `window`
/// minutes of the child's previous entry (re-referrals): `(entries, repeats)`, `[period][stratum]`.
pub fn repeats(
    index: &Index,
    states: &[bool],
    window: i64,
    periods: &Periods,
    strata: &Strata,
) -> (Vec<u64>, Vec<u64>) {
    let (np, nk) = (periods.n(), strata.n());
    let t = tally(index, 2 * np * nk, |c, acc| {
        let mut previous: Option<Minute> = None;
        for i in index.spells(c) {
            if !states
                .get(index.state[i] as usize)
                .copied()
                .unwrap_or(false)
            {
                continue;
            }
            let a = index.start[i];
            if let Some(p) = periods.of(a) {
                let k = strata.of(c, a);
                acc[(p * nk + k) * 2] += 1;
                if previous.is_some_and(|q| a as i64 - q as i64 <= window) {
                    acc[(p * nk + k) * 2 + 1] += 1;
                }
            }
            previous = Some(a);
        }
    });
    (
        t.iter().step_by(2).copied().collect(),
        t.iter().skip(1).step_by(2).copied().collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testdata::{index, D};

    // States: 0 referral, 1 foster, 2 placed for adoption, 3 adopted (exit).
    fn roles() -> Roles {
        Roles {
            care: vec![false, true, true, false],
            placed_for_adoption: Some(2),
        }
    }

    #[test]
    fn periods_of_care_by_hand() {
        let idx = index(
            &[
                // child 1: referral, foster 10-100, foster 100-200 (a move), PFA 200-300, adopted.
                (1, 0, 0, Some(10)),
                (1, 1, 10, Some(100)),
                (1, 1, 100, Some(200)),
                (1, 2, 200, Some(300)),
                (1, 3, 300, Some(305)),
                // child 2: foster 0-50, gap, foster 60-open (re-entry).
                (2, 1, 0, Some(50)),
                (2, 1, 60, None),
            ],
            4,
        );
        let e1 = [false, false, true, true, false, false, false];
        let p = care_periods(&idx, &roles(), &Strata::none(), Some(&e1)).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(
            (p[0].entry, p[0].end, p[0].exit_state, p[0].moves),
            (10 * D, 300 * D, 3, 2)
        );
        assert_eq!(
            (p[0].placed_for_adoption, p[0].placement_order),
            (200 * D, 100 * D)
        );
        assert_eq!((p[1].exit_state, p[1].previous_end), (4, NONE));
        assert_eq!(
            (p[2].exit_state, p[2].previous_end, p[2].end),
            (STILL_IN, 50 * D, OPEN)
        );
        assert!(care_periods(
            &idx,
            &Roles {
                care: vec![true],
                placed_for_adoption: None
            },
            &Strata::none(),
            None
        )
        .is_err());
    }

    #[test]
    fn moves_and_care_days_per_period() {
        let idx = index(
            &[
                (1, 1, 0, Some(15)),
                (1, 2, 15, Some(30)),
                (2, 1, 5, None),
                (3, 0, 0, Some(40)),
            ],
            4,
        );
        let b = [0, 10 * D, 20 * D];
        let (moves, minutes) = stability(
            &idx,
            &roles(),
            &Periods::new(&b).unwrap(),
            &Strata::none(),
            18 * D,
        )
        .unwrap();
        assert_eq!(moves, vec![0, 1]);
        // period 0: child 1 10 days + child 2 5 days; period 1 (clipped at as_of = day 18):
        // child 1 5 + 3 days, child 2 8 days.
        assert_eq!(minutes, vec![15 * D as u64, 16 * D as u64]);
    }

    #[test]
    fn re_referrals_within_window() {
        let idx = index(
            &[
                (1, 0, 0, Some(1)),
                (1, 0, 300, Some(301)),
                (1, 0, 700, Some(701)),
                (2, 0, 400, Some(401)),
            ],
            4,
        );
        let b = [0, 365 * D, 800 * D];
        let (entries, rep) = repeats(
            &idx,
            &[true, false, false, false],
            365 * D as i64,
            &Periods::new(&b).unwrap(),
            &Strata::none(),
        );
        assert_eq!(entries, vec![2, 2]);
        assert_eq!(rep, vec![1, 0]); // 300 after 0 repeats; 700 is 400 days after 300
    }
}
