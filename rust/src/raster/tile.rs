//! Rasterising one tile: dot kernels over planar premultiplied f32 planes, then straight-alpha u8.

use super::bin::{ChunkBins, Rec};
use super::{Geometry, APRON, TILE_H, TILE_W};

/// Row stride of a tile's planes: the tile plus an apron on both sides, so
/// the fixed 4x4 kernel never needs clipping.
pub(crate) const STRIDE: usize = TILE_W + 2 * APRON;
/// Rows of a tile's planes, apron included.
pub(crate) const ROWS: usize = TILE_H + 2 * APRON;
const PLANE: usize = STRIDE * ROWS;

/// Scratch buffers for one tile: premultiplied f32 planes R, G, B and A, one after
/// another (any background), and interleaved fixed-point RGBA pixels (opaque backgrounds).
pub(crate) struct Accum {
    planes: Vec<f32>,
    fixed: Vec<i16>,
}

impl Accum {
    pub fn new() -> Self {
        Accum {
            planes: Vec::new(),
            fixed: Vec::new(),
        }
    }
}

/// Fixed-point scale of a colour channel over an opaque background: `v / ONE` is the
/// channel in `0..=1`, so a byte `b` is exactly `b * 128` and `(v + 64) >> 7` rounds a
/// value back to a byte.
const ONE: i32 = 255 * 128;
/// Largest fixed-point opacity of a dot at a pixel (coverage times alpha times gain,
/// times 2^15, rounded; just under 1 so it fits an `i16`).
const A_MAX: f32 = 32_767.0;

/// `v` rounded to the nearest integer (ties to even), for `v` in `0..=A_MAX`, without a
/// float-to-int conversion (whose saturating semantics do not vectorise): adding 2^23
/// leaves the rounded integer in the low mantissa bits.
#[inline(always)]
fn round_small(v: f32) -> i16 {
    ((v.min(A_MAX) + 8_388_608.0).to_bits() & 0xFFFF) as i16
}

/// `(d * a + 2^14) >> 15`: SSSE3's `pmulhrsw`.
#[inline(always)]
fn mul_round(d: i16, a: i16) -> i16 {
    ((i32::from(d) * i32::from(a) + 0x4000) >> 15) as i16
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

/// One dot as the fixed-point kernels see it.
struct FixedDot<const COLS: usize> {
    /// The dot's colour in fixed point (alpha channel `ONE`).
    src: [i16; 4],
    /// Peak opacity in units of 2^-15 (alpha times gain).
    opacity: f32,
    /// Squared x distances from the dot centre to the block's pixel centres.
    dx2: [f32; COLS],
    /// y distance from the dot centre to the block's first row of pixel centres.
    by: f32,
}

#[inline(always)]
fn fixed_dot<const COLS: usize>(g: &Geometry, rec: &Rec, lo_x: i32, lo_y: i32) -> FixedDot<COLS> {
    let c = rec.rgba.to_le_bytes();
    let bx = lo_x as f32 + 0.5 - rec.px;
    let mut dx2 = [0.0f32; COLS];
    for (k, d) in dx2.iter_mut().enumerate() {
        let dx = bx + k as f32;
        *d = dx * dx;
    }
    FixedDot {
        // Exact: a byte b is b * 128 in units of ONE / 255.
        src: [c[0], c[1], c[2], 255].map(|b| i16::from(b) << 7),
        opacity: f32::from(c[3]) * g.gain_a,
        dx2,
        by: lo_y as f32 + 0.5 - rec.py,
    }
}

impl<const COLS: usize> FixedDot<COLS> {
    /// Fixed-point opacity of the dot at each pixel of block row `r`. Plain float maths
    /// (no fused multiply-add), so every instruction set gives the same values.
    #[inline(always)]
    fn opacities(&self, g: &Geometry, r: usize) -> [i16; COLS] {
        let dy = self.by + r as f32;
        let dy2 = dy * dy;
        let mut a = [0i16; COLS];
        for (k, a) in a.iter_mut().enumerate() {
            let cov = (g.reach - (self.dx2[k] + dy2).sqrt()).clamp(0.0, 1.0);
            *a = round_small(cov * self.opacity);
        }
        a
    }
}

/// Draws one dot over an opaque background into the tile's interleaved fixed-point RGBA
/// pixels (`ONE` = 1): the `ROWS_K` x `COLS` block whose top-left pixel is plane column
/// `col`, row `row`.
///
/// Each channel `v` moves towards the dot's colour `s` by the dot's opacity `a` (in units
/// of 2^-15): `v += (a (s - v) + 2^14) >> 15`, exact integer maths (the rounding multiply
/// of SSSE3's `pmulhrsw`, which the SIMD kernels use), so every instruction set
/// gives the same pixels. `|a| < 2^15` keeps the step no longer than `s - v`, so values
/// stay within `0..=ONE`; the alpha channel is `ONE` and stays so. Pixels of the block
/// outside the dot get `a = 0`: unchanged.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn kernel_fixed<const ROWS_K: usize, const COLS: usize>(
    g: &Geometry,
    buf: &mut [i16],
    rec: &Rec,
    lo_x: i32,
    lo_y: i32,
    col: usize,
    row: usize,
) {
    let dot = fixed_dot::<COLS>(g, rec, lo_x, lo_y);
    for r in 0..ROWS_K {
        let a = dot.opacities(g, r);
        let start = ((row + r) * STRIDE + col) * 4;
        let Some(dst) = buf.get_mut(start..start + 4 * COLS) else {
            return;
        };
        for (k, px) in dst.chunks_exact_mut(4).enumerate() {
            for (v, &s) in px.iter_mut().zip(&dot.src) {
                *v += mul_round(s - *v, a[k]);
            }
        }
    }
}

