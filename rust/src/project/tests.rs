use super::*;
use crate::stats::testdata::{index, D};

fn fit_plain(idx: &crate::index::Index, as_of: i32, window: i32) -> Model {
    fit(&FitInput {
        index: idx,
        as_of: as_of * D,
        groups: None,
        births: None,
        window_days: window,
        trend_years: 0,
        damping: 0.9,
        care_edges: vec![],
        arrival_trend: false,
    })
    .unwrap()
}

/// `simulate` on a pool of `threads` threads (results must not depend on it).
fn simulate_on(threads: usize, m: &Model, sc: &Scenario, cfg: &SimConfig) -> Projected {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| simulate(m, sc, cfg).unwrap())
}

#[test]
fn km_and_next_states_by_hand() {
    // S0 spells of 2 (-> S1), 4 (-> left), 4 (-> S1), open 5 days at the date (censored).
    let idx = index(
        &[
            (1, 0, 0, Some(2)),
            (1, 1, 2, Some(3)),
            (2, 0, 0, Some(4)),
            (3, 0, 1, Some(5)),
            (3, 1, 5, Some(6)),
            (4, 0, 5, None),
        ],
        2,
    );
    let m = fit_plain(&idx, 10, 100);
    let c = &m.cells[m.choice[0] as usize];
    assert_eq!(c.times, vec![2, 4]);
    // 4 at risk at 2: S = 3/4; at 4: 3 at risk (censored at 5 still at risk), 2 events: S = 1/4.
    assert!((c.surv[0] - 0.75).abs() < 1e-12 && (c.surv[1] - 0.25).abs() < 1e-12);
    assert_eq!(&c.to[c.off[1] as usize..], &[1, LEFT]);
    assert_eq!((c.spells, c.events), (4, 3));
    // The child open at day 10 is the S0 spell begun on day 5.
    assert_eq!(m.open.len(), 1);
    assert_eq!((m.open[0].state, m.open[0].start_day), (0, 5));
}

#[test]
fn delayed_entry_counts_only_the_window() {
    // A window of 10 days before day 100: the spell begun at 0 and ended at 95 enters at 91.
    let idx = index(
        &[
            (1, 0, 0, Some(95)),
            (2, 0, 92, Some(94)),
            (3, 0, 20, Some(30)),
        ],
        1,
    );
    let m = fit_plain(&idx, 100, 10);
    let c = &m.cells[m.choice[0] as usize];
    // t=2: at risk only child 2 (child 1 enters at 91): S = 0; then t=95.
    assert_eq!(c.times, vec![2, 95]);
    assert_eq!(c.spells, 2);
}

fn cohort(n: u64, days: i32) -> Vec<(u64, u16, i32, Option<i32>)> {
    cohort_per_day(n, days, 1)
}

fn cohort_per_day(n: u64, days: i32, per_day: u64) -> Vec<(u64, u16, i32, Option<i32>)> {
    // Children arriving `per_day` a day into S0, staying `days`, then leaving through S1 (1 day).
    let mut rows = Vec::new();
    for k in 0..n {
        let a = (k / per_day) as i32;
        rows.push((k + 1, 0, a, Some(a + days)));
        rows.push((k + 1, 1, a + days, Some(a + days + 1)));
    }
    rows
}

#[test]
fn steady_state_projects_the_same_stock_and_is_deterministic() {
    let idx = index(&cohort(2000, 30), 2);
    let m = fit_plain(&idx, 1500, 1000);
    // One arrival a day, 30 days each: 30 in S0 at any date.
    let cfg = SimConfig {
        seed: 3,
        runs: 4,
        horizon_day: 1500 + 365,
        dates: vec![1500, 1600, 1800],
        emit: true,
        history: Some((&idx, None, None)),
        known: None,
    };
    let p = simulate(&m, &Scenario::default(), &cfg).unwrap();
    for run in 0..4 {
        for d in 0..3 {
            let s0 = p.stock[(run * 3 + d) * 2];
            assert!((20..=40).contains(&s0), "run {run} date {d}: {s0}");
        }
    }
    let a = simulate_on(1, &m, &Scenario::default(), &cfg);
    let b = simulate_on(3, &m, &Scenario::default(), &cfg);
    assert_eq!(a, b);
    assert_eq!(a, p);
    // History: every real spell ended by the date is kept, unprojected.
    assert!(p.spells.projected.iter().filter(|&&x| !x).count() > 2 * 1400);
}

