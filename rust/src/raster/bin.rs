//! Deterministic binning of dots into tiles: a per-chunk counting sort that keeps dot order.

use rayon::prelude::*;

use super::{floor_i32, Geometry, RasterError, TILE_H_SHIFT, TILE_W_SHIFT};

/// One dot as a tile sees it: its pixel-space centre and its straight-alpha
/// colour (`u32::from_le_bytes` of the RGBA bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Rec {
    pub px: f32,
    pub py: f32,
    pub rgba: u32,
}

/// The dots of one contiguous range of input, counting-sorted by tile.
///
/// `offsets[t]..offsets[t + 1]` are the records of tile `t`, in dot order.
/// Chunks cover the input in order, so walking every chunk's slice for a tile
/// visits that tile's dots in global dot order, whatever the thread count.
#[derive(Debug, Default)]
pub(crate) struct ChunkBins {
    pub offsets: Vec<usize>,
    pub recs: Vec<Rec>,
    /// Per-dot tile code from the counting pass (fast path only).
    codes: Vec<u32>,
}

impl ChunkBins {
    /// The records of tile `t` from this chunk.
    #[inline]
    pub fn tile(&self, t: usize) -> &[Rec] {
        match (self.offsets.get(t), self.offsets.get(t + 1)) {
            (Some(&a), Some(&b)) => self.recs.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Code of a skipped dot.
const SKIP: u32 = u32::MAX;
/// Code flags: the dot also touches the next tile to the right / below.
const RIGHT: u32 = 1 << 30;
const BELOW: u32 = 1 << 31;
const TILE_MASK: u32 = RIGHT - 1;

/// Pixel-space centre of a dot, when it is drawn at all and may touch the region.
#[inline(always)]
fn centre(g: &Geometry, x: f32, y: f32, alpha: u8) -> Option<(f32, f32)> {
    let px = x * g.sx + g.ox;
    let py = y * g.sy + g.oy;
    // Also rejects NaN and infinities before any float-to-int conversion.
    let inside = px >= g.min_px && px <= g.max_px && py >= g.min_py && py <= g.max_py;
    (alpha != 0 && inside).then_some((px, py))
}

/// Inclusive tile range `(tx0, tx1, ty0, ty1)` a drawn dot touches, if any.
#[inline(always)]
fn tile_range(g: &Geometry, px: f32, py: f32) -> Option<(usize, usize, usize, usize)> {
    let (lx, hx) = g.span(px);
    let (ly, hy) = g.span(py);
    let (lx, hx) = (lx - g.rx0, hx - g.rx0);
    let (ly, hy) = (ly - g.ry0, hy - g.ry0);
    if hx < 0 || hy < 0 || lx >= g.rw || ly >= g.rh {
        return None;
    }
    // Non-negative after the clamps, so the casts are exact.
    Some((
        (lx.max(0) as usize) >> TILE_W_SHIFT,
        (hx.min(g.rw - 1) as usize) >> TILE_W_SHIFT,
        (ly.max(0) as usize) >> TILE_H_SHIFT,
        (hy.min(g.rh - 1) as usize) >> TILE_H_SHIFT,
    ))
}

/// Tile code of one dot for a fixed-size kernel, whose span (at most 8
/// pixels, less than a tile side) can reach at most one more tile along each axis.
///
/// Branch-free so the loop over a chunk vectorises: the centre is clamped
/// into the margin box first (NaN clamps too), so no integer maths can
/// overflow, and validity is folded in at the end.
#[inline(always)]
fn fast_code(g: &Geometry, x: f32, y: f32, alpha: u8) -> u32 {
    let px = x * g.sx + g.ox;
    let py = y * g.sy + g.oy;
    let inside = (px >= g.min_px) & (px <= g.max_px) & (py >= g.min_py) & (py <= g.max_py);
    let cx = px.max(g.min_px).min(g.max_px);
    let cy = py.max(g.min_py).min(g.max_py);
    let lx = floor_i32(cx - g.reach - 0.5) + 1 - g.rx0;
    let ly = floor_i32(cy - g.reach - 0.5) + 1 - g.ry0;
    let hx = lx + g.fast_rows - 1;
    let hy = ly + g.fast_rows - 1;
    let ok = (alpha != 0) & inside & (hx >= 0) & (hy >= 0) & (lx < g.rw) & (ly < g.rh);
    let tx0 = lx.max(0) >> TILE_W_SHIFT;
    let tx1 = hx.min(g.rw - 1) >> TILE_W_SHIFT;
    let ty0 = ly.max(0) >> TILE_H_SHIFT;
    let ty1 = hy.min(g.rh - 1) >> TILE_H_SHIFT;
    // Below 2^30 when `ok`: at most 128 x 512 tiles.
    let t = (ty0 * g.tiles_x as i32 + tx0) as u32;
    let code = t | (u32::from(tx1 > tx0) << 30) | (u32::from(ty1 > ty0) << 31);
    if ok {
        code
    } else {
        SKIP
    }
}

/// Turns per-tile counts into start offsets; returns the total.
fn exclusive_prefix_sum(counts: &mut [usize]) -> usize {
    let mut total = 0usize;
    for n in counts.iter_mut() {
        let here = *n;
        *n = total;
        total += here;
    }
    total
}

/// Sizes the record buffer to `total` without re-zeroing what a previous
/// frame left there (every slot is overwritten by the scatter).
fn size_recs(recs: &mut Vec<Rec>, total: usize) -> Result<(), RasterError> {
    if recs.len() < total {
        recs.try_reserve_exact(total - recs.len())
            .map_err(|_| RasterError::TooManyFragments { fragments: total })?;
        recs.resize(total, Rec::default());
    } else {
        recs.truncate(total);
    }
    Ok(())
}

/// After the scatter `offsets[t]` holds the end of tile `t`: shift back to starts.
fn restore_starts(offsets: &mut [usize]) {
    let n = offsets.len();
    if n > 1 {
        offsets.copy_within(0..n - 1, 1);
        offsets[0] = 0;
    }
}

/// Writes `rec` at tile `t`'s cursor and advances it.
#[inline(always)]
fn put(offsets: &mut [usize], recs: &mut [Rec], t: usize, rec: Rec) {
    if let Some(cur) = offsets.get_mut(t) {
        if let Some(slot) = recs.get_mut(*cur) {
            *slot = rec;
        }
        *cur += 1;
    }
}

/// Bins one chunk of dots for the fixed-size kernel, with AVX2 where the CPU has it (the
/// tile-code pass then takes eight dots a step); exact integer and float maths without
/// fused multiply-adds, so the bins are the same either way.
fn bin_chunk_fast(
    g: &Geometry,
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    bins: &mut ChunkBins,
) -> Result<(), RasterError> {
    #[cfg(target_arch = "x86_64")]
    if g.avx2 {
        // SAFETY: `g.avx2` is set only when `is_x86_feature_detected!("avx2")` said so.
        return unsafe { bin_chunk_fast_avx2(g, x, y, rgba, bins) };
    }
    bin_chunk_fast_body(g, x, y, rgba, bins)
}

/// [`bin_chunk_fast_body`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn bin_chunk_fast_avx2(
    g: &Geometry,
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    bins: &mut ChunkBins,
) -> Result<(), RasterError> {
    bin_chunk_fast_body(g, x, y, rgba, bins)
}

/// Bins one chunk of dots for the fixed-size kernel.
#[inline(always)]
fn bin_chunk_fast_body(
    g: &Geometry,
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    bins: &mut ChunkBins,
) -> Result<(), RasterError> {
    let ntiles = g.tiles_x * g.tiles_y;
    let tiles_x = g.tiles_x;
    // Pass 1: a branch-free tile code per dot, then the counts.
    let n = x.len().min(y.len()).min(rgba.len() / 4);
    let (x, y, rgba) = (&x[..n], &y[..n], &rgba[..4 * n]);
    // Every code is written below: only the length changes (no refill each chunk).
    bins.codes.resize(n, SKIP);
    for (i, code) in bins.codes.iter_mut().enumerate() {
        *code = fast_code(g, x[i], y[i], rgba[4 * i + 3]);
    }
    let counts = &mut bins.offsets;
    counts.clear();
    counts.resize(ntiles + 1, 0);
    for &code in &bins.codes {
        if code == SKIP {
            continue;
        }
        let t = (code & TILE_MASK) as usize;
        let right = usize::from(code & RIGHT != 0);
        for t in [t, t + tiles_x] {
            if let Some(n) = counts.get_mut(t) {
                *n += 1;
            }
            if right == 1 {
                if let Some(n) = counts.get_mut(t + 1) {
                    *n += 1;
                }
            }
            if code & BELOW == 0 {
                break;
            }
        }
    }
    let total = exclusive_prefix_sum(counts);
    size_recs(&mut bins.recs, total)?;
    // Pass 2: scatter records, each tile's cursor moving in dot order.
    let (offsets, recs) = (&mut bins.offsets[..], &mut bins.recs[..]);
    for (((&code, &xi), &yi), c) in bins.codes.iter().zip(x).zip(y).zip(rgba.chunks_exact(4)) {
        if code == SKIP {
            continue;
        }
        let rec = Rec {
            px: xi * g.sx + g.ox,
            py: yi * g.sy + g.oy,
            rgba: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
        };
        let t = (code & TILE_MASK) as usize;
        put(offsets, recs, t, rec);
        if code & RIGHT != 0 {
            put(offsets, recs, t + 1, rec);
        }
        if code & BELOW != 0 {
            put(offsets, recs, t + tiles_x, rec);
            if code & RIGHT != 0 {
                put(offsets, recs, t + tiles_x + 1, rec);
            }
        }
    }
    restore_starts(offsets);
    Ok(())
}

/// Bins one chunk of dots of any size (each may touch many tiles).
fn bin_chunk_any(
    g: &Geometry,
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    bins: &mut ChunkBins,
) -> Result<(), RasterError> {
    let ntiles = g.tiles_x * g.tiles_y;
    let tiles_x = g.tiles_x;
    let dots = x.iter().zip(y).zip(rgba.chunks_exact(4));
    let range = |xi: f32, yi: f32, a: u8| {
        centre(g, xi, yi, a).and_then(|(px, py)| Some((px, py, tile_range(g, px, py)?)))
    };
    let counts = &mut bins.offsets;
    counts.clear();
    counts.resize(ntiles + 1, 0);
    for ((&xi, &yi), c) in dots.clone() {
        if let Some((_, _, (tx0, tx1, ty0, ty1))) = range(xi, yi, c[3]) {
            for ty in ty0..=ty1 {
                for tx in tx0..=tx1 {
                    if let Some(n) = counts.get_mut(ty * tiles_x + tx) {
                        *n += 1;
                    }
                }
            }
        }
    }
    let total = exclusive_prefix_sum(counts);
    size_recs(&mut bins.recs, total)?;
    let (offsets, recs) = (&mut bins.offsets[..], &mut bins.recs[..]);
    for ((&xi, &yi), c) in dots {
        if let Some((px, py, (tx0, tx1, ty0, ty1))) = range(xi, yi, c[3]) {
            let rgba = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            let rec = Rec { px, py, rgba };
            for ty in ty0..=ty1 {
                for tx in tx0..=tx1 {
                    put(offsets, recs, ty * tiles_x + tx, rec);
                }
            }
        }
    }
    restore_starts(offsets);
    Ok(())
}

/// Number of dots per binning chunk: big enough that per-chunk offset tables
/// stay small next to the records, small enough that a chunk's inputs stay in
/// cache between the counting and the scattering pass.
pub(crate) fn chunk_len(ntiles: usize) -> usize {
    (1usize << 15).max(ntiles.saturating_mul(8))
}

/// Bins every dot; `chunks` is resized to the number of chunks and reused.
pub(crate) fn bin_all(
    g: &Geometry,
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    chunks: &mut Vec<ChunkBins>,
) -> Result<(), RasterError> {
    let len = chunk_len(g.tiles_x * g.tiles_y);
    let nchunks = x.len().div_ceil(len);
    chunks.resize_with(nchunks, ChunkBins::default);
    let fast = g.fast_rows > 0;
    chunks
        .par_iter_mut()
        .zip(x.par_chunks(len))
        .zip(y.par_chunks(len))
        .zip(rgba.par_chunks(len * 4))
        .try_for_each(|(((bins, xc), yc), cc)| {
            if fast {
                bin_chunk_fast(g, xc, yc, cc, bins)
            } else {
                bin_chunk_any(g, xc, yc, cc, bins)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::super::{check, DotStyle, Viewport};
    use super::*;

    fn geometry(w: u32, h: u32, r: f32) -> Geometry {
        let vp = Viewport {
            width: w,
            height: h,
            scale_x: 1.0,
            scale_y: 1.0,
            offset_x: 0.0,
            offset_y: 0.0,
        };
        let style = DotStyle { radius_px: r };
        let out = (w * h * 4) as usize;
        check(&[], &[], &[], &style, &vp, (0, 0, w, h), out).expect("valid")
    }

    /// Every tile's records, gathered over chunks in chunk order.
    fn tile_dots(g: &Geometry, chunks: &[ChunkBins], t: usize) -> Vec<f32> {
        let _ = g;
        chunks
            .iter()
            .flat_map(|c| c.tile(t).iter().map(|r| r.px))
            .collect()
    }

    #[test]
    fn binning_keeps_dot_order_and_duplicates_across_edges() {
        for r in [1.0, 1.5, 3.0, 6.0] {
            let g = geometry(300, 70, r);
            // Dot i sits at x = 200 + i / 1000 (so px encodes the order),
            // across the edge between the first two tile columns.
            let n = 100_000;
            let x: Vec<f32> = (0..n).map(|i| 200.0 + i as f32 / 1000.0).collect();
            let y: Vec<f32> = (0..n).map(|i| (i % 70) as f32).collect();
            let rgba = vec![255u8; 4 * n];
            let mut chunks = Vec::new();
            bin_all(&g, &x, &y, &rgba, &mut chunks).expect("bin");
            assert!(chunks.len() > 1, "test must span several chunks");
            let mut total = 0;
            for t in 0..g.tiles_x * g.tiles_y {
                let d = tile_dots(&g, &chunks, t);
                assert!(d.windows(2).all(|w| w[0] < w[1]), "tile {t} out of order");
                total += d.len();
            }
            // Every dot lands somewhere; dots near edges land more than once.
            assert!(total > n);
        }
    }

    #[test]
    fn skipped_dots_are_not_binned() {
        let g = geometry(64, 64, 1.0);
        let x = [f32::NAN, 10.0, 1e9, f32::INFINITY, -50.0, 10.0];
        let y = [10.0, f32::NAN, 10.0, 10.0, 10.0, 10.0];
        let mut rgba = vec![255u8; 24];
        rgba[23] = 0; // last dot fully transparent
        let mut chunks = Vec::new();
        bin_all(&g, &x, &y, &rgba, &mut chunks).expect("bin");
        let total: usize = chunks.iter().map(|c| c.recs.len()).sum();
        assert_eq!(total, 0);
    }
}
