//! Time in state: Kaplan-Meier survival per state and stratum, open spells censored, with
//! quantiles and curves; and the current waits (time so far of the children in a state now).

use rayon::prelude::*;

use super::Strata;
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::time::{Minute, OPEN};

/// Quantiles reported: the time by which this share of spells has ended.
pub const QUANTILES: [f64; 4] = [0.25, 0.5, 0.75, 0.9];

/// One state and stratum's survival summary (times in minutes).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub state: u16,
    pub stratum: u32,
    pub n: u64,
    pub events: u64,
    pub censored: u64,
    /// Time by which each of [`QUANTILES`] has ended; `None` if the curve never falls so far.
    pub quantiles: [Option<i64>; 4],
}

/// The survival curve: at `time`, `survival` (after the events at that time).
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    pub state: u16,
    pub stratum: u32,
    pub time: i64,
    pub survival: f64,
    pub at_risk: u64,
}

/// Kaplan-Meier estimates of time in each state, spells starting at or before `as_of`;
/// spells still open at `as_of` are censored there. `curve_step` (minutes) thins the curve
/// to its last point in each step (0: no curve).
pub fn kaplan_meier(
    index: &Index,
    strata: &Strata,
    as_of: Minute,
    curve_step: i64,
) -> Result<(Vec<Summary>, Vec<CurvePoint>)> {
    let nk = strata.n() as u64;
    if (index.labels.len() as u64) * nk >= 1 << 31 {
        return Err(CoreError::config("by", "too many strata for time in state"));
    }
    if let Some(found) = kaplan_meier_by_day(index, strata, as_of, curve_step) {
        return Ok(found);
    }
    // key: cell (31 bits) | duration (32 bits) | censored (1 bit): sorting it orders each cell's
    // spells by duration with events before censorings at equal times.
    let n = index.n_children();
    let mut keys: Vec<u64> = (0..n.div_ceil(super::CHUNK))
        .into_par_iter()
        .flat_map_iter(|k| {
            let mut out = Vec::new();
            for c in k * super::CHUNK..((k + 1) * super::CHUNK).min(n) {
                for i in index.spells(c) {
                    let (a, e) = (index.start[i], index.end[i]);
                    if a > as_of {
                        continue;
                    }
                    let (stop, censored) = if e == OPEN || e > as_of {
                        (as_of, 1u64)
                    } else {
                        (e, 0)
                    };
                    let d = (stop as i64 - a as i64) as u64;
                    let cell = index.state[i] as u64 * nk + strata.of(c, a) as u64;
                    out.push(cell << 33 | d << 1 | censored);
                }
            }
            out
        })
        .collect();
    keys.par_sort_unstable();
    // Runs of one cell.
    let mut runs = Vec::new();
    let mut a = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i] >> 33 != keys[a] >> 33 {
            runs.push((a, i));
            a = i;
        }
    }
    let results: Vec<(Summary, Vec<CurvePoint>)> = runs
        .into_par_iter()
        .map(|(a, b)| estimate(&keys[a..b], nk, curve_step))
        .collect();
    let mut summaries = Vec::with_capacity(results.len());
    let mut curves = Vec::new();
    for (s, c) in results {
        summaries.push(s);
        curves.extend(c);
    }
    Ok((summaries, curves))
}

/// Largest histogram (cells x days) the whole-day path keeps per thread.
const MAX_HIST: usize = 8 << 20;

