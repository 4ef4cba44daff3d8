//! Times the frame engine alone on random journeys (no Python):
//! `cargo run --release --example frame_speed [children]`; `DAYS=18443,30000` picks the
//! frames' days, `REPS=15` how many times each is timed (median and minimum printed).
use std::sync::Arc;
use std::time::Instant;

use carevis::index::{Index, OnError};
use carevis::scene::{FrameBuffers, Scene, SceneConfig};

struct Rows {
    key: Vec<u64>,
    state: Vec<u16>,
    start: Vec<i32>,
    end: Vec<i32>,
}

fn journeys(n_children: usize) -> Rows {
    let mut s: u64 = 42;
    let mut rnd = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    // The same journeys as benches/_common.py's big_table: Poisson(2) + 1 spells per child,
    // first start uniform over ten years, many same-day steps, 15% of last spells open.
    let mut poisson2 = || {
        let (l, mut k, mut p) = ((-2.0f64).exp(), 0u32, 1.0f64);
        loop {
            p *= rnd() as f64 / 2_147_483_648.0;
            if p <= l {
                return k;
            }
            k += 1;
        }
    };
    let mut counts = Vec::with_capacity(n_children);
    for _ in 0..n_children {
        counts.push(1 + poisson2());
    }
    let (mut key, mut state, mut start, mut end) = (vec![], vec![], vec![], vec![]);
    for (c, &k) in counts.iter().enumerate() {
        let mut t = 16_526 + (rnd() % 3650) as i32;
        for i in 0..k {
            let len = [0, 0, 1, 14, 60, 200, 700][(rnd() % 7) as usize];
            key.push(c as u64);
            state.push((rnd() % 20) as u16);
            start.push(t * 1440);
            let open = i == k - 1 && rnd() % 100 < 15;
            end.push(if open { i32::MAX } else { (t + len) * 1440 });
            t += len;
        }
    }
    Rows {
        key,
        state,
        start,
        end,
    }
}

fn scene(rows: Rows) -> Scene {
    let labels: Vec<String> = (0..20).map(|i| format!("S{i}")).collect();
    let idx = Index::from_rows(
        rows.key,
        rows.state,
        rows.start,
        rows.end,
        labels,
        OnError::Raise,
    )
    .expect("index");
    let centres: Vec<[f32; 2]> = (0..20).map(|i| [0.1 + 0.08 * i as f32, 0.5]).collect();
    Scene::new(
        Arc::new(idx),
        SceneConfig {
            centres,
            ..SceneConfig::default()
        },
    )
    .expect("scene")
}

fn main() {
    let n_children: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let days: Vec<i32> = std::env::var("DAYS")
        .unwrap_or_else(|_| "10000,18443,30000".into())
        .split(',')
        .filter_map(|v| v.parse().ok())
        .collect();
    let scene = scene(journeys(n_children));
    let n = scene.n_dots();
    let (mut x, mut y, mut c, mut st) = (
        vec![0f32; n],
        vec![0f32; n],
        vec![0u8; 4 * n],
        vec![0i32; n],
    );
    for &when in &days {
        let t = (when * 1440) as f64;
        let mut times = vec![];
        for _ in 0..reps {
            let t0 = Instant::now();
            scene
                .frame_into(
                    t,
                    FrameBuffers {
                        x: &mut x,
                        y: &mut y,
                        rgba: &mut c,
                        state: &mut st,
                    },
                )
                .expect("frame");
            times.push(t0.elapsed().as_secs_f64());
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let vis = c.chunks(4).filter(|p| p[3] > 0).count();
        println!(
            "day {when}: median {:.2} ms (min {:.2}), visible {:.1}%",
            times[times.len() / 2] * 1e3,
            times[0] * 1e3,
            100.0 * vis as f64 / n as f64
        );
    }
}
