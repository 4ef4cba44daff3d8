//! Calibration: measures a generated England the way the DfE statistics do and sets each figure
//! beside its published value (counts scaled by `scale`).

use super::calendar::{age_years, march31, year_to_march};
use super::codes::{ls, rec};
use super::params::state;
use super::{SynthConfig, SynthOutput, NO_ENTRY};
use rayon::prelude::*;

mod rows;
mod tally;
#[cfg(test)]
mod tests;

use rows::*;
use tally::*;

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

/// One published national count: the calibration table shipped with the package
/// (`python/carevis/data/england_calibration.csv`: measure, year, value, source).
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub measure: &'static str,
    pub year: i32,
    pub value: f64,
    pub source: &'static str,
}

const CALIBRATION_CSV: &str =
    include_str!("../../../../python/carevis/data/england_calibration.csv");

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
                tally_child(out, &ys, c, bounds[c]..bounds[c + 1], &mut acc);
            }
            acc
        })
        .reduce(empty, Acc::merge);
    rows(out, cfg, &ys, &acc)
}
