//! Tallying one child's spells into the year-by-year counts the DfE publishes.

use super::*;

/// Snapshot tallies (at 31 March of one year).
#[derive(Clone, Default)]
pub(super) struct Snap {
    pub(super) cla: u64,
    pub(super) uasc: u64,
    pub(super) male: u64,
    pub(super) eth: [u64; 5],
    pub(super) group: [u64; 7],
    pub(super) care_order: u64,
    pub(super) s20: u64,
    pub(super) placement_order: u64,
    pub(super) n1: u64,
    pub(super) age: [u64; 5],
    pub(super) cin: u64,
    pub(super) cpp: u64,
}

/// Flow tallies (in one year to 31 March).
#[derive(Clone, Default)]
pub(super) struct Flow {
    pub(super) starts: u64,
    pub(super) start_age: [u64; 5],
    pub(super) ceased: u64,
    pub(super) exits: [u64; 6],
    pub(super) leavers_18: u64,
    pub(super) changes: u64,
    pub(super) referrals: u64,
    pub(super) rereferrals: u64,
    pub(super) assessments: u64,
    pub(super) s47: u64,
    pub(super) episodes_ended: u64,
    pub(super) episodes_short: u64,
    pub(super) adopt_days: u64,
    pub(super) adopt_n: u64,
    pub(super) placed_days: u64,
    pub(super) placed_n: u64,
}

#[derive(Clone, Default)]
pub(super) struct Acc {
    pub(super) snap: Vec<Snap>,
    pub(super) flow: Vec<Flow>,
    pub(super) council_cla: Vec<u64>,
    pub(super) leavers_known: u64,
    pub(super) leavers_2w: u64,
    pub(super) leavers_1y: u64,
    pub(super) placement_days: u64,
    pub(super) placements: u64,
    pub(super) sgo: u64,
    pub(super) sgo_kin: u64,
}

impl Acc {
    pub(super) fn new(n_snap: usize, n_flow: usize, n_councils: usize) -> Self {
        Acc {
            snap: vec![Snap::default(); n_snap],
            flow: vec![Flow::default(); n_flow],
            council_cla: vec![0; n_councils],
            ..Acc::default()
        }
    }

    pub(super) fn merge(mut self, o: Acc) -> Acc {
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

pub(super) fn add(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The years the window covers.
pub(super) struct Years {
    /// Snapshot years (31 March inside the window) and their days.
    pub(super) snap: Vec<(i32, i32)>,
    /// First complete statistical year and how many.
    pub(super) flow0: i32,
    pub(super) n_flow: usize,
    /// The snapshot year whose per-council rates are compared (2025 when covered).
    pub(super) rate_year: Option<usize>,
}

impl Years {
    pub(super) fn new(cfg: &SynthConfig) -> Self {
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

pub(super) fn tally_child(
    out: &SynthOutput,
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
                    // A period's first visible placement is its true start unless it is the
                    // child's first kept spell: the window may have dropped earlier placements
                    // of the period, and the generator records the true entry.
                    let t0 = if i == r.start { out.care_entry[c] } else { s };
                    entry = (t0 != NO_ENTRY).then_some(t0);
                    placed = None;
                    if let (true, Some(f)) = (t0 == s, fy) {
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

/// Splits the spell rows into per-child ranges.
pub(super) fn child_ranges(out: &SynthOutput) -> Vec<usize> {
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
