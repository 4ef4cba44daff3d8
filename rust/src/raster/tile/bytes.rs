//! From a tile's planes (or fixed-point pixels) to straight-alpha bytes.

use super::*;

/// The fixed-point pixel of an opaque background (premultiplied f32 made from bytes, so
/// `v * 255` is a byte to within rounding), or `None` when it is not opaque.
pub(super) fn opaque_fixed(bg_premul: [f32; 4]) -> Option<[i16; 4]> {
    (bg_premul[3] == 1.0).then(|| {
        let q = |v: f32| (((v * 255.0 + 0.5) as i32).clamp(0, 255) << 7) as i16;
        [
            q(bg_premul[0]),
            q(bg_premul[1]),
            q(bg_premul[2]),
            ONE as i16,
        ]
    })
}

/// Converts the tile's visible fixed-point pixels (opaque) to RGBA bytes, rounding to nearest.
#[inline(never)]
pub(super) fn fixed_to_bytes(buf: &[i16], w: usize, rows: &mut [&mut [u8]]) {
    for (j, row_out) in rows.iter_mut().enumerate() {
        let base = ((j + APRON) * STRIDE + APRON) * 4;
        let src = &buf[base..base + 4 * w];
        for (o, &v) in row_out[..4 * w].iter_mut().zip(src) {
            // 0..=ONE, so 0..=255 after the shift.
            *o = ((v as u16 + 64) >> 7) as u8;
        }
    }
}

/// Alpha at or above which a pixel counts as opaque (float rounding keeps "over" an
/// opaque background a hair below 1).
const OPAQUE: f32 = 1.0 - 1.0 / 65_536.0;

/// Converts the tile's visible pixels to straight-alpha RGBA bytes, row by row.
#[inline(never)]
pub(super) fn to_bytes(planes: &[f32], w: usize, rows: &mut [&mut [u8]]) {
    for (j, row_out) in rows.iter_mut().enumerate() {
        let base = (j + APRON) * STRIDE + APRON;
        let r = &planes[base..base + w];
        let g_ = &planes[PLANE + base..PLANE + base + w];
        let b = &planes[2 * PLANE + base..2 * PLANE + base + w];
        let a = &planes[3 * PLANE + base..3 * PLANE + base + w];
        let row_out = &mut row_out[..w * 4];
        if a.iter().all(|&v| v >= OPAQUE) {
            // Over an opaque background (the usual case) premultiplied is straight colour.
            for (i, p) in row_out.chunks_exact_mut(4).enumerate() {
                p[0] = (r[i] * 255.0 + 0.5) as u8;
                p[1] = (g_[i] * 255.0 + 0.5) as u8;
                p[2] = (b[i] * 255.0 + 0.5) as u8;
                p[3] = 255;
            }
            continue;
        }
        // Groups of four pixels so the arithmetic vectorises; a short tail is padded.
        let mut i = 0;
        while i < w {
            let n = (w - i).min(4);
            let lanes = |p: &[f32]| {
                let mut v = [0.0f32; 4];
                v[..n].copy_from_slice(&p[i..i + n]);
                v
            };
            let bytes = unpremultiply4([lanes(r), lanes(g_), lanes(b), lanes(a)]);
            row_out[4 * i..4 * (i + n)].copy_from_slice(&bytes[..4 * n]);
            i += 4;
        }
    }
}

/// Converts four premultiplied f32 pixels, given as planes `[r, g, b, a]`
/// of four lanes each, to straight-alpha u8 RGBA, rounding to nearest;
/// alpha that rounds to zero gives transparent black.
#[inline(always)]
pub(super) fn unpremultiply4(planes: [[f32; 4]; 4]) -> [u8; 16] {
    let [r, g, b, a] = planes;
    // Pixels whose alpha rounds to 0 are canonical transparent black.
    let inv = a.map(|a| if a * 255.0 >= 0.5 { 255.0 / a } else { 0.0 });
    let to = |v: f32| ((v.clamp(0.0, 255.0) + 0.5) as i32) as u8;
    let mut out = [0u8; 16];
    for k in 0..4 {
        out[4 * k] = to(r[k] * inv[k]);
        out[4 * k + 1] = to(g[k] * inv[k]);
        out[4 * k + 2] = to(b[k] * inv[k]);
        out[4 * k + 3] = to(a[k] * 255.0);
    }
    out
}
