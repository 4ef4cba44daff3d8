//! SSDA903 code lists the generator writes (PLACE, LS, REC) and the mix of codes within each
//! placement group and exit state.

use super::calendar::days_from_civil;
use super::params::state;
use super::rng::Rng;

/// SSDA903 placement types (PLACE); `SynthOutput::placement` indexes this.
pub const PLACE_CODES: &[&str] = &[
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "Q1", "Q2", "R1", "R2", "R3",
    "R5", "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
];
/// SSDA903 legal statuses (LS); `SynthOutput::legal_status` indexes this.
pub const LS_CODES: &[&str] = &[
    "C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3",
];
/// SSDA903 reasons an episode ceased (REC); `SynthOutput::reason_ceased` indexes this.
pub const REC_CODES: &[&str] = &[
    "X1", "E11", "E12", "E41", "E43", "E44", "E45", "E46", "E47", "E48", "E4A", "E4B", "E13", "E5",
    "E6", "E7", "E17", "E15", "E2", "E3", "E8", "E9", "E14", "E16",
];
/// The value written where a code does not apply.
pub const NO_CODE: u8 = 255;

pub(crate) mod ls {
    pub const C1: u8 = 0;
    pub const C2: u8 = 1;
    pub const E1: u8 = 3;
    pub const V2: u8 = 4;
    pub const L1: u8 = 7;
    pub const L2: u8 = 8;
    pub const J1: u8 = 10;
}

pub(crate) mod rec {
    pub const E45: u8 = 6;
    pub const E47: u8 = 8;
    pub const E15: u8 = 17;
    pub const E2: u8 = 18;
}

/// PLACE indices with an age or length rule (the DfE validator's): R5 young offender
/// institution or prison from age 10, S1 residential school from age 5, T0-T4 temporary
/// moves of seven days or less.
pub(crate) mod place {
    pub const R5: u8 = 16;
    pub const S1: u8 = 17;
    pub const T0: u8 = 18;
    pub const T4: u8 = 22;
    /// Youngest age in years for R5 and for S1.
    pub const R5_MIN_AGE: i32 = 10;
    pub const S1_MIN_AGE: i32 = 5;
    /// Longest temporary (T0-T4) placement, days.
    pub const TEMPORARY_MAX_DAYS: i32 = 7;
}

/// (code index, weight) lists.
type Mix = &'static [(u8, f64)];

const KIN: Mix = &[(23, 0.45), (24, 0.02), (25, 0.53)];
const KIN_OLD: Mix = &[(11, 1.0)];
const FOSTER: Mix = &[(26, 0.40), (27, 0.03), (28, 0.57)];
const FOSTER_OLD: Mix = &[(12, 1.0)];
const HOME: Mix = &[(6, 0.90), (5, 0.03), (13, 0.07)];
const SUPPORTED_OLD: Mix = &[(4, 0.78), (9, 0.20), (10, 0.02)];
const SUPPORTED_NEW: Mix = &[(7, 0.85), (9, 0.13), (10, 0.02)];
const PARENTS: Mix = &[(8, 1.0)];
const ADOPTION: Mix = &[(3, 0.65), (2, 0.25), (1, 0.05), (0, 0.05)];
const OTHER: Mix = &[
    (14, 0.05),
    (15, 0.15),
    (16, 0.10),
    (17, 0.20),
    (18, 0.04),
    (19, 0.02),
    (20, 0.02),
    (21, 0.01),
    (22, 0.01),
    (29, 0.40),
];

const ADOPTED: Mix = &[(1, 0.10), (2, 0.90)];
const SGO: Mix = &[(6, 0.45), (7, 0.08), (8, 0.43), (9, 0.04)];
const CAO: Mix = &[(3, 1.0)];
const HOME_RETURN: Mix = &[(10, 0.70), (11, 0.22), (12, 0.08)];
const ADULT: Mix = &[(16, 0.25), (14, 0.28), (13, 0.40), (15, 0.07)];
const ADULT_UASC: Mix = &[(13, 0.40), (14, 0.50), (16, 0.10)];
const INDEP_EARLY: Mix = &[(13, 0.5), (14, 0.5)];
const OTHER_EXIT: Mix = &[
    (19, 0.25),
    (20, 0.40),
    (21, 0.08),
    (22, 0.10),
    (23, 0.15),
    (18, 0.02),
];

fn draw(rng: &mut Rng, mix: Mix) -> u8 {
    draw_where(rng, mix, |_| true)
}

/// Draws from the codes of `mix` that `allowed` keeps (the last allowed code on rounding).
fn draw_where(rng: &mut Rng, mix: Mix, allowed: impl Fn(u8) -> bool) -> u8 {
    let total: f64 = mix.iter().filter(|m| allowed(m.0)).map(|m| m.1).sum();
    let mut u = rng.uniform() * total;
    let mut last = NO_CODE;
    for &(code, w) in mix.iter().filter(|m| allowed(m.0)) {
        if u < w {
            return code;
        }
        u -= w;
        last = code;
    }
    last
}

/// Whether PLACE `code` may be used for a child aged `age_years` in a placement of `days`.
pub(crate) fn place_allowed(code: u8, age_years: i32, days: i32) -> bool {
    match code {
        place::R5 => age_years >= place::R5_MIN_AGE,
        place::S1 => age_years >= place::S1_MIN_AGE,
        place::T0..=place::T4 => days <= place::TEMPORARY_MAX_DAYS,
        _ => true,
    }
}

