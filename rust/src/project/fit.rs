//! Fitting the journey model: per cell (state x group x age band x care band, with coarser
//! fallbacks) a Kaplan-Meier curve of time in state over a window before the date (spells
//! begun before the window enter late, spells open at the date are censored; a spell counts
//! in each age band the child passes through, censored at the band's edge and entering the
//! next band there), split at each event time by next state (Aalen-Johansen); arrivals over
//! the last year by entry state, group and age, with the months' shares over the window, and
//! their yearly trend by entry state and age band; and the children open at the date.

use rayon::prelude::*;

use super::{
    band_of_age, care_band, Arrival, BandEdges, Cell, Known, Model, Open, AGE_YEARS, ARRIVAL_BANDS,
    LEFT, MIN_EVENTS, NO_AGE_OUT, NO_BIRTH_DAY,
};
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::time::{civil_from_days, Minute, MINUTES_PER_DAY, OPEN};

/// Children per fitting chunk (fixed: sums do not depend on the thread count).
const CHUNK: usize = 65_536;
/// Largest gap (days) between a spell's end and the next spell's start that still counts as
/// a move from one to the other (a longer gap: the child left, and later arrived again).
pub const GAP_DAYS: i32 = 1;
const TAG_CENSOR: u64 = 0xFFFF;

/// What the model is fitted from.
pub struct FitInput<'a> {
    pub index: &'a Index,
    pub as_of: Minute,
    /// Per-child group code and the group labels (councils), if fitted by group.
    pub groups: Option<(&'a [u16], Vec<String>)>,
    /// Per-child birth time (minutes; `stats::NO_BIRTH` unknown), if fitted by age.
    pub births: Option<&'a [Minute]>,
    /// Days before the date whose spells the durations are fitted from.
    pub window_days: i32,
    /// Most yearly sub-windows before the date the moves' trends are fitted over (fewer
    /// where the data begin later; under 3: no trend).
    pub trend_years: u32,
    /// The trend's damping per year after the date (1: straight on, 0: none).
    pub damping: f64,
    /// Edges (days) of the care bands that times in state are split by (see
    /// [`Model::care_edges`]); empty: not split.
    pub care_edges: Vec<i32>,
    /// Whether arrivals get a trend too (by entry state and age band, over the same years,
    /// damped the same way); false: held at the last year's level.
    pub arrival_trend: bool,
}

/// Most care-band edges.
pub const MAX_CARE_EDGES: usize = 15;

/// Fewest events of a move over the trend's years before its trend is fitted.
const TREND_MIN_EVENTS: u64 = 20;

fn day(m: Minute) -> i32 {
    m.div_euclid(MINUTES_PER_DAY)
}

/// A level of cells: split by (group?, age band?, care band?).
type Level = (bool, bool, bool);

