//! Synthetic England: a seeded, deterministic generator of children's journeys through English
//! children's social care (referral to care and exit) for all 153 councils, calibrated to the
//! published national figures (`check` measures the match).
//!
//! Each child is simulated on its own random stream, keyed by (seed, council, child number), in
//! fixed chunks run in parallel and concatenated in order: the output is bit-identical for any
//! number of threads. Births and first referrals start about 18 years before `start_day` (the
//! burn-in), so the stock of children in each state at `start_day` is already at steady state.
//!
//! Conventions of the output: a spell runs from `start` to `end` (days since 1970-01-01); the next
//! spell of the same child starts on or after that `end` (same-day steps have `start == end`).
//! "No further action" and exit states last a short visible dwell ([`DWELL_DAYS`]), after which
//! the child is in no state until any re-referral. A closed child-in-need or protection case also
//! passes through "No further action".

mod calendar;
mod check;
mod codes;
mod councils;
mod journey;
mod params;
pub(crate) mod rng;

pub use check::{check, published, CheckKind, CheckRow, Published};
pub use codes::{LS_CODES, NO_CODE, PLACE_CODES, REC_CODES};
pub use params::{Trends, TRENDS, TREND_YEARS};

use calendar::{add_years, days_from_civil, march31};
use councils::CouncilSpec;
use journey::{Journey, Spell};
use rayon::prelude::*;
use rng::Rng;

/// Days a child stays visible in "No further action" or an exit state.
pub const DWELL_DAYS: i32 = params::DWELL;
/// Largest accepted `scale` (England fifty times over already needs tens of gigabytes).
pub const MAX_SCALE: f64 = 50.0;
/// Children simulated per parallel work unit.
const CHUNK: u64 = 8_192;

/// Errors from the generator.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SynthError {
    #[error("scale must be a finite number in (0, {MAX_SCALE}], got {0}")]
    InvalidScale(f64),
    #[error("end_day ({end}) must be after start_day ({start})")]
    EmptyWindow { start: i32, end: i32 },
    #[error("dates must lie between 1950-01-01 and 2100-12-31, got {start}..{end}")]
    WindowOutOfRange { start: i32, end: i32 },
    #[error("{0} children would not fit the u32 child index; lower the scale or the window")]
    TooManyChildren(u64),
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthConfig {
    /// Share of England to generate: 1.0 is every council at full size.
    pub scale: f64,
    /// First day of the window, days since 1970-01-01.
    pub start_day: i32,
    /// Last day of the window (inclusive), days since 1970-01-01.
    pub end_day: i32,
    /// Seed of all random streams.
    pub seed: u64,
    /// Year-by-year multipliers (the calibrated [`TRENDS`] by default).
    pub trends: Trends,
}

impl Default for SynthConfig {
    /// All of England from 1 April 2015 to 31 March 2025.
    fn default() -> Self {
        SynthConfig {
            scale: 1.0,
            start_day: days_from_civil(2015, 4, 1),
            end_day: days_from_civil(2025, 3, 31),
            seed: 0,
            trends: TRENDS,
        }
    }
}

/// A council (local authority with children's services).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Council {
    pub code: String,
    pub name: String,
    /// Children aged 0-17, already multiplied by the scale.
    pub child_population: u32,
}

/// Spells (one row each, grouped by child and sorted by start within a child) and children.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SynthOutput {
    /// Child index (0..n_children) of each spell; a child's spells are contiguous.
    pub child: Vec<u32>,
    /// Standard state (index into states.csv order).
    pub state: Vec<u8>,
    /// First day of the spell.
    pub start: Vec<i32>,
    /// Last day of the spell; `i32::MAX` when still open at `end_day`.
    pub end: Vec<i32>,
    /// Index into [`PLACE_CODES`]; [`NO_CODE`] outside care.
    pub placement: Vec<u8>,
    /// Index into [`LS_CODES`]; [`NO_CODE`] outside care.
    pub legal_status: Vec<u8>,
    /// 0..=7 for N1..N8 on front-door and care spells; [`NO_CODE`] on exits.
    pub category_of_need: Vec<u8>,
    /// Index into [`REC_CODES`] on exit spells; [`NO_CODE`] otherwise.
    pub reason_ceased: Vec<u8>,
    /// Council index (into `councils`) of each child.
    pub council: Vec<u16>,
    /// 0 male, 1 female.
    pub sex: Vec<u8>,
    /// Date of birth, days since 1970-01-01.
    pub birth: Vec<i32>,
    /// 0 White, 1 Mixed, 2 Black, 3 Asian, 4 Other.
    pub ethnicity: Vec<u8>,
    /// Unaccompanied asylum-seeking child.
    pub uasc: Vec<bool>,
    /// The true first day of the period of care a child's first kept spell belongs to (the
    /// window drops the placements of that period that ended before `start_day`), or
    /// [`NO_ENTRY`] when that spell is not in care. Measures such as the days from entering
    /// care to adoption read it, so that a child who entered care before the window still
    /// counts with the whole of their wait.
    pub care_entry: Vec<i32>,
    pub councils: Vec<Council>,
}

