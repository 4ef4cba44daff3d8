//! The tile kernels' tests: every instruction set agrees, rounding, round trips.

use super::*;

#[test]
fn unpremultiply_rounds_and_handles_zero_alpha() {
    // Pixels (by lane): transparent, opaque, half alpha, out of range.
    let q = [
        [0.0, 0.5, 0.25, 2.0],
        [0.0, 0.25, 0.25, -1.0],
        [0.0, 0.0, 0.25, 0.0],
        [0.0, 1.0, 0.5, 1.0],
    ];
    let b = unpremultiply4(q);
    assert_eq!(&b[0..4], &[0, 0, 0, 0]);
    assert_eq!(&b[4..8], &[128, 64, 0, 255]);
    assert_eq!(&b[8..12], &[128, 128, 128, 128]);
    assert_eq!(&b[12..16], &[255, 0, 0, 255]);
}

/// Draws 400 pseudo-random dots of radius `r` with each fixed-point kernel this CPU
/// runs into a 0.3-grey opaque tile buffer; returns the buffers, portable one first.
fn fixed_buffers(r: f32) -> Vec<Vec<i16>> {
    use super::super::{check, DotStyle, Viewport};
    let vp = Viewport {
        width: 256,
        height: 64,
        scale_x: 1.0,
        scale_y: 1.0,
        offset_x: 0.0,
        offset_y: 0.0,
    };
    let style = DotStyle { radius_px: r };
    let g = check(&[], &[], &[], &style, &vp, (0, 0, 256, 64), 65536).expect("valid");
    let bg = opaque_fixed([0.3, 0.3, 0.3, 1.0]).expect("opaque");
    let fresh = || bg.repeat(PLANE);
    let mut h = 7u64;
    let recs: Vec<Rec> = (0..400)
        .map(|_| {
            h = crate::columns::mix64(h);
            Rec {
                px: 20.0 + (h % 200) as f32 + (h >> 32) as f32 / 4.3e9,
                py: 10.0 + ((h >> 8) % 40) as f32 + (h >> 40) as f32 / 1.7e7,
                rgba: (h >> 16) as u32 | 0x4000_0000,
            }
        })
        .collect();
    type Kernel = fn(&Geometry, &mut [i16], &Rec, i32, i32, usize, usize);
    let mut kernels: Vec<Kernel> = vec![match g.fast_rows {
        3 => kernel_fixed::<3, 4>,
        4 => kernel_fixed::<4, 4>,
        6 => kernel_fixed::<6, 8>,
        _ => kernel_fixed::<8, 8>,
    }];
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("ssse3") {
        // SAFETY (each closure): the CPU runs SSSE3, checked just above.
        match g.fast_rows {
            3 => kernels.push(|g, b, r, x, y, c, w| unsafe {
                kernel_fixed4_ssse3::<3>(g, b, r, x, y, c, w)
            }),
            4 => kernels.push(|g, b, r, x, y, c, w| unsafe {
                kernel_fixed4_ssse3::<4>(g, b, r, x, y, c, w)
            }),
            _ => {}
        }
    }
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY (each closure): the CPU runs AVX2, checked just above.
        kernels.extend::<[Kernel; 2]>(match g.fast_rows {
            3 => [
                |g, b, r, x, y, c, w| unsafe { kernel_fixed_avx2::<3, 4>(g, b, r, x, y, c, w) },
                |g, b, r, x, y, c, w| unsafe { kernel_fixed4_avx2::<3>(g, b, r, x, y, c, w) },
            ],
            4 => [
                |g, b, r, x, y, c, w| unsafe { kernel_fixed_avx2::<4, 4>(g, b, r, x, y, c, w) },
                |g, b, r, x, y, c, w| unsafe { kernel_fixed4_avx2::<4>(g, b, r, x, y, c, w) },
            ],
            6 => [
                |g, b, r, x, y, c, w| unsafe { kernel_fixed_avx2::<6, 8>(g, b, r, x, y, c, w) },
                |g, b, r, x, y, c, w| unsafe { kernel_fixed_avx2::<6, 8>(g, b, r, x, y, c, w) },
            ],
            _ => [
                |g, b, r, x, y, c, w| unsafe { kernel_fixed_avx2::<8, 8>(g, b, r, x, y, c, w) },
                |g, b, r, x, y, c, w| unsafe { kernel_fixed_avx2::<8, 8>(g, b, r, x, y, c, w) },
            ],
        });
    }
    kernels
        .iter()
        .map(|kernel| {
            let mut buf = fresh();
            for rec in &recs {
                let (lx, _) = g.span(rec.px);
                let (ly, _) = g.span(rec.py);
                let (col, row) = ((lx + APRON as i32) as usize, (ly + APRON as i32) as usize);
                kernel(&g, &mut buf, rec, lx, ly, col, row);
            }
            buf
        })
        .collect()
}