/// The levels of cells from the most specific to the state alone: the group goes first,
/// then the care band (the age band kept), then the age band (the care band kept).
fn levels(groups: bool, age: bool, care: bool) -> Vec<Level> {
    let mut out: Vec<Level> = Vec::new();
    for (g, a, c) in [
        (true, true, true),
        (false, true, true),
        (false, true, false),
        (false, false, true),
        (false, false, false),
    ] {
        let l = (g && groups, a && age, c && care);
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

struct Shape {
    ns: usize,
    ng: usize,
    nb: usize,
    nc: usize,
    levels: Vec<Level>,
    offsets: Vec<usize>,
}

impl Shape {
    fn per_state(&self, l: usize) -> usize {
        let (g, b, c) = self.levels[l];
        (if g { self.ng } else { 1 })
            * (if b { self.nb } else { 1 })
            * (if c { self.nc } else { 1 })
    }

    /// The cell of level `l` for state, group, age band and care band.
    fn cell(&self, l: usize, state: usize, g: usize, b: usize, c: usize) -> usize {
        let (lg, lb, lc) = self.levels[l];
        let (g, b, c) = (
            if lg { g } else { 0 },
            if lb { b } else { 0 },
            if lc { c } else { 0 },
        );
        let (nb, nc) = (if lb { self.nb } else { 1 }, if lc { self.nc } else { 1 });
        self.offsets[l] + state * self.per_state(l) + (g * nb + b) * nc + c
    }

    fn n_cells(&self) -> usize {
        *self.offsets.last().unwrap_or(&0)
    }
}

#[derive(Default)]
struct Acc {
    keys: Vec<u64>,
    base: Vec<u64>,
    arrivals: Vec<u64>,
    season: Vec<u64>,
    open: Vec<Open>,
    /// Per state: spells still running a month past the 18th birthday (in the window).
    past18: Vec<u64>,
    /// Per state and next state (`ns` = left): spells ending within 3 days of it.
    at18: Vec<u64>,
    /// Per trend year (0: the year to the date), state, care band and next state: moves.
    tr_ev: Vec<u64>,
    /// Per trend year, state and care band: days spent there.
    tr_exp: Vec<u64>,
    /// Per trend year: spells begun (to find where the data begin).
    tr_starts: Vec<u64>,
    /// Per trend year, entry state and age band at arrival: arrivals.
    tr_arr: Vec<u64>,
}

impl Acc {
    fn main(shape: &Shape, ng: usize, years: usize) -> Self {
        let ns = shape.ns;
        Acc {
            base: vec![0; shape.n_cells()],
            arrivals: vec![0; ns * ng * AGE_YEARS],
            season: vec![0; ns * 12],
            tr_ev: vec![0; years * ns * shape.nc * (ns + 1)],
            tr_exp: vec![0; years * ns * shape.nc],
            tr_starts: vec![0; years],
            tr_arr: vec![0; years * ns * ARRIVAL_BANDS],
            ..Acc::default()
        }
    }
}

/// Fits the model.
pub fn fit(input: &FitInput) -> Result<Model> {
    let index = input.index;
    let ns = index.labels.len();
    if ns + 2 >= TAG_CENSOR as usize {
        return Err(CoreError::config("states", "too many states to project"));
    }
    if !(0.0..=1.0).contains(&input.damping) {
        return Err(CoreError::config(
            "trend_damping",
            "the trend's damping must be in [0, 1]",
        ));
    }
    let edges = &input.care_edges;
    if edges.len() > MAX_CARE_EDGES
        || edges.first().is_some_and(|&e| e < 1)
        || edges.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(CoreError::config(
            "care_bands",
            format!("care bands need up to {MAX_CARE_EDGES} increasing edges, each over a day"),
        ));
    }
    if input.window_days < 1 {
        return Err(CoreError::config(
            "window",
            "the fitting window must be at least a day",
        ));
    }
    let n = index.n_children();
    let (group_codes, group_labels) = match &input.groups {
        Some((g, labels)) => (Some(*g), labels.clone()),
        None => (None, vec![]),
    };
    if group_codes.is_some_and(|g| g.len() != n) || input.births.is_some_and(|b| b.len() != n) {
        return Err(CoreError::config(
            "by",
            "per-child columns do not match the children",
        ));
    }
    let ng = group_labels.len().max(1);
    if let Some(bad) = group_codes.and_then(|g| g.iter().find(|&&c| c as usize >= ng)) {
        return Err(CoreError::config(
            "by",
            format!("group code {bad} has no label"),
        ));
    }
    let by_age = input.births.is_some();
    let nb = if by_age {
        crate::stats::AGE_BANDS.len()
    } else {
        1
    };
    let lv = levels(group_codes.is_some(), by_age, !edges.is_empty());
    let mut offsets = vec![0];
    let mut shape = Shape {
        ns,
        ng,
        nb,
        nc: edges.len() + 1,
        levels: lv,
        offsets: vec![],
    };
    for l in 0..shape.levels.len() {
        shape.offsets = offsets.clone();
        offsets.push(offsets[l] + ns * shape.per_state(l));
    }
    shape.offsets = offsets;
    if shape.n_cells() >= 1 << 28 {
        return Err(CoreError::config(
            "by",
            "too many cells (states x groups x age bands x care bands)",
        ));
    }
    let as_of = day(input.as_of);
    let w0 = as_of - input.window_days;
    // Ageing out is learnt for up to 256 states (its table is states squared).
    let ns18 = if by_age && ns <= 256 { ns } else { 0 };
    let birth_day = |c: usize| match input.births {
        Some(b) if b[c] != crate::stats::NO_BIRTH => day(b[c]),
        _ => NO_BIRTH_DAY,
    };
    let group = |c: usize| group_codes.map_or(0, |g| g[c] as usize);
    // Pass 1 (with births): which states children leave on turning 18.
    let ages = if ns18 > 0 {
        let (past18, at18) = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|k| {
                let mut acc = Acc {
                    past18: vec![0; ns18],
                    at18: vec![0; ns18 * (ns18 + 1)],
                    ..Acc::default()
                };
                for c in k * CHUNK..((k + 1) * CHUNK).min(n) {
                    let (b, g) = (birth_day(c), group(c));
                    child(index, c, (as_of, w0), b, g, (&shape, edges), None, &mut acc);
                }
                (acc.past18, acc.at18)
            })
            .reduce(
                || (vec![0; ns18], vec![0; ns18 * (ns18 + 1)]),
                |mut a, b| {
                    add(&mut a.0, &b.0);
                    add(&mut a.1, &b.1);
                    a
                },
            );
        age_out(&past18, &at18, ns, ns18)
    } else {
        vec![NO_AGE_OUT; ns]
    };
    let years = input.trend_years.min(100) as usize;
    let parts: Vec<Acc> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let mut acc = Acc::main(&shape, ng, years);
            for c in k * CHUNK..((k + 1) * CHUNK).min(n) {
                let (b, g) = (birth_day(c), group(c));
                child(
                    index,
                    c,
                    (as_of, w0),
                    b,
                    g,
                    (&shape, edges),
                    Some(&ages),
                    &mut acc,
                );
            }
            acc
        })
        .collect();
    let mut acc = Acc::main(&shape, ng, years);
    for p in parts {
        add(&mut acc.tr_ev, &p.tr_ev);
        add(&mut acc.tr_exp, &p.tr_exp);
        add(&mut acc.tr_starts, &p.tr_starts);
        add(&mut acc.tr_arr, &p.tr_arr);
        acc.keys.extend(p.keys);
        add(&mut acc.base, &p.base);
        add(&mut acc.arrivals, &p.arrivals);
        add(&mut acc.season, &p.season);
        acc.open.extend(p.open);
    }
    acc.keys.par_sort_unstable();
    let cells = cells(&acc.keys, &acc.base, ns);
    let choice = choose(&shape, &cells);
    let first_day = index.time_range().map_or(as_of, |(lo, _)| day(lo));
    let year_span = (as_of - first_day.max(as_of - 365)).max(1) as f64;
    let mut arrivals = Vec::new();
    for (i, &count) in acc.arrivals.iter().enumerate() {
        if count > 0 {
            arrivals.push(Arrival {
                state: (i / (ng * AGE_YEARS)) as u16,
                group: (i / AGE_YEARS % ng) as u16,
                age: (i % AGE_YEARS) as u8,
                per_year: count as f64 * 365.0 / year_span,
            });
        }
    }
    let season = seasons(&acc.season, ns, w0.max(first_day), as_of);
    let span = trend_span(&acc.tr_starts);
    let arrival_trend = if input.arrival_trend {
        arrival_trends(&acc.tr_arr, span, ns)
    } else {
        vec![]
    };
    Ok(Model {
        states: index.labels.clone(),
        groups: group_labels,
        by_age,
        age_now: by_age,
        care_edges: edges.clone(),
        as_of_day: as_of,
        window_days: input.window_days,
        cells,
        choice,
        arrivals,
        season,
        open: acc.open,
        age_out: ages,
        trend: trends(&acc.tr_ev, &acc.tr_exp, span, ns, shape.nc),
        trend_lead: f64::from(input.window_days) / 2.0 / 365.25,
        damping: input.damping,
        arrival_trend,
        // The arrivals' level is the last year's: its middle is half of it before the date.
        arrival_lead: year_span / 2.0 / 365.25,
    })
}

