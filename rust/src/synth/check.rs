//! Calibration: measures a generated England the way the DfE statistics do and sets each figure
//! beside its published value (counts scaled by `scale`).

use super::calendar::{age_years, march31, year_to_march};
use super::codes::{ls, rec};
use super::params::state;
use super::{SynthConfig, SynthOutput};
use rayon::prelude::*;

/// Whether a row compares counts (relative difference) or shares (difference in points).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// A count, a rate per 10,000 or a mean number of days: compare relatively.
    Count,
    /// A share in 0..=1: compare in percentage points.
    Share,
}

/// One calibration figure.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRow {
    pub measure: String,
    /// Statistical year (to 31 March) or snapshot year (at 31 March); `None` = whole window.
    pub year: Option<i32>,
    pub generated: f64,
    /// Published value, multiplied by the scale for counts of children or events.
    pub published: f64,
    pub kind: CheckKind,
}

impl CheckRow {
    /// Relative difference for counts, difference in percentage points for shares.
    pub fn difference(&self) -> f64 {
        match self.kind {
            CheckKind::Count if self.published != 0.0 => {
                (self.generated - self.published) / self.published
            }
            CheckKind::Count => 0.0,
            CheckKind::Share => 100.0 * (self.generated - self.published),
        }
    }
}

const AGE_BANDS: [&str; 5] = ["under 1", "1-4", "5-9", "10-15", "16+"];
const ETHNICITIES: [&str; 5] = ["White", "Mixed", "Black", "Asian", "Other"];
const PLACEMENT_GROUPS: [&str; 7] = [
    "foster care (relative/friend)",
    "foster care (other)",
    "children's home & secure",
    "supported / independent",
    "placed with parents",
    "placed for adoption",
    "other placement",
];
const EXITS: [&str; 6] = [
    "adopted",
    "special guardianship",
    "child arrangements order",
    "returned home",
    "independence / adulthood",
    "other exit",
];

fn age_band(age: i32) -> usize {
    match age {
        i32::MIN..=0 => 0,
        1..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        _ => 4,
    }
}

/// Snapshot tallies (at 31 March of one year).
#[derive(Clone, Default)]
struct Snap {
    cla: u64,
    uasc: u64,
    male: u64,
    eth: [u64; 5],
    group: [u64; 7],
    care_order: u64,
    s20: u64,
    placement_order: u64,
    n1: u64,
    age: [u64; 5],
    cin: u64,
    cpp: u64,
}

/// Flow tallies (in one year to 31 March).
#[derive(Clone, Default)]
struct Flow {
    starts: u64,
    start_age: [u64; 5],
    ceased: u64,
    exits: [u64; 6],
    leavers_18: u64,
    changes: u64,
    referrals: u64,
    rereferrals: u64,
    assessments: u64,
    s47: u64,
    episodes_ended: u64,
    episodes_short: u64,
    adopt_days: u64,
    adopt_n: u64,
    placed_days: u64,
    placed_n: u64,
}

#[derive(Clone, Default)]
struct Acc {
    snap: Vec<Snap>,
    flow: Vec<Flow>,
    council_cla: Vec<u64>,
    leavers_known: u64,
    leavers_2w: u64,
    leavers_1y: u64,
    placement_days: u64,
    placements: u64,
    sgo: u64,
    sgo_kin: u64,
}

impl Acc {
    fn new(n_snap: usize, n_flow: usize, n_councils: usize) -> Self {
        Acc {
            snap: vec![Snap::default(); n_snap],
            flow: vec![Flow::default(); n_flow],
            council_cla: vec![0; n_councils],
            ..Acc::default()
        }
    }