#[test]
fn scenarios_move_the_stock_as_expected() {
    let idx = index(&cohort_per_day(40_000, 60, 20), 2);
    let m = fit_plain(&idx, 1500, 1000);
    let cfg = SimConfig {
        seed: 1,
        runs: 1,
        horizon_day: 1500 + 730,
        dates: vec![1500 + 700],
        emit: false,
        history: None,
        known: None,
    };
    let base = simulate(&m, &Scenario::default(), &cfg).unwrap().stock[0] as f64;
    assert!((base / 1200.0 - 1.0).abs() < 0.1, "{base}");
    let half = Scenario {
        time: vec![0.5, 1.0],
        ..Scenario::default()
    };
    let t = simulate(&m, &half, &cfg).unwrap().stock[0] as f64;
    assert!((t / base - 0.5).abs() < 0.05, "{t} vs {base}");
    let fewer = Scenario {
        entries: [0.8; 6],
        ..Scenario::default()
    };
    let e = simulate(&m, &fewer, &cfg).unwrap().stock[0] as f64;
    assert!((e / base - 0.8).abs() < 0.05, "{e} vs {base}");
}

#[test]
fn save_and_load_round_trip_and_refuse_garbage() {
    let idx = index(&cohort(300, 10), 2);
    let m = fit_plain(&idx, 250, 200);
    let b = to_bytes(&m);
    assert_eq!(from_bytes(&b).unwrap(), m);
    assert!(from_bytes(&b[..b.len() - 3]).is_err());
    assert!(from_bytes(b"nonsense").is_err());
    let mut wrong = b.clone();
    let last = wrong.len() - 16;
    wrong[last] = 0xFF; // an open child's state past the states
    wrong[last + 1] = 0xFF;
    assert!(from_bytes(&wrong).is_err());
}

#[test]
fn band_edges_agree_with_the_age_bands() {
    for birth in [-400, 0, 59, 789, 790, 10_000] {
        let e = BandEdges::new(birth);
        for day in (birth - 3..birth + 17 * 366).step_by(13) {
            assert_eq!(e.band(day), band_at(birth, day) as usize, "{birth} {day}");
        }
    }
    assert_eq!(BandEdges::new(NO_BIRTH_DAY).band(5), 5);
}

#[test]
fn children_age_out_at_18_as_the_data_shows() {
    // Children enter S0 at 16 and leave on their 18th birthday to S1 (30 days, then out).
    let mut rows = Vec::new();
    for k in 0..3000u64 {
        let birth = k as i32 - 16 * 365 - 4;
        let a = birthday(birth, 16);
        let b = birthday(birth, 18);
        rows.push((k + 1, 0u16, a, Some(b)));
        rows.push((k + 1, 1u16, b, Some(b + 30)));
    }
    let idx = index(&rows, 2);
    // The index orders children its own way: births by dot from each child's first spell.
    let by_dot: Vec<i32> = (0..idx.n_children())
        .map(|c| {
            let i = idx.spells(c).start;
            let a = idx.start[i] / D;
            (a - 16 * 366..=a - 16 * 365)
                .find(|&b| birthday(b, 16) == a)
                .unwrap()
                * D
        })
        .collect();
    let m = fit(&FitInput {
        index: &idx,
        as_of: 2500 * D,
        groups: None,
        births: Some(&by_dot),
        window_days: 1000,
        trend_years: 0,
        damping: 0.9,
        care_edges: vec![],
        arrival_trend: false,
    })
    .unwrap();
    assert_eq!(m.age_out, vec![1, NO_AGE_OUT]);
    let cfg = SimConfig {
        seed: 1,
        runs: 1,
        horizon_day: 2500 + 1500,
        dates: vec![],
        emit: true,
        history: None,
        known: None,
    };
    // Three times the stay: cut on the 18th birthday all the same.
    let longer = Scenario {
        time: vec![3.0, 1.0],
        ..Scenario::default()
    };
    let p = simulate(&m, &longer, &cfg).unwrap();
    let s = &p.spells;
    let cut = (0..s.state.len())
        .filter(|&i| s.state[i] == 0 && s.end[i] == birthday(s.birth[s.child[i] as usize], 18))
        .count();
    assert!(cut > 1000, "{cut}");
    for i in 0..s.state.len() {
        let b = s.birth[s.child[i] as usize];
        if s.state[i] == 0 {
            // Nobody stays past 18 (the stays drawn are the data's two years, give or take
            // a leap day; a longer one is cut on the birthday).
            let end = if s.end[i] == sim::OPEN_DAY {
                cfg.horizon_day
            } else {
                s.end[i]
            };
            assert!(end <= birthday(b, 18), "spell {i}");
        }
    }
}

