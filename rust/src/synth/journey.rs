//! One child's journey: front-door episodes of need, periods of care with placement moves, exits
//! and re-referrals, written as a list of spells in time order.

use super::calendar::{add_years, age_years};
use super::codes::{ls, place_code, rec, rec_code, ExitKind, NO_CODE};
use super::params::{self as p, state, Path, Trends, PATHS};
use super::rng::Rng;

/// One spell in one state, before clipping to the output window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spell {
    pub state: u8,
    pub start: i32,
    pub end: i32,
    pub place: u8,
    pub ls: u8,
    pub cin: u8,
    pub rec: u8,
}

/// How an episode of need ended, which sets the chance of a later re-referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    Nfa,
    Exit(u8),
    /// Reached 18, died or ran past the horizon: no further referrals.
    Done,
}

/// When a period's placements are made under a placement order (LS E1).
#[derive(Clone, Copy, Debug)]
enum PlacementOrder {
    Never,
    From(i32),
    Between(i32, i32),
}

enum Next {
    State(u8),
    Nfa,
    Care,
}

const GROUPS: [u8; 6] = [
    state::FOSTER_KIN,
    state::FOSTER_OTHER,
    state::HOME,
    state::SUPPORTED,
    state::PARENTS,
    state::OTHER_PLACEMENT,
];

/// A child being simulated: its random stream, dates and the spells written so far.
pub(crate) struct Journey<'a> {
    pub rng: Rng,
    birth: i32,
    age18: i32,
    horizon: i32,
    care_mult: f64,
    uasc: bool,
    trends: &'a Trends,
    out: &'a mut Vec<Spell>,
}

/// Age band used by the tables: <1, 1-4, 5-9, 10-15, 16+ (from days of age).
fn band(age_days: i32) -> usize {
    match age_days {
        i32::MIN..=364 => 0,
        365..=1825 => 1,
        1826..=3652 => 2,
        3653..=5843 => 3,
        _ => 4,
    }
}

fn ln_days(rng: &mut Rng, (median, sigma): (f64, f64), min: i32) -> i32 {
    rng.lognormal_days(median, sigma, min)
}

/// Weights scaled so that the third outcome has `f` times its share and the first two
/// (of total weight `rest`) take up the difference: `(f, g)`, `g` the scale of the first two.
fn s47_trend(f: f64, rest: f64, third: f64) -> (f64, f64) {
    let g = ((rest + third - third * f) / rest).max(0.0);
    (f, g)
}

/// Path weights with the adoption path's share multiplied by `a` (the others shrink).
fn adoption_trend(mut w: [f64; 8], a: f64) -> [f64; 8] {
    let total: f64 = w.iter().sum();
    let k = PATHS.iter().position(|&q| q == Path::Adoption).unwrap_or(2);
    let (old, new) = (w[k], (w[k] * a).min(total));
    if old > 0.0 && total > old {
        let shrink = (total - new) / (total - old);
        for (i, x) in w.iter_mut().enumerate() {
            *x = if i == k { new } else { *x * shrink };
        }
    }
    w
}

impl<'a> Journey<'a> {
    pub(crate) fn new(
        rng: Rng,
        birth: i32,
        horizon: i32,
        care_mult: f64,
        uasc: bool,
        trends: &'a Trends,
        out: &'a mut Vec<Spell>,
    ) -> Self {
        Journey {
            rng,
            birth,
            age18: add_years(birth, 18),
            horizon,
            care_mult,
            uasc,
            trends,
            out,
        }
    }

    fn push(&mut self, state: u8, start: i32, end: i32, cin: u8) {
        self.out.push(Spell {
            state,
            start,
            end,
            place: NO_CODE,
            ls: NO_CODE,
            cin,
            rec: NO_CODE,
        });
    }