#[test]
fn fixed_point_kernels_agree_on_every_instruction_set() {
    for r in [0.3f32, 0.7, 1.0, 1.4, 2.5, 3.4] {
        let bufs = fixed_buffers(r);
        let portable = &bufs[0];
        for (i, other) in bufs.iter().enumerate().skip(1) {
            assert!(
                portable == other,
                "radius {r}: kernel {i} differs from the portable one"
            );
        }
        assert!(
            portable.chunks_exact(4).all(|p| p[3] == ONE as i16),
            "alpha stays 1"
        );
        assert!(portable.iter().all(|&v| (0..=ONE as i16).contains(&v)));
        let bg = opaque_fixed([0.3, 0.3, 0.3, 1.0]).expect("opaque");
        assert!(portable.chunks_exact(4).any(|p| p != bg), "dots were drawn");
    }
}

/// SSSE3's `pmulhrsw` on eight lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
fn pmulhrsw(d: [i16; 8], a: [i16; 8]) -> [i16; 8] {
    use std::arch::x86_64::*;
    let v = |x: [i16; 8]| _mm_setr_epi16(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    let mut out = [0i16; 8];
    // SAFETY: `out` is 16 writable bytes; unaligned stores are allowed.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), _mm_mulhrs_epi16(v(d), v(a))) };
    out
}

#[test]
fn mul_round_is_pmulhrsw() {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("ssse3") {
        let mut h = 3u64;
        for _ in 0..50_000 {
            let mut d = [0i16; 8];
            let mut a = [0i16; 8];
            for k in 0..8 {
                h = crate::columns::mix64(h);
                d[k] = ((h % 65_281) as i32 - 32_640) as i16;
                a[k] = ((h >> 20) % 32_768) as i16;
            }
            // SAFETY: the CPU runs SSSE3, checked above.
            let want = unsafe { pmulhrsw(d, a) };
            for k in 0..8 {
                assert_eq!(mul_round(d[k], a[k]), want[k], "{} * {}", d[k], a[k]);
            }
        }
    }
    assert_eq!(mul_round(-32_640, 32_767), -32_639);
    assert_eq!(mul_round(32_640, 16_384), 16_320);
    assert_eq!(mul_round(-1, 16_384), 0);
    assert_eq!(mul_round(1, 16_384), 1);
}

#[test]
fn fixed_point_round_trips_bytes_and_full_opacity() {
    for b in 0..=255u8 {
        let v = opaque_fixed([f32::from(b) / 255.0, 0.0, 1.0, 1.0]).expect("opaque");
        assert_eq!(v[0], i16::from(b) << 7);
        assert_eq!(((v[0] as u16 + 64) >> 7) as u8, b);
    }
    assert_eq!(opaque_fixed([0.5, 0.5, 0.5, 0.99]), None);
    // The largest opacity lands within one unit (1/128 of a byte step) of the colour.
    for (v, s) in [(0i16, ONE as i16), (ONE as i16, 0), (1234, 30_000)] {
        let got = v + mul_round(s - v, round_small(1e9));
        assert!((got - s).abs() <= 1, "{v} -> {s}: {got}");
    }
    assert_eq!(round_small(0.0), 0);
    assert_eq!(round_small(2.5), 2);
    assert_eq!(round_small(3.5), 4);
    assert_eq!(round_small(32_766.6), 32_767);
}

#[test]
fn colour_scales_bytes() {
    let (a, s) = colour(u32::from_le_bytes([255, 0, 51, 102]));
    assert!((a - 0.4).abs() < 1e-6);
    assert_eq!(s[0], 1.0);
    assert_eq!(s[1], 0.0);
    assert!((s[2] - 0.2).abs() < 1e-6);
    assert_eq!(s[3], 1.0);
}
