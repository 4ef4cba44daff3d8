//! The rasteriser's tests: against a per-pixel reference, regions, threads, instruction sets, bad input.

use super::*;
use proptest::prelude::*;

fn viewport(width: u32, height: u32) -> Viewport {
    Viewport {
        width,
        height,
        scale_x: 1.0,
        scale_y: 1.0,
        offset_x: 0.0,
        offset_y: 0.0,
    }
}

fn draw(x: &[f32], y: &[f32], rgba: &[u8], r: f32, vp: &Viewport, bg: [u8; 4]) -> Vec<u8> {
    let mut out = vec![0u8; (vp.width * vp.height * 4) as usize];
    render(x, y, rgba, &DotStyle { radius_px: r }, vp, bg, &mut out).expect("render");
    out
}

/// The definition, written as plainly as possible: every dot against
/// every pixel, in f64.
fn reference(x: &[f32], y: &[f32], rgba: &[u8], r: f32, vp: &Viewport, bg: [u8; 4]) -> Vec<u8> {
    let r = f64::from(r);
    let reach = r.max(0.5) + 0.5;
    let gain = (3.0 * r * r + 0.25).min(1.0);
    let (w, h) = (vp.width as usize, vp.height as usize);
    let ba = f64::from(bg[3]) / 255.0;
    let init = [0, 1, 2].map(|c| f64::from(bg[c]) / 255.0 * ba);
    let mut img = vec![[init[0], init[1], init[2], ba]; w * h];
    for i in 0..x.len() {
        let c = &rgba[4 * i..4 * i + 4];
        if c[3] == 0 || x[i].is_nan() || y[i].is_nan() {
            continue;
        }
        let px = f64::from(x[i] * vp.scale_x + vp.offset_x);
        let py = f64::from(y[i] * vp.scale_y + vp.offset_y);
        let src = [0, 1, 2].map(|k| f64::from(c[k]) / 255.0);
        for (j, row) in img.chunks_exact_mut(w).enumerate() {
            for (i, p) in row.iter_mut().enumerate() {
                let d = ((i as f64 + 0.5 - px).powi(2) + (j as f64 + 0.5 - py).powi(2)).sqrt();
                let a = f64::from(c[3]) / 255.0 * gain * (reach - d).clamp(0.0, 1.0);
                for k in 0..3 {
                    p[k] = src[k] * a + p[k] * (1.0 - a);
                }
                p[3] = a + p[3] * (1.0 - a);
            }
        }
    }
    let mut out = Vec::with_capacity(w * h * 4);
    for p in img {
        let q = |v: f64| (v.clamp(0.0, 255.0) + 0.5) as u8;
        if p[3] * 255.0 >= 0.5 {
            out.extend([
                q(p[0] / p[3] * 255.0),
                q(p[1] / p[3] * 255.0),
                q(p[2] / p[3] * 255.0),
            ]);
        } else {
            out.extend([0, 0, 0]);
        }
        out.push(q(p[3] * 255.0));
    }
    out
}

/// `draw` and `reference` of the same (x, y, rgba) dots.
fn draw_and_reference(
    dots: &[(f32, f32, [u8; 4])],
    r: f32,
    vp: &Viewport,
    bg: [u8; 4],
) -> (Vec<u8>, Vec<u8>) {
    let x: Vec<f32> = dots.iter().map(|d| d.0).collect();
    let y: Vec<f32> = dots.iter().map(|d| d.1).collect();
    let c: Vec<u8> = dots.iter().flat_map(|d| d.2).collect();
    (
        draw(&x, &y, &c, r, vp, bg),
        reference(&x, &y, &c, r, vp, bg),
    )
}

fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    a.iter()
        .zip(b)
        .map(|(p, q)| p.abs_diff(*q))
        .max()
        .unwrap_or(0)
}

/// A deterministic scatter of `n` dots over (and a little beyond) a
/// `w` x `h` image, with varied colours and alphas.
fn scatter(n: usize, w: f32, h: f32, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<u8>) {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut unit = move || (next() >> 40) as f32 / (1u64 << 24) as f32;
    let x = (0..n).map(|_| unit() * (w + 8.0) - 4.0).collect();
    let y = (0..n).map(|_| unit() * (h + 8.0) - 4.0).collect();
    let rgba = (0..4 * n).map(|_| (unit() * 256.0) as u8).collect();
    (x, y, rgba)
}

