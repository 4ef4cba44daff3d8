//! Collection-year evidence: per group of return files, how many episode rows have
//! their end date (and their latest date) in each collection year, counted in one
//! parallel pass over the rows; and every row's year filled in from its file's.

use rayon::prelude::*;

/// Rows per parallel job.
const CHUNK: usize = 1 << 16;

/// A date column as dictionary codes (-1 = null) and the collection year of each
/// dictionary value (-1 = blank, invalid or after today).
pub struct YearCodes<'a> {
    pub codes: &'a [i32],
    pub fy: &'a [i64],
}

impl YearCodes<'_> {
    #[inline(always)]
    fn at(&self, row: usize) -> i64 {
        usize::try_from(self.codes[row])
            .ok()
            .and_then(|c| self.fy.get(c))
            .copied()
            .unwrap_or(-1)
    }
}

/// Counts per (group, collection year): `ends[g * ny + (y - y0)]` rows of group g whose
/// end date falls in year y, `latest` the same for the later of start and end.
#[derive(Debug, PartialEq)]
pub struct YearCounts {
    pub y0: i64,
    pub ny: usize,
    pub ends: Vec<i64>,
    pub latest: Vec<i64>,
}

/// The evidence of the rows without a year (`year <= 0`) whose file has a group
/// (`group_of[file] >= 0`; a file past the end of `group_of` takes its last entry).
pub fn year_counts(
    file: &[i32],
    year: &[i32],
    group_of: &[i64],
    n_groups: usize,
    start: &YearCodes<'_>,
    end: &YearCodes<'_>,
) -> YearCounts {
    let valid = start.fy.iter().chain(end.fy).copied().filter(|&y| y > 0);
    let (lo, hi) = valid.fold((i64::MAX, i64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    if lo > hi || group_of.is_empty() || n_groups == 0 {
        return YearCounts {
            y0: 0,
            ny: 0,
            ends: Vec::new(),
            latest: Vec::new(),
        };
    }
    let ny = (hi - lo + 1) as usize;
    let size = n_groups * ny;
    let last = group_of.len() - 1;
    let n = file.len().min(year.len());
    let count = |lo_row: usize| {
        let mut m_e = vec![0i64; size];
        let mut m_l = vec![0i64; size];
        for r in lo_row..(lo_row + CHUNK).min(n) {
            if year[r] > 0 {
                continue;
            }
            let f = usize::try_from(file[r]).map_or(last, |f| f.min(last));
            let g = group_of[f];
            if g < 0 || g as usize >= n_groups {
                continue;
            }
            let base = g as usize * ny;
            let e = end.at(r);
            let l = start.at(r).max(e);
            if e > 0 {
                m_e[base + (e - lo) as usize] += 1;
            }
            if l > 0 {
                m_l[base + (l - lo) as usize] += 1;
            }
        }
        (m_e, m_l)
    };
    let add = |(mut a, mut b): (Vec<i64>, Vec<i64>), (c, d): (Vec<i64>, Vec<i64>)| {
        a.iter_mut().zip(c).for_each(|(x, y)| *x += y);
        b.iter_mut().zip(d).for_each(|(x, y)| *x += y);
        (a, b)
    };
    let (ends, latest) = (0..n)
        .into_par_iter()
        .step_by(CHUNK)
        .map(count)
        .reduce(|| (vec![0i64; size], vec![0i64; size]), add);
    YearCounts {
        y0: lo,
        ny,
        ends,
        latest,
    }
}

/// Every row's year: its file's (`year_of[file]`, when above 0) where the row has none
/// (`year <= 0`) or its file's year was given (`overridden[file]`); else its own. A
/// file past the end of `year_of` has no year.
pub fn fill_years(file: &[i32], year: &[i32], year_of: &[i64], overridden: &[bool]) -> Vec<i32> {
    file.par_iter()
        .zip(year.par_iter())
        .map(|(&f, &y)| {
            let f = usize::try_from(f).ok();
            let fill = f.and_then(|f| year_of.get(f)).copied().unwrap_or(-1);
            let given = f.and_then(|f| overridden.get(f)).copied().unwrap_or(false);
            if (y <= 0 || given) && fill > 0 {
                fill as i32
            } else {
                y
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_end_and_latest_years_of_rows_without_a_year_per_group() {
        // rows: file, own year, start code, end code
        let file = [0, 0, 1, 1, 2, 5];
        let year = [0, 0, 0, 2019, 0, 0];
        let group_of = [0i64, 1, -1, 1];
        let start = YearCodes {
            codes: &[0, 1, 0, 0, 1, 0],
            fy: &[2017, 2018],
        };
        let end = YearCodes {
            codes: &[-1, 0, 1, 1, 1, 1],
            fy: &[2018, -1],
        };
        let c = year_counts(&file, &year, &group_of, 2, &start, &end);
        assert_eq!((c.y0, c.ny), (2017, 2));
        // group 0: rows 0 (no end, latest 2017), 1 (end 2018, latest 2018);
        // group 1: row 2 (end invalid, latest 2017), row 5 (file 5 -> last entry, group 1).
        // Row 3 has its own year, row 4's file has no group.
        assert_eq!(c.ends, vec![0, 1, 0, 0]);
        assert_eq!(c.latest, vec![1, 1, 2, 0]);
        let none = year_counts(
            &file,
            &year,
            &group_of,
            2,
            &start,
            &YearCodes {
                codes: &[-1; 6],
                fy: &[],
            },
        );
        assert_eq!(none.ends.iter().sum::<i64>(), 0);
    }

    #[test]
    fn fills_rows_without_a_year_and_overridden_files() {
        let y = fill_years(
            &[0, 0, 1, 1, 2, 9, -1],
            &[0, 2015, 0, 2016, 0, 0, 0],
            &[2020, 2021, -1],
            &[false, true, false],
        );
        assert_eq!(y, vec![2020, 2015, 2021, 2021, 0, 0, 0]);
    }
}
