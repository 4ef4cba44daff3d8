//! Times the CPU rasteriser alone (no Python) on bench_render.py's workload: 10M dots of
//! radius 1 px, alpha 220, in 20 crowded clusters, into 3840 x 2160 over an opaque background.
//!
//! `cargo run --release --example raster_speed -- [dots] [repeats] [out.rgba]`
//! prints each run's time, the minimum and median, and a checksum of the pixels; with a
//! third argument it also writes the raw RGBA pixels there (for comparing two builds).
use std::time::Instant;

use carevis::raster::{DotStyle, Rasteriser, Viewport};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let repeats: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);
    let dump = args.next();
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut unit = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    // benches/bench_render.py's points(): 20 cluster centres, radius 0.01..0.12 world
    // units, uniform over each disc; viridis-like colours, alpha 220.
    let centres: Vec<(f64, f64)> = (0..20)
        .map(|_| (0.1 + 1.58 * unit(), 0.1 + 0.8 * unit()))
        .collect();
    let radii: Vec<f64> = (0..20).map(|_| 0.01 + 0.11 * unit()).collect();
    let (mut x, mut y, mut rgba) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(4 * n),
    );
    for _ in 0..n {
        let k = ((unit() * 20.0) as usize).min(19);
        let r = unit().sqrt() * radii[k];
        let a = unit() * std::f64::consts::TAU;
        x.push((centres[k].0 + r * a.cos()) as f32);
        y.push((centres[k].1 + r * a.sin()) as f32);
        let t = unit();
        rgba.extend([
            (68.0 + 185.0 * t) as u8,
            (1.0 + 230.0 * t) as u8,
            (84.0 - 50.0 * t) as u8,
            220,
        ]);
    }
    let (w, h) = (3840u32, 2160u32);
    let scale = (w as f32 / (16.0 / 9.0)).min(h as f32);
    let vp = Viewport {
        width: w,
        height: h,
        scale_x: scale,
        scale_y: scale,
        offset_x: w as f32 / 2.0 - 8.0 / 9.0 * scale,
        offset_y: h as f32 / 2.0 - 0.5 * scale,
    };
    let style = DotStyle { radius_px: 1.0 };
    let mut out = vec![0u8; (w * h * 4) as usize];
    let mut ras = Rasteriser::new();
    let bg = [247, 247, 244, 255];
    ras.render(&x, &y, &rgba, &style, &vp, bg, &mut out)
        .expect("render");
    let mut times = Vec::new();
    for _ in 0..repeats {
        let t0 = Instant::now();
        ras.render(&x, &y, &rgba, &style, &vp, bg, &mut out)
            .expect("render");
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let shown: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    times.sort_by(f64::total_cmp);
    let sum = out.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    println!(
        "{n} dots {w}x{h}: min {:.1} ms, median {:.1} ms  [{}]  checksum {sum:016x}",
        times.first().copied().unwrap_or(0.0),
        times.get(times.len() / 2).copied().unwrap_or(0.0),
        shown.join(" "),
    );
    if let Some(path) = dump {
        std::fs::write(path, &out).expect("write pixels");
    }
}