    fn merge(mut self, o: Acc) -> Acc {
        for (a, b) in self.snap.iter_mut().zip(&o.snap) {
            a.cla += b.cla;
            a.uasc += b.uasc;
            a.male += b.male;
            a.care_order += b.care_order;
            a.s20 += b.s20;
            a.placement_order += b.placement_order;
            a.n1 += b.n1;
            a.cin += b.cin;
            a.cpp += b.cpp;
            add(&mut a.eth, &b.eth);
            add(&mut a.group, &b.group);
            add(&mut a.age, &b.age);
        }
        for (a, b) in self.flow.iter_mut().zip(&o.flow) {
            a.starts += b.starts;
            a.ceased += b.ceased;
            a.leavers_18 += b.leavers_18;
            a.changes += b.changes;
            a.referrals += b.referrals;
            a.rereferrals += b.rereferrals;
            a.assessments += b.assessments;
            a.s47 += b.s47;
            a.episodes_ended += b.episodes_ended;
            a.episodes_short += b.episodes_short;
            a.adopt_days += b.adopt_days;
            a.adopt_n += b.adopt_n;
            a.placed_days += b.placed_days;
            a.placed_n += b.placed_n;
            add(&mut a.start_age, &b.start_age);
            add(&mut a.exits, &b.exits);
        }
        add(&mut self.council_cla, &o.council_cla);
        self.leavers_known += o.leavers_known;
        self.leavers_2w += o.leavers_2w;
        self.leavers_1y += o.leavers_1y;
        self.placement_days += o.placement_days;
        self.placements += o.placements;
        self.sgo += o.sgo;
        self.sgo_kin += o.sgo_kin;
        self
    }
}

