//! The synthetic England's tests: bad settings, determinism at any thread count, invariants,
//! calibration against the published figures and the DfE rules.

use super::*;
use params::state;

fn cfg(scale: f64, seed: u64) -> SynthConfig {
    SynthConfig {
        scale,
        seed,
        ..SynthConfig::default()
    }
}

fn print_table(rows: &[CheckRow]) {
    println!("| measure | year | generated | published | difference |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let (g, p, d) = match r.kind {
            CheckKind::Count => (
                r.generated,
                r.published,
                format!("{:+.1}%", 100.0 * r.difference()),
            ),
            CheckKind::Share => (
                100.0 * r.generated,
                100.0 * r.published,
                format!("{:+.1} pts", r.difference()),
            ),
        };
        let y = r.year.map_or("all".to_string(), |y| y.to_string());
        println!("| {} | {y} | {g:.1} | {p:.1} | {d} |", r.measure);
    }
}

#[test]
fn rejects_bad_configs() {
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY, 51.0] {
        assert!(matches!(
            england(&cfg(scale, 0)),
            Err(SynthError::InvalidScale(_))
        ));
    }
    let mut c = cfg(0.01, 0);
    c.end_day = c.start_day;
    assert!(matches!(england(&c), Err(SynthError::EmptyWindow { .. })));
    c.start_day = -20_000;
    c.end_day = 0;
    assert!(matches!(
        england(&c),
        Err(SynthError::WindowOutOfRange { .. })
    ));
}

#[test]
fn same_seed_same_output_at_any_thread_count() {
    let c = cfg(0.004, 11);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map(|pool| pool.install(|| england(&c)))
    };
    let one = run(1).expect("pool").expect("generate");
    let two = run(2).expect("pool").expect("generate");
    assert!(one.n_spells() > 1_000);
    assert_eq!(one, two);
    let other = england(&cfg(0.004, 12)).expect("generate");
    assert_ne!(one.start, other.start);
}

#[test]
fn output_invariants_hold() {
    let c = cfg(0.004, 3);
    let out = england(&c).expect("generate");
    let n = out.n_children();
    assert!(n > 0);
    for v in [
        out.state.len(),
        out.start.len(),
        out.end.len(),
        out.placement.len(),
        out.legal_status.len(),
        out.category_of_need.len(),
        out.reason_ceased.len(),
    ] {
        assert_eq!(v, out.child.len());
    }
    for v in [
        out.sex.len(),
        out.birth.len(),
        out.ethnicity.len(),
        out.uasc.len(),
    ] {
        assert_eq!(v, n);
    }
    assert_eq!(out.councils.len(), 153);
    let mut same_day = 0;
    let mut seen = vec![false; n];
    for i in 0..out.n_spells() {
        let (ch, st, s, e) = (
            out.child[i] as usize,
            out.state[i],
            out.start[i],
            out.end[i],
        );
        assert!(ch < n);
        assert!(usize::from(st) < 20);
        assert!(e >= s, "spell {i} ends before it starts");
        assert!(
            e >= c.start_day && s <= c.end_day,
            "spell {i} outside window"
        );
        assert!(e == i32::MAX || e <= c.end_day);
        same_day += usize::from(s == e);
        if i > 0 && out.child[i - 1] as usize == ch {
            assert!(s >= out.end[i - 1], "spells overlap at row {i}");
            assert!(s >= out.start[i - 1]);
        } else {
            assert!(!seen[ch], "child {ch} not contiguous");
            seen[ch] = true;
            assert!(i == 0 || out.child[i - 1] as usize + 1 == ch);
        }
        let care = state::is_care(st);
        let exit = state::is_exit(st);
        assert_eq!(care, out.placement[i] != NO_CODE);
        assert_eq!(care, out.legal_status[i] != NO_CODE);
        assert_eq!(exit, out.reason_ceased[i] != NO_CODE);
        assert_eq!(exit, out.category_of_need[i] == NO_CODE);
        if care {
            assert!((out.placement[i] as usize) < PLACE_CODES.len());
            assert!((out.legal_status[i] as usize) < LS_CODES.len());
            assert!(out.category_of_need[i] < 8);
            let is_new_period =
                i == 0 || out.child[i - 1] as usize != ch || !state::is_care(out.state[i - 1]);
            if is_new_period {
                assert!(calendar::age_years(out.birth[ch], s) < 18);
            }
            // A placement is followed by another placement or the exit that ends the period.
            if i + 1 < out.n_spells() && out.child[i + 1] as usize == ch {
                let next = out.state[i + 1];
                assert!(state::is_care(next) || state::is_exit(next));
                assert_eq!(out.start[i + 1], e);
            } else {
                assert_eq!(e, i32::MAX, "care spell neither continued nor open");
            }
        }
        if exit {
            assert!((out.reason_ceased[i] as usize) < REC_CODES.len());
            let prev_care =
                i > 0 && out.child[i - 1] as usize == ch && state::is_care(out.state[i - 1]);
            assert!(prev_care || s < c.start_day + DWELL_DAYS);
            if i + 1 < out.n_spells() && out.child[i + 1] as usize == ch {
                assert_eq!(out.state[i + 1], state::REFERRAL);
            }
        }
    }
    assert!(seen.iter().all(|&s| s));
    assert!(same_day > 0, "same-day spells must exist");
    let uasc_male = out
        .uasc
        .iter()
        .zip(&out.sex)
        .filter(|(u, s)| **u && **s == 0)
        .count();
    let uasc = out.uasc.iter().filter(|u| **u).count();
    assert!(uasc > 0 && uasc_male * 10 > uasc * 8);
}

