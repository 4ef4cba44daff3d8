//! Time on the engine's clock: whole minutes since 1970-01-01T00:00 UTC in an `i32`.
//!
//! Minutes cover every date carevis accepts (1900..=2200) with room to spare and keep a
//! spell to 8 bytes of time. An open spell (still running when the data ends) has
//! `end == OPEN`.

/// Minutes since the Unix epoch.
pub type Minute = i32;

/// The end of a spell that is still open when the data ends.
pub const OPEN: Minute = i32::MAX;

pub const MINUTES_PER_DAY: i32 = 1440;

/// 1900-01-01 as days since the epoch: the earliest date accepted.
pub const MIN_DAY: i64 = -25_567;
/// 2200-12-31 as days since the epoch: the latest date accepted.
pub const MAX_DAY: i64 = 84_370;

/// Whole days since the epoch to minutes, or `None` when outside the accepted range.
pub fn day_to_minute(day: i64) -> Option<Minute> {
    if (MIN_DAY..=MAX_DAY).contains(&day) {
        Some((day * MINUTES_PER_DAY as i64) as Minute)
    } else {
        None
    }
}

/// A count of `unit_per_minute` ticks since the epoch to whole minutes (floor), range-checked.
pub fn ticks_to_minute(ticks: i64, ticks_per_minute: i64) -> Option<Minute> {
    let minute = ticks.div_euclid(ticks_per_minute);
    let lo = MIN_DAY * MINUTES_PER_DAY as i64;
    let hi = (MAX_DAY + 1) * MINUTES_PER_DAY as i64 - 1;
    if (lo..=hi).contains(&minute) {
        Some(minute as Minute)
    } else {
        None
    }
}

/// Civil date (proleptic Gregorian) of a day number, for messages. Howard Hinnant's algorithm.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
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

/// Days since the epoch of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day number.
pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-25_567, -1, 0, 1, 16_526, 20_178, 84_370] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(20_178), "2025-03-31");
        assert_eq!(days_from_civil(1900, 1, 1), MIN_DAY);
        assert_eq!(days_from_civil(2200, 12, 31), MAX_DAY);
    }

    #[test]
    fn range_checks() {
        assert_eq!(day_to_minute(1), Some(1440));
        assert_eq!(day_to_minute(MIN_DAY - 1), None);
        assert_eq!(day_to_minute(MAX_DAY + 1), None);
        assert_eq!(ticks_to_minute(-1, 60), Some(-1));
        assert_eq!(ticks_to_minute(119, 60), Some(1));
        assert_eq!(ticks_to_minute(i64::MAX, 1), None);
    }
}