#[test]
fn background_alone_when_no_dots() {
    for bg in [[10, 20, 30, 255], [200, 100, 50, 128], [0, 0, 0, 0]] {
        let out = draw(&[], &[], &[], 1.0, &viewport(300, 70), bg);
        let want = if bg[3] == 0 { [0; 4] } else { bg };
        assert!(out.chunks_exact(4).all(|p| p == want), "background {bg:?}");
    }
}

#[test]
fn single_dot_is_symmetric_with_area_near_pi_r_squared() {
    for r in [0.3f32, 0.7, 1.0, 1.5, 2.5, 6.0] {
        let vp = viewport(41, 41);
        // White, opaque dot centred on the middle pixel, over transparent.
        let out = draw(&[20.5], &[20.5], &[255; 4], r, &vp, [0; 4]);
        let a = |i: usize, j: usize| out[(j * 41 + i) * 4 + 3];
        for j in 0..41 {
            for i in 0..41 {
                assert_eq!(a(i, j), a(40 - i, j), "r={r} mirror x at {i},{j}");
                assert_eq!(a(i, j), a(i, 40 - j), "r={r} mirror y at {i},{j}");
                assert_eq!(a(i, j), a(j, i), "r={r} transpose at {i},{j}");
            }
        }
        let total: f64 = (0..41 * 41)
            .map(|k| f64::from(out[k * 4 + 3]) / 255.0)
            .sum();
        let exact = std::f64::consts::PI * f64::from(r * r + 1.0 / 12.0);
        assert!(
            (total - exact).abs() < 0.02 * exact + 0.05,
            "r={r}: {total} vs {exact}"
        );
        if r >= 1.5 {
            let area = std::f64::consts::PI * f64::from(r * r);
            assert!(
                (total - area).abs() < 0.12 * area,
                "r={r}: {total} vs pi r^2 {area}"
            );
        }
    }
}

#[test]
fn later_dots_are_drawn_over_earlier_ones() {
    let vp = viewport(16, 16);
    let red = [255, 0, 0, 255];
    let blue = [0, 0, 255, 255];
    let centre = |out: &[u8]| out[(8 * 16 + 8) * 4..(8 * 16 + 8) * 4 + 4].to_vec();
    let rb: Vec<u8> = [red, blue].concat();
    let br: Vec<u8> = [blue, red].concat();
    let x = [8.5, 8.5];
    for r in [1.0, 1.5, 3.0] {
        assert_eq!(centre(&draw(&x, &x, &rb, r, &vp, [0, 0, 0, 255])), blue);
        assert_eq!(centre(&draw(&x, &x, &br, r, &vp, [0, 0, 0, 255])), red);
    }
}

#[test]
fn matches_reference_on_tile_edges_and_image_borders() {
    let vp = viewport(300, 70);
    // Centres on and around tile boundaries (128, 256 / 32, 64) and borders.
    let xs = [
        -1.2f32, 0.0, 0.3, 127.5, 128.0, 128.6, 255.9, 256.2, 299.4, 300.0, 301.0,
    ];
    let ys = [-1.0f32, 0.2, 31.5, 32.0, 32.7, 63.9, 64.4, 69.6, 70.4];
    let (mut x, mut y, mut c) = (vec![], vec![], vec![]);
    for (k, (&a, &b)) in xs
        .iter()
        .flat_map(|a| ys.iter().map(move |b| (a, b)))
        .enumerate()
    {
        x.push(a);
        y.push(b);
        c.extend([
            (k * 37) as u8,
            (k * 91) as u8,
            (k * 13) as u8,
            100 + (k as u8 % 155),
        ]);
    }
    for r in [0.3, 1.0, 1.2, 1.5, 1.6, 2.5, 3.0, 3.5, 3.6, 9.5] {
        for bg in [[30, 40, 50, 255], [0, 0, 0, 0], [90, 10, 200, 77]] {
            let got = draw(&x, &y, &c, r, &vp, bg);
            let want = reference(&x, &y, &c, r, &vp, bg);
            assert!(max_diff(&got, &want) <= 1, "r={r} bg={bg:?}");
        }
    }
}

#[test]
fn skipped_dots_change_nothing() {
    let vp = viewport(64, 40);
    let x = [f32::NAN, 10.0, 1e30, f32::NEG_INFINITY, 20.0, -1e9];
    let y = [5.0, f32::NAN, 5.0, 5.0, 20.0, 3.0];
    let mut c = vec![255u8; 24];
    c[19] = 0; // the only in-image dot is transparent
    let out = draw(&x, &y, &c, 1.5, &vp, [1, 2, 3, 255]);
    assert!(out.chunks_exact(4).all(|p| p == [1, 2, 3, 255]));
}

