//! The frame engine's tests: frames against spells, the general walk, thread counts.

use super::*;
use crate::index::OnError;

const D: i32 = MINUTES_PER_DAY;

fn scene(key: Vec<u64>, state: Vec<u16>, start: Vec<i32>, end: Vec<i32>) -> Scene {
    let idx = Index::from_rows(
        key,
        state,
        start,
        end,
        vec!["A".into(), "B".into(), "C".into()],
        OnError::Raise,
    )
    .unwrap();
    let cfg = SceneConfig {
        centres: vec![[0.2, 0.5], [0.5, 0.5], [0.8, 0.5]],
        ..SceneConfig::default()
    };
    Scene::new(Arc::new(idx), cfg).unwrap()
}

fn frame(s: &Scene, t: f64) -> (Vec<f32>, Vec<f32>, Vec<u8>, Vec<i32>) {
    frame_with(s, t, &Emphasis::NONE)
}

fn frame_with(s: &Scene, t: f64, em: &Emphasis<'_>) -> (Vec<f32>, Vec<f32>, Vec<u8>, Vec<i32>) {
    let n = s.n_dots();
    let (mut x, mut y, mut c, mut st) = (vec![0.0; n], vec![0.0; n], vec![0; 4 * n], vec![0; n]);
    s.frame_into(
        t,
        FrameBuffers {
            x: &mut x,
            y: &mut y,
            rgba: &mut c,
            state: &mut st,
        },
        em,
    )
    .unwrap();
    (x, y, c, st)
}

#[test]
fn states_follow_spells() {
    let s = scene(
        vec![1, 1, 2],
        vec![0, 1, 2],
        vec![0, 10 * D, 5 * D],
        vec![10 * D, 30 * D, OPEN],
    );
    let at = |d: i32| frame(&s, (d * D) as f64).3;
    assert_eq!(at(-1), vec![-1, -1]);
    assert_eq!(at(0), vec![0, -1]);
    assert_eq!(at(6), vec![0, 2]);
    assert_eq!(at(10), vec![1, 2]);
    assert_eq!(at(30), vec![-1, 2]);
    assert_eq!(at(10_000), vec![-1, 2]);
}

#[test]
fn frame_line_bytes_counts_whole_lines() {
    let s = scene(
        vec![1, 1, 2],
        vec![0, 1, 2],
        vec![0, 10 * D, 500 * D],
        vec![10 * D, 30 * D, 600 * D],
    );
    let per_dot = 2 * 32;
    // nobody on screen: the per-dot arrays alone
    assert_eq!(s.frame_line_bytes(-(D as f64)), per_dot);
    // the first child on screen: its two 16-byte records span one or two lines, and
    // the three starts (all there are) one or two
    let one = s.frame_line_bytes(5.0 * D as f64) - per_dot;
    assert!([128, 192, 256].contains(&one), "{one}");
    // two children of one spell each: lines they share count once
    let s2 = scene(vec![1, 2], vec![0, 1], vec![0, 0], vec![10 * D, 10 * D]);
    let two = s2.frame_line_bytes(5.0 * D as f64) - per_dot;
    assert!([128, 192, 256].contains(&two), "{two}");
    assert!(s.frame_line_bytes(5.0 * D as f64) >= s.frame_bytes(5.0 * D as f64) - 8);
}

#[test]
fn same_day_step_is_seen_passing() {
    // A -> B (same day, zero length) -> C: the dot must pass through B's cluster.
    let s = scene(
        vec![1, 1, 1],
        vec![0, 1, 2],
        vec![0, 10 * D, 10 * D],
        vec![10 * D, 10 * D, 100 * D],
    );
    let transit = s.config().transit_minutes;
    let (x, _, _, st) = frame(&s, 10.0 * D as f64 + transit);
    assert_eq!(st[0], 2);
    let radii = s.radii(10.0 * D as f64 + transit);
    let (bx, _) = s.place(0, 1, &radii);
    assert!(
        (x[0] - bx).abs() < 1e-6,
        "at the end of the first leg the dot rests in B"
    );
}

#[test]
fn fades_in_and_out() {
    let s = scene(vec![1], vec![0], vec![100 * D], vec![200 * D]);
    let alpha = |d: f64| frame(&s, d * D as f64).2[3];
    assert_eq!(alpha(99.0), 0);
    assert!(alpha(101.0) > 0 && alpha(101.0) < 255);
    assert_eq!(alpha(150.0), 255);
    assert!(alpha(205.0) > 0 && alpha(205.0) < 255);
    assert_eq!(alpha(300.0), 0);
}

