//! The fixed-point kernels: dots of a few pixels over an opaque background, into
//! interleaved i16 RGBA, with AVX2 and SSSE3 versions chosen at run time.

use super::*;

/// Fixed-point scale of a colour channel over an opaque background: `v / ONE` is the
/// channel in `0..=1`, so a byte `b` is exactly `b * 128` and `(v + 64) >> 7` rounds a
/// value back to a byte.
pub(super) const ONE: i32 = 255 * 128;
/// Largest fixed-point opacity of a dot at a pixel (coverage times alpha times gain,
/// times 2^15, rounded; just under 1 so it fits an `i16`).
const A_MAX: f32 = 32_767.0;

/// `v` rounded to the nearest integer (ties to even), for `v` in `0..=A_MAX`, without a
/// float-to-int conversion (whose saturating semantics do not vectorise): adding 2^23
/// leaves the rounded integer in the low mantissa bits.
#[inline(always)]
pub(super) fn round_small(v: f32) -> i16 {
    ((v.min(A_MAX) + 8_388_608.0).to_bits() & 0xFFFF) as i16
}

/// `(d * a + 2^14) >> 15`: SSSE3's `pmulhrsw`.
#[inline(always)]
pub(super) fn mul_round(d: i16, a: i16) -> i16 {
    ((i32::from(d) * i32::from(a) + 0x4000) >> 15) as i16
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
pub(super) fn kernel_fixed<const ROWS_K: usize, const COLS: usize>(
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
pub(super) fn kernel_fixed_avx2<const ROWS_K: usize, const COLS: usize>(
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
pub(super) fn kernel_fixed4_avx2<const ROWS_K: usize>(
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
pub(super) fn kernel_fixed4_ssse3<const ROWS_K: usize>(
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
pub(super) fn fixed_tile_dispatch<const ROWS_K: usize, const COLS: usize>(
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
