//! Civil-date arithmetic on days since 1970-01-01 (Arrow `date32`), as the generator needs it.

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i32;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number.
pub(crate) fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The same calendar date `years` later (29 February becomes 1 March in a common year).
pub(crate) fn add_years(day: i32, years: i32) -> i32 {
    let (y, m, d) = civil_from_days(day);
    let ny = y + years;
    if m == 2 && d == 29 && !is_leap(ny) {
        days_from_civil(ny, 3, 1)
    } else {
        days_from_civil(ny, m, d)
    }
}

/// 31 March of year `y`: the snapshot day of the English statistics.
pub(crate) fn march31(y: i32) -> i32 {
    days_from_civil(y, 3, 31)
}

/// The statistical year (to 31 March) a day falls in: 2023-04-01 ..= 2024-03-31 is 2024.
pub(crate) fn year_to_march(day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    if m >= 4 {
        y + 1
    } else {
        y
    }
}

/// Age in completed years on `day` of a child born on `birth`.
pub(crate) fn age_years(birth: i32, day: i32) -> i32 {
    let (by, bm, bd) = civil_from_days(birth);
    let (y, m, d) = civil_from_days(day);
    let mut age = y - by;
    if (m, d) < (bm, bd) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2015, 4, 1), 16_526);
        assert_eq!(days_from_civil(2025, 3, 31), 20_178);
        for z in (-40_000..60_000).step_by(37) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn years_and_ages() {
        let leap_birth = days_from_civil(2008, 2, 29);
        assert_eq!(add_years(leap_birth, 18), days_from_civil(2026, 3, 1));
        assert_eq!(year_to_march(days_from_civil(2023, 4, 1)), 2024);
        assert_eq!(year_to_march(days_from_civil(2024, 3, 31)), 2024);
        let b = days_from_civil(2000, 6, 15);
        assert_eq!(age_years(b, days_from_civil(2018, 6, 14)), 17);
        assert_eq!(age_years(b, days_from_civil(2018, 6, 15)), 18);
    }
}
