//! Rasterising one tile: dot kernels over planar premultiplied f32 planes, then straight-alpha u8.

use super::bin::{ChunkBins, Rec};
use super::{Geometry, APRON, TILE_H, TILE_W};

/// Row stride of a tile's planes: the tile plus an apron on both sides, so
/// the fixed 4x4 kernel never needs clipping.
pub(crate) const STRIDE: usize = TILE_W + 2 * APRON;
/// Rows of a tile's planes, apron included.
pub(crate) const ROWS: usize = TILE_H + 2 * APRON;
const PLANE: usize = STRIDE * ROWS;

/// Scratch planes for one tile: premultiplied R, G, B and A, one after another.
pub(crate) struct Accum {
    planes: Vec<f32>,
}

impl Accum {
    pub fn new() -> Self {
        Accum {
            planes: vec![0.0; 4 * PLANE],
        }
    }
}

/// Straight alpha and the straight colour a dot pulls pixels towards
/// (alpha's plane is pulled towards 1).
#[inline(always)]
fn colour(rgba: u32) -> (f32, [f32; 4]) {
    let c = rgba.to_le_bytes();
    let k = 1.0 / 255.0;
    let alpha = f32::from(c[3]) * k;
    (
        alpha,
        [
            f32::from(c[0]) * k,
            f32::from(c[1]) * k,
            f32::from(c[2]) * k,
            1.0,
        ],
    )
}

/// Coverage of a pixel whose centre is `d2` (squared distance) from a dot
/// centre, before the gain (which callers fold into the dot's alpha).
#[inline(always)]
fn coverage(g: &Geometry, d2: f32) -> f32 {
    (g.reach - d2.sqrt()).clamp(0.0, 1.0)
}

/// Draws one dot whose `4 * GROUPS`-wide, `ROWS_K`-high pixel block starts
/// at plane column `col`, row `row`; pixels of the block outside the dot get
/// zero coverage, which leaves them bit-for-bit unchanged.
///
/// `PLANES` is 4, or 3 over an opaque background: there the alpha plane is exactly 1
/// everywhere and "over" leaves it so (`a + (1 - a) * c` with `a == 1`), so skipping it
/// gives the same pixels bit for bit.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn kernel_block<const ROWS_K: usize, const GROUPS: usize, const PLANES: usize>(
    g: &Geometry,
    planes: &mut [f32],
    rec: &Rec,
    lo_x: i32,
    lo_y: i32,
    col: usize,
    row: usize,
) {
    let (alpha, src) = colour(rec.rgba);
    let alpha = alpha * g.gain;
    let by = lo_y as f32 + 0.5 - rec.py;
    for grp in 0..GROUPS {
        let bx = (lo_x + 4 * grp as i32) as f32 + 0.5 - rec.px;
        let dx = [bx, bx + 1.0, bx + 2.0, bx + 3.0];
        let dx2 = dx.map(|d| d * d);
        let mut a = [[0.0f32; 4]; ROWS_K];
        for (r, ar) in a.iter_mut().enumerate() {
            let dy = by + r as f32;
            let dy2 = dy * dy;
            for k in 0..4 {
                ar[k] = coverage(g, dx2[k] + dy2) * alpha;
            }
        }
        let start = row * STRIDE + col + 4 * grp;
        let len = (ROWS_K - 1) * STRIDE + 4;
        for (p, &s) in src.iter().enumerate().take(PLANES) {
            let base = p * PLANE + start;
            let Some(block) = planes.get_mut(base..base + len) else {
                return;
            };
            for (r, ar) in a.iter().enumerate() {
                let px = &mut block[r * STRIDE..r * STRIDE + 4];
                for k in 0..4 {
                    px[k] += (s - px[k]) * ar[k];
                }
            }
        }
    }
}

/// Draws one dot of any size, clipped to the tile at `(gx, gy)`.
#[inline(never)]
fn kernel_any(g: &Geometry, planes: &mut [f32], rec: &Rec, gx: i32, gy: i32) {
    let (alpha, src) = colour(rec.rgba);
    let alpha = alpha * g.gain;
    let (lx, hx) = g.span(rec.px);
    let (ly, hy) = g.span(rec.py);
    let x0 = lx.max(gx);
    let x1 = hx.min(gx + TILE_W as i32 - 1);
    let y0 = ly.max(gy);
    let y1 = hy.min(gy + TILE_H as i32 - 1);
    for j in y0..=y1 {
        let dy = j as f32 + 0.5 - rec.py;
        let dy2 = dy * dy;
        // In range by the clamps above.
        let row = (j - gy) as usize + APRON;
        for i in x0..=x1 {
            let dx = i as f32 + 0.5 - rec.px;
            let a = coverage(g, dx * dx + dy2) * alpha;
            if a == 0.0 {
                continue;
            }
            let idx = row * STRIDE + (i - gx) as usize + APRON;
            for (p, &s) in src.iter().enumerate() {
                if let Some(v) = planes.get_mut(p * PLANE + idx) {
                    *v += (s - *v) * a;
                }
            }
        }
    }
}

/// Draws a tile's dots with the fixed-size kernel.
#[inline(never)]
fn fast_tile<const ROWS_K: usize, const GROUPS: usize, const PLANES: usize>(
    g: &Geometry,
    chunks: &[ChunkBins],
    planes: &mut [f32],
    t: usize,
    gx: i32,
    gy: i32,
) {
    for chunk in chunks {
        for rec in chunk.tile(t) {
            let (lx, _) = g.span(rec.px);
            let (ly, _) = g.span(rec.py);
            // Binning guarantees the block overlaps the tile, so it lies
            // within the apron; checked anyway.
            let col = lx - gx + APRON as i32;
            let row = ly - gy + APRON as i32;
            if col < 0
                || row < 0
                || col as usize + 4 * GROUPS > STRIDE
                || row as usize + ROWS_K > ROWS
            {
                continue;
            }
            kernel_block::<ROWS_K, GROUPS, PLANES>(
                g,
                planes,
                rec,
                lx,
                ly,
                col as usize,
                row as usize,
            );
        }
    }
}