fn add(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The years the window covers.
struct Years {
    /// Snapshot years (31 March inside the window) and their days.
    snap: Vec<(i32, i32)>,
    /// First complete statistical year and how many.
    flow0: i32,
    n_flow: usize,
    /// The snapshot year whose per-council rates are compared (2025 when covered).
    rate_year: Option<usize>,
}

impl Years {
    fn new(cfg: &SynthConfig) -> Self {
        let y0 = year_to_march(cfg.start_day);
        let y1 = year_to_march(cfg.end_day);
        let snap: Vec<(i32, i32)> = (y0 - 1..=y1)
            .map(|y| (y, march31(y)))
            // The stock at the end of the day before the window is whole: every spell
            // ending after that day is kept.
            .filter(|&(_, d)| d + 1 >= cfg.start_day && d <= cfg.end_day)
            .collect();
        let complete = |y: i32| march31(y - 1) + 1 >= cfg.start_day && march31(y) <= cfg.end_day;
        let flow: Vec<i32> = (y0..=y1).filter(|&y| complete(y)).collect();
        let rate_year = snap.iter().position(|&(y, _)| y == 2025);
        Years {
            snap,
            flow0: flow.first().copied().unwrap_or(0),
            n_flow: flow.len(),
            rate_year,
        }
    }

    fn flow_index(&self, day: i32) -> Option<usize> {
        let i = year_to_march(day) - self.flow0;
        (i >= 0 && (i as usize) < self.n_flow).then_some(i as usize)
    }
}

fn tally_child(
    out: &SynthOutput,
    cfg: &SynthConfig,
    ys: &Years,
    c: usize,
    r: std::ops::Range<usize>,
    acc: &mut Acc,
) {
    let birth = out.birth[c];
    let uasc = out.uasc[c];
    let male = out.sex[c] == 0;
    let eth = usize::from(out.ethnicity[c].min(4));
    let council = usize::from(out.council[c]);
    let mut prev_referral: Option<i32> = None;
    let mut episode: Option<i32> = None;
    let mut entry: Option<i32> = None;
    let mut placed: Option<i32> = None;
    // Each child counts once a year in starts and in ceased (the last cessation of the year).
    let mut started_in: Option<usize> = None;
    let mut ceased_in: Option<(usize, usize, bool)> = None;
    let flush = |acc: &mut Acc, c: Option<(usize, usize, bool)>| {
        if let Some((f, k, adult)) = c {
            let fl = &mut acc.flow[f];
            fl.ceased += 1;
            fl.exits[k] += 1;
            fl.leavers_18 += u64::from(adult);
        }
    };
    for i in r.clone() {
        let st = out.state[i];
        let (s, e) = (out.start[i], out.end[i]);
        let fy = ys.flow_index(s);
        let prev_care = i > r.start && state::is_care(out.state[i - 1]);
        // Snapshots: in the state on 31 March when start <= day < end.
        for (k, &(_, day)) in ys.snap.iter().enumerate() {
            if s > day || e <= day {
                continue;
            }
            let sn = &mut acc.snap[k];
            if state::is_care(st) || (st <= state::CPP && st != state::NFA) {
                sn.cin += 1;
            }
            if st == state::CPP {
                sn.cpp += 1;
            }
            if state::is_care(st) {
                sn.cla += 1;
                sn.uasc += u64::from(uasc);
                sn.male += u64::from(male);
                sn.eth[eth] += 1;
                sn.group[usize::from(st - state::FOSTER_KIN)] += 1;
                match out.legal_status[i] {
                    ls::C1 | ls::C2 => sn.care_order += 1,
                    ls::V2 => sn.s20 += 1,
                    ls::E1 => sn.placement_order += 1,
                    _ => {}
                }
                sn.n1 += u64::from(out.category_of_need[i] == 0);
                sn.age[age_band(age_years(birth, day))] += 1;
                if ys.rate_year == Some(k) {
                    acc.council_cla[council] += 1;
                }
            }
        }
        match st {
            state::REFERRAL => {
                if let Some(f) = fy {
                    acc.flow[f].referrals += 1;
                    if prev_referral.is_some_and(|p| s - p <= 365) {
                        acc.flow[f].rereferrals += 1;
                    }
                }
                prev_referral = Some(s);
                episode = Some(s);
            }
            state::ASSESSMENT => {
                if let Some(f) = fy {
                    acc.flow[f].assessments += 1;
                }
            }
            state::S47 => {
                if let Some(f) = fy {
                    acc.flow[f].s47 += 1;
                }
            }
            state::NFA => {
                if let (Some(t0), Some(f)) = (episode, fy) {
                    acc.flow[f].episodes_ended += 1;
                    acc.flow[f].episodes_short += u64::from(s - t0 <= 91);
                }
                episode = None;
            }
            _ if state::is_care(st) => {
                if prev_care {
                    if let Some(f) = fy {
                        acc.flow[f].changes += 1;
                    }
                } else {
                    // A period's first visible placement is its true start unless it straddles
                    // the window's start (its predecessor may have been dropped).
                    let known = i > r.start || s >= cfg.start_day;
                    entry = known.then_some(s);
                    placed = None;
                    if let (true, Some(f)) = (known, fy) {
                        if started_in != Some(f) {
                            started_in = Some(f);
                            acc.flow[f].starts += 1;
                            acc.flow[f].start_age[age_band(age_years(birth, s))] += 1;
                        }
                    }
                }
                if st == state::PLACED_ADOPTION && placed.is_none() {
                    placed = Some(s);
                }
                if e != i32::MAX {
                    acc.placement_days += (e - s) as u64;
                    acc.placements += 1;
                }
            }
            _ if state::is_exit(st) => {
                if let Some(f) = fy {
                    let this = (
                        f,
                        usize::from(st - state::ADOPTED),
                        age_years(birth, s) >= 18,
                    );
                    match ceased_in {
                        Some((g, _, _)) if g == f => {}
                        other => flush(acc, other),
                    }
                    ceased_in = Some(this);
                    let fl = &mut acc.flow[f];
                    if let Some(t0) = entry {
                        if st == state::ADOPTED {
                            fl.adopt_days += (s - t0) as u64;
                            fl.adopt_n += 1;
                            if let Some(p) = placed {
                                fl.placed_days += (p - t0) as u64;
                                fl.placed_n += 1;
                            }
                        }
                    }
                    if let Some(t0) = episode {
                        fl.episodes_ended += 1;
                        fl.episodes_short += u64::from(s - t0 <= 91);
                    }
                    if let (Some(t0), true) = (entry, f + 1 == ys.n_flow) {
                        acc.leavers_known += 1;
                        acc.leavers_2w += u64::from(s - t0 < 14);
                        acc.leavers_1y += u64::from(s - t0 < 365);
                    }
                    if st == state::SGO {
                        acc.sgo += 1;
                        let r = out.reason_ceased[i];
                        acc.sgo_kin += u64::from(r == rec::E45 || r == rec::E47);
                    }
                }
                episode = None;
                entry = None;
            }
            _ => {}
        }
    }
    flush(acc, ceased_in);
}

/// One published national count: the calibration table shipped with the package
/// (`python/carevis/data/england_calibration.csv`: measure, year, value, source).
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub measure: &'static str,
    pub year: i32,
    pub value: f64,
    pub source: &'static str,
}

