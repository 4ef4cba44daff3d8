//! Model parameters: every rate, duration and mix the journeys draw from, in one table.
//!
//! Values were tuned so that `check` reproduces the published England figures at scale 1.
//! Durations are in days; "median/sigma" pairs are log-normal.

/// Standard journey states (index order of `states.csv`: this order is the contract).
pub(crate) mod state {
    pub const REFERRAL: u8 = 0;
    pub const ASSESSMENT: u8 = 1;
    pub const NFA: u8 = 2;
    pub const CIN: u8 = 3;
    pub const S47: u8 = 4;
    pub const CPC: u8 = 5;
    pub const CPP: u8 = 6;
    pub const FOSTER_KIN: u8 = 7;
    pub const FOSTER_OTHER: u8 = 8;
    pub const HOME: u8 = 9;
    pub const SUPPORTED: u8 = 10;
    pub const PARENTS: u8 = 11;
    pub const PLACED_ADOPTION: u8 = 12;
    pub const OTHER_PLACEMENT: u8 = 13;
    pub const ADOPTED: u8 = 14;
    pub const SGO: u8 = 15;
    pub const CAO: u8 = 16;
    pub const RETURNED_HOME: u8 = 17;
    pub const INDEPENDENCE: u8 = 18;
    pub const OTHER_EXIT: u8 = 19;

    pub fn is_care(s: u8) -> bool {
        (FOSTER_KIN..=OTHER_PLACEMENT).contains(&s)
    }
    pub fn is_exit(s: u8) -> bool {
        (ADOPTED..=OTHER_EXIT).contains(&s)
    }
}

/// Visible dwell in "No further action" and in exit states before the dot leaves the picture.
pub(crate) const DWELL: i32 = 28;

// ---- who is referred ----------------------------------------------------------------------

/// Children ever referred per child born (before the council's referral multiplier).
pub(crate) const P_EVER_REFERRED: f64 = 0.56;
/// Weights of the age (in years, 0..=17) at a child's first referral.
pub(crate) const FIRST_REFERRAL_AGE: [f64; 18] = [
    0.15, 0.06, 0.06, 0.06, 0.06, 0.055, 0.055, 0.055, 0.055, 0.055, 0.05, 0.05, 0.05, 0.05, 0.05,
    0.045, 0.035, 0.025,
];
/// Share of age-0 first referrals made before birth (dated in the first fortnight of life).
pub(crate) const PRE_BIRTH_SHARE: f64 = 0.5;

/// Probability of a further referral after an episode closes, by how it closed.
pub(crate) const REREFER_AFTER_NFA: f64 = 0.50;
pub(crate) const REREFER_AFTER_HOME: f64 = 0.55;
pub(crate) const REREFER_AFTER_PERMANENCE: f64 = 0.12;
pub(crate) const REREFER_AFTER_OTHER: f64 = 0.30;
/// Gap to the next referral (from the end of the dwell): a short and a long exponential.
pub(crate) const REREFER_SHORT_SHARE: f64 = 0.52;
pub(crate) const REREFER_SHORT_MEAN: f64 = 95.0;
pub(crate) const REREFER_LONG_MEAN: f64 = 1_100.0;

// ---- the front door -----------------------------------------------------------------------

pub(crate) const REFERRAL_SAME_DAY: f64 = 0.55;
pub(crate) const REFERRAL_MEAN_DAYS: f64 = 3.0;
pub(crate) const REFERRAL_NFA: f64 = 0.03;

pub(crate) const ASSESS_SAME_DAY: f64 = 0.10;
pub(crate) const ASSESS_MEDIAN: f64 = 21.0;
pub(crate) const ASSESS_SIGMA: f64 = 0.6;
/// Outcome weights after assessment: NFA, child in need, section 47, care.
pub(crate) const ASSESS_OUT: [f64; 4] = [0.30, 0.42, 0.28, 0.011];
/// Share of assessments that end in no further action (the weights above, about).
pub(crate) const ASSESS_NFA_SHARE: f64 = 0.30;