/// Kaplan-Meier when every time is a whole day (dates): counts per (cell, day) in one
/// parallel pass instead of a sort. `None` when times have minutes or the grid is too big.
fn kaplan_meier_by_day(
    index: &Index,
    strata: &Strata,
    as_of: Minute,
    curve_step: i64,
) -> Option<(Vec<Summary>, Vec<CurvePoint>)> {
    const DAY: i64 = crate::time::MINUTES_PER_DAY as i64;
    if (as_of as i64).rem_euclid(DAY) != 0 {
        return None;
    }
    let whole = |m: &Minute| *m == OPEN || (*m as i64).rem_euclid(DAY) == 0;
    if !index.start.par_iter().all(whole) || !index.end.par_iter().all(whole) {
        return None;
    }
    let lo = index.start.par_iter().copied().min()?;
    let days = ((as_of as i64 - lo as i64).max(0) / DAY + 1) as usize;
    let nk = strata.n();
    let cells = index.labels.len() * nk;
    if cells.checked_mul(days)? > MAX_HIST {
        return None;
    }
    let n = index.n_children();
    // Per (cell, day): [events, spells]; integer sums, so any split gives the same result.
    let hist = (0..n.div_ceil(super::CHUNK))
        .into_par_iter()
        .fold(
            || vec![[0u32; 2]; cells * days],
            |mut h, k| {
                for c in k * super::CHUNK..((k + 1) * super::CHUNK).min(n) {
                    for i in index.spells(c) {
                        let (a, e) = (index.start[i], index.end[i]);
                        if a > as_of {
                            continue;
                        }
                        let (stop, event) = if e == OPEN || e > as_of {
                            (as_of, 0)
                        } else {
                            (e, 1)
                        };
                        let d = ((stop as i64 - a as i64) / DAY) as usize;
                        let cell = index.state[i] as usize * nk + strata.of(c, a);
                        let slot = &mut h[cell * days + d];
                        slot[0] += event;
                        slot[1] += 1;
                    }
                }
                h
            },
        )
        .reduce(
            || vec![[0u32; 2]; cells * days],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| {
                    x[0] += y[0];
                    x[1] += y[1];
                });
                a
            },
        );
    let results: Vec<(Summary, Vec<CurvePoint>)> = (0..cells)
        .into_par_iter()
        .filter_map(|cell| {
            let row = &hist[cell * days..(cell + 1) * days];
            let n: u64 = row.iter().map(|v| u64::from(v[1])).sum();
            (n > 0).then(|| {
                let groups = row
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v[1] > 0)
                    .map(|(d, v)| (d as u64 * DAY as u64, u64::from(v[0]), u64::from(v[1])));
                estimate_groups(cell as u64, nk as u64, n, groups, curve_step)
            })
        })
        .collect();
    let mut summaries = Vec::with_capacity(results.len());
    let mut curves = Vec::new();
    for (s, c) in results {
        summaries.push(s);
        curves.extend(c);
    }
    Some((summaries, curves))
}

/// KM over one cell's sorted keys.
fn estimate(keys: &[u64], nk: u64, curve_step: i64) -> (Summary, Vec<CurvePoint>) {
    let cell = keys[0] >> 33;
    let mut i = 0;
    let groups = std::iter::from_fn(|| {
        if i >= keys.len() {
            return None;
        }
        let d = (keys[i] >> 1) & 0xFFFF_FFFF;
        let mut events = 0u64;
        let mut j = i;
        while j < keys.len() && (keys[j] >> 1) & 0xFFFF_FFFF == d {
            events += u64::from(keys[j] & 1 == 0);
            j += 1;
        }
        let count = (j - i) as u64;
        i = j;
        Some((d, events, count))
    });
    estimate_groups(cell, nk, keys.len() as u64, groups, curve_step)
}

/// KM of one cell from its (duration, events, spells ending or censored then) groups in
/// ascending duration.
fn estimate_groups(
    cell: u64,
    nk: u64,
    n: u64,
    groups: impl Iterator<Item = (u64, u64, u64)>,
    curve_step: i64,
) -> (Summary, Vec<CurvePoint>) {
    let (state, stratum) = ((cell / nk) as u16, (cell % nk) as u32);
    let mut at_risk = n;
    let mut s = 1.0f64;
    let mut quantiles = [None; 4];
    let mut curve: Vec<CurvePoint> = Vec::new();
    let mut events_total = 0;
    for (d, events, count) in groups {
        if events > 0 {
            s *= 1.0 - events as f64 / at_risk as f64;
            events_total += events;
            for (q, slot) in QUANTILES.iter().zip(quantiles.iter_mut()) {
                if slot.is_none() && s <= 1.0 - q + 1e-12 {
                    *slot = Some(d as i64);
                }
            }
            if curve_step > 0 {
                let point = CurvePoint {
                    state,
                    stratum,
                    time: d as i64,
                    survival: s,
                    at_risk,
                };
                match curve.last_mut() {
                    Some(last)
                        if last.time.div_euclid(curve_step)
                            == point.time.div_euclid(curve_step) =>
                    {
                        *last = CurvePoint {
                            at_risk: last.at_risk,
                            ..point
                        }
                    }
                    _ => curve.push(point),
                }
            }
        }
        at_risk -= count;
    }
    let summary = Summary {
        state,
        stratum,
        n,
        events: events_total,
        censored: n - events_total,
        quantiles,
    };
    (summary, curve)
}