    /// A child referred one or more times through childhood (not an asylum-seeking arrival).
    pub(crate) fn run_referred(&mut self) {
        let age = self.rng.pick(&p::FIRST_REFERRAL_AGE) as i32;
        let offset = if age == 0 && self.rng.chance(p::PRE_BIRTH_SHARE) {
            self.rng.range_i32(0, 13)
        } else {
            (f64::from(age) * 365.25) as i32 + self.rng.range_i32(0, 364)
        };
        let mut t = self.birth + offset;
        for _ in 0..64 {
            if t >= self.age18 || t > self.horizon {
                break;
            }
            // The year's referral volume: a referral that does not happen this year leaves
            // the child to come back as after a closed case.
            let (closed, free) = if self.rng.chance(Trends::at(&self.trends.referral, t)) {
                self.front_door(t)
            } else {
                (Closed::Nfa, t)
            };
            let q = match closed {
                Closed::Nfa => p::REREFER_AFTER_NFA,
                Closed::Exit(state::RETURNED_HOME | state::CAO) => p::REREFER_AFTER_HOME,
                // An adopted child who comes back is a new child in the returns (a new id).
                Closed::Exit(state::ADOPTED) => 0.0,
                Closed::Exit(state::SGO) => p::REREFER_AFTER_PERMANENCE,
                Closed::Exit(_) => p::REREFER_AFTER_OTHER,
                Closed::Done => 0.0,
            };
            if !self.rng.chance(q) {
                break;
            }
            let gap = if self.rng.chance(p::REREFER_SHORT_SHARE) {
                self.rng.exp_days(p::REREFER_SHORT_MEAN)
            } else {
                self.rng.exp_days(p::REREFER_LONG_MEAN)
            };
            t = free + gap;
        }
    }

    /// One episode of need from referral to closure (through care, if it comes to that).
    fn front_door(&mut self, t0: i32) -> (Closed, i32) {
        let cin = self.rng.pick(&p::CIN_FRONT) as u8;
        let mut st = state::REFERRAL;
        let mut t = t0;
        for _ in 0..24 {
            let cm = p::CARE_BY_AGE[band(t - self.birth)]
                * self.care_mult
                * Trends::at(&self.trends.care, t);
            let r = &mut self.rng;
            let mut shown = true;
            let (dur, next) = match st {
                state::REFERRAL => {
                    let d = if r.chance(p::REFERRAL_SAME_DAY) {
                        0
                    } else {
                        r.exp_days(p::REFERRAL_MEAN_DAYS)
                    };
                    let n = if r.chance(p::REFERRAL_NFA) {
                        Next::Nfa
                    } else {
                        Next::State(state::ASSESSMENT)
                    };
                    (d, n)
                }
                state::ASSESSMENT => {
                    let d = if r.chance(p::ASSESS_SAME_DAY) {
                        0
                    } else {
                        r.lognormal_days(p::ASSESS_MEDIAN, p::ASSESS_SIGMA, 1)
                            .min(120)
                    };
                    let o = p::ASSESS_OUT;
                    let (f, g) = s47_trend(Trends::at(&self.trends.s47, t), o[0] + o[1], o[2]);
                    let n = match r.pick(&[o[0] * g, o[1] * g, o[2] * f, o[3] * cm]) {
                        0 => Next::Nfa,
                        1 => Next::State(state::CIN),
                        2 => Next::State(state::S47),
                        _ => Next::Care,
                    };
                    // Fewer assessments in a year: the missing ones are referrals closed
                    // without one (those whose assessment would have found no need), so
                    // what follows an assessment keeps its level.
                    let held = 1.0 - Trends::at(&self.trends.assessment, t);
                    if matches!(n, Next::Nfa) && held > 0.0 && r.chance(held / p::ASSESS_NFA_SHARE)
                    {
                        shown = false;
                    }
                    (d, n)
                }
                state::S47 => {
                    let d = if r.chance(p::S47_SAME_DAY) {
                        0
                    } else {
                        r.lognormal_days(p::S47_MEDIAN, p::S47_SIGMA, 1).min(90)
                    };
                    let o = p::S47_OUT;
                    // More enquiries, as many conferences: the extra ones close or step down.
                    let (f, g) =
                        s47_trend(1.0 / Trends::at(&self.trends.s47, t), o[0] + o[1], o[2]);
                    let n = match r.pick(&[o[0] * g, o[1] * g, o[2] * f, o[3] * cm * f]) {
                        0 => Next::Nfa,
                        1 => Next::State(state::CIN),
                        2 => Next::State(state::CPC),
                        _ => Next::Care,
                    };
                    (d, n)
                }
                state::CPC => {
                    let d = if r.chance(p::CPC_SAME_DAY) {
                        0
                    } else {
                        r.range_i32(1, 5)
                    };
                    let n = match r.pick(&p::CPC_OUT) {
                        0 => Next::Nfa,
                        1 => Next::State(state::CIN),
                        _ => Next::State(state::CPP),
                    };
                    (d, n)
                }
                state::CPP => {
                    let d = r.lognormal_days(p::CPP_MEDIAN, p::CPP_SIGMA, 1);
                    let o = p::CPP_OUT;
                    let n = match r.pick(&[o[0], o[1], o[2] * cm]) {
                        0 => Next::Nfa,
                        1 => Next::State(state::CIN),
                        _ => Next::Care,
                    };
                    (d, n)
                }
                _ => {
                    let d = r.lognormal_days(p::CIN_MEDIAN, p::CIN_SIGMA, 1);
                    let o = p::CIN_OUT;
                    let n = match r.pick(&[o[0], o[1], o[2] * cm, p::CIN_REASSESS]) {
                        0 => Next::Nfa,
                        1 => Next::State(state::S47),
                        2 => Next::Care,
                        _ => Next::State(state::ASSESSMENT),
                    };
                    (d, n)
                }
            };
            if !shown {
                // The assessment was not held: the referral closes where it would have begun.
                self.push(state::NFA, t, t + p::DWELL, cin);
                return (Closed::Nfa, t + p::DWELL);
            }
            let e = t + dur;
            if e >= self.age18 {
                // Turning 18 closes the case.
                self.push(st, t, self.age18, cin);
                self.push(state::NFA, self.age18, self.age18 + p::DWELL, cin);
                return (Closed::Done, self.age18 + p::DWELL);
            }
            self.push(st, t, e, cin);
            t = e;
            if t > self.horizon {
                return (Closed::Done, t);
            }
            match next {
                Next::State(s) => st = s,
                Next::Nfa => {
                    self.push(state::NFA, t, t + p::DWELL, cin);
                    return (Closed::Nfa, t + p::DWELL);
                }
                Next::Care => return self.care(t, None),
            }
        }
        self.push(state::NFA, t, t + p::DWELL, cin);
        (Closed::Nfa, t + p::DWELL)
    }

