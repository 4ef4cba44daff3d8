//! Simulating a fitted model forward: every child open at the model's date continues from the
//! time it has already spent in its state, new children arrive month by month, for a number of
//! runs; the stock in each state at given dates from every run, and (for the first run) the
//! spells themselves, after the real history up to the date.

use rayon::prelude::*;

use super::{
    band_at, band_of_age, birthday, BandEdges, Cell, Known, Model, Open, LEFT, NO_AGE_OUT,
    NO_BIRTH_DAY,
};
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::synth::rng::Rng;
use crate::time::{civil_from_days, days_from_civil, Minute, MINUTES_PER_DAY, OPEN};

const CHUNK: usize = 8192;
/// Arrival cells per work unit (of one month).
const ARRIVAL_CHUNK: usize = 512;
/// Most spells one child is simulated through (a guard against same-day cycles).
const MAX_STEPS: usize = 400;
/// Most events one draw thins away (a guard: the trend's multipliers are at least 0.25).
const MAX_THIN: usize = 1000;
const STREAM_OPEN: u64 = 11;
const STREAM_COUNT: u64 = 12;
const STREAM_ARRIVAL: u64 = 13;
const STREAM_KNOWN: u64 = 14;
/// End of a spell still open at the horizon.
pub const OPEN_DAY: i32 = i32::MAX;

/// Changes to the fitted model (all 1 / empty: the baseline).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Multiplier of arrivals by age band at arrival (`stats::AGE_BANDS`).
    pub entries: [f64; 6],
    /// Multiplier of the time spent in each state (by state; missing: 1).
    pub time: Vec<f64>,
    /// (from, to, share): that share of the moves out of `from` that would go elsewhere go to
    /// `to` instead; applied in order.
    pub shift: Vec<(u16, u16, f64)>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            entries: [1.0; 6],
            time: vec![],
            shift: vec![],
        }
    }
}

impl Scenario {
    fn check(&self, ns: usize) -> Result<()> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !self.entries.iter().all(|&x| ok(x)) {
            return Err(CoreError::config(
                "scenario",
                "entry multipliers must be >= 0",
            ));
        }
        if self.time.len() > ns || !self.time.iter().all(|&x| ok(x) && x > 0.0) {
            return Err(CoreError::config(
                "scenario",
                "time multipliers must be > 0, one per state",
            ));
        }
        for &(f, t, p) in &self.shift {
            if f as usize >= ns || t as usize >= ns || !(0.0..=1.0).contains(&p) {
                return Err(CoreError::config(
                    "scenario",
                    "a shift needs two states and a share in [0, 1]",
                ));
            }
        }
        Ok(())
    }

    fn time_of(&self, state: u16) -> f64 {
        self.time.get(state as usize).copied().unwrap_or(1.0)
    }
}

/// The fitted journeys with their per-child births (minutes) and groups, if known.
pub type History<'a> = (&'a Index, Option<&'a [Minute]>, Option<&'a [u16]>);

/// How to simulate.
pub struct SimConfig<'a> {
    pub seed: u64,
    pub runs: u32,
    /// Last day simulated (inclusive).
    pub horizon_day: i32,
    /// Days at which the stock in each state is counted (at or after the model's date).
    pub dates: Vec<i32>,
    /// Whether to keep the first run's spells.
    pub emit: bool,
    /// The fitted journeys (and their per-child births and groups), for the real history.
    pub history: Option<History<'a>>,
    /// Arrivals given (the data's, as a diagnostic) instead of drawn from the model: each
    /// walks on from its entry state and day; the scenario's `entries` does not apply.
    pub known: Option<&'a [Known]>,
}

/// The first run's journeys (days; an end of [`OPEN_DAY`] is still open at the horizon).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spells {
    pub child: Vec<u32>,
    pub state: Vec<u16>,
    pub start: Vec<i32>,
    pub end: Vec<i32>,
    pub projected: Vec<bool>,
    /// Per child: birth day ([`NO_BIRTH_DAY`] unknown) and group.
    pub birth: Vec<i32>,
    pub group: Vec<u16>,
}

/// What a projection gives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projected {
    /// Stock per run, date and state: `stock[(run * dates + d) * states + s]`.
    pub stock: Vec<u64>,
    pub spells: Spells,
}

