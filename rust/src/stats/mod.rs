//! Journey statistics on the per-child index: occupancy, flows, transitions, time in state
//! (Kaplan-Meier), periods of care and congestion. Pure Rust; counts are summed over
//! fixed-size chunks of children, so results are identical for any thread count.

pub mod care;
pub mod dfe;
pub mod flow;
pub mod survival;
pub mod waits;

use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::time::{civil_from_days, Minute, MINUTES_PER_DAY};

/// Children per work chunk (fixed, so sums never depend on the thread count).
pub const CHUNK: usize = 8192;

/// Birth time unknown.
pub const NO_BIRTH: Minute = Minute::MIN;

/// Age bands at a spell's start: under 1, 1-4, 5-9, 10-15, 16+, then unknown.
pub const AGE_BANDS: [&str; 6] = ["Under 1", "1-4", "5-9", "10-15", "16+", "Unknown"];

/// Whole years of age at `t` of a child born at `birth` (both minutes since 1970).
pub fn age_years(birth: Minute, t: Minute) -> i64 {
    let (y1, m1, d1) = civil_from_days(birth.div_euclid(MINUTES_PER_DAY) as i64);
    let (y2, m2, d2) = civil_from_days(t.div_euclid(MINUTES_PER_DAY) as i64);
    y2 - y1 - i64::from((m2, d2) < (m1, d1))
}

/// The age band (index into [`AGE_BANDS`]) at `t`.
pub fn age_band(birth: Minute, t: Minute) -> u16 {
    if birth == NO_BIRTH {
        return 5;
    }
    match age_years(birth, t) {
        i64::MIN..=0 => 0,
        1..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        _ => 4,
    }
}

/// How spells are split into strata: an optional per-child group code and an optional
/// per-child birth time (age band at each spell's start). Stratum = group * bands + band.
#[derive(Debug, Clone, Copy)]
pub struct Strata<'a> {
    groups: Option<&'a [u16]>,
    n_groups: usize,
    births: Option<&'a [Minute]>,
}

impl<'a> Strata<'a> {
    /// Checks that the per-child arrays match the index and the group codes their count.
    pub fn new(
        index: &Index,
        groups: Option<&'a [u16]>,
        n_groups: usize,
        births: Option<&'a [Minute]>,
    ) -> Result<Self> {
        let n = index.n_children();
        if let Some(g) = groups {
            if g.len() != n {
                return Err(CoreError::config(
                    "by",
                    format!("{} group codes for {n} children", g.len()),
                ));
            }
            if n_groups == 0 || n_groups > u16::MAX as usize + 1 {
                return Err(CoreError::config(
                    "by",
                    format!("{n_groups} groups: need 1..=65536"),
                ));
            }
            if let Some(bad) = g.iter().find(|&&c| c as usize >= n_groups) {
                return Err(CoreError::config(
                    "by",
                    format!("group code {bad} is not below the {n_groups} labels"),
                ));
            }
        }
        if let Some(b) = births {
            if b.len() != n {
                return Err(CoreError::config(
                    "age",
                    format!("{} birth times for {n} children", b.len()),
                ));
            }
        }
        Ok(Strata {
            groups,
            n_groups: if groups.is_some() { n_groups } else { 1 },
            births,
        })
    }

    /// One stratum for everyone.
    pub fn none() -> Self {
        Strata {
            groups: None,
            n_groups: 1,
            births: None,
        }
    }

    pub fn n_groups(&self) -> usize {
        self.n_groups
    }

    pub fn n_bands(&self) -> usize {
        if self.births.is_some() {
            AGE_BANDS.len()
        } else {
            1
        }
    }

    pub fn n(&self) -> usize {
        self.n_groups * self.n_bands()
    }

    /// The stratum of child `c`'s spell starting at `start`.
    #[inline]
    pub fn of(&self, c: usize, start: Minute) -> usize {
        let g = self.groups.map_or(0, |g| g[c] as usize);
        match self.births {
            Some(b) => g * AGE_BANDS.len() + age_band(b[c], start) as usize,
            None => g,
        }
    }

    /// (group, band) of a stratum number.
    pub fn split(&self, k: usize) -> (usize, usize) {
        (k / self.n_bands(), k % self.n_bands())
    }
}

/// Period boundaries: period `k` is `[bounds[k], bounds[k + 1])`.
/// A lookup table over fixed-width buckets finds a time's period in a step or two.
#[derive(Debug, Clone)]
pub struct Periods<'a> {
    pub bounds: &'a [Minute],
    /// `lut[j]`: bounds at or before `bounds[0] + (j << shift)`.
    lut: Vec<u32>,
    shift: u32,
}