/// [`kernel_fixed`] with AVX2 intrinsics: four pixels (16 channels) per instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
#[inline]
fn kernel_fixed_avx2<const ROWS_K: usize, const COLS: usize>(
    g: &Geometry,
    buf: &mut [i16],
    rec: &Rec,
    lo_x: i32,
    lo_y: i32,
    col: usize,
    row: usize,
) {
    use std::arch::x86_64::*;
    let dot = fixed_dot::<COLS>(g, rec, lo_x, lo_y);
    let lanes = dot
        .src
        .iter()
        .rev()
        .fold(0u64, |acc, &v| (acc << 16) | u64::from(v as u16));
    let src = _mm256_set1_epi64x(lanes as i64);
    for r in 0..ROWS_K {
        let a = dot.opacities(g, r);
        let start = ((row + r) * STRIDE + col) * 4;
        let Some(dst) = buf.get_mut(start..start + 4 * COLS) else {
            return;
        };
        for (grp, quad) in dst.chunks_exact_mut(16).enumerate() {
            // Each pixel's opacity repeated over its four channels.
            let w = _mm256_setr_epi64x(
                i64::from(a[4 * grp] as u16) * 0x0001_0001_0001_0001,
                i64::from(a[4 * grp + 1] as u16) * 0x0001_0001_0001_0001,
                i64::from(a[4 * grp + 2] as u16) * 0x0001_0001_0001_0001,
                i64::from(a[4 * grp + 3] as u16) * 0x0001_0001_0001_0001,
            );
            let p = quad.as_mut_ptr().cast::<__m256i>();
            // SAFETY: `quad` is 16 `i16`s (32 bytes) of `buf`, exclusively borrowed;
            // unaligned loads and stores are allowed.
            unsafe {
                let v = _mm256_loadu_si256(p);
                let step = _mm256_mulhrs_epi16(_mm256_sub_epi16(src, v), w);
                _mm256_storeu_si256(p, _mm256_add_epi16(v, step));
            }
        }
    }
}

/// The interleaved channels from a 4-pixel-wide, `ROWS_K`-high block's top-left pixel
/// (plane column `col`, row `row`) to its bottom-right one; row `r` starts at
/// `r * STRIDE * 4`.
#[inline(always)]
fn block4<const ROWS_K: usize>(buf: &mut [i16], col: usize, row: usize) -> Option<&mut [i16]> {
    let start = (row * STRIDE + col) * 4;
    buf.get_mut(start..start + ((ROWS_K - 1) * STRIDE + 4) * 4)
}