#[derive(Default)]
struct Part {
    stock: Vec<u64>,
    spells: Spells,
}

struct Ctx<'a> {
    model: &'a Model,
    sc: &'a Scenario,
    cfg: &'a SimConfig<'a>,
    run: u64,
    emit: bool,
    /// The moves' trend multipliers by month after the date (empty: none).
    trend: &'a [f64],
}

impl Part {
    fn new(ctx: &Ctx) -> Self {
        Part {
            stock: vec![0; ctx.cfg.dates.len() * ctx.model.states.len()],
            spells: Spells::default(),
        }
    }

    /// Adds a simulated journey (state, start, end) of a new or continuing child.
    fn journey(&mut self, ctx: &Ctx, child: u32, spells: &[(u16, i32, i32)]) {
        let ns = ctx.model.states.len();
        let dates = &ctx.cfg.dates;
        for &(s, a, e) in spells {
            let mut k = dates.partition_point(|&d| d < a);
            while k < dates.len() && dates[k] < e {
                self.stock[k * ns + s as usize] += 1;
                k += 1;
            }
            if ctx.emit {
                let o = &mut self.spells;
                o.child.push(child);
                o.state.push(s);
                o.start.push(a);
                o.end.push(e);
                o.projected.push(true);
            }
        }
    }
}

/// The trend's multipliers of the moves out of one state, by month after the date.
struct Tilt<'a> {
    /// Multipliers by month: `table[k * stride + row + to]` (`to` = states for left).
    table: &'a [f64],
    row: usize,
    stride: usize,
    ns: usize,
    /// The spell's start and the model's date (days), and the time multiplier.
    start: i32,
    as_of: i32,
    f: f64,
}

impl Tilt<'_> {
    /// Where the multipliers of the moves after `d` (unscaled) days in the state begin.
    fn base(&self, d: i64) -> usize {
        let day = i64::from(self.start) + (d as f64 * self.f) as i64;
        let months = self.table.len() / self.stride - 1;
        let k = (((day - i64::from(self.as_of)).max(0) as f64 / 30.436_875) as usize).min(months);
        k * self.stride + self.row
    }

    /// At an event after `d` days with next states `to` weighted `n`: None if the trend
    /// thins it away (the stay goes on), else the next state drawn by `n` x multiplier. A
    /// falling rate thins its moves (exact for a multiplier under 1); a rising one only
    /// gains share among the moves that happen then.
    fn pick(&self, rng: &mut Rng, to: &[u32], n: &[f64], d: i64) -> Option<u32> {
        let mut w = [0.0f64; 24];
        let (mut total, mut tilted) = (0.0, 0.0);
        let base = self.base(d);
        for (j, (&t, &k)) in to.iter().zip(n).enumerate() {
            let t = if t == LEFT { self.ns } else { t as usize };
            let x = k * self.table[base + t];
            if j < w.len() {
                w[j] = x;
            }
            total += k;
            tilted += x;
        }
        if to.len() > w.len() {
            // Many next states at one time: no tilt (rare; keeps the weights on the stack).
            return Some(to[rng.pick(n)]);
        }
        if tilted < total && rng.uniform() * total >= tilted {
            return None;
        }
        Some(to[rng.pick(&w[..to.len()])])
    }
}