impl<'a> Periods<'a> {
    pub fn new(bounds: &'a [Minute]) -> Result<Self> {
        if bounds.len() < 2 {
            return Err(CoreError::config(
                "periods",
                "need at least two period boundaries",
            ));
        }
        if bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CoreError::config(
                "periods",
                "period boundaries must increase",
            ));
        }
        let first = bounds[0] as i64;
        let span = bounds[bounds.len() - 1] as i64 - first;
        let min_gap = bounds
            .windows(2)
            .map(|w| w[1] as i64 - w[0] as i64)
            .min()
            .unwrap_or(1);
        let mut shift = 63 - min_gap.max(1).leading_zeros();
        while (span >> shift) > 1 << 22 {
            shift += 1;
        }
        let lut = (0..=(span >> shift))
            .map(|j| bounds.partition_point(|&b| (b as i64) <= first + (j << shift)) as u32)
            .collect();
        Ok(Periods { bounds, lut, shift })
    }

    /// Number of bounds at or before `t`.
    #[inline]
    fn count_le(&self, t: i64) -> usize {
        let first = self.bounds[0] as i64;
        if t < first {
            return 0;
        }
        let j = ((t - first) >> self.shift) as usize;
        let Some(&k) = self.lut.get(j) else {
            return self.bounds.len();
        };
        let mut k = k as usize;
        while k < self.bounds.len() && self.bounds[k] as i64 <= t {
            k += 1;
        }
        k
    }

    pub fn n(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The period holding time `t`, if any.
    #[inline]
    pub fn of(&self, t: Minute) -> Option<usize> {
        let k = self.count_le(t as i64);
        (k >= 1 && k < self.bounds.len()).then(|| k - 1)
    }

    /// The number of periods ending at or before `t` (`bounds[p + 1] <= t`), which is also
    /// the first period ending after `t`.
    #[inline]
    pub fn ended_by(&self, t: Minute) -> usize {
        self.count_le(t as i64).saturating_sub(1).min(self.n())
    }

    /// Number of period starts strictly before `t` (snapshot index bound).
    #[inline]
    pub fn starts_before(&self, t: Minute) -> usize {
        self.count_le(t as i64 - 1).min(self.n())
    }
}

/// Sums per-chunk dense `u64` tallies of `cells` cells over every child: `f(child, tally)`.
/// Wrapping adds, so signed difference arrays work too. Identical for any thread count.
pub fn tally(index: &Index, cells: usize, f: impl Fn(usize, &mut [u64]) + Sync) -> Vec<u64> {
    let n = index.n_children();
    let n_chunks = n.div_ceil(CHUNK);
    let min_len = (n_chunks / (4 * rayon::current_num_threads())).max(1);
    (0..n_chunks)
        .into_par_iter()
        .with_min_len(min_len)
        .fold(
            || vec![0u64; cells],
            |mut acc, k| {
                for c in k * CHUNK..((k + 1) * CHUNK).min(n) {
                    f(c, &mut acc);
                }
                acc
            },
        )
        .reduce(
            || vec![0u64; cells],
            |mut a, b| {
                a.iter_mut()
                    .zip(b)
                    .for_each(|(x, y)| *x = x.wrapping_add(y));
                a
            },
        )
}

#[cfg(test)]
pub(crate) mod testdata {
    use crate::index::{Index, OnError};
    use crate::time::{Minute, OPEN};

    pub const D: Minute = 1440;

    /// Builds an index from (child, state, start day, end day or None).
    pub fn index(rows: &[(u64, u16, i32, Option<i32>)], n_states: usize) -> Index {
        Index::from_rows(
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
            rows.iter().map(|r| r.2 * D).collect(),
            rows.iter().map(|r| r.3.map_or(OPEN, |e| e * D)).collect(),
            (0..n_states).map(|i| format!("S{i}")).collect(),
            OnError::Raise,
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::days_from_civil;

    fn at(y: i64, m: u32, d: u32) -> Minute {
        (days_from_civil(y, m, d) * MINUTES_PER_DAY as i64) as Minute
    }

    #[test]
    fn ages_and_bands() {
        let b = at(2010, 6, 15);
        assert_eq!(age_years(b, at(2011, 6, 14)), 0);
        assert_eq!(age_years(b, at(2011, 6, 15)), 1);
        assert_eq!(age_band(b, at(2015, 6, 14)), 1);
        assert_eq!(age_band(b, at(2015, 6, 15)), 2);
        assert_eq!(age_band(b, at(2026, 6, 15)), 4);
        assert_eq!(age_band(b, at(2009, 1, 1)), 0);
        assert_eq!(age_band(NO_BIRTH, at(2020, 1, 1)), 5);
    }

    #[test]
    fn periods_locate_times() {
        let b = [0, 10, 20];
        let p = Periods::new(&b).unwrap();
        assert_eq!(p.of(-1), None);
        assert_eq!(p.of(0), Some(0));
        assert_eq!(p.of(19), Some(1));
        assert_eq!(p.of(20), None);
        assert_eq!(p.starts_before(10), 1);
        assert!(Periods::new(&[5, 5]).is_err());
        // The lookup table agrees with a binary search everywhere, uneven gaps included.
        let b = [-1000, -999, -3, 0, 1440, 44_640, 87_840, 1_000_000];
        let p = Periods::new(&b).unwrap();
        for t in (-1100..1_000_100)
            .step_by(7)
            .chain(b.iter().flat_map(|&x| [x - 1, x, x + 1]))
        {
            let k = b.partition_point(|&x| x <= t);
            assert_eq!(p.of(t), (k >= 1 && k < b.len()).then(|| k - 1), "t={t}");
            assert_eq!(
                p.starts_before(t),
                b[..b.len() - 1].partition_point(|&x| x < t),
                "t={t}"
            );
        }
        assert!(Periods::new(&[5]).is_err());
    }
}