const CALIBRATION_CSV: &str = include_str!("../../../python/carevis/data/england_calibration.csv");

/// The published counts the generator is calibrated to, one per measure and year.
pub fn published() -> Vec<Published> {
    CALIBRATION_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let mut it = l.splitn(4, ',');
            let measure = it.next()?;
            let year = it.next()?.parse().ok()?;
            let value = it.next()?.parse().ok()?;
            let source = it.next().unwrap_or("").trim_matches('"');
            Some(Published {
                measure,
                year,
                value,
                source,
            })
        })
        .collect()
}

/// Splits the spell rows into per-child ranges.
fn child_ranges(out: &SynthOutput) -> Vec<usize> {
    let mut bounds = vec![0usize; out.n_children() + 1];
    for &c in &out.child {
        if let Some(b) = bounds.get_mut(c as usize + 1) {
            *b += 1;
        }
    }
    for i in 1..bounds.len() {
        bounds[i] += bounds[i - 1];
    }
    bounds
}

/// Measures `out` and compares it with every published figure the window covers.
pub fn check(out: &SynthOutput, cfg: &SynthConfig) -> Vec<CheckRow> {
    let ys = Years::new(cfg);
    let bounds = child_ranges(out);
    let n = out.n_children();
    let empty = || Acc::new(ys.snap.len(), ys.n_flow, out.councils.len());
    let acc = (0..n.div_ceil(4096))
        .into_par_iter()
        .map(|chunk| {
            let mut acc = empty();
            for c in chunk * 4096..((chunk + 1) * 4096).min(n) {
                tally_child(out, cfg, &ys, c, bounds[c]..bounds[c + 1], &mut acc);
            }
            acc
        })
        .reduce(empty, Acc::merge);
    rows(out, cfg, &ys, &acc)
}

struct Rows<'a> {
    rows: Vec<CheckRow>,
    scale: f64,
    ys: &'a Years,
    acc: &'a Acc,
}

impl Rows<'_> {
    fn push(
        &mut self,
        measure: &str,
        year: Option<i32>,
        generated: f64,
        published: f64,
        kind: CheckKind,
    ) {
        if generated.is_finite() {
            self.rows.push(CheckRow {
                measure: measure.to_string(),
                year,
                generated,
                published,
                kind,
            });
        }
    }
    fn count(&mut self, measure: &str, year: Option<i32>, generated: u64, published: f64) {
        self.push(
            measure,
            year,
            generated as f64,
            published * self.scale,
            CheckKind::Count,
        );
    }
    fn share(&mut self, measure: &str, year: Option<i32>, num: u64, den: u64, published: f64) {
        if den > 0 {
            self.push(
                measure,
                year,
                num as f64 / den as f64,
                published,
                CheckKind::Share,
            );
        }
    }
    fn snap(&self, year: i32) -> Option<&Snap> {
        let k = self.ys.snap.iter().position(|&(y, _)| y == year)?;
        self.acc.snap.get(k)
    }
    fn flow(&self, year: i32) -> Option<&Flow> {
        let i = year - self.ys.flow0;
        if i < 0 {
            return None;
        }
        self.acc.flow.get(i as usize)
    }
}

/// Reads one tally from a year's flows.
type FlowGet = fn(&Flow) -> u64;

