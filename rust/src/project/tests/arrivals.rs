//! The arrivals' trend and arrivals given from the data (known arrivals).

use super::super::*;
use super::simulate_on;
use crate::stats::testdata::{index, D};

/// Children arriving into S0 at `per_day x exp(growth x years)` a day (whole children, the
/// remainders carried) for `days` days, 30 days there, then S1 for a day, then out.
fn growing(per_day: f64, growth: f64, days: i32) -> Vec<(u64, u16, i32, Option<i32>)> {
    let (mut rows, mut done, mut id, mut sum) = (Vec::new(), 0u64, 0u64, 0.0);
    for d in 0..days {
        sum += per_day * (growth * f64::from(d) / 365.25).exp();
        let cumulative = sum.floor() as u64;
        for _ in done..cumulative {
            id += 1;
            rows.push((id, 0, d, Some(d + 30)));
            rows.push((id, 1, d + 30, Some(d + 31)));
        }
        done = cumulative;
    }
    rows
}

fn fit_arrivals(idx: &crate::index::Index, as_of: i32, damping: f64, trend: bool) -> Model {
    fit(&FitInput {
        index: idx,
        as_of: as_of * D,
        groups: None,
        births: None,
        window_days: 365,
        trend_years: 5,
        damping,
        care_edges: vec![],
        arrival_trend: trend,
    })
    .unwrap()
}

/// The mean stock in S0 at `date` over `runs` runs.
fn s0_at(m: &Model, date: i32, runs: u32) -> f64 {
    let cfg = SimConfig {
        seed: 9,
        runs,
        horizon_day: date + 1,
        dates: vec![date],
        emit: false,
        history: None,
        known: None,
    };
    let p = simulate(m, &Scenario::default(), &cfg).unwrap();
    let total: u64 = (0..runs as usize).map(|r| p.stock[r * 2]).sum();
    total as f64 / f64::from(runs)
}

#[test]
fn rising_arrivals_get_their_trend_and_flat_ones_none() {
    // A year and a half on: the 30 days before fall in the months in the middle of the fitted
    // year, whose share of a year's arrivals (the seasons, tilted by the rise) is the mean.
    let (as_of, later) = (2000, 2000 + 547);
    let idx = index(&growing(4.0, 0.2, 2600), 2);
    let m = fit_arrivals(&idx, as_of, 1.0, true);
    // Unknown births: the Unknown age band (5).
    let b = m.arrival_trend[5];
    assert!((b - 0.2).abs() < 0.03, "{b}");
    assert!(m
        .arrival_trend
        .iter()
        .enumerate()
        .all(|(k, &x)| k == 5 || x == 0.0));
    // Straight on (no damping): S0 holds the last 30 days' arrivals then.
    let want = 30.0 * 4.0 * (0.2 * f64::from(later - 15) / 365.25).exp();
    let trended = s0_at(&m, later, 8);
    assert!((trended / want - 1.0).abs() < 0.05, "{trended} vs {want}");
    // Held at the last year's level: the level half a year before the date.
    let held = s0_at(&fit_arrivals(&idx, as_of, 1.0, false), later, 8);
    let level = 30.0 * 4.0 * (0.2 * (f64::from(as_of) - 182.6) / 365.25).exp();
    assert!((held / level - 1.0).abs() < 0.05, "{held} vs {level}");
    // Flat arrivals: no trend, the same projection as without one.
    let flat = index(&growing(4.0, 0.0, 2600), 2);
    let m = fit_arrivals(&flat, as_of, 0.9, true);
    assert!(
        m.arrival_trend.iter().all(|&x| x.abs() < 0.02),
        "{:?}",
        m.arrival_trend
    );
    let off = fit_arrivals(&flat, as_of, 0.9, false);
    assert!(off.arrival_trend.is_empty());
    let (a, b) = (s0_at(&m, later, 4), s0_at(&off, later, 4));
    assert!((a / b - 1.0).abs() < 0.02, "{a} vs {b}");
}