/// [`kernel_fixed`] for blocks four pixels wide and up to four rows high, with AVX2
/// intrinsics: the opacities of two rows at a time in one vector, one row of four pixels
/// (16 channels) per blend. The float operations are those of [`FixedDot::opacities`]
/// lane for lane, and the blend is `pmulhrsw`, so the pixels equal [`kernel_fixed`]'s.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
#[inline]
fn kernel_fixed4_avx2<const ROWS_K: usize>(
    g: &Geometry,
    buf: &mut [i16],
    rec: &Rec,
    lo_x: i32,
    lo_y: i32,
    col: usize,
    row: usize,
) {
    use std::arch::x86_64::*;
    let Some(block) = block4::<ROWS_K>(buf, col, row) else {
        return;
    };
    let c = rec.rgba;
    // Colour: bytes to 16-bit lanes, times 128; alpha lane ONE.
    let bytes = _mm_cvtsi32_si128((c | 0xFF00_0000) as i32);
    let src = _mm256_broadcastq_epi64(_mm_slli_epi16::<7>(_mm_cvtepu8_epi16(bytes)));
    let opacity = _mm256_set1_ps(f32::from((c >> 24) as u8) * g.gain_a);
    let bx = _mm256_set1_ps(lo_x as f32 + 0.5 - rec.px);
    let by = _mm256_set1_ps(lo_y as f32 + 0.5 - rec.py);
    let dx = _mm256_add_ps(bx, _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0));
    let dx2 = _mm256_mul_ps(dx, dx);
    let reach = _mm256_set1_ps(g.reach);
    let zero = _mm256_setzero_ps();
    let one = _mm256_set1_ps(1.0);
    let a_max = _mm256_set1_ps(A_MAX);
    let magic = _mm256_set1_ps(8_388_608.0);
    // Opacities of rows `r` and `r + 1`, as 32-bit lanes whose low 16 bits are the value.
    let pair = |r: f32| {
        let dy = _mm256_add_ps(
            by,
            _mm256_setr_ps(r, r, r, r, r + 1.0, r + 1.0, r + 1.0, r + 1.0),
        );
        let d2 = _mm256_add_ps(dx2, _mm256_mul_ps(dy, dy));
        let cov = _mm256_sub_ps(reach, _mm256_sqrt_ps(d2));
        let cov = _mm256_min_ps(_mm256_max_ps(cov, zero), one);
        let a = _mm256_min_ps(_mm256_mul_ps(cov, opacity), a_max);
        _mm256_castps_si256(_mm256_add_ps(a, magic))
    };
    // Each pixel's opacity over its four channels: pixels 0, 1 in the low half, 2, 3 high.
    let spread = _mm256_setr_epi8(
        0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5, 0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5,
        4, 5,
    );
    let mut blend = |r: usize, w: __m256i| {
        let p = block[r * STRIDE * 4..r * STRIDE * 4 + 16]
            .as_mut_ptr()
            .cast::<__m256i>();
        // SAFETY: `p` points at 16 `i16`s (32 bytes) of `block`, exclusively borrowed
        // (the slice above is bounds-checked); unaligned loads and stores are allowed.
        unsafe {
            let v = _mm256_loadu_si256(p);
            let step = _mm256_mulhrs_epi16(_mm256_sub_epi16(src, v), w);
            _mm256_storeu_si256(p, _mm256_add_epi16(v, step));
        }
    };
    let a01 = pair(0.0);
    blend(
        0,
        _mm256_shuffle_epi8(_mm256_permute4x64_epi64::<0x50>(a01), spread),
    );
    blend(
        1,
        _mm256_shuffle_epi8(_mm256_permute4x64_epi64::<0xFA>(a01), spread),
    );
    if ROWS_K > 2 {
        let a23 = pair(2.0);
        blend(
            2,
            _mm256_shuffle_epi8(_mm256_permute4x64_epi64::<0x50>(a23), spread),
        );
        if ROWS_K > 3 {
            blend(
                3,
                _mm256_shuffle_epi8(_mm256_permute4x64_epi64::<0xFA>(a23), spread),
            );
        }
    }
}