/// [`SynthOutput::care_entry`] of a child whose first kept spell is not in care.
pub const NO_ENTRY: i32 = i32::MIN;

impl SynthOutput {
    /// Number of children.
    pub fn n_children(&self) -> usize {
        self.council.len()
    }

    /// Number of spells.
    pub fn n_spells(&self) -> usize {
        self.state.len()
    }

    fn append(&mut self, part: Part, offset: u32) {
        self.child.extend(part.child.iter().map(|c| c + offset));
        self.state.extend_from_slice(&part.state);
        self.start.extend_from_slice(&part.start);
        self.end.extend_from_slice(&part.end);
        self.placement.extend_from_slice(&part.placement);
        self.legal_status.extend_from_slice(&part.legal_status);
        self.category_of_need
            .extend_from_slice(&part.category_of_need);
        self.reason_ceased.extend_from_slice(&part.reason_ceased);
        self.council.extend_from_slice(&part.council);
        self.sex.extend_from_slice(&part.sex);
        self.birth.extend_from_slice(&part.birth);
        self.ethnicity.extend_from_slice(&part.ethnicity);
        self.uasc.extend_from_slice(&part.uasc);
        self.care_entry.extend_from_slice(&part.care_entry);
    }
}

/// The output of one work unit (child indices local to the unit).
#[derive(Default)]
struct Part {
    child: Vec<u32>,
    state: Vec<u8>,
    start: Vec<i32>,
    end: Vec<i32>,
    placement: Vec<u8>,
    legal_status: Vec<u8>,
    category_of_need: Vec<u8>,
    reason_ceased: Vec<u8>,
    council: Vec<u16>,
    sex: Vec<u8>,
    birth: Vec<i32>,
    ethnicity: Vec<u8>,
    uasc: Vec<bool>,
    care_entry: Vec<i32>,
}

/// A child's attributes.
struct Person {
    council: u16,
    sex: u8,
    birth: i32,
    ethnicity: u8,
    uasc: bool,
}

impl Part {
    /// Clips `spells` to the window and keeps the child if anything is left.
    fn emit(&mut self, spells: &[Spell], who: Person, cfg: &SynthConfig) {
        let local = self.council.len() as u32;
        let before = self.state.len();
        // Start of the period of care in progress, and the value kept for the first kept spell.
        let mut entry = NO_ENTRY;
        let mut care_entry = None;
        let mut prev_care = false;
        for s in spells {
            let care = params::state::is_care(s.state);
            if care && !prev_care {
                entry = s.start;
            }
            prev_care = care;
            if s.end < cfg.start_day || s.start > cfg.end_day {
                continue;
            }
            care_entry.get_or_insert(if care { entry } else { NO_ENTRY });
            self.child.push(local);
            self.state.push(s.state);
            self.start.push(s.start);
            self.end
                .push(if s.end > cfg.end_day { i32::MAX } else { s.end });
            self.placement.push(s.place);
            self.legal_status.push(s.ls);
            self.category_of_need.push(s.cin);
            self.reason_ceased.push(s.rec);
        }
        if self.state.len() > before {
            self.council.push(who.council);
            self.sex.push(who.sex);
            self.birth.push(who.birth);
            self.ethnicity.push(who.ethnicity);
            self.uasc.push(who.uasc);
            self.care_entry.push(care_entry.unwrap_or(NO_ENTRY));
        }
    }
}

/// Random-stream kinds.
const STREAM_CHILD: u64 = 1;
const STREAM_UASC_COUNT: u64 = 2;
const STREAM_UASC: u64 = 3;

enum Unit {
    Referred {
        council: usize,
        first: u64,
        count: u64,
    },
    Uasc {
        council: usize,
    },
}

fn validate(cfg: &SynthConfig) -> Result<(), SynthError> {
    if !cfg.scale.is_finite() || cfg.scale <= 0.0 || cfg.scale > MAX_SCALE {
        return Err(SynthError::InvalidScale(cfg.scale));
    }
    if cfg.end_day <= cfg.start_day {
        return Err(SynthError::EmptyWindow {
            start: cfg.start_day,
            end: cfg.end_day,
        });
    }
    let lo = days_from_civil(1950, 1, 1);
    let hi = days_from_civil(2100, 12, 31);
    if cfg.start_day < lo || cfg.end_day > hi {
        return Err(SynthError::WindowOutOfRange {
            start: cfg.start_day,
            end: cfg.end_day,
        });
    }
    Ok(())
}

/// First possible birth day of an emitted referred child (18 years and a dwell before start).
fn birth_floor(cfg: &SynthConfig) -> i32 {
    add_years(cfg.start_day, -18) - 2 * params::DWELL
}

/// Referred children simulated for a council over the whole birth range.
fn referred_count(c: &CouncilSpec, cfg: &SynthConfig) -> u64 {
    let years = f64::from(cfg.end_day - birth_floor(cfg)) / 365.2425;
    let births = c.population / 18.0 * years;
    (cfg.scale * births * params::P_EVER_REFERRED * c.referral_mult).round() as u64
}

