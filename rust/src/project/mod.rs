//! Projections: a journey model fitted from the data (time in each state by Kaplan-Meier with
//! censoring and delayed entry, where children go next as competing risks by Aalen-Johansen,
//! both by the age band the child is in (a stay crossing a band's edge counts in one band up
//! to it and enters the next there) and the time in care at the spell's start; arrivals by
//! month, age and entry state, with a damped yearly trend like the moves') and its
//! simulation forward from a date (or, as a diagnostic, with the arrivals given).
//!
//! [`fit`] builds a [`Model`]; [`simulate`] continues every child open at the model's date
//! (conditional on the time already spent in their state) and adds new arrivals, for any number
//! of runs. Every child draws from its own random stream keyed by (seed, run, child), and work
//! runs over fixed chunks, so results are identical for any thread count.

mod fit;
mod save;
mod sim;

pub use fit::{arrivals_between, fit, FitInput, GAP_DAYS};
pub use save::{from_bytes, to_bytes};
pub use sim::{simulate, Projected, Scenario, SimConfig};

/// The next state of a spell after which the child has no further spell ("left").
pub const LEFT: u32 = u32::MAX;
/// Birth day unknown.
pub const NO_BIRTH_DAY: i32 = i32::MIN;
/// Age years recorded for arrivals: 0..=17, 18 (18 or over), 19 (unknown).
pub const AGE_YEARS: usize = 20;
/// No ageing out of a state (see [`Model::age_out`]).
pub const NO_AGE_OUT: u32 = u32::MAX - 1;
/// Age bands of the arrivals' trends (`stats::AGE_BANDS`, by [`band_of_age`]).
pub const ARRIVAL_BANDS: usize = 6;
/// Fewest events a cell needs before it is used rather than its coarser fallback.
pub const MIN_EVENTS: u64 = 20;

/// One cell's time in state: at each distinct event day (duration in days), the survival
/// after it and the counts of the next states then; beyond the last, a constant-hazard tail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub times: Vec<u32>,
    pub surv: Vec<f64>,
    /// Next states of the events at `times[i]` are `to[off[i]..off[i + 1]]` with counts `n`.
    pub off: Vec<u32>,
    pub to: Vec<u32>,
    pub n: Vec<f64>,
    /// Durations past the last event time draw from an exponential tail with this rate
    /// (per day; 0: the child stays) and these next-state weights.
    pub tail_rate: f64,
    pub tail_to: Vec<u32>,
    pub tail_n: Vec<f64>,
    pub spells: u64,
    pub events: u64,
}

/// Arrivals of one entry state, group and age year: per year, at the fitted level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    pub state: u16,
    pub group: u16,
    pub age: u8,
    pub per_year: f64,
}

/// An arrival given rather than drawn (the data's own, for a backtest's diagnostic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub state: u16,
    pub day: i32,
    /// Birth day ([`NO_BIRTH_DAY`] unknown).
    pub birth_day: i32,
    pub group: u16,
}

/// A child in a state at the model's date: where it continues from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open {
    /// Dot index in the fitted journeys.
    pub dot: u32,
    pub state: u16,
    pub start_day: i32,
    pub birth_day: i32,
    pub group: u16,
    /// Start of the child's run of linked spells that this one belongs to (the care band's
    /// origin; see [`Model::care_edges`]).
    pub run_start: i32,
}

/// The fitted journey model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub states: Vec<String>,
    /// Labels of the groups (councils); empty when not fitted by group.
    pub groups: Vec<String>,
    pub by_age: bool,
    /// Whether the cells are keyed by the age band the child is in at each day of the stay
    /// (each stay split at the bands' edges: censored in one band at the edge, entering the
    /// next there), so that both the time left and the next state follow the age then; false
    /// (models saved in format 4 and older): by the age band at the spell's start.
    pub age_now: bool,
    /// Edges (days, increasing, > 0) of the care bands: the time from the start of the
    /// child's run of linked spells (each begun within [`GAP_DAYS`] of the last one's end)
    /// to the start of the spell. Empty: one band (times in state not split by it).
    pub care_edges: Vec<i32>,
    pub as_of_day: i32,
    pub window_days: i32,
    pub cells: Vec<Cell>,
    /// For each (state, group, age band, care band at the spell's start): the cell used (the
    /// most specific with enough events).
    pub choice: Vec<u32>,
    pub arrivals: Vec<Arrival>,
    /// Per entry state: the share of a year's arrivals in each month (January first).
    pub season: Vec<[f64; 12]>,
    pub open: Vec<Open>,
    /// Per state: the next state of a child turning 18 there ([`LEFT`]: out), or
    /// [`NO_AGE_OUT`] where the data shows children staying past 18.
    pub age_out: Vec<u32>,
    /// Trends in the moves: per (from state, next state or `states.len()` for left), the
    /// change of its rate per year on the log scale (fitted over yearly sub-windows before
    /// the date, shrunk toward 0 by its noise); empty: none fitted.
    pub trend: Vec<f64>,
    /// Years from the middle of the durations' window to the date (the trend's lead).
    pub trend_lead: f64,
    /// Each year after the date the trend keeps this share of the year before's (damped).
    pub damping: f64,
    /// Trends in the arrivals: per (entry state, age band at arrival), the change per year
    /// on the log scale (damped as the moves'); empty: held at the fitted level.
    pub arrival_trend: Vec<f64>,
    /// Years from the middle of the arrivals' fitted year to the date.
    pub arrival_lead: f64,
}

impl Model {
    pub fn n_groups(&self) -> usize {
        self.groups.len().max(1)
    }

    pub fn n_bands(&self) -> usize {
        if self.by_age {
            crate::stats::AGE_BANDS.len()
        } else {
            1
        }
    }