pub(crate) const S47_SAME_DAY: f64 = 0.10;
pub(crate) const S47_MEDIAN: f64 = 12.0;
pub(crate) const S47_SIGMA: f64 = 0.7;
/// Outcome weights after section 47: NFA, child in need, conference, care.
pub(crate) const S47_OUT: [f64; 4] = [0.21, 0.40, 0.36, 0.027];

pub(crate) const CPC_SAME_DAY: f64 = 0.85;
/// Outcome weights after the initial conference: NFA, child in need, plan.
pub(crate) const CPC_OUT: [f64; 3] = [0.02, 0.10, 0.88];

pub(crate) const CPP_MEDIAN: f64 = 255.0;
pub(crate) const CPP_SIGMA: f64 = 0.65;
/// Outcome weights when a plan ends: close (NFA), step down to child in need, care.
pub(crate) const CPP_OUT: [f64; 3] = [0.30, 0.55, 0.17];

pub(crate) const CIN_MEDIAN: f64 = 135.0;
pub(crate) const CIN_SIGMA: f64 = 1.0;
/// Outcome weights when a child-in-need plan ends: close (NFA), section 47, care.
pub(crate) const CIN_OUT: [f64; 3] = [0.94, 0.05, 0.010];

/// Multiplier on every care-entry weight by age band at the step (<1, 1-4, 5-9, 10-15, 16+).
pub(crate) const CARE_BY_AGE: [f64; 5] = [3.9, 0.65, 0.65, 0.85, 2.4];

/// Category of need (N1..N8) of a front-door episode.
pub(crate) const CIN_FRONT: [f64; 8] = [0.55, 0.09, 0.03, 0.10, 0.16, 0.03, 0.01, 0.03];
/// Category of need (N1..N8) recorded when a (non-asylum-seeking) child starts care.
pub(crate) const CIN_CARE: [f64; 8] = [0.72, 0.03, 0.02, 0.07, 0.12, 0.02, 0.003, 0.017];

// ---- periods of care ----------------------------------------------------------------------

/// How a period of care will end, drawn at entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    ReturnShort,
    ReturnLong,
    Adoption,
    Sgo,
    Cao,
    Other,
    LongTerm,
    IndepEarly,
}

pub(crate) const PATHS: [Path; 8] = [
    Path::ReturnShort,
    Path::ReturnLong,
    Path::Adoption,
    Path::Sgo,
    Path::Cao,
    Path::Other,
    Path::LongTerm,
    Path::IndepEarly,
];

/// Path weights by age band at entry (<1, 1-4, 5-9, 10-15, 16+), in `PATHS` order.
pub(crate) const PATH_BY_AGE: [[f64; 8]; 5] = [
    [0.20, 0.12, 0.33, 0.16, 0.04, 0.03, 0.09, 0.0],
    [0.21, 0.18, 0.20, 0.20, 0.05, 0.04, 0.14, 0.0],
    [0.18, 0.20, 0.02, 0.18, 0.05, 0.06, 0.31, 0.0],
    [0.22, 0.22, 0.0, 0.05, 0.03, 0.09, 0.39, 0.0],
    [0.30, 0.12, 0.0, 0.01, 0.01, 0.10, 0.36, 0.10],
];

pub(crate) const RETURN_SHORT: (f64, f64) = (10.0, 1.2);
pub(crate) const RETURN_LONG: (f64, f64) = (330.0, 0.7);
/// Entry to placed for adoption, and placed for adoption to the order.
pub(crate) const ADOPT_TO_PLACED: (f64, f64) = (405.0, 0.35);
pub(crate) const ADOPT_PLACED: (f64, f64) = (250.0, 0.4);
pub(crate) const SGO_LEN: (f64, f64) = (620.0, 0.5);
pub(crate) const CAO_LEN: (f64, f64) = (450.0, 0.6);
pub(crate) const OTHER_LEN: (f64, f64) = (200.0, 1.2);
/// Final spell before a planned return home or arrangements order: placed with parents.
pub(crate) const HOME_TRIAL_SHARE: f64 = 0.40;
pub(crate) const HOME_TRIAL: (f64, f64) = (150.0, 0.6);
/// Final spell before a special guardianship order with relative or friend carers.
pub(crate) const SGO_KIN_SHARE: f64 = 0.75;
pub(crate) const SGO_KIN: (f64, f64) = (300.0, 0.5);