/// Renders tile `(tx, ty)` of the region into `rows`: one slice per visible row of the
/// tile, each `w * 4` bytes of straight-alpha RGBA (`w` = the tile's width inside the
/// region).
pub(crate) fn render_tile(
    g: &Geometry,
    chunks: &[ChunkBins],
    acc: &mut Accum,
    tx: usize,
    ty: usize,
    bg_premul: [f32; 4],
    rows: &mut [&mut [u8]],
) {
    let t = ty * g.tiles_x + tx;
    let w = TILE_W.min(g.rw as usize - tx * TILE_W);
    if chunks.iter().all(|c| c.tile(t).is_empty()) {
        // No dot touches this tile: it is the background, converted exactly as a drawn
        // pixel of background would be.
        let px = unpremultiply4(bg_premul.map(|v| [v; 4]));
        for row in rows.iter_mut() {
            for p in row[..w * 4].chunks_exact_mut(4) {
                p.copy_from_slice(&px[..4]);
            }
        }
        return;
    }
    let planes = &mut acc.planes[..];
    for (p, plane) in planes.chunks_exact_mut(PLANE).enumerate() {
        plane.fill(bg_premul[p]);
    }
    let gx = g.rx0 + (tx * TILE_W) as i32;
    let gy = g.ry0 + (ty * TILE_H) as i32;
    // Over an opaque background the alpha plane stays exactly 1: leave it alone.
    let opaque = bg_premul[3] == 1.0;
    match (g.fast_rows, opaque) {
        (3, true) => fast_tile::<3, 1, 3>(g, chunks, planes, t, gx, gy),
        (4, true) => fast_tile::<4, 1, 3>(g, chunks, planes, t, gx, gy),
        (6, true) => fast_tile::<6, 2, 3>(g, chunks, planes, t, gx, gy),
        (8, true) => fast_tile::<8, 2, 3>(g, chunks, planes, t, gx, gy),
        (3, false) => fast_tile::<3, 1, 4>(g, chunks, planes, t, gx, gy),
        (4, false) => fast_tile::<4, 1, 4>(g, chunks, planes, t, gx, gy),
        (6, false) => fast_tile::<6, 2, 4>(g, chunks, planes, t, gx, gy),
        (8, false) => fast_tile::<8, 2, 4>(g, chunks, planes, t, gx, gy),
        _ => {
            for chunk in chunks {
                for rec in chunk.tile(t) {
                    kernel_any(g, planes, rec, gx, gy);
                }
            }
        }
    }
    to_bytes(planes, w, rows);
}

/// Alpha at or above which a pixel counts as opaque (float rounding keeps "over" an
/// opaque background a hair below 1).
const OPAQUE: f32 = 1.0 - 1.0 / 65_536.0;

/// Converts the tile's visible pixels to straight-alpha RGBA bytes, row by row.
#[inline(never)]
fn to_bytes(planes: &[f32], w: usize, rows: &mut [&mut [u8]]) {
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
fn unpremultiply4(planes: [[f32; 4]; 4]) -> [u8; 16] {
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

#[cfg(test)]
mod tests {
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

    #[test]
    fn opaque_background_kernel_leaves_alpha_and_matches_the_full_one() {
        use super::super::{check, DotStyle, Viewport};
        for (r, rows, groups) in [(1.0f32, 3, 1), (1.4, 4, 1), (2.5, 6, 2), (3.4, 8, 2)] {
            let vp = Viewport {
                width: 256,
                height: 64,
                scale_x: 1.0,
                scale_y: 1.0,
                offset_x: 0.0,
                offset_y: 0.0,
            };
            let g = check(
                &[],
                &[],
                &[],
                &DotStyle { radius_px: r },
                &vp,
                (0, 0, 256, 64),
                65536,
            )
            .expect("valid");
            assert_eq!(g.fast_rows, rows);
            let fresh = || {
                let mut p = vec![0.3f32; 4 * PLANE];
                p[3 * PLANE..].fill(1.0); // opaque background
                p
            };
            let (mut three, mut four) = (fresh(), fresh());
            let mut h = 7u64;
            for _ in 0..400 {
                h = crate::columns::mix64(h);
                let rec = Rec {
                    px: 20.0 + (h % 200) as f32 + (h >> 32) as f32 / 4.3e9,
                    py: 10.0 + ((h >> 8) % 40) as f32 + (h >> 40) as f32 / 1.7e7,
                    rgba: (h >> 16) as u32 | 0x4000_0000,
                };
                let (lx, _) = g.span(rec.px);
                let (ly, _) = g.span(rec.py);
                let (col, row) = ((lx + APRON as i32) as usize, (ly + APRON as i32) as usize);
                macro_rules! both {
                    ($r:literal, $g:literal) => {{
                        kernel_block::<$r, $g, 3>(&g, &mut three, &rec, lx, ly, col, row);
                        kernel_block::<$r, $g, 4>(&g, &mut four, &rec, lx, ly, col, row);
                    }};
                }
                match (rows, groups) {
                    (3, 1) => both!(3, 1),
                    (4, 1) => both!(4, 1),
                    (6, 2) => both!(6, 2),
                    _ => both!(8, 2),
                }
            }
            let bits = |p: &[f32]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&three), bits(&four), "radius {r}");
            assert!(four[3 * PLANE..].iter().all(|&a| a == 1.0));
            assert!(four[..PLANE].iter().any(|&v| v != 0.3), "dots were drawn");
        }
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
}