    /// An unaccompanied asylum-seeking child arriving on `arrival`: a same-day referral, a short
    /// assessment, then care until 18 for most.
    pub(crate) fn run_uasc(&mut self, arrival: i32, disputed: bool) {
        let cin = 7;
        self.push(state::REFERRAL, arrival, arrival, cin);
        let a = if self.rng.chance(0.4) {
            0
        } else {
            self.rng.range_i32(1, 10)
        };
        // A child a few days short of 18 cannot be assessed past the birthday.
        let a = a.min((self.age18 - 1 - arrival).max(0));
        self.push(state::ASSESSMENT, arrival, arrival + a, cin);
        let path = if disputed || self.rng.chance(p::UASC_OTHER_EXIT) {
            Path::Other
        } else {
            Path::LongTerm
        };
        let entry = arrival + a;
        if disputed {
            let len = self.rng.lognormal_days(40.0, 0.5, 5);
            self.care_plan(
                entry,
                path,
                (entry + len, state::INDEPENDENCE, None),
                Some(rec::E15),
            );
        } else {
            self.care(entry, Some(path));
        }
    }

    /// Plans a period of care starting on `entry` and writes it.
    fn care(&mut self, entry: i32, path: Option<Path>) -> (Closed, i32) {
        let band_entry = band(entry - self.birth);
        let path = path.unwrap_or_else(|| {
            let w = adoption_trend(
                p::PATH_BY_AGE[band_entry],
                Trends::at(&self.trends.adoption, entry),
            );
            PATHS[self.rng.pick(&w)]
        });
        // Lengthening stays were a trend of older children's care; the youngest keep theirs
        // (their age mix at 31 March would drift from the published one otherwise).
        let stay = if band_entry >= p::STAY_TREND_MIN_BAND {
            Trends::at(&self.trends.stay, entry)
        } else {
            1.0
        };
        let r = &mut self.rng;
        let ln_days = |r: &mut Rng, shape: (f64, f64), min: i32| {
            ((f64::from(ln_days(r, shape, min)) * stay) as i32).max(min)
        };
        let plan = match path {
            Path::ReturnShort => (
                entry + r.lognormal_days(p::RETURN_SHORT.0, p::RETURN_SHORT.1, 1),
                state::RETURNED_HOME,
                None,
            ),
            Path::ReturnLong => {
                let len = ln_days(r, p::RETURN_LONG, 2);
                let fin = r.chance(p::HOME_TRIAL_SHARE).then(|| {
                    (
                        state::PARENTS,
                        ln_days(r, p::HOME_TRIAL, 1).min(len * 3 / 4),
                    )
                });
                (entry + len, state::RETURNED_HOME, fin)
            }
            Path::Adoption => {
                let a = r.lognormal_days(p::ADOPT_TO_PLACED.0, p::ADOPT_TO_PLACED.1, 30);
                let b = r.lognormal_days(p::ADOPT_PLACED.0, p::ADOPT_PLACED.1, 70);
                // The courts' pace in the year the order would fall in stretches both waits.
                let k = Trends::at(&self.trends.adoption_time, entry + a + b);
                let a = ((f64::from(a) * k) as i32).max(30);
                let b = ((f64::from(b) * k) as i32).max(70);
                (
                    entry + a + b,
                    state::ADOPTED,
                    Some((state::PLACED_ADOPTION, b)),
                )
            }
            Path::Sgo => {
                let len = ln_days(r, p::SGO_LEN, 30);
                let fin = r
                    .chance(p::SGO_KIN_SHARE)
                    .then(|| (state::FOSTER_KIN, ln_days(r, p::SGO_KIN, 1).min(len)));
                (entry + len, state::SGO, fin)
            }
            Path::Cao => {
                let len = ln_days(r, p::CAO_LEN, 14);
                let fin = r.chance(0.3).then(|| {
                    (
                        state::PARENTS,
                        ln_days(r, p::HOME_TRIAL, 1).min(len * 3 / 4),
                    )
                });
                (entry + len, state::CAO, fin)
            }
            Path::Other => (entry + ln_days(r, p::OTHER_LEN, 1), state::OTHER_EXIT, None),
            Path::LongTerm => (self.age18, state::INDEPENDENCE, None),
            Path::IndepEarly => {
                let lo = (entry + 60).max(self.age18 - 540);
                let hi = self.age18 - 1;
                let day = if lo < hi {
                    r.range_i32(lo, hi)
                } else {
                    self.age18
                };
                (day, state::INDEPENDENCE, None)
            }
        };
        self.care_plan(entry, path, plan, None)
    }