#[test]
fn rest_positions_stay_in_cluster() {
    let keys: Vec<u64> = (0..500).collect();
    let s = scene(keys.clone(), vec![1; 500], vec![0; 500], vec![OPEN; 500]);
    let t = 100.0 * D as f64;
    let (x, y, _, _) = frame(&s, t);
    let r = s.radii(t)[1];
    for i in 0..500 {
        let d = ((x[i] - 0.5).powi(2) + (y[i] - 0.5).powi(2)).sqrt();
        assert!(d <= r * 1.0001, "dot {i} at {d} outside radius {r}");
    }
}

#[test]
fn identical_across_thread_counts() {
    let n = 40_000u64;
    let keys: Vec<u64> = (0..n).collect();
    let st: Vec<u16> = (0..n).map(|i| (i % 3) as u16).collect();
    let start: Vec<i32> = (0..n).map(|i| (i % 97) as i32 * D).collect();
    let end: Vec<i32> = (0..n)
        .map(|i| {
            if i % 5 == 0 {
                OPEN
            } else {
                (i % 97) as i32 * D + 50 * D
            }
        })
        .collect();
    let s = scene(keys, st, start, end);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| frame(&s, 60.0 * D as f64));
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(|| frame(&s, 60.0 * D as f64));
    assert_eq!(
        one.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        two.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(one.2, two.2);
    assert_eq!(one.3, two.3);
}

/// Random journeys: per child a handful of touching or gapped spells, some same-day,
/// some open, over a few hundred days.
fn random_journeys(n: u64, seed: u64) -> (Vec<u64>, Vec<u16>, Vec<i32>, Vec<i32>) {
    let mut h = seed;
    let mut rnd = |m: u64| {
        h = mix64(h.wrapping_add(0x9E37_79B9_7F4A_7C15));
        h % m
    };
    let (mut key, mut st, mut start, mut end) = (vec![], vec![], vec![], vec![]);
    for c in 0..n {
        let k = 1 + rnd(12); // up to 12: more than the frame counts at once
        let mut t = rnd(300) as i32 * D + rnd(3) as i32 * 600;
        for i in 0..k {
            t += [0, 0, D, 20 * D][rnd(4) as usize];
            let len = [0, D / 2, 3 * D, 10 * D, 40 * D][rnd(5) as usize];
            key.push(c);
            st.push(rnd(3) as u16);
            start.push(t);
            end.push(if i == k - 1 && rnd(4) == 0 {
                OPEN
            } else {
                t + len
            });
            t += len;
        }
    }
    (key, st, start, end)
}

#[test]
fn gpu_tables_hold_what_a_frame_reads() {
    let (key, st, start, end) = random_journeys(500, 3);
    let s = scene(key, st, start, end);
    let (n, m) = (s.n_dots(), s.index().n_spells());
    let (mut d, mut sp, mut pl) = (
        vec![0u32; 3 * (n + 1)],
        vec![0u32; 4 * m],
        vec![0f32; 2 * m],
    );
    s.gpu_tables(&mut d, &mut sp, &mut pl).unwrap();
    assert_eq!(d[3 * n], m as u32);
    let unit = vec![1.0f32; 3];
    for c in 0..n {
        let rest = s.rest[c];
        assert_eq!(
            (d[3 * c], d[3 * c + 1] as i32, d[3 * c + 2]),
            (
                s.index().offsets[c],
                s.until[c],
                rest[0] as u32 | (rest[1] as u32) << 7
            )
        );
        // the dot appears when its first spell starts (what the frame reads instead)
        assert_eq!(s.from[c], s.spells[d[3 * c] as usize].start);
        for i in s.index().spells(c) {
            let r = s.spells[i];
            assert_eq!(
                &sp[4 * i..4 * i + 4],
                &[
                    r.start as u32,
                    r.end as u32,
                    r.arrive as u32,
                    r.state as u32 | (r.flags as u32) << 16
                ]
            );
            // the place, scaled by a unit radius about the centre, is the engine's
            let centre = s.config().centres[r.state as usize];
            let (x, y) = s.place(c, r.state, &unit);
            assert_eq!((centre[0] + pl[2 * i], centre[1] + pl[2 * i + 1]), (x, y));
        }
    }
    let err = s.gpu_tables(&mut d[..3], &mut sp, &mut pl).unwrap_err();
    assert!(err.to_string().contains("dot words"), "{err}");
}

#[test]
fn a_state_without_a_label_is_an_error() {
    let idx = Index::from_rows(
        vec![1, 2],
        vec![0, 3],
        vec![0, 0],
        vec![10, 10],
        vec!["A".into(), "B".into()],
        OnError::Raise,
    )
    .unwrap();
    let cfg = SceneConfig {
        centres: vec![[0.2, 0.5], [0.8, 0.5]],
        ..SceneConfig::default()
    };
    let err = Scene::new(Arc::new(idx), cfg).unwrap_err().to_string();
    assert!(err.contains("state number 3"), "{err}");
}