/// Placement lengths: the first placement of a period, and later ones.
pub(crate) const FIRST_PLACEMENT: (f64, f64) = (55.0, 1.2);
pub(crate) const LATER_PLACEMENT: (f64, f64) = (460.0, 1.0);

/// Placement-group weights by age band at placement start:
/// relative/friend foster, other foster, home/secure, supported, with parents, other.
pub(crate) const GROUP_BY_AGE: [[f64; 6]; 5] = [
    [0.17, 0.73, 0.0, 0.0, 0.04, 0.06],
    [0.20, 0.72, 0.01, 0.0, 0.05, 0.02],
    [0.18, 0.72, 0.04, 0.0, 0.05, 0.01],
    [0.12, 0.58, 0.22, 0.0, 0.05, 0.03],
    [0.07, 0.27, 0.15, 0.48, 0.03, 0.04],
];
pub(crate) const GROUP_UASC: [f64; 6] = [0.0, 0.26, 0.03, 0.69, 0.0, 0.02];
pub(crate) const GROUP_UASC_YOUNG: [f64; 6] = [0.0, 0.85, 0.10, 0.0, 0.0, 0.05];

/// Share of periods accommodated under section 20 throughout, by path.
pub(crate) const S20_SHORT: f64 = 0.60;
pub(crate) const S20_OTHER: f64 = 0.40;
pub(crate) const S20_TEEN: f64 = 0.40;
pub(crate) const S20_DEFAULT: f64 = 0.12;
/// Share of young long-stayers who hold a placement order for a while without an adoption.
pub(crate) const PO_UNMATCHED: f64 = 0.35;
/// Days under an interim care order before the full order.
pub(crate) const ICO_DAYS: i32 = 220;

// ---- unaccompanied asylum-seeking children ------------------------------------------------

/// Arrivals (care starts) in England per statistical year to 31 March; first entry is 2000.
pub(crate) const UASC_FIRST_YEAR: i32 = 2000;
pub(crate) const UASC_ARRIVALS: [f64; 26] = [
    2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0,
    2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_000.0, 2_400.0, 4_500.0, 3_100.0, 3_000.0, 3_500.0,
    3_700.0, 2_400.0, 4_800.0, 6_800.0, 5_700.0, 4_900.0,
];
/// Age (years 13..=17) at arrival.
pub(crate) const UASC_AGE: [f64; 5] = [0.01, 0.04, 0.12, 0.43, 0.40];
pub(crate) const UASC_MALE: f64 = 0.92;
/// Share whose age is later assessed as 18 or over (they leave within weeks, code E15).
pub(crate) const UASC_AGE_DISPUTED: f64 = 0.01;
/// Share leaving before 18 for another reason (missing, moved abroad, another council).
pub(crate) const UASC_OTHER_EXIT: f64 = 0.10;

// ---- people -------------------------------------------------------------------------------

pub(crate) const MALE: f64 = 0.525;
/// White, Mixed, Black, Asian, Other.
pub(crate) const ETHNICITY: [f64; 5] = [0.775, 0.12, 0.06, 0.028, 0.017];
pub(crate) const ETHNICITY_UASC: [f64; 5] = [0.03, 0.01, 0.28, 0.30, 0.38];

/// Number of statistical-year values in the arrival table.
pub(crate) fn uasc_arrivals(year: i32) -> f64 {
    let i = (year - UASC_FIRST_YEAR).clamp(0, UASC_ARRIVALS.len() as i32 - 1) as usize;
    UASC_ARRIVALS[i]
}

// ---- trends over the years ------------------------------------------------------------------

/// The statistical year (to 31 March) of the first entry of each trend table; years before
/// take the first entry, years after the last.
pub(crate) const TREND_FIRST_YEAR: i32 = 2011;
/// Entries per trend table: the years to March 2011 ..= 2026.
pub const TREND_YEARS: usize = 16;