/// Children arriving one a day into S0 for 30 or 500 days (every other child), then S1 for
/// 100 days if they came in under a year before (the 30-day ones) or 200 if longer.
fn long_stayers(n: u64) -> Vec<(u64, u16, i32, Option<i32>)> {
    let mut rows = Vec::new();
    for k in 0..n {
        let a = k as i32;
        let (first, then) = if k % 2 == 0 { (30, 100) } else { (500, 200) };
        rows.push((k + 1, 0, a, Some(a + first)));
        rows.push((k + 1, 1, a + first, Some(a + first + then)));
    }
    rows
}

fn fit_care(idx: &crate::index::Index, care_edges: Vec<i32>) -> Model {
    fit(&FitInput {
        index: idx,
        as_of: 2500 * D,
        groups: None,
        births: None,
        window_days: 1000,
        trend_years: 0,
        damping: 0.9,
        care_edges,
        arrival_trend: false,
    })
    .unwrap()
}

/// Per child of the first run: its spells (state, start, end) in order.
fn journeys_of(p: &Projected) -> Vec<Vec<(u16, i32, i32)>> {
    let s = &p.spells;
    let mut out = vec![Vec::new(); s.birth.len()];
    for i in 0..s.child.len() {
        out[s.child[i] as usize].push((s.state[i], s.start[i], s.end[i]));
    }
    out
}

#[test]
fn time_in_state_follows_the_time_in_care() {
    let idx = index(&long_stayers(3000), 2);
    let m = fit_care(&idx, vec![365]);
    assert_eq!(m.care_edges, vec![365]);
    // The S1 cells: 100 days for a spell begun 30 days into care, 200 after 500 days.
    let new = m.cell_of(1, 0, NO_BIRTH_DAY, 1000, 1030);
    let old = m.cell_of(1, 0, NO_BIRTH_DAY, 1000, 1500);
    assert_eq!(
        (new.times.as_slice(), old.times.as_slice()),
        (&[100][..], &[200][..])
    );
    // Children open at the date keep their run's start (the S1 ones came in 500 days before).
    let o = m
        .open
        .iter()
        .find(|o| o.state == 1 && o.start_day - o.run_start == 500);
    assert!(o.is_some());
    let cfg = SimConfig {
        seed: 5,
        runs: 1,
        horizon_day: 2500 + 1500,
        dates: vec![2500 + 150],
        emit: true,
        history: Some((&idx, None, None)),
        known: None,
    };
    let follow = |m: &Model| {
        let p = simulate(m, &Scenario::default(), &cfg).unwrap();
        // Per (came in over a year before S1, S1 stays of 100 days, of 200 days).
        let (mut short, mut long) = ([0; 2], [0; 2]);
        for j in journeys_of(&p) {
            for w in j.windows(2) {
                let ((s0, a0, e0), (s1, a1, e1)) = (w[0], w[1]);
                if s0 != 0 || s1 != 1 || e0 != a1 || e1 == sim::OPEN_DAY || e1 <= 2500 {
                    continue;
                }
                let n = if a1 - a0 >= 365 {
                    &mut long
                } else {
                    &mut short
                };
                match e1 - a1 {
                    100 => n[0] += 1,
                    200 => n[1] += 1,
                    d => panic!("an S1 stay of {d} days"),
                }
            }
        }
        (short, long, p.stock[1])
    };
    let (short, long, stock) = follow(&m);
    // Everyone follows their band: the old cohort at the date and those who arrive after.
    assert!(short[1] == 0 && long[0] == 0, "{short:?} {long:?}");
    assert!(short[0] > 300 && long[1] > 300, "{short:?} {long:?}");
    // 150 days on, S1 holds about 100 + 200 children (half of them in each), as the data.
    assert!((stock as f64 / 150.0 - 1.0).abs() < 0.12, "{stock}");
    // Without care bands both draw from the pooled stays: the test tells them apart.
    let (short, long, _) = follow(&fit_care(&idx, vec![]));
    assert!(short[1] > 50 && long[0] > 50, "{short:?} {long:?}");
    // Deterministic at any thread count, and kept through saving.
    let a = simulate_on(1, &m, &Scenario::default(), &cfg);
    let back = from_bytes(&to_bytes(&m)).unwrap();
    assert_eq!(back, m);
    assert_eq!(simulate(&back, &Scenario::default(), &cfg).unwrap(), a);
}