/// Draws a spell's length (days) and next state, given `spent` days already (-1: new).
fn draw(cell: &Cell, rng: &mut Rng, spent: i32, f: f64, tilt: Option<&Tilt>) -> Option<(i32, u32)> {
    let mut u = if spent < 0 {
        -1
    } else {
        (f64::from(spent) / f).floor() as i64
    };
    let mut found = None;
    for _ in 0..MAX_THIN {
        let lo = cell.times.partition_point(|&t| i64::from(t) <= u);
        let s_u = if lo == 0 { 1.0 } else { cell.surv[lo - 1] };
        let target = rng.uniform() * s_u;
        let i = lo + cell.surv[lo..].partition_point(|&s| s > target);
        if s_u <= 0.0 && !cell.times.is_empty() {
            // Already past every duration seen (a shortened time): leaves at once, as the
            // longest stays did.
            let k = cell.times.len() - 1;
            let (a, b) = (cell.off[k] as usize, cell.off[k + 1] as usize);
            found = Some((u.max(0), cell.to[a + rng.pick(&cell.n[a..b])]));
            break;
        } else if i < cell.times.len() {
            let (a, b) = (cell.off[i] as usize, cell.off[i + 1] as usize);
            let t = i64::from(cell.times[i]);
            let next = match tilt {
                None => Some(cell.to[a + rng.pick(&cell.n[a..b])]),
                Some(tl) => tl.pick(rng, &cell.to[a..b], &cell.n[a..b], t),
            };
            match next {
                Some(next) => {
                    found = Some((t, next));
                    break;
                }
                None => u = t,
            }
        } else if cell.tail_rate > 0.0 {
            let from = u.max(cell.times.last().map_or(0, |&t| i64::from(t)));
            let x = -(1.0 - rng.uniform()).ln() / cell.tail_rate;
            let d = from + (x.ceil() as i64).max(1);
            let next = match tilt {
                None => Some(cell.tail_to[rng.pick(&cell.tail_n)]),
                Some(tl) => tl.pick(rng, &cell.tail_to, &cell.tail_n, d),
            };
            match next {
                Some(next) => {
                    found = Some((d, next));
                    break;
                }
                None => u = d,
            }
        } else {
            return None;
        }
    }
    // Thinned past the guard: the stay goes on past the horizon.
    let (d, next) = found?;
    let scaled = if f == 1.0 {
        d
    } else {
        (d as f64 * f).round() as i64
    };
    let d = if spent >= 0 {
        scaled.max(i64::from(spent) + 1)
    } else {
        scaled.max(0)
    };
    Some((d.min(200_000) as i32, next))
}

/// A child as the simulation sees it: birth day, group and the start of its run of spells.
#[derive(Debug, Clone, Copy)]
struct Who {
    birth: i32,
    group: u16,
    run_start: i32,
}

/// One child's journey from `state` begun on `start` with `spent` days already (-1: new);
/// every spell it goes on to belongs to the same run of spells.
fn walk(
    ctx: &Ctx,
    rng: &mut Rng,
    (mut state, mut start, mut spent): (u16, i32, i32),
    who: Who,
    out: &mut Vec<(u16, i32, i32)>,
) {
    let Who {
        birth,
        group,
        run_start,
    } = who;
    let horizon = ctx.cfg.horizon_day;
    let edges = BandEdges::new(birth);
    let b18 = (birth != NO_BIRTH_DAY).then(|| birthday(birth, 18));
    let age_now = ctx.model.by_age && ctx.model.age_now;
    for _ in 0..MAX_STEPS {
        let f = ctx.sc.time_of(state);
        let ns = ctx.model.states.len();
        let tilted = !ctx.trend.is_empty()
            && ctx.model.trend[state as usize * (ns + 1)..(state as usize + 1) * (ns + 1)]
                .iter()
                .any(|&b| b != 0.0);
        let tilt = tilted.then(|| Tilt {
            table: ctx.trend,
            row: state as usize * (ns + 1),
            stride: ns * (ns + 1),
            ns,
            start,
            as_of: ctx.model.as_of_day,
            f,
        });
        // The cell of the age band the child is in; a stay drawn past the band's edge (or
        // past the horizon) goes on from the edge in the next band's cell, given the days
        // spent by then.
        let mut at = start.saturating_add(spent.max(0));
        let mut given = spent;
        let mut drawn = loop {
            let cell = ctx
                .model
                .cell_in(state, group, &edges, run_start, (start, at));
            let drawn = draw(cell, rng, given, f, tilt.as_ref());
            let edge = edges.next(at).filter(|&x| age_now && x <= horizon);
            match edge {
                Some(x) if drawn.map_or(true, |(d, _)| start.saturating_add(d) >= x) => {
                    at = x;
                    given = x - start - 1;
                }
                _ => break drawn,
            }
        };
        let out18 = ctx.model.age_out[state as usize];
        if let Some(b18) = b18.filter(|_| out18 != NO_AGE_OUT) {
            // Turning 18 here ends the stay (the data shows nobody staying on).
            let cap = (b18 - start).max(if spent >= 0 { spent + 1 } else { 0 });
            if drawn.map_or(true, |(d, _)| d > cap) {
                drawn = Some((cap, out18));
            }
        }
        let Some((d, mut next)) = drawn.filter(|(d, _)| start.saturating_add(*d) <= horizon) else {
            out.push((state, start, OPEN_DAY));
            return;
        };
        let end = start + d;
        out.push((state, start, end));
        for &(f, t, p) in &ctx.sc.shift {
            if f == state && next != u32::from(t) && rng.chance(p) {
                next = u32::from(t);
            }
        }
        if next == LEFT {
            return;
        }
        state = next as u16;
        start = end;
        spent = -1;
    }
}