fn add(a: &mut [u64], b: &[u64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

/// Whether a spell begun on day `a` is an arrival: the child's first, or begun more than
/// [`GAP_DAYS`] after the last one's end (`prev_end`; None: none, or still open).
fn arrives(prev_end: Option<i32>, a: i32) -> bool {
    prev_end.map_or(true, |p| a - p > GAP_DAYS)
}

/// Age in whole years (0..=18, 18 or over; 19 unknown) on `day` of a child born `birth`.
fn age_at(birth: i32, day: i32) -> u8 {
    if birth == NO_BIRTH_DAY {
        return 19;
    }
    crate::stats::age_years(
        birth.saturating_mul(MINUTES_PER_DAY),
        day.saturating_mul(MINUTES_PER_DAY),
    )
    .clamp(0, 18) as u8
}

/// The arrivals in the data after `from` up to `to` (days, inclusive): every child's first
/// spell and every spell begun more than [`GAP_DAYS`] after the last one's end (as the fit
/// counts them), in the children's order, with each child's birth (minutes;
/// `stats::NO_BIRTH` unknown) and group if given.
pub fn arrivals_between(
    index: &Index,
    births: Option<&[Minute]>,
    groups: Option<&[u16]>,
    (from, to): (i32, i32),
) -> Result<Vec<Known>> {
    let n = index.n_children();
    if births.is_some_and(|b| b.len() != n) || groups.is_some_and(|g| g.len() != n) {
        return Err(CoreError::config(
            "arrivals",
            "per-child columns do not match the children",
        ));
    }
    let mut out = Vec::new();
    for c in 0..n {
        let mut prev_end: Option<i32> = None;
        for i in index.spells(c) {
            let a = day(index.start[i]);
            if a > to {
                break;
            }
            if a > from && arrives(prev_end, a) {
                let birth = match births {
                    Some(b) if b[c] != crate::stats::NO_BIRTH => day(b[c]),
                    _ => NO_BIRTH_DAY,
                };
                out.push(Known {
                    state: index.state[i],
                    day: a,
                    birth_day: birth,
                    group: groups.map_or(0, |g| g[c]),
                });
            }
            prev_end = (index.end[i] != OPEN).then(|| day(index.end[i]));
        }
    }
    Ok(out)
}

/// Records one child's spells: with `ages` None (pass 1) only where spells stand at the 18th
/// birthday; then (pass 2, `ages` the states children leave at 18) everything else, an end
/// on turning 18 in such a state censored (the simulation ends those stays itself).
#[allow(clippy::too_many_arguments)]
fn child(
    index: &Index,
    c: usize,
    (as_of, w0): (i32, i32),
    birth: i32,
    g: usize,
    (shape, edges): (&Shape, &[i32]),
    ages: Option<&[u32]>,
    acc: &mut Acc,
) {
    let spells = index.spells(c);
    let mut prev_end: Option<i32> = None;
    let mut run_start = i32::MIN;
    for i in spells.clone() {
        let a = day(index.start[i]);
        if a > as_of {
            break;
        }
        let e = (index.end[i] != OPEN).then(|| day(index.end[i]));
        let s = index.state[i] as usize;
        let arrived = arrives(prev_end, a);
        prev_end = e;
        if arrived {
            run_start = a;
        }
        if arrived && ages.is_some() {
            let age = age_at(birth, a);
            if a > as_of - 365 {
                acc.arrivals[(s * shape.ng + g) * AGE_YEARS + age as usize] += 1;
            }
            let k = (as_of - a) / 365;
            if (k as usize) < acc.tr_starts.len() {
                acc.tr_arr[(k as usize * shape.ns + s) * ARRIVAL_BANDS + band_of_age(age)] += 1;
            }
            if a > w0 {
                let (_, m, _) = civil_from_days(a as i64);
                acc.season[s * 12 + m as usize - 1] += 1;
            }
        }
        let closed = e.is_some_and(|e| e <= as_of);
        if !closed && ages.is_some() {
            acc.open.push(Open {
                dot: c as u32,
                state: s as u16,
                start_day: a,
                birth_day: birth,
                group: g as u16,
                run_start,
            });
        }
        let stop = if closed { e.unwrap_or(as_of) } else { as_of };
        let next = || {
            spells
                .clone()
                .find(|&j| j > i)
                .filter(|&j| {
                    let b = day(index.start[j]);
                    b <= as_of && b - stop <= GAP_DAYS
                })
                .map_or(shape.ns, |j| index.state[j] as usize)
        };
        let b18 = (birth != NO_BIRTH_DAY).then(|| super::birthday(birth, 18));
        let care = care_band(edges, a.saturating_sub(run_start));
        if let Some(ages) = ages.filter(|_| !acc.tr_starts.is_empty()) {
            // Turning 18 where the simulation ends the stay itself is no move to trend.
            let moved = closed && !(ages[s] != NO_AGE_OUT && b18.is_some_and(|b| stop >= b - 3));
            let to = if moved { Some(next()) } else { None };
            let row = s * shape.nc + care;
            trend_spell(acc, (shape.ns, shape.nc), row, (a, stop), to, as_of);
        }
        if e.is_some_and(|e| e <= w0) {
            continue;
        }
        // At risk in the window: its next state, if it ended by the date.
        let mut tag = if closed {
            1 + next() as u64
        } else {
            TAG_CENSOR
        };
        let Some(ages) = ages else {
            if let Some(b18) = b18 {
                // A month and a half past: the birth may be known to the month only.
                let p = b18 + 45;
                if a <= p && p < stop && p > w0 && p <= as_of {
                    acc.past18[s] += 1;
                }
                if closed && a < b18 - 3 && (-3..=40).contains(&(stop - b18)) {
                    acc.at18[s * (shape.ns + 1) + tag as usize - 1] += 1;
                }
            }
            continue;
        };
        if closed && ages[s] != NO_AGE_OUT && b18.is_some_and(|b| stop >= b - 3) {
            tag = TAG_CENSOR;
        }
        // By age band: up to each band's edge in the stay, censored there; from it, entering
        // the next band's cell late (at the days spent so far).
        let bands = BandEdges::new(birth);
        let mut lo = a;
        loop {
            let edge = bands.next(lo).filter(|&x| x <= stop);
            let (hi, tag) = edge.map_or((stop, tag), |x| (x, TAG_CENSOR));
            if hi > w0 {
                let d = ((hi - a).max(0) as u64).min((1 << 20) - 1);
                let window = (a < w0).then(|| (w0 - a + 1) as u64);
                let late = (lo > a).then(|| (lo - a) as u64);
                let entry = window.max(late).map(|t| t.min(d));
                let band = bands.band(lo);
                for l in 0..shape.levels.len() {
                    let cell = shape.cell(l, s, g, band, care);
                    acc.keys.push((cell as u64) << 36 | d << 16 | tag);
                    match entry {
                        Some(t) => acc.keys.push((cell as u64) << 36 | t << 16),
                        None => acc.base[cell] += 1,
                    }
                }
            }
            match edge {
                Some(x) => lo = x,
                None => break,
            }
        }
    }
}

/// Adds one spell (days `a` to `stop`, ending in a move to `to` if any; `row`: its state
/// and care band) to the trend's yearly exposure and moves.
fn trend_spell(
    acc: &mut Acc,
    (ns, nc): (usize, usize),
    row: usize,
    (a, stop): (i32, i32),
    to: Option<usize>,
    as_of: i32,
) {
    for k in 0..acc.tr_starts.len() {
        let hi = as_of - 365 * k as i32;
        let lo = hi - 365;
        if stop <= lo {
            continue;
        }
        if a > hi {
            break;
        }
        if a > lo {
            acc.tr_starts[k] += 1;
        }
        let r = k * ns * nc + row;
        acc.tr_exp[r] += (stop.min(hi) - a.max(lo)).max(0) as u64;
        if let Some(t) = to.filter(|_| stop > lo && stop <= hi) {
            acc.tr_ev[r * (ns + 1) + t] += 1;
        }
    }
}

/// Per (state, next state): the yearly change of the move's rate (events over days spent) on
/// the log scale, by weighted least squares over the trend's years that the data cover (a
/// year with under half the spells begun of the year after it is before the data begin),
/// with its variance from the counts (or their scatter about the line, if larger), shrunk
/// toward 0 by `1 - var / slope^2` (0 where the slope is within a standard error of 0).
/// With care bands (`nc` > 1) the rate is each year's moves over those expected from its
/// days spent in each care band at the band's rate over all the years (indirect
/// standardisation): a shift between bands, which the bands' own curves already follow, is
/// no trend. Empty under 3 years.
fn trends(ev: &[u64], exp: &[u64], years: usize, ns: usize, nc: usize) -> Vec<f64> {
    if years < 3 {
        return vec![];
    }
    let mut out = vec![0.0; ns * (ns + 1)];
    let row = |k: usize, s: usize, c: usize| (k * ns + s) * nc + c;
    for s in 0..ns {
        for t in 0..=ns {
            // Each band's rate over all the years (unused with one band).
            let rate: Vec<f64> = (0..nc)
                .map(|c| {
                    let (n, e) = (0..years).fold((0, 0), |(n, e), k| {
                        let r = row(k, s, c);
                        (n + ev[r * (ns + 1) + t], e + exp[r])
                    });
                    if e > 0 {
                        n as f64 / e as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            let pts: Vec<(f64, f64, f64)> = (0..years)
                .filter_map(|k| {
                    let days: u64 = (0..nc).map(|c| exp[row(k, s, c)]).sum();
                    let moves: u64 = (0..nc).map(|c| ev[row(k, s, c) * (ns + 1) + t]).sum();
                    let base = if nc == 1 {
                        days as f64
                    } else {
                        (0..nc).map(|c| exp[row(k, s, c)] as f64 * rate[c]).sum()
                    };
                    let n = moves as f64 + 0.5;
                    (days > 0 && base > 0.0).then(|| (-(k as f64 + 0.5), (n / base).ln(), n))
                })
                .collect();
            let total: f64 = pts.iter().map(|p| p.2 - 0.5).sum();
            if pts.len() < 3 || total < TREND_MIN_EVENTS as f64 {
                continue;
            }
            out[s * (ns + 1) + t] = shrunk_slope(&pts);
        }
    }
    out
}

/// The trend's years before the date that the data cover (from the spells begun in each: a
/// year with under half the spells begun of the year after it is before the data begin).
fn trend_span(starts: &[u64]) -> usize {
    span(starts, false)
}

/// Years (from the one to the date back) while each has at least half the count of the year
/// after it (and, with `spike`, at most twice it).
fn span(counts: &[u64], spike: bool) -> usize {
    let mut years = counts.len().min(1);
    while years < counts.len()
        && counts[years] * 2 >= counts[years - 1]
        && counts[years] > 0
        && !(spike && counts[years] > 2 * counts[years - 1])
    {
        years += 1;
    }
    years
}

/// Per (entry state, age band at arrival): the yearly change of its arrivals on the log
/// scale over the trend's `years` (as the moves': weighted least squares, shrunk by its
/// noise; none under 3 years or 20 arrivals), each entry state's years cut where its own
/// arrivals begin: at a year with under half, or over twice, the arrivals of the year after
/// (data that begin with children already in care show them all arriving then; a state the
/// data add later has a part-year first). Empty where there is no trend at all.
fn arrival_trends(arr: &[u64], years: usize, ns: usize) -> Vec<f64> {
    let nb = ARRIVAL_BANDS;
    let mut out = vec![0.0; ns * nb];
    for (r, slope) in out.iter_mut().enumerate() {
        let s = r / nb;
        let totals: Vec<u64> = (0..years)
            .map(|k| arr[(k * ns + s) * nb..(k * ns + s + 1) * nb].iter().sum())
            .collect();
        let years = span(&totals, true);
        if years < 3 {
            continue;
        }
        let counts = (0..years).map(|k| arr[k * ns * nb + r]);
        if counts.clone().sum::<u64>() < TREND_MIN_EVENTS {
            continue;
        }
        let pts: Vec<(f64, f64, f64)> = counts
            .enumerate()
            .map(|(k, c)| {
                let n = c as f64 + 0.5;
                (-(k as f64 + 0.5), n.ln(), n)
            })
            .collect();
        *slope = shrunk_slope(&pts);
    }
    if out.iter().all(|&b| b == 0.0) {
        return vec![];
    }
    out
}

/// The weighted least-squares slope of (x, y, weight) points, shrunk by its noise.
fn shrunk_slope(pts: &[(f64, f64, f64)]) -> f64 {
    let w: f64 = pts.iter().map(|p| p.2).sum();
    let xm = pts.iter().map(|p| p.0 * p.2).sum::<f64>() / w;
    let ym = pts.iter().map(|p| p.1 * p.2).sum::<f64>() / w;
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - xm).powi(2)).sum();
    if sxx <= 0.0 {
        return 0.0;
    }
    let b = pts
        .iter()
        .map(|p| p.2 * (p.0 - xm) * (p.1 - ym))
        .sum::<f64>()
        / sxx;
    let chi2: f64 = pts
        .iter()
        .map(|p| p.2 * (p.1 - ym - b * (p.0 - xm)).powi(2))
        .sum();
    let dispersion = (chi2 / (pts.len() - 2) as f64).max(1.0);
    let var = dispersion / sxx;
    if b == 0.0 {
        return 0.0;
    }
    b * (1.0 - var / (b * b)).max(0.0)
}

/// The cells from the sorted records (cell | day | tag) and each cell's entries at time 0.
fn cells(keys: &[u64], base: &[u64], ns: usize) -> Vec<Cell> {
    let mut runs = vec![(0usize, 0usize); base.len()];
    let mut a = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i] >> 36 != keys[a] >> 36 {
            runs[(keys[a] >> 36) as usize] = (a, i);
            a = i;
        }
    }
    runs.into_par_iter()
        .enumerate()
        .map(|(c, (a, b))| cell(&keys[a..b], base[c], ns))
        .collect()
}

/// One cell's curve: Kaplan-Meier with delayed entry, events split by next state.
fn cell(keys: &[u64], base: u64, ns: usize) -> Cell {
    let mut out = Cell {
        off: vec![0],
        ..Cell::default()
    };
    let mut at_risk = base as f64;
    let mut s = 1.0;
    // Per record day: (day, at risk after it) for the tail's exposure.
    let mut steps: Vec<(u32, f64)> = Vec::new();
    let mut events_at: Vec<(u32, u32, f64)> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let t = ((keys[i] >> 16) & 0xF_FFFF) as u32;
        let mut j = i;
        let mut gone = 0.0;
        let mut d = 0.0;
        let mut causes: Vec<(u32, f64)> = Vec::new();
        while j < keys.len() && ((keys[j] >> 16) & 0xF_FFFF) as u32 == t {
            let tag = keys[j] & 0xFFFF;
            if tag == 0 {
                at_risk += 1.0;
            } else {
                out.spells += 1;
                gone += 1.0;
                if tag != TAG_CENSOR {
                    d += 1.0;
                    let to = if tag as usize - 1 == ns {
                        LEFT
                    } else {
                        tag as u32 - 1
                    };
                    match causes.last_mut() {
                        Some(last) if last.0 == to => last.1 += 1.0,
                        _ => causes.push((to, 1.0)),
                    }
                }
            }
            j += 1;
        }
        if d > 0.0 && at_risk > 0.0 {
            s *= 1.0 - d / at_risk;
            out.events += d as u64;
            out.times.push(t);
            out.surv.push(s.max(0.0));
            for (to, k) in causes {
                out.to.push(to);
                out.n.push(k);
                events_at.push((t, to, k));
            }
            out.off.push(out.to.len() as u32);
        }
        at_risk -= gone;
        steps.push((t, at_risk.max(0.0)));
        i = j;
    }
    tail(&mut out, &steps, &events_at);
    out
}