fn rows(out: &SynthOutput, cfg: &SynthConfig, ys: &Years, acc: &Acc) -> Vec<CheckRow> {
    let mut r = Rows {
        rows: Vec::new(),
        scale: cfg.scale,
        ys,
        acc,
    };
    for p in published() {
        let generated = match p.measure {
            "children looked after at 31 March" => r.snap(p.year).map(|s| s.cla),
            "unaccompanied asylum-seeking children at 31 March" => r.snap(p.year).map(|s| s.uasc),
            "children in need at 31 March" => r.snap(p.year).map(|s| s.cin),
            "child protection plans at 31 March" => r.snap(p.year).map(|s| s.cpp),
            "started to be looked after" => r.flow(p.year).map(|f| f.starts),
            "ceased to be looked after" => r.flow(p.year).map(|f| f.ceased),
            "adopted" => r.flow(p.year).map(|f| f.exits[0]),
            "placement changes" => r.flow(p.year).map(|f| f.changes),
            "referrals" => r.flow(p.year).map(|f| f.referrals),
            "assessments" => r.flow(p.year).map(|f| f.assessments),
            "section 47 enquiries" => r.flow(p.year).map(|f| f.s47),
            _ => None,
        };
        if let Some(g) = generated {
            r.count(p.measure, Some(p.year), g, p.value);
        }
    }
    if let Some(k) = ys.rate_year {
        let pops: Vec<f64> = out
            .councils
            .iter()
            .map(|c| f64::from(c.child_population))
            .collect();
        let rates: Vec<f64> = acc
            .council_cla
            .iter()
            .zip(&pops)
            .map(|(&n, &p)| 10_000.0 * n as f64 / p.max(1.0))
            .collect();
        let national = 10_000.0 * acc.snap[k].cla as f64 / pops.iter().sum::<f64>().max(1.0);
        let hi = rates.iter().copied().fold(f64::MIN, f64::max);
        let lo = rates.iter().copied().fold(f64::MAX, f64::min);
        r.push(
            "looked-after rate per 10,000: England",
            Some(2025),
            national,
            67.0,
            CheckKind::Count,
        );
        r.push(
            "looked-after rate per 10,000: highest council",
            Some(2025),
            hi,
            184.0,
            CheckKind::Count,
        );
        r.push(
            "looked-after rate per 10,000: lowest council",
            Some(2025),
            lo,
            27.0,
            CheckKind::Count,
        );
    }
    let flow_days: [(&str, i32, FlowGet, f64); 2] = [
        (
            "entry to adoption, mean days",
            2019,
            |f| f.adopt_days / f.adopt_n.max(1),
            700.0,
        ),
        (
            "entry to adoption, mean days",
            2022,
            |f| f.adopt_days / f.adopt_n.max(1),
            822.0,
        ),
    ];
    for (m, y, get, v) in flow_days {
        if let Some(f) = r.flow(y) {
            r.push(m, Some(y), get(f) as f64, v, CheckKind::Count);
        }
    }
    // A1: entry to placed for adoption, children adopted 2016-2018.
    let (mut pd, mut pn) = (0, 0);
    for y in 2016..=2018 {
        if let Some(f) = r.flow(y) {
            pd += f.placed_days;
            pn += f.placed_n;
        }
    }
    if let Some(mean) = pd.checked_div(pn) {
        r.push(
            "entry to placed for adoption (A1), mean days",
            Some(2018),
            mean as f64,
            486.0,
            CheckKind::Count,
        );
    }
    if acc.placements > 0 {
        let mean = acc.placement_days as f64 / acc.placements as f64;
        r.push("placement, mean days", None, mean, 300.0, CheckKind::Count);
    }
    // Shares.
    if let Some(s) = r.snap(2025).cloned() {
        r.share("CLA male", Some(2025), s.male, s.cla, 0.56);
        for (k, v) in [0.71, 0.11, 0.08, 0.05, 0.04].into_iter().enumerate() {
            r.share(
                &format!("CLA ethnicity: {}", ETHNICITIES[k]),
                Some(2025),
                s.eth[k],
                s.cla,
                v,
            );
        }
    }
    if let Some(s) = r.snap(2024).cloned() {
        let published = [0.156, 0.55, 0.11, 0.098, 0.06, 0.03, 0.033];
        for (k, v) in published.into_iter().enumerate() {
            r.share(
                &format!("CLA placement: {}", PLACEMENT_GROUPS[k]),
                Some(2024),
                s.group[k],
                s.cla,
                v,
            );
        }
    }
    if let Some(s) = r.snap(2022).cloned() {
        for (k, v) in [0.05, 0.14, 0.18, 0.39, 0.25].into_iter().enumerate() {
            r.share(
                &format!("CLA age: {}", AGE_BANDS[k]),
                Some(2022),
                s.age[k],
                s.cla,
                v,
            );
        }
        r.share(
            "CLA category of need: abuse or neglect",
            Some(2022),
            s.n1,
            s.cla,
            0.66,
        );
    }
    if let Some(s) = r.snap(2020).cloned() {
        r.share(
            "CLA legal status: care order",
            Some(2020),
            s.care_order,
            s.cla,
            0.77,
        );
        r.share(
            "CLA legal status: section 20",
            Some(2020),
            s.s20,
            s.cla,
            0.17,
        );
        r.share(
            "CLA legal status: placement order",
            Some(2020),
            s.placement_order,
            s.cla,
            0.06,
        );
    }
    if let Some(f) = r.flow(2024).cloned() {
        for (k, v) in [0.16, 0.15, 0.15, 0.26, 0.29].into_iter().enumerate() {
            r.share(
                &format!("age at starting care: {}", AGE_BANDS[k]),
                Some(2024),
                f.start_age[k],
                f.starts,
                v,
            );
        }
        r.share(
            "re-referrals within 12 months",
            Some(2024),
            f.rereferrals,
            f.referrals,
            0.22,
        );
        r.share(
            "episodes of need ending lasting 3 months or less",
            Some(2024),
            f.episodes_short,
            f.episodes_ended,
            0.48,
        );
    }
    if let Some(f) = r.flow(2025).cloned() {
        r.share(
            "leavers aged 18 or over",
            Some(2025),
            f.leavers_18,
            f.ceased,
            0.38,
        );
    }
    let last = (ys.n_flow > 0).then(|| ys.flow0 + ys.n_flow as i32 - 1);
    let mut exits = [0u64; 6];
    for f in &acc.flow {
        add(&mut exits, &f.exits);
    }
    let ceased: u64 = exits.iter().sum();
    for (k, v) in [(3, 0.32), (0, 0.115), (1, 0.125), (4, 0.333)] {
        r.share(
            &format!("reason ceased: {}", EXITS[k]),
            None,
            exits[k],
            ceased,
            v,
        );
    }
    // Mean period of care by Little's law (stock / starts), free of the window's truncation.
    if let Some(y) = last {
        if let (Some(s), Some(f)) = (r.snap(y).map(|s| s.cla), r.flow(y).map(|f| f.starts)) {
            if f > 0 {
                let mean = 365.25 * s as f64 / f as f64;
                r.push(
                    "period of care, mean days (stock / starts)",
                    Some(y),
                    mean,
                    1_000.0,
                    CheckKind::Count,
                );
            }
        }
    }
    r.share(
        "leavers looked after under 2 weeks",
        last,
        acc.leavers_2w,
        acc.leavers_known,
        0.11,
    );
    r.share(
        "leavers looked after under 1 year",
        last,
        acc.leavers_1y,
        acc.leavers_known,
        0.46,
    );
    r.share(
        "special guardianship to relative or friend",
        None,
        acc.sgo_kin,
        acc.sgo,
        0.90,
    );
    r.rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_table_parses_every_row() {
        let p = published();
        let rows = CALIBRATION_CSV.lines().skip(1).filter(|l| !l.is_empty());
        assert_eq!(p.len(), rows.count());
        for row in &p {
            assert!((2015..=2025).contains(&row.year), "{row:?}");
            assert!(row.value > 0.0 && !row.source.is_empty(), "{row:?}");
        }
        let known = [
            "children looked after at 31 March",
            "unaccompanied asylum-seeking children at 31 March",
            "children in need at 31 March",
            "child protection plans at 31 March",
            "started to be looked after",
            "ceased to be looked after",
            "adopted",
            "placement changes",
            "referrals",
            "assessments",
            "section 47 enquiries",
        ];
        assert!(p.iter().all(|r| known.contains(&r.measure)));
        // Every year of the default window has a count of children looked after.
        for y in 2015..=2025 {
            assert!(p.iter().any(|r| r.year == y && r.measure == known[0]));
        }
    }
}