/// Runs the projection.
pub fn simulate(model: &Model, sc: &Scenario, cfg: &SimConfig) -> Result<Projected> {
    sc.check(model.states.len())?;
    if cfg.horizon_day <= model.as_of_day {
        return Err(CoreError::config(
            "years",
            "the horizon must be after the date",
        ));
    }
    if let Some(k) = cfg.known {
        let ng = model.n_groups();
        if k.iter().any(|a| {
            a.state as usize >= model.states.len()
                || a.group as usize >= ng
                || a.day <= model.as_of_day
        }) {
            return Err(CoreError::config(
                "arrivals",
                "known arrivals need the model's states and groups, after its date",
            ));
        }
    }
    if cfg.dates.windows(2).any(|w| w[0] >= w[1]) {
        return Err(CoreError::config("dates", "dates must be increasing"));
    }
    if cfg.runs == 0 || cfg.runs > 100_000 {
        return Err(CoreError::config("runs", "runs must be in 1..=100000"));
    }
    if let Some((index, births, groups)) = cfg.history {
        let n = index.n_children();
        if model.open.last().is_some_and(|o| o.dot as usize >= n)
            || births.is_some_and(|b| b.len() != n)
            || groups.is_some_and(|g| g.len() != n)
            || index.labels != model.states
        {
            return Err(CoreError::config(
                "journeys",
                "the journeys are not those fitted",
            ));
        }
    }
    let mut out = Projected::default();
    let horizon_months = (cfg.horizon_day - model.as_of_day) as usize / 28 + 1;
    let trend = model.trend_table(horizon_months);
    for run in 0..cfg.runs {
        let ctx = Ctx {
            model,
            sc,
            cfg,
            run: u64::from(run),
            emit: cfg.emit && run == 0,
            trend: &trend,
        };
        let (stock, spells) = one_run(&ctx);
        out.stock.extend(stock);
        if ctx.emit {
            out.spells = spells;
        }
    }
    Ok(out)
}

/// Months after the date up to the horizon: (first day, last day, month 0..12).
fn months(from: i32, to: i32) -> Vec<(i32, i32, usize)> {
    let mut out = Vec::new();
    let (mut y, mut m, _) = civil_from_days(i64::from(from) + 1);
    loop {
        let first = days_from_civil(y, m, 1) as i32;
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let last = days_from_civil(ny, nm, 1) as i32 - 1;
        let lo = first.max(from + 1);
        if lo > to {
            return out;
        }
        out.push((lo, last.min(to), m as usize - 1));
        (y, m) = (ny, nm);
    }
}

enum Unit {
    Real(usize),
    Open(usize),
    Arrivals { month: usize, cells: usize },
    Known(usize),
}