    pub fn n_care(&self) -> usize {
        self.care_edges.len() + 1
    }

    /// The care band of a spell begun `days` after the start of the child's run of spells.
    #[inline]
    pub fn care_band(&self, days: i32) -> usize {
        care_band(&self.care_edges, days)
    }

    /// The cell of a spell in `state` begun at `day` by a child born `birth_day` in `group`
    /// whose run of linked spells began on `run_start` (at its start).
    #[inline]
    pub fn cell_of(
        &self,
        state: u16,
        group: u16,
        birth_day: i32,
        run_start: i32,
        day: i32,
    ) -> &Cell {
        self.cell_in(
            state,
            group,
            &BandEdges::new(birth_day),
            run_start,
            (day, day),
        )
    }

    /// [`Model::cell_of`] with the child's band edges worked out once, for the spell begun on
    /// `start` at day `at` of it (the age band then where [`Model::age_now`]).
    #[inline]
    pub fn cell_in(
        &self,
        state: u16,
        group: u16,
        edges: &BandEdges,
        run_start: i32,
        (start, at): (i32, i32),
    ) -> &Cell {
        let band = match (self.by_age, self.age_now) {
            (false, _) => 0,
            (true, true) => edges.band(at),
            (true, false) => edges.band(start),
        };
        let care = self.care_band(start.saturating_sub(run_start));
        let k = ((state as usize * self.n_groups() + group as usize) * self.n_bands() + band)
            * self.n_care()
            + care;
        &self.cells[self.choice[k] as usize]
    }
}

impl Model {
    /// Multipliers of each move's rate by month after the date (`months + 1` rows of
    /// states x (states + 1)); empty where the model has no trend.
    pub fn trend_table(&self, months: usize) -> Vec<f64> {
        if self.trend.iter().all(|&b| b == 0.0) {
            return vec![];
        }
        let mut out = Vec::with_capacity((months + 1) * self.trend.len());
        for k in 0..=months {
            // Mid-month, in years after the date.
            let tau = (k as f64 + 0.5) / 12.0;
            out.extend(self.trended(&self.trend, self.trend_lead, tau));
        }
        out
    }

    /// Multipliers of the arrivals per (entry state, age band) at `tau` years after the
    /// date; empty where the model has no arrivals' trend.
    pub fn arrival_multipliers(&self, tau: f64) -> Vec<f64> {
        if self.arrival_trend.is_empty() {
            return vec![];
        }
        self.trended(&self.arrival_trend, self.arrival_lead, tau)
            .collect()
    }

    /// Each trend's multiplier of its level (fitted `lead` years before the date) at `tau`
    /// years after the date: `exp(slope x (lead + D(tau)))`, `D` the damped years
    /// (`(1 - phi^tau) / -ln phi`), clamped to 0.25-4.
    fn trended<'a>(
        &self,
        slopes: &'a [f64],
        lead: f64,
        tau: f64,
    ) -> impl Iterator<Item = f64> + 'a {
        let phi = self.damping.clamp(0.0, 1.0);
        let damped = if phi >= 1.0 {
            tau
        } else if phi <= 0.0 {
            0.0
        } else {
            (1.0 - phi.powf(tau)) / -phi.ln()
        };
        let x = lead + damped;
        slopes.iter().map(move |&b| (b * x).exp().clamp(0.25, 4.0))
    }
}

/// The care band (index into `edges` + 1 bands) of a spell begun `days` into a run.
#[inline]
pub fn care_band(edges: &[i32], days: i32) -> usize {
    edges.iter().filter(|&&e| e <= days).count()
}

/// The day a child born `birth_day` turns `years` (29 February: 1 March in other years).
pub fn birthday(birth_day: i32, years: i64) -> i32 {
    let (y, m, d) = crate::time::civil_from_days(i64::from(birth_day));
    crate::time::days_from_civil(y + years, m, d) as i32
}

/// The days a child turns 1, 5, 10 and 16 (the age bands' edges), or unknown.
#[derive(Debug, Clone, Copy)]
pub struct BandEdges(Option<[i32; 4]>);

impl BandEdges {
    pub fn new(birth_day: i32) -> Self {
        if birth_day == NO_BIRTH_DAY {
            return BandEdges(None);
        }
        let (y, m, d) = crate::time::civil_from_days(i64::from(birth_day));
        // A 29 February birthday falls on 1 March in other years (as `stats::age_years`).
        let at = |k: i64| crate::time::days_from_civil(y + k, m, d) as i32;
        BandEdges(Some([at(1), at(5), at(10), at(16)]))
    }

    /// The age band at `day` (as [`band_at`]).
    #[inline]
    pub fn band(&self, day: i32) -> usize {
        match self.0 {
            None => 5,
            Some(e) => e.iter().filter(|&&x| x <= day).count(),
        }
    }

    /// The first day after `day` on which the age band changes, if any.
    #[inline]
    pub fn next(&self, day: i32) -> Option<i32> {
        self.0.and_then(|e| e.into_iter().find(|&x| x > day))
    }
}

/// Age band (index into `stats::AGE_BANDS`) at `day` of a child born `birth_day`.
pub fn band_at(birth_day: i32, day: i32) -> u16 {
    if birth_day == NO_BIRTH_DAY {
        return 5;
    }
    let d = crate::time::MINUTES_PER_DAY;
    crate::stats::age_band(birth_day.saturating_mul(d), day.saturating_mul(d))
}

/// Age band of an age in whole years (19: unknown).
pub fn band_of_age(age: u8) -> usize {
    match age {
        0 => 0,
        1..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        16..=18 => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests;