/// The exponential tail past the last event: events and exposure over the later half of
/// the durations seen.
fn tail(out: &mut Cell, steps: &[(u32, f64)], events: &[(u32, u32, f64)]) {
    if out.surv.last().map_or(true, |&s| s <= 0.0) {
        return;
    }
    let last = steps.last().map_or(0, |s| s.0);
    let h = last / 2;
    let exposure: f64 = steps
        .windows(2)
        .filter(|w| w[0].0 >= h)
        .map(|w| w[0].1 * f64::from(w[1].0 - w[0].0))
        .sum();
    let mut to: Vec<(u32, f64)> = Vec::new();
    for &(t, s, k) in events.iter().filter(|e| e.0 >= h) {
        let _ = t;
        match to.iter_mut().find(|x| x.0 == s) {
            Some(x) => x.1 += k,
            None => to.push((s, k)),
        }
    }
    let total: f64 = to.iter().map(|x| x.1).sum();
    if exposure > 0.0 && total > 0.0 {
        out.tail_rate = total / exposure;
        out.tail_to = to.iter().map(|x| x.0).collect();
        out.tail_n = to.iter().map(|x| x.1).collect();
    }
}

/// For every (state, group, age band, care band), the most specific cell with enough events.
fn choose(shape: &Shape, cells: &[Cell]) -> Vec<u32> {
    let mut out = Vec::with_capacity(shape.ns * shape.ng * shape.nb * shape.nc);
    let last = shape.levels.len() - 1;
    for s in 0..shape.ns {
        for g in 0..shape.ng {
            for b in 0..shape.nb {
                for c in 0..shape.nc {
                    let l = (0..last)
                        .find(|&l| cells[shape.cell(l, s, g, b, c)].events >= MIN_EVENTS)
                        .unwrap_or(last);
                    out.push(shape.cell(l, s, g, b, c) as u32);
                }
            }
        }
    }
    out
}