fn one_run(ctx: &Ctx) -> (Vec<u64>, Spells) {
    let model = ctx.model;
    let n_real = match ctx.cfg.history {
        Some((index, ..)) if ctx.emit => Some(index.n_children()),
        _ => None,
    };
    let mut units: Vec<Unit> = match n_real {
        Some(n) => (0..n.div_ceil(CHUNK)).map(Unit::Real).collect(),
        None => (0..model.open.len().div_ceil(CHUNK))
            .map(Unit::Open)
            .collect(),
    };
    let months = months(model.as_of_day, ctx.cfg.horizon_day);
    match ctx.cfg.known {
        Some(k) => units.extend((0..k.len().div_ceil(CHUNK)).map(Unit::Known)),
        None => {
            for month in 0..months.len() {
                for cells in 0..model.arrivals.len().div_ceil(ARRIVAL_CHUNK) {
                    units.push(Unit::Arrivals { month, cells });
                }
            }
        }
    }
    let parts: Vec<Part> = units
        .par_iter()
        .map(|u| match *u {
            Unit::Real(k) => real_chunk(ctx, k),
            Unit::Open(k) => open_chunk(ctx, k),
            Unit::Arrivals { month, cells } => arrivals(ctx, months[month], month, cells),
            Unit::Known(k) => known_chunk(ctx, k),
        })
        .collect();
    let mut stock = vec![0u64; ctx.cfg.dates.len() * model.states.len()];
    let mut spells = Spells::default();
    let mut offset = 0u32;
    for p in parts {
        stock.iter_mut().zip(&p.stock).for_each(|(a, b)| *a += b);
        if ctx.emit {
            let s = p.spells;
            spells.child.extend(s.child.iter().map(|c| c + offset));
            spells.state.extend(s.state);
            spells.start.extend(s.start);
            spells.end.extend(s.end);
            spells.projected.extend(s.projected);
            offset += s.birth.len() as u32;
            spells.birth.extend(s.birth);
            spells.group.extend(s.group);
        }
    }
    (stock, spells)
}

fn open_walk(ctx: &Ctx, o: &Open, buf: &mut Vec<(u16, i32, i32)>) {
    let mut rng = Rng::keyed(ctx.cfg.seed, STREAM_OPEN, ctx.run, u64::from(o.dot));
    buf.clear();
    let spent = ctx.model.as_of_day - o.start_day;
    let who = Who {
        birth: o.birth_day,
        group: o.group,
        run_start: o.run_start,
    };
    walk(ctx, &mut rng, (o.state, o.start_day, spent), who, buf);
}

/// Children open at the date (no history): numbered in their order.
fn open_chunk(ctx: &Ctx, k: usize) -> Part {
    let mut part = Part::new(ctx);
    let mut buf = Vec::new();
    let open = &ctx.model.open;
    for (i, o) in open
        .iter()
        .enumerate()
        .take(((k + 1) * CHUNK).min(open.len()))
        .skip(k * CHUNK)
    {
        open_walk(ctx, o, &mut buf);
        let local = (i - k * CHUNK) as u32;
        part.journey(ctx, local, &buf);
        if ctx.emit {
            part.spells.birth.push(o.birth_day);
            part.spells.group.push(o.group);
        }
    }
    part
}

/// Every fitted child: real spells up to the date, then the projection of the open ones.
fn real_chunk(ctx: &Ctx, k: usize) -> Part {
    let mut part = Part::new(ctx);
    let Some((index, births, groups)) = ctx.cfg.history else {
        return part;
    };
    let as_of = ctx.model.as_of_day;
    let open = &ctx.model.open;
    let mut next_open = open.partition_point(|o| (o.dot as usize) < k * CHUNK);
    let mut buf = Vec::new();
    let hi = ((k + 1) * CHUNK).min(index.n_children());
    for c in k * CHUNK..hi {
        let local = (c - k * CHUNK) as u32;
        let day = |m: Minute| m.div_euclid(MINUTES_PER_DAY);
        for i in index.spells(c) {
            let (a, e) = (day(index.start[i]), index.end[i]);
            if a > as_of || e == OPEN || day(e) > as_of {
                break;
            }
            let s = &mut part.spells;
            s.child.push(local);
            s.state.push(index.state[i]);
            s.start.push(a);
            s.end.push(day(e));
            s.projected.push(false);
        }
        let mut birth = births.map_or(NO_BIRTH_DAY, |b| {
            if b[c] == crate::stats::NO_BIRTH {
                NO_BIRTH_DAY
            } else {
                day(b[c])
            }
        });
        let mut group = groups.map_or(0, |g| g[c]);
        if next_open < open.len() && open[next_open].dot as usize == c {
            let o = open[next_open];
            next_open += 1;
            (birth, group) = (o.birth_day, o.group);
            open_walk(ctx, &o, &mut buf);
            part.journey(ctx, local, &buf);
        }
        part.spells.birth.push(birth);
        part.spells.group.push(group);
    }
    part
}