#[test]
fn viewport_transform_is_applied() {
    let vp = Viewport {
        width: 50,
        height: 30,
        scale_x: 50.0,
        scale_y: -30.0,
        offset_x: 0.0,
        offset_y: 30.0,
    };
    let (x, y, c) = scatter(200, 1.0, 1.0, 7);
    let got = draw(&x, &y, &c, 1.5, &vp, [0, 0, 0, 255]);
    assert!(max_diff(&got, &reference(&x, &y, &c, 1.5, &vp, [0, 0, 0, 255])) <= 1);
}

#[test]
fn regions_match_the_full_render() {
    let vp = viewport(333, 101);
    let (x, y, c) = scatter(20_000, 333.0, 101.0, 11);
    for r in [1.0, 1.5, 2.2, 3.4, 4.0] {
        let style = DotStyle { radius_px: r };
        let full = draw(&x, &y, &c, r, &vp, [5, 6, 7, 200]);
        for (x0, y0, w, h) in [
            (0, 0, 333, 101),
            (1, 1, 1, 1),
            (100, 30, 150, 50),
            (200, 0, 133, 101),
            (17, 33, 129, 33),
        ] {
            let mut out = vec![0u8; (w * h * 4) as usize];
            render_region(
                &x,
                &y,
                &c,
                &style,
                &vp,
                [5, 6, 7, 200],
                (x0, y0, w, h),
                &mut out,
            )
            .expect("region");
            for j in 0..h as usize {
                let a = ((y0 as usize + j) * 333 + x0 as usize) * 4;
                let b = j * w as usize * 4;
                assert_eq!(
                    &full[a..a + w as usize * 4],
                    &out[b..b + w as usize * 4],
                    "r={r} region ({x0},{y0},{w},{h}) row {j}"
                );
            }
        }
    }
}

#[test]
fn identical_at_any_thread_count() {
    let vp = viewport(700, 300);
    let (x, y, c) = scatter(200_000, 700.0, 300.0, 3);
    for r in [1.0, 1.5, 3.0] {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| draw(&x, &y, &c, r, &vp, [0, 0, 0, 255]))
        };
        let one = run(1);
        assert!(one == run(2), "r={r}: 1 vs 2 threads");
        assert!(one == run(3), "r={r}: 1 vs 3 threads");
    }
}

#[test]
fn portable_ssse3_and_avx2_paths_give_the_same_pixels() {
    use std::sync::atomic::Ordering;
    let vp = viewport(700, 300);
    let (x, y, c) = scatter(100_000, 700.0, 300.0, 5);
    for r in [0.5, 1.0, 1.5, 2.5, 3.5] {
        for bg in [[247, 247, 244, 255], [0, 0, 0, 255]] {
            let native = draw(&x, &y, &c, r, &vp, bg);
            for limit in [1, 0] {
                SIMD_LIMIT.store(limit, Ordering::Relaxed);
                let other = draw(&x, &y, &c, r, &vp, bg);
                SIMD_LIMIT.store(2, Ordering::Relaxed);
                assert!(native == other, "r={r} bg={bg:?} limit {limit}");
            }
        }
    }
}

#[test]
fn rasteriser_reuse_gives_the_same_pixels() {
    let vp = viewport(200, 100);
    let style = DotStyle { radius_px: 1.0 };
    let mut ras = Rasteriser::new();
    let mut out = vec![0u8; 200 * 100 * 4];
    for seed in [1u64, 2, 3] {
        let n = 5000 * seed as usize;
        let (x, y, c) = scatter(n, 200.0, 100.0, seed);
        ras.render(&x, &y, &c, &style, &vp, [0, 0, 0, 255], &mut out)
            .expect("render");
        assert_eq!(out, draw(&x, &y, &c, 1.0, &vp, [0, 0, 0, 255]));
    }
}