#[test]
fn care_bands_fall_back_where_too_few_events() {
    // Only 10 children in the old band: its S1 cell takes the state's pooled curve.
    let mut rows: Vec<_> = cohort(400, 30)
        .into_iter()
        .map(|(c, s, a, e)| (c, s, a + 1600, e.map(|e| e + 1600)))
        .collect();
    for k in 0..10u64 {
        let a = 2000 + k as i32;
        rows.push((1000 + k, 0, a, Some(a + 400)));
        rows.push((1000 + k, 1, a + 400, Some(a + 401)));
    }
    let idx = index(&rows, 2);
    let m = fit_care(&idx, vec![365, 1095]);
    let new = m.cell_of(1, 0, NO_BIRTH_DAY, 0, 30);
    let old = m.cell_of(1, 0, NO_BIRTH_DAY, 0, 400);
    assert_eq!((new.events, old.events), (400, 410));
    // Bad edges are refused.
    for bad in [vec![0], vec![365, 365], vec![700, 365]] {
        assert!(fit(&FitInput {
            index: &idx,
            as_of: 2500 * D,
            groups: None,
            births: None,
            window_days: 1000,
            trend_years: 0,
            damping: 0.9,
            care_edges: bad,
            arrival_trend: false,
        })
        .is_err());
    }
}

#[test]
fn version_3_and_4_models_still_load() {
    let idx = index(&cohort(300, 10), 2);
    let m = fit_plain(&idx, 250, 200);
    // Version 3: no care edges after by_age, no run start after each open child.
    let b = save::to_bytes_old(&m, 4);
    let mut v3 = b"CVPROJ03".to_vec();
    // states (2 strings "S0", "S1"), groups (none), by_age; then no care edges.
    let head = 8 + 4 + 2 * (4 + 2) + 4 + 4;
    v3.extend(&b[8..head]);
    assert_eq!(b[head..head + 4], 0u32.to_le_bytes());
    let n_open = m.open.len();
    v3.extend(&b[head + 4..b.len() - 20 * n_open]);
    for o in &m.open {
        v3.extend(o.dot.to_le_bytes());
        v3.extend(u32::from(o.state).to_le_bytes());
        v3.extend(o.start_day.to_le_bytes());
        v3.extend(o.birth_day.to_le_bytes());
    }
    let old = from_bytes(&v3).unwrap();
    assert!(old.care_edges.is_empty());
    // Version 4 loads too, with the cells by the age band at the spell's start.
    let v4 = from_bytes(&b).unwrap();
    assert!(!v4.age_now);
    assert_eq!(v4.cells, m.cells);
    assert_eq!(old.open.len(), n_open);
    let mut b4 = b.clone();
    b4[..8].copy_from_slice(b"CVPROJ09");
    let e = from_bytes(&b4).unwrap_err().to_string();
    assert!(e.contains("refit"), "{e}");
}

#[test]
fn a_shift_between_care_bands_is_no_trend() {
    // Children wait in S1 10 days or 400 (a rising share of them: 20% to 80% over the years),
    // then stay in S0 30 days after a short wait or 300 after a long one, then leave. The
    // rate of leaving S0 falls, all of it from the shift: within each care band it is flat.
    let n = 2600u64;
    let mut rows = Vec::new();
    for k in 0..n {
        let a = k as i32;
        let long = (k * 7919 % 100) < 20 + 60 * k / n;
        let (wait, stay) = if long { (400, 300) } else { (10, 30) };
        rows.push((k + 1, 1, a, Some(a + wait)));
        rows.push((k + 1, 0, a + wait, Some(a + wait + stay)));
    }
    let idx = index(&rows, 2);
    let trend_of = |care_edges: Vec<i32>| {
        let m = fit(&FitInput {
            index: &idx,
            as_of: 2600 * D,
            groups: None,
            births: None,
            window_days: 500,
            trend_years: 5,
            damping: 0.9,
            care_edges,
            arrival_trend: false,
        })
        .unwrap();
        // S0 to left.
        m.trend[2]
    };
    let pooled = trend_of(vec![]);
    let banded = trend_of(vec![365]);
    assert!(pooled < -0.1, "{pooled}");
    assert!(banded.abs() < 0.03, "{banded}");
}