/// For each state and stratum, the median time so far (minutes) of the spells in it at `t`,
/// and how many there are: the wait of the children there now. Strata by spell start.
pub fn current_waits(index: &Index, strata: &Strata, t: Minute) -> Vec<(u16, u32, u64, i64)> {
    let nk = strata.n() as u64;
    let n = index.n_children();
    let mut keys: Vec<u64> = (0..n.div_ceil(super::CHUNK))
        .into_par_iter()
        .flat_map_iter(|k| {
            let mut out = Vec::new();
            for c in k * super::CHUNK..((k + 1) * super::CHUNK).min(n) {
                for i in index.spells(c) {
                    let (a, e) = (index.start[i], index.end[i]);
                    if a <= t && t < e {
                        let cell = index.state[i] as u64 * nk + strata.of(c, a) as u64;
                        out.push(cell << 32 | (t as i64 - a as i64) as u64);
                    }
                }
            }
            out
        })
        .collect();
    keys.par_sort_unstable();
    let mut out = Vec::new();
    let mut a = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i] >> 32 != keys[a] >> 32 {
            let cell = keys[a] >> 32;
            let m = i - a;
            // Lower median for even counts (a time that some child has actually waited).
            let median = (keys[a + (m - 1) / 2] & 0xFFFF_FFFF) as i64;
            out.push(((cell / nk) as u16, (cell % nk) as u32, m as u64, median));
            a = i;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testdata::{index, D};

    #[test]
    fn km_by_hand() {
        // Five spells in S0: 2, 3 (open, censored at as_of), 5, 5, 8 days.
        // as_of = day 10. Child 2's spell starts day 7, open: censored at 3.
        let idx = index(
            &[
                (1, 0, 0, Some(2)),
                (2, 0, 7, None),
                (3, 0, 0, Some(5)),
                (4, 0, 1, Some(6)),
                (5, 0, 0, Some(8)),
            ],
            1,
        );
        let (s, curve) = kaplan_meier(&idx, &Strata::none(), 10 * D, 1).unwrap();
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!((s.n, s.events, s.censored), (5, 4, 1));
        // t=2: 5 at risk, 1 event: S = 0.8. t=3: censored. t=5: 3 at risk, 2 events: S = 0.8/3.
        // t=8: 1 at risk, 1 event: S = 0.
        let times: Vec<i64> = curve.iter().map(|p| p.time / D as i64).collect();
        assert_eq!(times, vec![2, 5, 8]);
        assert!((curve[0].survival - 0.8).abs() < 1e-12);
        assert!((curve[1].survival - 0.8 / 3.0).abs() < 1e-12);
        assert_eq!(curve[1].at_risk, 3);
        assert_eq!(curve[2].survival, 0.0);
        // 25%: S <= 0.75 first at t=5; median at 5; 75% (S <= 0.25): S(5) = 0.267, so t=8; 90% at 8.
        assert_eq!(
            s.quantiles,
            [
                Some(5 * D as i64),
                Some(5 * D as i64),
                Some(8 * D as i64),
                Some(8 * D as i64)
            ]
        );
    }

    #[test]
    fn km_censored_tail_leaves_quantiles_unknown() {
        let idx = index(&[(1, 0, 0, Some(4)), (2, 0, 0, None), (3, 0, 0, None)], 1);
        let (s, _) = kaplan_meier(&idx, &Strata::none(), 10 * D, 0).unwrap();
        // S falls to 2/3 at t=4 and stays: the 25% quantile is 4 days, the median unknown.
        assert_eq!(s[0].quantiles, [Some(4 * D as i64), None, None, None]);
    }

    #[test]
    fn km_as_of_censors_later_ends_and_drops_later_starts() {
        let idx = index(&[(1, 0, 0, Some(20)), (2, 0, 15, Some(16))], 1);
        let (s, _) = kaplan_meier(&idx, &Strata::none(), 10 * D, 0).unwrap();
        assert_eq!((s[0].n, s[0].events, s[0].censored), (1, 0, 1));
    }

    #[test]
    fn waits_now() {
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
        let w = current_waits(&idx, &Strata::none(), 10 * D);
        // S0 at day 10: waits 10, 6, 2 -> median 6.
        assert_eq!(w, vec![(0, 0, 3, 6 * D as i64)]);
    }
}