/// [`kernel_fixed`] for blocks four pixels wide with SSSE3 intrinsics, for CPUs without
/// AVX2: one row's opacities a vector, two pixels (8 channels) per blend. The same float
/// operations lane for lane and the same `pmulhrsw`, so the same pixels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[allow(clippy::too_many_arguments)]
#[inline]
fn kernel_fixed4_ssse3<const ROWS_K: usize>(
    g: &Geometry,
    buf: &mut [i16],
    rec: &Rec,
    lo_x: i32,
    lo_y: i32,
    col: usize,
    row: usize,
) {
    use std::arch::x86_64::*;
    let Some(block) = block4::<ROWS_K>(buf, col, row) else {
        return;
    };
    let c = rec.rgba;
    // Colour: bytes to 16-bit lanes, times 128; alpha lane ONE; two pixels' worth.
    let bytes = _mm_cvtsi32_si128((c | 0xFF00_0000) as i32);
    let words = _mm_slli_epi16::<7>(_mm_unpacklo_epi8(bytes, _mm_setzero_si128()));
    let src = _mm_unpacklo_epi64(words, words);
    let opacity = _mm_set1_ps(f32::from((c >> 24) as u8) * g.gain_a);
    let bx = _mm_set1_ps(lo_x as f32 + 0.5 - rec.px);
    let by = lo_y as f32 + 0.5 - rec.py;
    let dx = _mm_add_ps(bx, _mm_setr_ps(0.0, 1.0, 2.0, 3.0));
    let dx2 = _mm_mul_ps(dx, dx);
    let reach = _mm_set1_ps(g.reach);
    let zero = _mm_setzero_ps();
    let one = _mm_set1_ps(1.0);
    let a_max = _mm_set1_ps(A_MAX);
    let magic = _mm_set1_ps(8_388_608.0);
    let lo_pair = _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5);
    let hi_pair = _mm_setr_epi8(8, 9, 8, 9, 8, 9, 8, 9, 12, 13, 12, 13, 12, 13, 12, 13);
    for r in 0..ROWS_K {
        let dy = _mm_set1_ps(by + r as f32);
        let d2 = _mm_add_ps(dx2, _mm_mul_ps(dy, dy));
        let cov = _mm_sub_ps(reach, _mm_sqrt_ps(d2));
        let cov = _mm_min_ps(_mm_max_ps(cov, zero), one);
        let a = _mm_min_ps(_mm_mul_ps(cov, opacity), a_max);
        let a = _mm_castps_si128(_mm_add_ps(a, magic));
        let px = &mut block[r * STRIDE * 4..r * STRIDE * 4 + 16];
        for (half, mask) in [(0, lo_pair), (8, hi_pair)] {
            let p = px[half..half + 8].as_mut_ptr().cast::<__m128i>();
            // SAFETY: `p` points at 8 `i16`s (16 bytes) of `block`, exclusively borrowed
            // (the slices above are bounds-checked); unaligned loads and stores are allowed.
            unsafe {
                let v = _mm_loadu_si128(p);
                let w = _mm_shuffle_epi8(a, mask);
                let step = _mm_mulhrs_epi16(_mm_sub_epi16(src, v), w);
                _mm_storeu_si128(p, _mm_add_epi16(v, step));
            }
        }
    }
}

/// Walks a tile's dots in order and calls `draw(rec, lx, ly, col, row)` for each: its
/// block's first pixel in image and in tile-buffer coordinates.
#[inline(always)]
fn for_each_block<const ROWS_K: usize, const COLS: usize>(
    g: &Geometry,
    chunks: &[ChunkBins],
    t: usize,
    gx: i32,
    gy: i32,
    mut draw: impl FnMut(&Rec, i32, i32, usize, usize),
) {
    for chunk in chunks {
        for rec in chunk.tile(t) {
            let (lx, _) = g.span(rec.px);
            let (ly, _) = g.span(rec.py);
            // Binning guarantees the block overlaps the tile, so it lies
            // within the apron; checked anyway.
            let col = lx - gx + APRON as i32;
            let row = ly - gy + APRON as i32;
            if col < 0 || row < 0 || col as usize + COLS > STRIDE || row as usize + ROWS_K > ROWS {
                continue;
            }
            draw(rec, lx, ly, col as usize, row as usize);
        }
    }
}

/// Draws a tile's dots over an opaque background with the portable fixed-point kernel.
#[inline(never)]
fn fixed_tile<const ROWS_K: usize, const COLS: usize>(
    g: &Geometry,
    chunks: &[ChunkBins],
    buf: &mut [i16],
    t: usize,
    gx: i32,
    gy: i32,
) {
    for_each_block::<ROWS_K, COLS>(g, chunks, t, gx, gy, |rec, lx, ly, col, row| {
        kernel_fixed::<ROWS_K, COLS>(g, buf, rec, lx, ly, col, row)
    });
}