/// Children entering S0 at 15 (one a day, at 15 years and 0 to 364 days), staying 100 or
/// 500 days (every other child), then S1 if still under 16 at the move, S2 if 16 or over
/// (30 days there, then out); with the birth by child in index order.
fn moves_by_age(n: u64) -> (crate::index::Index, Vec<i32>) {
    let mut rows = Vec::new();
    let mut births = Vec::new();
    for k in 0..n {
        let a = k as i32 + 6000;
        let birth = a - 15 * 365 - 4 - (k * 7919 % 365) as i32;
        let stay = if k % 2 == 0 { 100 } else { 500 };
        let e = a + stay;
        let next = if e < birthday(birth, 16) { 1 } else { 2 };
        rows.push((k + 1, 0u16, a, Some(e)));
        rows.push((k + 1, next, e, Some(e + 30)));
        births.push((a, birth));
    }
    let idx = index(&rows, 3);
    // The index orders children its own way: the birth by each child's first spell's start.
    births.sort_unstable();
    let by_dot = (0..idx.n_children())
        .map(|c| {
            let a = idx.start[idx.spells(c).start] / D;
            births[births.partition_point(|&(x, _)| x < a)].1 * D
        })
        .collect();
    (idx, by_dot)
}

#[test]
fn the_next_state_follows_the_age_at_the_move() {
    let (idx, births) = moves_by_age(4000);
    let m = fit(&FitInput {
        index: &idx,
        as_of: 9500 * D,
        groups: None,
        births: Some(&births),
        window_days: 2000,
        trend_years: 0,
        damping: 0.9,
        care_edges: vec![],
        arrival_trend: false,
    })
    .unwrap();
    // Under 16 the moves are all to S1, from 16 all to S2 (the stays crossing 16 enter the
    // 16-18 band's cell there).
    assert!(m.age_now);
    let edges = BandEdges::new(births[0] / D);
    let b16 = birthday(births[0] / D, 16);
    let under = m.cell_in(0, 0, &edges, 0, (b16 - 200, b16 - 100));
    let over = m.cell_in(0, 0, &edges, 0, (b16 - 200, b16 + 100));
    assert!(
        under.events >= 500 && over.events >= 500,
        "{} {}",
        under.events,
        over.events
    );
    assert!(under.to.iter().all(|&t| t == 1), "{:?}", under.to);
    assert!(over.to.iter().all(|&t| t == 2), "{:?}", over.to);
    let cfg = SimConfig {
        seed: 5,
        runs: 1,
        horizon_day: 9500 + 1500,
        dates: vec![],
        emit: true,
        history: None,
        known: None,
    };
    let p = simulate(&m, &Scenario::default(), &cfg).unwrap();
    let s = &p.spells;
    let (mut to1, mut to2) = (0, 0);
    for i in 0..s.state.len() {
        let b16 = birthday(s.birth[s.child[i] as usize], 16);
        match s.state[i] {
            1 => {
                assert!(s.start[i] < b16, "S1 at 16: spell {i}");
                to1 += 1;
            }
            2 => {
                assert!(s.start[i] >= b16, "S2 before 16: spell {i}");
                to2 += 1;
            }
            _ => {}
        }
    }
    // The data's share to S2: all the 500-day stays, and the 100-day ones begun at 15 years
    // and 265 days or more (about 100 / 365 of them): 0.5 + 0.5 x 0.27 = 0.64.
    let share = f64::from(to2) / f64::from(to1 + to2);
    assert!(to1 + to2 > 1200, "{to1} {to2}");
    assert!((share - 0.637).abs() < 0.04, "{share}");
    // The same at any thread count, and with the stays scaled (twice as long) the ages at
    // the moves still decide.
    let two = Scenario {
        time: vec![2.0],
        ..Scenario::default()
    };
    let a = simulate_on(1, &m, &two, &cfg);
    assert_eq!(a, simulate_on(3, &m, &two, &cfg));
    let s = &a.spells;
    for i in 0..s.state.len() {
        let b16 = birthday(s.birth[s.child[i] as usize], 16);
        assert!(
            s.state[i] != 2 || s.start[i] >= b16,
            "S2 before 16: spell {i}"
        );
        assert!(s.state[i] != 1 || s.start[i] < b16, "S1 at 16: spell {i}");
    }
    assert!(s.state.iter().filter(|&&x| x == 1).count() > 300);
}

mod arrivals;