    /// Writes the placements, the exit and its dwell for a planned period of care.
    fn care_plan(
        &mut self,
        entry: i32,
        path: Path,
        (mut exit_day, mut exit_state, mut fin): (i32, u8, Option<(u8, i32)>),
        forced_rec: Option<u8>,
    ) -> (Closed, i32) {
        let mut kind = if self.uasc {
            ExitKind::Uasc
        } else if path == Path::IndepEarly {
            ExitKind::Early
        } else {
            ExitKind::Standard
        };
        if exit_day >= self.age18 {
            exit_day = self.age18;
            exit_state = state::INDEPENDENCE;
            fin = None;
            if kind == ExitKind::Early {
                kind = ExitKind::Standard;
            }
        }
        // Care never ends before it starts (a child entering on the eve of 18).
        exit_day = exit_day.max(entry);
        let band_entry = band(entry - self.birth);
        let r = &mut self.rng;
        let s20 = self.uasc
            || r.chance(match path {
                Path::ReturnShort => p::S20_SHORT,
                Path::Other => p::S20_OTHER,
                _ if band_entry == 4 => p::S20_TEEN,
                _ => p::S20_DEFAULT,
            });
        let cin = if self.uasc {
            7
        } else {
            r.pick(&p::CIN_CARE) as u8
        };
        let fin_start = fin.map(|(_, len)| (exit_day - len).max(entry));
        let pre_end = fin_start.unwrap_or(exit_day);
        let po = if path == Path::Adoption {
            PlacementOrder::From(entry + (pre_end - entry) / 4)
        } else if band_entry <= 1
            && matches!(path, Path::LongTerm | Path::Sgo)
            && self.rng.chance(p::PO_UNMATCHED)
        {
            // A placement order without a match: held for some years, then revoked.
            PlacementOrder::Between(entry + 365, entry + 1_500)
        } else {
            PlacementOrder::Never
        };
        let mut s = entry;
        let mut idx = 0;
        while s < pre_end {
            let shape = if idx == 0 {
                p::FIRST_PLACEMENT
            } else {
                p::LATER_PLACEMENT
            };
            let d = ln_days(&mut self.rng, shape, 1);
            let mut e = (s + d).min(pre_end);
            if pre_end - e < 7 {
                e = pre_end;
            }
            let group = self.group(s, path);
            let legal = self.legal(s, entry, s20, path, po, idx == 0 && e - s < 10);
            self.push_care(group, s, e, legal, cin);
            s = e;
            idx += 1;
        }
        if let Some((group, _)) = fin {
            let legal = if group == state::PLACED_ADOPTION {
                ls::E1
            } else {
                self.legal(pre_end, entry, s20, path, po, false)
            };
            self.push_care(group, pre_end, exit_day, legal, cin);
        }
        let rc = forced_rec.unwrap_or_else(|| rec_code(&mut self.rng, exit_state, kind));
        self.out.push(Spell {
            state: exit_state,
            start: exit_day,
            end: exit_day + p::DWELL,
            place: NO_CODE,
            ls: NO_CODE,
            cin: NO_CODE,
            rec: rc,
        });
        if rc == rec::E2 {
            // A child who died is never referred again.
            return (Closed::Done, exit_day + p::DWELL);
        }
        (Closed::Exit(exit_state), exit_day + p::DWELL)
    }