/// Each child's `care_entry` is the true first day of the period of care its first kept spell
/// belongs to: the spell's own start unless the window dropped earlier placements of the period.
#[test]
fn care_entry_is_the_true_start_of_the_first_kept_period() {
    let c = cfg(0.01, 2);
    let out = england(&c).expect("generate");
    assert_eq!(out.care_entry.len(), out.n_children());
    let mut first = 0;
    let (mut in_window, mut before) = (0, 0);
    for ch in 0..out.n_children() {
        let (st, s) = (out.state[first], out.start[first]);
        let entry = out.care_entry[ch];
        if !state::is_care(st) {
            assert_eq!(entry, NO_ENTRY, "child {ch}");
        } else if s >= c.start_day {
            assert_eq!(entry, s, "child {ch}");
            in_window += 1;
        } else {
            assert!(entry <= s, "child {ch}: entry {entry} after its spell {s}");
            before += u32::from(entry < s);
        }
        while first < out.n_spells() && out.child[first] as usize == ch {
            first += 1;
        }
    }
    // Periods cut by the window's start occur (a child's first kept spell that starts in the
    // window is nearly always a referral: care comes after the front door).
    assert!(before > 100, "{in_window} {before}");
}

/// Published bounds that hold at 2% of England: counts within 10% (plus three standard
/// deviations of chance for small counts), mixes within 5 points.
#[test]
fn calibrated_at_two_percent() {
    let c = cfg(0.02, 1);
    let out = england(&c).expect("generate");
    let rows = check(&out, &c);
    print_table(&rows);
    assert!(rows.len() > 40);
    let mut bad = Vec::new();
    for r in &rows {
        if r.measure.contains("council") {
            continue;
        }
        let ok = match r.kind {
            CheckKind::Count => {
                (r.generated - r.published).abs() <= 0.10 * r.published + 3.0 * r.published.sqrt()
            }
            CheckKind::Share => r.difference().abs() <= 5.0,
        };
        if !ok {
            bad.push(format!(
                "{} {:?}: {} vs {}",
                r.measure, r.year, r.generated, r.published
            ));
        }
    }
    assert!(bad.is_empty(), "off target: {bad:#?}");
}