#[test]
fn frame_matches_the_general_walk_for_every_dot() {
    // The frame settles most dots by shortcuts; each must give exactly what the general
    // walk (`Scene::dot`) gives, in every colour mode, with and without emphasis.
    let (key, st, start, end) = random_journeys(3_000, 7);
    let base = scene(key, st, start, end);
    let n = base.n_dots();
    let mut modes = vec![
        ColourBy::TimeInCare { lo: 0.0, hi: 100.0 },
        ColourBy::TimeInState { lo: 2.0, hi: 30.0 },
        ColourBy::Entries { lo: 1.0, hi: 4.0 },
    ];
    modes.push(ColourBy::Category);
    for (m, colour) in modes.into_iter().enumerate() {
        let cfg = SceneConfig {
            colour,
            categories: (0..n).map(|c| (c % 5) as u16).collect(),
            fade_minutes: [14.0, 0.0, 2.5, 14.0][m] * D as f64,
            transit_minutes: [7.0, 1.0, 0.0, 3.5][m] * D as f64,
            // Mode 1 is a projection from day 200: its dots lighter from then on.
            projected_from: if m == 1 { 200 * D } else { OPEN },
            projected_alpha: if m == 1 { 0.45 } else { 1.0 },
            ..base.config().clone()
        };
        let s = Scene::new(base.index().clone(), cfg).unwrap();
        let visible: Vec<bool> = (0..n).map(|c| c % 3 != 0).collect();
        let em = if m == 3 {
            Emphasis {
                visible: Some(&visible),
                highlight: Some(1),
                dim: 0.3,
            }
        } else {
            Emphasis::NONE
        };
        for step in 0..160 {
            let t = -2.0 * D as f64 + step as f64 * 2.37 * D as f64 + (step % 7) as f64 * 97.3;
            let (x, y, c, st) = frame_with(&s, t, &em);
            let radii = s.radii(t);
            if m == 1 && t >= 200.0 * D as f64 {
                assert!(
                    c.chunks(4).all(|p| p[3] <= 115),
                    "projected dots are lighter"
                );
            }
            for d in 0..n {
                let (wx, wy, wc, ws) = s.dot(d, t, &radii, &em);
                assert_eq!(
                    (x[d].to_bits(), y[d].to_bits(), &c[4 * d..4 * d + 4], st[d]),
                    (wx.to_bits(), wy.to_bits(), &wc[..], ws),
                    "mode {m}, dot {d}, t {t}"
                );
            }
        }
    }
}

#[test]
fn cluster_area_is_proportional_to_children_above_the_minimum() {
    // 400 children in A, 100 in B, 1 in C: areas 400 : 100 once above the minimum.
    let n = 501u64;
    let state: Vec<u16> = (0..n)
        .map(|i| {
            if i < 400 {
                0
            } else if i < 500 {
                1
            } else {
                2
            }
        })
        .collect();
    let s = scene(
        (0..n).collect(),
        state,
        vec![0; n as usize],
        vec![OPEN; n as usize],
    );
    let r = s.radii(100.0 * D as f64);
    let k = s.spacing();
    assert!(
        (r[0] - k * 20.0).abs() < 1e-6 && (r[1] - k * 10.0).abs() < 1e-6,
        "{r:?} {k}"
    );
    let ratio = (r[0] * r[0]) / (r[1] * r[1]);
    assert!((ratio - 4.0).abs() < 1e-4, "area ratio {ratio}");
    // the lone child's cluster is drawn at the minimum, and the minimum is stated in children
    assert_eq!(r[2], s.config().base_radius);
    let m = s.min_cluster_children();
    assert!(cluster_radius(s.config().base_radius, k, m as f32) >= s.config().base_radius);
    assert!(k * ((m - 1.0) as f32).sqrt() < s.config().base_radius);
}

#[test]
fn spacing_keeps_clusters_apart_with_the_minimum() {
    for (a, b, min, room) in [
        (10.0f32, 30.0, 0.01, 0.3),
        (1.0, 30.0, 0.05, 0.3),
        (0.0, 30.0, 0.05, 0.3),
        (3.0, 3.0, 0.2, 0.3),
    ] {
        let k = pair_spacing(a, b, min, room);
        let used = cluster_radius(min, k, a * a) + cluster_radius(min, k, b * b);
        if room >= 2.0 * min {
            assert!(used <= room * 1.0001, "{a} {b} {min} {room}: {used}");
            assert!(used >= room * 0.999, "the room is used: {used} of {room}");
        } else {
            assert!(
                (used - 2.0 * min).abs() < 1e-5,
                "both at the minimum: {used}"
            );
        }
    }
}