/// [`fixed_tile`] with the AVX2 kernel: the same integer maths, so the same pixels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
fn fixed_tile_avx2<const ROWS_K: usize, const COLS: usize>(
    g: &Geometry,
    chunks: &[ChunkBins],
    buf: &mut [i16],
    t: usize,
    gx: i32,
    gy: i32,
) {
    if COLS == 4 && ROWS_K <= 4 {
        for_each_block::<ROWS_K, COLS>(g, chunks, t, gx, gy, |rec, lx, ly, col, row| {
            kernel_fixed4_avx2::<ROWS_K>(g, buf, rec, lx, ly, col, row)
        });
    } else {
        for_each_block::<ROWS_K, COLS>(g, chunks, t, gx, gy, |rec, lx, ly, col, row| {
            kernel_fixed_avx2::<ROWS_K, COLS>(g, buf, rec, lx, ly, col, row)
        });
    }
}

/// [`fixed_tile`] with the SSSE3 kernel for blocks four pixels wide (CPUs without AVX2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline(never)]
fn fixed_tile_ssse3<const ROWS_K: usize>(
    g: &Geometry,
    chunks: &[ChunkBins],
    buf: &mut [i16],
    t: usize,
    gx: i32,
    gy: i32,
) {
    for_each_block::<ROWS_K, 4>(g, chunks, t, gx, gy, |rec, lx, ly, col, row| {
        kernel_fixed4_ssse3::<ROWS_K>(g, buf, rec, lx, ly, col, row)
    });
}

/// Runs the fixed-point kernel, on AVX2 or SSSE3 where the CPU has them.
fn fixed_tile_dispatch<const ROWS_K: usize, const COLS: usize>(
    g: &Geometry,
    chunks: &[ChunkBins],
    buf: &mut [i16],
    t: usize,
    gx: i32,
    gy: i32,
) {
    #[cfg(target_arch = "x86_64")]
    if g.avx2 {
        // SAFETY: `g.avx2` is set only when `is_x86_feature_detected!("avx2")` said so.
        unsafe { fixed_tile_avx2::<ROWS_K, COLS>(g, chunks, buf, t, gx, gy) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if g.ssse3 && COLS == 4 && ROWS_K <= 4 {
        // SAFETY: `g.ssse3` is set only when `is_x86_feature_detected!("ssse3")` said so.
        unsafe { fixed_tile_ssse3::<ROWS_K>(g, chunks, buf, t, gx, gy) };
        return;
    }
    fixed_tile::<ROWS_K, COLS>(g, chunks, buf, t, gx, gy);
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
fn fast_tile<const ROWS_K: usize, const GROUPS: usize>(
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
    let gx = g.rx0 + (tx * TILE_W) as i32;
    let gy = g.ry0 + (ty * TILE_H) as i32;
    if let Some(bg) = opaque_fixed(bg_premul).filter(|_| g.fast_rows > 0) {
        let buf = &mut acc.fixed;
        buf.resize(4 * PLANE, 0);
        // One row of background, then copied row by row (memcpy-sized moves).
        let (first, rest) = buf.split_at_mut(4 * STRIDE);
        for px in first.chunks_exact_mut(4) {
            px.copy_from_slice(&bg);
        }
        for row in rest.chunks_exact_mut(4 * STRIDE) {
            row.copy_from_slice(first);
        }
        match g.fast_rows {
            3 => fixed_tile_dispatch::<3, 4>(g, chunks, buf, t, gx, gy),
            4 => fixed_tile_dispatch::<4, 4>(g, chunks, buf, t, gx, gy),
            6 => fixed_tile_dispatch::<6, 8>(g, chunks, buf, t, gx, gy),
            _ => fixed_tile_dispatch::<8, 8>(g, chunks, buf, t, gx, gy),
        }
        fixed_to_bytes(buf, w, rows);
        return;
    }
    let planes = &mut acc.planes;
    planes.resize(4 * PLANE, 0.0);
    for (p, plane) in planes.chunks_exact_mut(PLANE).enumerate() {
        plane.fill(bg_premul[p]);
    }
    match g.fast_rows {
        3 => fast_tile::<3, 1>(g, chunks, planes, t, gx, gy),
        4 => fast_tile::<4, 1>(g, chunks, planes, t, gx, gy),
        6 => fast_tile::<6, 2>(g, chunks, planes, t, gx, gy),
        8 => fast_tile::<8, 2>(g, chunks, planes, t, gx, gy),
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

/// The fixed-point pixel of an opaque background (premultiplied f32 made from bytes, so
/// `v * 255` is a byte to within rounding), or `None` when it is not opaque.
fn opaque_fixed(bg_premul: [f32; 4]) -> Option<[i16; 4]> {
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
fn fixed_to_bytes(buf: &[i16], w: usize, rows: &mut [&mut [u8]]) {
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
}