/// Year-by-year multipliers that move the published figures over time (the rates above are
/// the level they scale). Each applies in the statistical year of the event it scales.
#[derive(Clone, Debug, PartialEq)]
pub struct Trends {
    /// Share of referrals that happen (at most 1): the referral volume of the year.
    pub referral: [f64; TREND_YEARS],
    /// Section 47 enquiries after an assessment, relative to the base rate; the extra (or
    /// missing) enquiries close or step down, so conferences keep their level.
    pub s47: [f64; TREND_YEARS],
    /// The adoption path's share of periods of care entered in the year (others shrink).
    pub adoption: [f64; TREND_YEARS],
    /// Length of periods of care entered in the year that end before adulthood.
    pub stay: [f64; TREND_YEARS],
    /// Entries to care from the front door, relative to the base rates by age.
    pub care: [f64; TREND_YEARS],
    /// Assessments held, relative to the base rate (at most 1): the missing ones are
    /// referrals closed without an assessment that would have found no need.
    pub assessment: [f64; TREND_YEARS],
    /// Days from entering care to placement for adoption and from placement to the order,
    /// relative to the base lengths, in the statistical year the order would fall in.
    pub adoption_time: [f64; TREND_YEARS],
}

impl Trends {
    /// The multiplier of `table` on `day`.
    pub(crate) fn at(table: &[f64; TREND_YEARS], day: i32) -> f64 {
        let y = super::calendar::year_to_march(day) - TREND_FIRST_YEAR;
        table[y.clamp(0, TREND_YEARS as i32 - 1) as usize]
    }
}

/// The calibrated trends (tuned with `carevis synth --check` against the calibration table).
#[rustfmt::skip]
pub const TRENDS: Trends = Trends {
    //        2011  2012  2013  2014  2015  2016  2017  2018  2019  2020  2021  2022  2023  2024  2025  2026
    referral: [0.95, 0.95, 0.95, 0.91, 0.90, 0.93, 0.96, 0.97, 0.95, 0.925, 0.89, 0.94, 0.94, 0.93, 0.93, 0.93],
    s47:      [0.82, 0.82, 0.82, 0.82, 0.82, 0.88, 0.95, 1.01, 1.03, 1.03, 1.05, 1.13, 1.17, 1.15, 1.15, 1.15],
    adoption: [1.80, 1.80, 1.79, 1.50, 1.28, 1.066, 1.06, 1.22, 0.975, 1.36, 0.80, 1.00, 0.97, 0.98, 0.96, 0.96],
    stay:     [0.72, 0.72, 0.74, 0.68, 0.55, 0.85, 1.32, 1.60, 1.72, 1.68, 1.55, 1.40, 1.05, 0.95, 0.95, 0.95],
    care:     [1.01, 1.01, 1.01, 1.01, 1.03, 1.03, 1.09, 1.05, 1.015, 0.98, 1.07, 1.06, 1.06, 1.01, 1.03, 1.03],
    // Assessments: 550,800 in 2015, 571,640 in 2016, 606,920 in 2017, about one per referral
    // from 2019 (DfE, see the calibration table); 2018 interpolated.
    assessment:    [0.86, 0.86, 0.86, 0.86, 0.86, 0.89, 0.925, 0.96, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00],
    // Entry to adoption: 2 years 3 months in 2015 and 2016, 1 year 11 months in 2018 and 2019,
    // 2 years in 2020, 2 years 3 months in 2022 (DfE, see the calibration table); 2017 and
    // 2021 are interpolated, 2023 on assumed to stay at the 2022 level.
    adoption_time: [1.17, 1.17, 1.17, 1.17, 1.17, 1.17, 1.085, 1.00, 1.00, 1.04, 1.12, 1.21, 1.21, 1.21, 1.21, 1.21],
};

/// The youngest age band at entry (0 under 1, 1 aged 1-4, 2 aged 5-9, ...) whose periods of
/// care follow the `stay` trend.
pub(crate) const STAY_TREND_MIN_BAND: usize = 2;

/// Share of child-in-need plans that end in a re-assessment (the assessments counted
/// beyond one per referral).
pub(crate) const CIN_REASSESS: f64 = 0.10;