/// Each entry state's share of a year's arrivals by month: arrivals per day of each month in
/// the window (flat where the window has no day of a month, or a state no arrivals).
fn seasons(counts: &[u64], ns: usize, from: i32, to: i32) -> Vec<[f64; 12]> {
    let mut days = [0u32; 12];
    for d in from + 1..=to {
        days[civil_from_days(d as i64).1 as usize - 1] += 1;
    }
    const LEN: [f64; 12] = [
        31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
    ];
    (0..ns)
        .map(|s| {
            let row = &counts[s * 12..s * 12 + 12];
            let total: u64 = row.iter().sum();
            let mean = if total == 0 {
                0.0
            } else {
                total as f64 / f64::from(days.iter().sum::<u32>().max(1))
            };
            let mut rate = [0.0; 12];
            for m in 0..12 {
                let r = if days[m] > 0 && total > 0 {
                    row[m] as f64 / f64::from(days[m])
                } else {
                    mean
                };
                rate[m] = r * LEN[m];
            }
            let sum: f64 = rate.iter().sum();
            if sum > 0.0 {
                rate.map(|r| r / sum)
            } else {
                [1.0 / 12.0; 12]
            }
        })
        .collect()
}

/// Per state: where children go on turning 18 when the data never shows one still there a
/// month and a half later and shows at least 5 leaving around it (the most common next
/// state then), else [`NO_AGE_OUT`].
fn age_out(past18: &[u64], at18: &[u64], ns: usize, ns18: usize) -> Vec<u32> {
    (0..ns)
        .map(|s| {
            if s >= ns18 || past18[s] > 0 {
                return NO_AGE_OUT;
            }
            let row = &at18[s * (ns18 + 1)..(s + 1) * (ns18 + 1)];
            let total: u64 = row.iter().sum();
            match row
                .iter()
                .enumerate()
                .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
            {
                Some((to, _)) if total >= 5 => {
                    if to == ns18 {
                        LEFT
                    } else {
                        to as u32
                    }
                }
                _ => NO_AGE_OUT,
            }
        })
        .collect()
}