#[test]
fn the_arrivals_trend_is_the_same_at_any_thread_count_and_saved() {
    let idx = index(&growing(2.0, 0.3, 2200), 2);
    let m = fit_arrivals(&idx, 2000, 0.9, true);
    assert!(!m.arrival_trend.is_empty());
    let cfg = SimConfig {
        seed: 4,
        runs: 3,
        horizon_day: 2000 + 400,
        dates: vec![2100, 2300],
        emit: true,
        history: Some((&idx, None, None)),
        known: None,
    };
    let a = simulate_on(1, &m, &Scenario::default(), &cfg);
    assert_eq!(a, simulate_on(3, &m, &Scenario::default(), &cfg));
    // Format 6 keeps the trend; format 5 loads without it (held at the level, as before).
    assert_eq!(from_bytes(&to_bytes(&m)).unwrap(), m);
    let v5 = from_bytes(&save::to_bytes_old(&m, 5)).unwrap();
    assert!(v5.arrival_trend.is_empty());
    let held = Model {
        arrival_trend: vec![],
        arrival_lead: 0.0,
        ..m.clone()
    };
    assert_eq!(v5, held);
}

#[test]
fn arrivals_between_takes_first_spells_and_returns_after_a_gap() {
    // Child 1: S0 then a move to S1 (no arrival), out, back after a gap; child 2 arrives late.
    let idx = index(
        &[
            (1, 0, 0, Some(10)),
            (1, 1, 10, Some(20)),
            (1, 0, 25, Some(30)),
            (2, 1, 40, None),
        ],
        2,
    );
    let all = arrivals_between(&idx, None, None, (-1, 100)).unwrap();
    let got: Vec<(u16, i32)> = all.iter().map(|k| (k.state, k.day)).collect();
    assert_eq!(got, vec![(0, 0), (0, 25), (1, 40)]);
    assert!(all
        .iter()
        .all(|k| k.birth_day == NO_BIRTH_DAY && k.group == 0));
    let some = arrivals_between(&idx, None, None, (5, 39)).unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].day, 25);
}

#[test]
fn known_arrivals_are_walked_as_given() {
    // One arrival a day, 30 days in S0: with the data's own arrivals, S0 holds exactly the
    // last 30 days' at any date (the fitted stays are all 30 days).
    let rows = super::cohort(2400, 30);
    let idx = index(&rows, 2);
    let m = super::fit_plain(&idx, 1500, 1000);
    let known = arrivals_between(&idx, None, None, (1500, 1865)).unwrap();
    assert_eq!(known.len(), 365);
    let cfg = SimConfig {
        seed: 2,
        runs: 3,
        horizon_day: 1865,
        dates: vec![1600, 1700, 1865],
        emit: true,
        history: Some((&idx, None, None)),
        known: Some(&known),
    };
    let p = simulate_on(1, &m, &Scenario::default(), &cfg);
    for run in 0..3 {
        for d in 0..3 {
            assert_eq!(p.stock[(run * 3 + d) * 2], 30, "run {run} date {d}");
        }
    }
    assert_eq!(p, simulate_on(3, &m, &Scenario::default(), &cfg));
    // Each known arrival's first spell, as given.
    let firsts: Vec<i32> = (0..p.spells.child.len())
        .filter(|&i| p.spells.projected[i] && p.spells.start[i] > 1500 && p.spells.state[i] == 0)
        .map(|i| p.spells.start[i])
        .collect();
    let mut firsts = firsts;
    firsts.sort_unstable();
    assert_eq!(firsts, (1501..=1865).collect::<Vec<_>>());
    // Not after the date, nor in a state the model lacks.
    let bad = [Known {
        state: 0,
        day: 1500,
        birth_day: NO_BIRTH_DAY,
        group: 0,
    }];
    let cfg = SimConfig {
        known: Some(&bad),
        emit: false,
        history: None,
        ..cfg
    };
    assert!(simulate(&m, &Scenario::default(), &cfg).is_err());
}

#[test]
fn arrivals_at_the_data_start_are_no_trend() {
    // Flat arrivals, and 3,000 children already in S0 when the data begin (day 1): the
    // first year's excess is where the data begin, not a fall since.
    let mut rows = growing(4.0, 0.0, 2000);
    let n = rows.len() as u64 / 2;
    for k in 0..3000 {
        let id = n + 1 + k;
        rows.push((id, 0, 1, Some(200)));
        rows.push((id, 1, 200, Some(201)));
    }
    let idx = index(&rows, 2);
    let m = fit_arrivals(&idx, 1700, 0.9, true);
    assert!(
        m.arrival_trend.iter().all(|&x| x.abs() < 0.02),
        "{:?}",
        m.arrival_trend
    );
}