/// First day of the 2015-16 collection, when U1-U6 replaced Q1/Q2 foster codes.
fn u_codes_from() -> i32 {
    days_from_civil(2015, 4, 1)
}

/// First day of the 2024-25 collection, when K3 (registered supported accommodation) arrived.
fn k3_from() -> i32 {
    days_from_civil(2024, 4, 1)
}

/// A PLACE code for a placement in `group` starting on `day`, of a child aged `age_years`,
/// lasting `days` (codes whose age or length rule it breaks are never drawn).
pub(crate) fn place_code(rng: &mut Rng, group: u8, day: i32, age_years: i32, days: i32) -> u8 {
    let mix = match group {
        state::FOSTER_KIN if day < u_codes_from() => KIN_OLD,
        state::FOSTER_KIN => KIN,
        state::FOSTER_OTHER if day < u_codes_from() => FOSTER_OLD,
        state::FOSTER_OTHER => FOSTER,
        state::HOME => HOME,
        state::SUPPORTED if day < k3_from() => SUPPORTED_OLD,
        state::SUPPORTED => SUPPORTED_NEW,
        state::PARENTS => PARENTS,
        state::PLACED_ADOPTION => ADOPTION,
        _ => OTHER,
    };
    draw_where(rng, mix, |c| place_allowed(c, age_years, days))
}

/// Which REC list an exit draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitKind {
    Standard,
    Uasc,
    Early,
}

/// A REC code for an exit into `exit_state`.
pub(crate) fn rec_code(rng: &mut Rng, exit_state: u8, kind: ExitKind) -> u8 {
    let mix = match exit_state {
        state::ADOPTED => ADOPTED,
        state::SGO => SGO,
        state::CAO => CAO,
        state::RETURNED_HOME => HOME_RETURN,
        state::INDEPENDENCE => match kind {
            ExitKind::Standard => ADULT,
            ExitKind::Uasc => ADULT_UASC,
            ExitKind::Early => INDEP_EARLY,
        },
        _ => OTHER_EXIT,
    };
    draw(rng, mix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(list: &[&str], code: &str) -> u8 {
        list.iter()
            .position(|c| *c == code)
            .map_or(NO_CODE, |p| p as u8)
    }

    #[test]
    fn named_indices_match_the_lists() {
        assert_eq!(pos(LS_CODES, "C1"), ls::C1);
        assert_eq!(pos(LS_CODES, "C2"), ls::C2);
        assert_eq!(pos(LS_CODES, "E1"), ls::E1);
        assert_eq!(pos(LS_CODES, "V2"), ls::V2);
        assert_eq!(pos(LS_CODES, "L1"), ls::L1);
        assert_eq!(pos(LS_CODES, "L2"), ls::L2);
        assert_eq!(pos(LS_CODES, "J1"), ls::J1);
        assert_eq!(pos(REC_CODES, "E45"), rec::E45);
        assert_eq!(pos(REC_CODES, "E47"), rec::E47);
        assert_eq!(pos(REC_CODES, "E15"), rec::E15);
        for (mix, first) in [(KIN, "U1"), (FOSTER, "U4"), (HOME, "K2"), (PARENTS, "P1")] {
            assert_eq!(PLACE_CODES[mix[0].0 as usize], first);
        }
        assert_eq!(PLACE_CODES[ADOPTION[0].0 as usize], "A6");
        assert_eq!(PLACE_CODES[SUPPORTED_NEW[0].0 as usize], "K3");
        assert_eq!(PLACE_CODES[SUPPORTED_OLD[0].0 as usize], "H5");
        assert_eq!(REC_CODES[HOME_RETURN[0].0 as usize], "E4A");
        assert_eq!(REC_CODES[ADULT[0].0 as usize], "E17");
        assert_eq!(REC_CODES[OTHER_EXIT[4].0 as usize], "E16");
        assert_eq!(REC_CODES[CAO[0].0 as usize], "E41");
        assert_eq!(REC_CODES[ADOPTED[1].0 as usize], "E12");
        assert_eq!(pos(REC_CODES, "E2"), rec::E2);
        assert_eq!(pos(PLACE_CODES, "R5"), place::R5);
        assert_eq!(pos(PLACE_CODES, "S1"), place::S1);
        assert_eq!(pos(PLACE_CODES, "T0"), place::T0);
        assert_eq!(pos(PLACE_CODES, "T4"), place::T4);
    }

    #[test]
    fn other_placements_obey_age_and_length_rules() {
        let mut rng = Rng::keyed(1, 2, 3, 4);
        let day = days_from_civil(2020, 1, 1);
        for k in 0..20_000 {
            let age = k % 18;
            let days = k % 30;
            let c = place_code(&mut rng, state::OTHER_PLACEMENT, day, age, days);
            assert!(
                place_allowed(c, age, days),
                "{} at {age}, {days} days",
                PLACE_CODES[c as usize]
            );
        }
        // The rules do bite: every restricted code is drawn when allowed.
        let drawn: std::collections::HashSet<u8> = (0..5_000)
            .map(|_| place_code(&mut rng, state::OTHER_PLACEMENT, day, 15, 3))
            .collect();
        for c in [place::R5, place::S1, place::T0, place::T4] {
            assert!(drawn.contains(&c), "{}", PLACE_CODES[c as usize]);
        }
    }
}