#[test]
fn bad_inputs_are_errors() {
    let s = DotStyle { radius_px: 1.0 };
    let vp = viewport(10, 10);
    let mut out = vec![0u8; 400];
    let bg = [0; 4];
    let e = |r: Result<(), RasterError>| r.expect_err("should fail");
    assert!(matches!(
        e(render(&[], &[], &[], &s, &viewport(0, 10), bg, &mut out)),
        RasterError::Size { .. }
    ));
    assert!(matches!(
        e(render(&[], &[], &[], &s, &viewport(16_385, 1), bg, &mut [])),
        RasterError::Size { .. }
    ));
    assert!(matches!(
        e(render(&[1.0], &[], &[0; 4], &s, &vp, bg, &mut out)),
        RasterError::Lengths { .. }
    ));
    assert!(matches!(
        e(render(&[1.0], &[1.0], &[0; 3], &s, &vp, bg, &mut out)),
        RasterError::Lengths { .. }
    ));
    assert!(matches!(
        e(render(&[], &[], &[], &s, &vp, bg, &mut out[..399])),
        RasterError::Output { .. }
    ));
    for r in [0.0, 0.29, f32::NAN, f32::INFINITY, 1e6] {
        let s = DotStyle { radius_px: r };
        assert!(matches!(
            e(render(&[], &[], &[], &s, &vp, bg, &mut out)),
            RasterError::Radius(_)
        ));
    }
    let nan_vp = Viewport {
        scale_x: f32::NAN,
        ..vp
    };
    assert!(matches!(
        e(render(&[], &[], &[], &s, &nan_vp, bg, &mut out)),
        RasterError::Transform { .. }
    ));
    for region in [
        (0, 0, 0, 5),
        (5, 5, 6, 1),
        (u32::MAX, 0, 2, 1),
        (0, 9, 1, 2),
    ] {
        let n = (region.2 as usize) * (region.3 as usize) * 4;
        let mut o = vec![0u8; n.min(4096)];
        assert!(matches!(
            e(render_region(&[], &[], &[], &s, &vp, bg, region, &mut o)),
            RasterError::Region { .. }
        ));
    }
    // Errors say what was wrong.
    let msg = e(render(&[1.0], &[], &[0; 4], &s, &vp, bg, &mut out)).to_string();
    assert!(msg.contains("x has 1") && msg.contains("y has 0"), "{msg}");
}

#[test]
fn largest_image_side_is_accepted() {
    let vp = viewport(MAX_SIDE, 2);
    let out = draw(&[100.5], &[1.5], &[255; 4], 1.0, &vp, [0, 0, 0, 255]);
    assert_eq!(out[(MAX_SIDE as usize + 100) * 4], 255);
}

#[test]
fn floor_matches_the_standard_library() {
    let mut v = -600_000.0f32;
    while v < 600_000.0 {
        for w in [v, v + 0.25, v + 0.5, v + 0.999, v - 1e-3] {
            assert_eq!(floor_i32(w), w.floor() as i32, "{w}");
        }
        v += 997.0;
    }
    for w in [
        -2.5f32, -1.5, -0.5, -1e-7, 0.0, -0.0, 1e-7, 0.5, 1.5, 2.5, 262_143.99,
    ] {
        assert_eq!(floor_i32(w), w.floor() as i32, "{w}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Opaque backgrounds take the fixed-point kernels: the same tolerance.
    #[test]
    fn random_dots_over_opaque_backgrounds_match_the_reference(
        w in 1u32..150,
        h in 1u32..80,
        r in prop_oneof![0.3f32..2.0, 2.0f32..4.0],
        dots in prop::collection::vec((-5.0f32..155.0, -5.0f32..85.0, any::<[u8; 4]>()), 0..60),
        bg in any::<[u8; 3]>(),
    ) {
        let vp = viewport(w, h);
        let bg = [bg[0], bg[1], bg[2], 255];
        let (got, want) = draw_and_reference(&dots, r, &vp, bg);
        prop_assert!(max_diff(&got, &want) <= 1, "max diff {}", max_diff(&got, &want));
    }

    #[test]
    fn random_dots_match_the_reference(
        w in 1u32..150,
        h in 1u32..80,
        r in prop_oneof![0.3f32..2.0, 2.0f32..6.0],
        dots in prop::collection::vec((-5.0f32..155.0, -5.0f32..85.0, any::<[u8; 4]>()), 0..60),
        bg in any::<[u8; 4]>(),
    ) {
        let vp = viewport(w, h);
        let (got, want) = draw_and_reference(&dots, r, &vp, bg);
        prop_assert!(max_diff(&got, &want) <= 1, "max diff {}", max_diff(&got, &want));
    }
}