/// The rules a real return obeys (the DfE validator's), checked over generated journeys.
#[test]
fn obeys_the_dfe_rules() {
    use codes::{place, rec};
    // 5% of England: temporary placements are rare (a handful per 2%, none in some samples).
    let c = cfg(0.05, 5);
    let out = england(&c).expect("generate");
    let (mut r5, mut s1, mut temporary, mut died, mut adopted) = (0, 0, 0, 0, 0);
    for i in 0..out.n_spells() {
        let ch = out.child[i] as usize;
        let last_of_child = i + 1 == out.n_spells() || out.child[i + 1] as usize != ch;
        let (st, s, e) = (out.state[i], out.start[i], out.end[i]);
        let age = calendar::age_years(out.birth[ch], s);
        match out.placement[i] {
            place::R5 => {
                r5 += 1;
                assert!(age >= 10, "young offender institution at {age}");
            }
            place::S1 => {
                s1 += 1;
                assert!(age >= 5, "residential school at {age}");
            }
            place::T0..=place::T4 => {
                temporary += 1;
                assert!(
                    e == i32::MAX || e - s <= 7,
                    "temporary placement of {} days",
                    e - s
                );
            }
            _ => {}
        }
        if state::is_exit(st) && out.reason_ceased[i] == rec::E2 {
            died += 1;
            assert!(last_of_child, "child {ch} died and came back");
        }
        if st == state::ADOPTED {
            adopted += 1;
            assert!(
                last_of_child,
                "child {ch} adopted and back under the same id"
            );
        }
    }
    // The rules bite: every kind of record they govern is there.
    assert!(r5 > 0 && s1 > 0 && temporary > 0 && died > 0 && adopted > 100);
}

/// Re-tuning the trends: `CAREVIS_TUNE='stay=0.7,0.7,...;adoption=...' cargo test --release
/// --lib tune_trends -- --ignored --nocapture` prints the yearly headline rows at
/// `CAREVIS_TUNE_SCALE` (default 0.25) without a rebuild per try.
#[test]
#[ignore = "a tool for re-tuning the trend tables"]
fn tune_trends() {
    let mut c = cfg(
        std::env::var("CAREVIS_TUNE_SCALE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.25),
        0,
    );
    for part in std::env::var("CAREVIS_TUNE").unwrap_or_default().split(';') {
        let Some((name, values)) = part.split_once('=') else {
            continue;
        };
        let table = match name.trim() {
            "referral" => &mut c.trends.referral,
            "s47" => &mut c.trends.s47,
            "adoption" => &mut c.trends.adoption,
            "stay" => &mut c.trends.stay,
            "care" => &mut c.trends.care,
            "adoption_time" => &mut c.trends.adoption_time,
            "assessment" => &mut c.trends.assessment,
            other => panic!("unknown trend {other}"),
        };
        for (k, v) in values.split(',').enumerate().take(TREND_YEARS) {
            table[k] = v.trim().parse().expect("a number");
        }
    }
    let out = england(&c).expect("generate");
    print_table(&check(&out, &c));
}

/// Full England: run with `cargo test --release -- --ignored --nocapture full_scale`.
#[test]
#[ignore = "full scale: release only, takes a few seconds"]
fn full_scale_timing_and_calibration() {
    let c = SynthConfig::default();
    let t = std::time::Instant::now();
    let out = england(&c).expect("generate");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "england(scale 1): {} children, {} spells in {secs:.2} s = {:.1} M spells/s on {} threads",
        out.n_children(),
        out.n_spells(),
        out.n_spells() as f64 / secs / 1e6,
        rayon::current_num_threads()
    );
    let t = std::time::Instant::now();
    let rows = check(&out, &c);
    println!("check: {:.2} s", t.elapsed().as_secs_f64());
    print_table(&rows);
}