/// Arrivals given (not drawn), numbered in their order; those after the horizon dropped.
fn known_chunk(ctx: &Ctx, k: usize) -> Part {
    let mut part = Part::new(ctx);
    let Some(known) = ctx.cfg.known else {
        return part;
    };
    let mut buf = Vec::new();
    let hi = ((k + 1) * CHUNK).min(known.len());
    for (i, a) in known.iter().enumerate().take(hi).skip(k * CHUNK) {
        if a.day > ctx.cfg.horizon_day {
            continue;
        }
        let mut rng = Rng::keyed(ctx.cfg.seed, STREAM_KNOWN, ctx.run, i as u64);
        buf.clear();
        let who = Who {
            birth: a.birth_day,
            group: a.group,
            run_start: a.day,
        };
        walk(ctx, &mut rng, (a.state, a.day, -1), who, &mut buf);
        let local = part.spells.birth.len() as u32;
        part.journey(ctx, local, &buf);
        if ctx.emit {
            part.spells.birth.push(a.birth_day);
            part.spells.group.push(a.group);
        }
    }
    part
}

/// A small Poisson draw (Knuth) or its normal approximation for large means.
fn poisson(rng: &mut Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let l = (-lambda).exp();
        let mut k = 0;
        let mut p = rng.uniform();
        while p > l {
            k += 1;
            p *= rng.uniform();
        }
        return k;
    }
    (lambda + lambda.sqrt() * rng.normal()).round().max(0.0) as u64
}

/// New children of one month and a chunk of arrival cells.
fn arrivals(ctx: &Ctx, (lo, hi, m): (i32, i32, usize), month: usize, chunk: usize) -> Part {
    let mut part = Part::new(ctx);
    let model = ctx.model;
    let (_, _, _) = (lo, hi, m);
    let (y, mm, _) = civil_from_days(i64::from(lo));
    let first = days_from_civil(y, mm, 1) as i32;
    let (ny, nm) = if mm == 12 { (y + 1, 1) } else { (y, mm + 1) };
    let len = days_from_civil(ny, nm, 1) as i32 - first;
    let covered = f64::from(hi - lo + 1) / f64::from(len);
    // The arrivals' trend at the middle of the month's days (empty: none).
    let tilt = model.arrival_multipliers(
        (f64::from(lo + hi) / 2.0 + 0.5 - f64::from(model.as_of_day)) / 365.25,
    );
    let mut buf = Vec::new();
    let cells = chunk * ARRIVAL_CHUNK..((chunk + 1) * ARRIVAL_CHUNK).min(model.arrivals.len());
    for ai in cells {
        let a = model.arrivals[ai];
        let unit = (ai as u64) << 12 | month as u64;
        let mut rc = Rng::keyed(ctx.cfg.seed, STREAM_COUNT, ctx.run, unit);
        let band = band_of_age(a.age);
        let mut lambda =
            a.per_year * model.season[a.state as usize][m] * covered * ctx.sc.entries[band];
        if !tilt.is_empty() {
            lambda *= tilt[a.state as usize * super::ARRIVAL_BANDS + band];
        }
        let count = poisson(&mut rc, lambda);
        for j in 0..count {
            let mut rng = Rng::keyed(ctx.cfg.seed, STREAM_ARRIVAL, ctx.run, unit << 24 | j);
            let day = rng.range_i32(lo, hi);
            let birth = if a.age >= 19 {
                NO_BIRTH_DAY
            } else {
                let years = f64::from(a.age) + rng.uniform();
                day - (years * 365.2425) as i32
            };
            let birth = if birth != NO_BIRTH_DAY && band_at(birth, day) != band_of_age(a.age) as u16
            {
                birth + 1
            } else {
                birth
            };
            buf.clear();
            let who = Who {
                birth,
                group: a.group,
                run_start: day,
            };
            walk(ctx, &mut rng, (a.state, day, -1), who, &mut buf);
            let local = part.spells.birth.len() as u32;
            part.journey(ctx, local, &buf);
            if ctx.emit {
                part.spells.birth.push(birth);
                part.spells.group.push(a.group);
            }
        }
    }
    part
}