/// Generates a synthetic England for `cfg`.
pub fn england(cfg: &SynthConfig) -> Result<SynthOutput, SynthError> {
    validate(cfg)?;
    let councils = councils::councils(cfg.scale);
    let mut units = Vec::new();
    let mut simulated = 0u64;
    for (ci, c) in councils.iter().enumerate() {
        let n = referred_count(c, cfg);
        simulated += n;
        let mut first = 0;
        while first < n {
            let count = CHUNK.min(n - first);
            units.push(Unit::Referred {
                council: ci,
                first,
                count,
            });
            first += count;
        }
        units.push(Unit::Uasc { council: ci });
    }
    if simulated > u64::from(u32::MAX) / 2 {
        return Err(SynthError::TooManyChildren(simulated));
    }
    let parts: Vec<Part> = units
        .par_iter()
        .map(|u| run_unit(u, &councils, cfg))
        .collect();
    let n_spells: usize = parts.iter().map(|p| p.state.len()).sum();
    let n_children: usize = parts.iter().map(|p| p.council.len()).sum();
    if n_children as u64 > u64::from(u32::MAX) {
        return Err(SynthError::TooManyChildren(n_children as u64));
    }
    let mut out = SynthOutput::default();
    reserve(&mut out, n_spells, n_children);
    for part in parts {
        let offset = out.council.len() as u32;
        out.append(part, offset);
    }
    out.councils = councils.into_iter().map(|c| c.council).collect();
    Ok(out)
}

fn reserve(out: &mut SynthOutput, spells: usize, children: usize) {
    out.child.reserve_exact(spells);
    out.state.reserve_exact(spells);
    out.start.reserve_exact(spells);
    out.end.reserve_exact(spells);
    out.placement.reserve_exact(spells);
    out.legal_status.reserve_exact(spells);
    out.category_of_need.reserve_exact(spells);
    out.reason_ceased.reserve_exact(spells);
    out.council.reserve_exact(children);
    out.sex.reserve_exact(children);
    out.birth.reserve_exact(children);
    out.ethnicity.reserve_exact(children);
    out.uasc.reserve_exact(children);
}

fn run_unit(unit: &Unit, councils: &[CouncilSpec], cfg: &SynthConfig) -> Part {
    let mut part = Part::default();
    let mut buf = Vec::with_capacity(64);
    match *unit {
        Unit::Referred {
            council,
            first,
            count,
        } => {
            let c = &councils[council];
            let lo = birth_floor(cfg);
            let span = cfg.end_day - lo;
            for k in first..first + count {
                let mut rng = Rng::keyed(cfg.seed, STREAM_CHILD, council as u64, k);
                let birth = lo + (rng.uniform() * f64::from(span)) as i32;
                let sex = u8::from(!rng.chance(params::MALE));
                let ethnicity = rng.pick(&params::ETHNICITY) as u8;
                buf.clear();
                Journey::new(
                    rng,
                    birth,
                    cfg.end_day,
                    c.care_mult,
                    false,
                    &cfg.trends,
                    &mut buf,
                )
                .run_referred();
                let who = Person {
                    council: council as u16,
                    sex,
                    birth,
                    ethnicity,
                    uasc: false,
                };
                part.emit(&buf, who, cfg);
            }
        }
        Unit::Uasc { council } => {
            let c = &councils[council];
            let first_year = calendar::year_to_march(cfg.start_day - 5 * 365);
            let last_year = calendar::year_to_march(cfg.end_day);
            let mut k = 0u64;
            for year in first_year..=last_year {
                let mut rc = Rng::keyed(cfg.seed, STREAM_UASC_COUNT, council as u64, year as u64);
                let expected = params::uasc_arrivals(year) * cfg.scale * c.uasc_share;
                let n = rc.round_stochastic(expected);
                let y0 = march31(year - 1) + 1;
                let y1 = march31(year);
                for _ in 0..n {
                    let mut rng = Rng::keyed(cfg.seed, STREAM_UASC, council as u64, k);
                    k += 1;
                    let arrival = rng.range_i32(y0, y1);
                    if arrival > cfg.end_day {
                        continue;
                    }
                    let disputed = rng.chance(params::UASC_AGE_DISPUTED);
                    let age_days = if disputed {
                        rng.range_i32(17 * 365 + 200, 18 * 365 - 5)
                    } else {
                        let age = 13 + rng.pick(&params::UASC_AGE) as i32;
                        age * 365 + rng.range_i32(0, 364)
                    };
                    let birth = arrival - age_days;
                    let sex = u8::from(!rng.chance(params::UASC_MALE));
                    let ethnicity = rng.pick(&params::ETHNICITY_UASC) as u8;
                    buf.clear();
                    Journey::new(rng, birth, cfg.end_day, 1.0, true, &cfg.trends, &mut buf)
                        .run_uasc(arrival, disputed);
                    let who = Person {
                        council: council as u16,
                        sex,
                        birth,
                        ethnicity,
                        uasc: true,
                    };
                    part.emit(&buf, who, cfg);
                }
            }
        }
    }
    part
}

#[cfg(test)]
mod tests;