    fn push_care(&mut self, group: u8, start: i32, end: i32, legal: u8, cin: u8) {
        let age = age_years(self.birth, start);
        let place = place_code(&mut self.rng, group, start, age, end - start);
        self.out.push(Spell {
            state: group,
            start,
            end,
            place,
            ls: legal,
            cin,
            rec: NO_CODE,
        });
    }

    /// The placement group of a placement starting on `day`.
    fn group(&mut self, day: i32, path: Path) -> u8 {
        let age = day - self.birth;
        let mut w = if self.uasc {
            if age < 5844 {
                p::GROUP_UASC_YOUNG
            } else {
                p::GROUP_UASC
            }
        } else {
            p::GROUP_BY_AGE[band(age)]
        };
        if path == Path::Sgo {
            w[0] *= 2.0;
        }
        GROUPS[self.rng.pick(&w)]
    }

    /// The legal status of a placement starting on `day`.
    fn legal(
        &mut self,
        day: i32,
        entry: i32,
        s20: bool,
        path: Path,
        po: PlacementOrder,
        brief: bool,
    ) -> u8 {
        let r = &mut self.rng;
        if self.uasc {
            return if r.chance(0.95) { ls::V2 } else { ls::C2 };
        }
        if s20 {
            if path == Path::Other && day - self.birth >= 12 * 365 && r.chance(0.15) {
                return ls::J1;
            }
            return ls::V2;
        }
        if brief && r.chance(0.5) {
            return if r.chance(0.7) { ls::L1 } else { ls::L2 };
        }
        let placement_order = match po {
            PlacementOrder::Never => false,
            PlacementOrder::From(d) => day >= d,
            PlacementOrder::Between(a, b) => day >= a && day < b,
        };
        if placement_order {
            ls::E1
        } else if day - entry < p::ICO_DAYS {
            ls::C1
        } else {
            ls::C2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64) -> Vec<Spell> {
        let mut out = Vec::new();
        let mut j = Journey::new(
            Rng::keyed(seed, 0, 0, 0),
            0,
            20_000,
            1.0,
            false,
            &p::TRENDS,
            &mut out,
        );
        j.run_referred();
        out
    }

    #[test]
    fn spells_chain_in_time_order() {
        for seed in 0..2_000 {
            let spells = run(seed);
            // A referral the year's volume leaves out can leave a child with no journey.
            if spells.is_empty() {
                continue;
            }
            assert_eq!(spells[0].state, state::REFERRAL);
            for w in spells.windows(2) {
                assert!(w[0].end >= w[0].start);
                assert!(w[1].start >= w[0].end, "{seed}: {w:?}");
            }
            for (i, s) in spells.iter().enumerate() {
                if state::is_care(s.state) {
                    assert_ne!(s.place, NO_CODE);
                    assert_ne!(s.ls, NO_CODE);
                    assert!(s.start < add_years(0, 18));
                    let next = spells.get(i + 1).map(|n| n.state);
                    assert!(matches!(next, Some(n) if state::is_care(n) || state::is_exit(n)));
                }
            }
        }
    }

    #[test]
    fn asylum_seekers_enter_care_at_once() {
        for seed in 0..200 {
            let mut out = Vec::new();
            let birth = -6_000;
            let mut j = Journey::new(
                Rng::keyed(seed, 5, 0, 0),
                birth,
                20_000,
                1.0,
                true,
                &p::TRENDS,
                &mut out,
            );
            j.run_uasc(0, seed % 50 == 0);
            assert_eq!(out[0].state, state::REFERRAL);
            assert!(state::is_care(out[2].state));
            assert!(state::is_exit(out.last().map_or(0, |s| s.state)));
        }
    }
}
