//! The f32 kernels: dots of any size over any background, into premultiplied planes.

use super::*;

/// Straight alpha and the straight colour a dot pulls pixels towards
/// (alpha's plane is pulled towards 1).
#[inline(always)]
pub(super) fn colour(rgba: u32) -> (f32, [f32; 4]) {
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
pub(super) fn coverage(g: &Geometry, d2: f32) -> f32 {
    (g.reach - d2.sqrt()).clamp(0.0, 1.0)
}

/// Draws one dot whose `4 * GROUPS`-wide, `ROWS_K`-high pixel block starts
/// at plane column `col`, row `row`; pixels of the block outside the dot get
/// zero coverage, which leaves them bit-for-bit unchanged.
///
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn kernel_block<const ROWS_K: usize, const GROUPS: usize>(
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
        for (p, &s) in src.iter().enumerate() {
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
pub(super) fn kernel_any(g: &Geometry, planes: &mut [f32], rec: &Rec, gx: i32, gy: i32) {
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
pub(super) fn fast_tile<const ROWS_K: usize, const GROUPS: usize>(
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
            kernel_block::<ROWS_K, GROUPS>(g, planes, rec, lx, ly, col as usize, row as usize);
        }
    }
}
