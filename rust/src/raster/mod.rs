//! CPU rasteriser: anti-aliased round dots composited in dot order into an RGBA image.
//!
//! Pipeline per frame: validate, map dots to pixel space once
//! (`px = x * scale_x + offset_x`), counting-sort them into tiles keeping dot
//! order ([`bin`]), then rasterise tiles in parallel and convert each to
//! straight-alpha u8 ([`tile`]): over an opaque background (the usual case) into
//! interleaved 15-bit fixed-point RGBA with exact integer blending (AVX2 where the
//! CPU has it, the same pixels without), otherwise into premultiplied f32 planes.
//! Every pixel is a function of the dots alone, so output is bit-identical at any
//! thread count and on any CPU, and a region render equals the same window of a
//! full render.
//!
//! Coverage of a pixel whose centre lies `d` from a dot of radius `r`:
//! `gain * clamp(reach - d, 0, 1)` with `reach = max(r, 0.5) + 0.5` and
//! `gain = min(1, 3 r^2 + 1/4)`, so a dot's total coverage is `pi (r^2 + 1/12)`
//! for every radius (the gain keeps sub-pixel dots from looking too heavy).

mod bin;
mod tile;

use rayon::prelude::*;

use bin::ChunkBins;
use tile::Accum;

/// Largest accepted image side, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Smallest accepted dot radius, in pixels.
pub const MIN_RADIUS: f32 = 0.3;
/// Largest side of a whole picture rendered region by region.
pub const MAX_TILED_SIDE: u32 = 1 << 18;
/// Largest accepted dot radius, in pixels.
pub const MAX_RADIUS: f32 = 512.0;

const TILE_W_SHIFT: u32 = 8;
const TILE_H_SHIFT: u32 = 6;
const TILE_W: usize = 1 << TILE_W_SHIFT;
const TILE_H: usize = 1 << TILE_H_SHIFT;
/// Extra pixels around a tile's planes so the fixed-size kernels (blocks of
/// up to 8x8 pixels) need no clipping.
const APRON: usize = 8;

/// Maps data coordinates to pixel coordinates and names the image size.
///
/// A dot at `(x, y)` is centred at pixel-space `(x * scale_x + offset_x,
/// y * scale_y + offset_y)`; row 0 is the top and pixel `(i, j)` covers
/// `[i, i + 1) x [j, j + 1)`, its centre at `(i + 0.5, j + 0.5)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    pub scale_x: f32,
    pub scale_y: f32,
    pub offset_x: f32,
    pub offset_y: f32,
}

/// How dots look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DotStyle {
    /// Dot radius in pixels, within `MIN_RADIUS..=MAX_RADIUS`.
    pub radius_px: f32,
}

/// Why a render was refused. Nothing is drawn when an error is returned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RasterError {
    #[error("image size {width}x{height} is out of range: each side must be 1..={MAX_SIDE}")]
    Size { width: u32, height: u32 },
    #[error(
        "viewport transform must be finite, got scale ({scale_x}, {scale_y}) \
         and offset ({offset_x}, {offset_y})"
    )]
    Transform {
        scale_x: f32,
        scale_y: f32,
        offset_x: f32,
        offset_y: f32,
    },
    #[error("dot radius {0} px is out of range: must be within {MIN_RADIUS}..={MAX_RADIUS}")]
    Radius(f32),
    #[error(
        "dot columns differ in length: x has {x} values, y has {y}, rgba has {rgba} bytes \
         (expected 4 per dot)"
    )]
    Lengths { x: usize, y: usize, rgba: usize },
    #[error(
        "region at ({x0}, {y0}) of size {w}x{h} is empty or leaves the {width}x{height} image"
    )]
    Region {
        x0: u32,
        y0: u32,
        w: u32,
        h: u32,
        width: u32,
        height: u32,
    },
    #[error("output buffer holds {found} bytes, expected {expected} ({w}x{h} RGBA)")]
    Output {
        expected: usize,
        found: usize,
        w: u32,
        h: u32,
    },
    #[error("too many dot fragments to bin ({fragments}); use smaller dots or fewer of them")]
    TooManyFragments { fragments: usize },
}

/// Everything a frame's kernels need, computed once per frame.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    sx: f32,
    ox: f32,
    sy: f32,
    oy: f32,
    /// Distance from a dot centre at which coverage reaches zero.
    reach: f32,
    /// Peak coverage (below 1 only for sub-pixel dots).
    gain: f32,
    /// `gain * 2^15 / 255`: a dot's alpha byte times this is its peak fixed-point opacity.
    gain_a: f32,
    /// Whether the CPU runs AVX2 (binning and the fixed-point kernels then use it).
    avx2: bool,
    /// Whether the CPU runs SSSE3 (the fixed-point kernels use it when AVX2 is missing).
    ssse3: bool,
    /// Rows (and columns) a dot can touch when it fits a fixed-size kernel:
    /// `ceil(2 * reach)` rounded up to 3, 4, 6 or 8, else 0 (general kernel).
    fast_rows: i32,
    /// Region origin and size, in pixels of the full image.
    rx0: i32,
    ry0: i32,
    rw: i32,
    rh: i32,
    tiles_x: usize,
    tiles_y: usize,
    /// Centres outside these bounds touch no pixel of the region.
    min_px: f32,
    max_px: f32,
    min_py: f32,
    max_py: f32,
}

impl Geometry {
    /// Inclusive range of pixel indices along one axis that a dot centred at
    /// `p` may touch (pixels with centres strictly within `reach`). The fast
    /// path always spans four pixels, so binning and kernel agree.
    ///
    /// Callers pass only centres within the region's margin, so the
    /// conversions to `i32` are exact.
    #[inline(always)]
    fn span(&self, p: f32) -> (i32, i32) {
        let lo = floor_i32(p - self.reach - 0.5) + 1;
        let hi = if self.fast_rows > 0 {
            lo + self.fast_rows - 1
        } else {
            -floor_i32(-(p + self.reach - 0.5)) - 1
        };
        (lo, hi)
    }
}

/// `floor` for `|v| < 2^22`, without a libm call (baseline x86-64 has no SSE4.1
/// `roundss`) and without a float-to-int conversion (whose saturating semantics keep loops
/// from vectorising): adding `1.5 * 2^23` rounds `v` to an integer held in the low
/// mantissa bits. Callers pass centres within a region's margin: `|v| < 2^19`.
#[inline(always)]
fn floor_i32(v: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0;
    let big = v + MAGIC;
    let nearest = big - MAGIC;
    (big.to_bits() as i32 - MAGIC.to_bits() as i32) - i32::from(nearest > v)
}

/// Instruction-set extensions with kernels of their own.
#[derive(Clone, Copy)]
enum Simd {
    Ssse3 = 1,
    Avx2 = 2,
}

/// Tests lower this to take the SSSE3 (1) or portable (0) paths on any CPU (the pixels
/// are the same).
#[cfg(test)]
static SIMD_LIMIT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(2);

/// Whether the CPU runs `simd` (detected once, then cached by the standard library).
fn cpu_has(simd: Simd) -> bool {
    #[cfg(test)]
    if SIMD_LIMIT.load(std::sync::atomic::Ordering::Relaxed) < simd as u8 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        match simd {
            Simd::Ssse3 => is_x86_feature_detected!("ssse3"),
            Simd::Avx2 => is_x86_feature_detected!("avx2"),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = simd;
        false
    }
}

fn check(
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    style: &DotStyle,
    vp: &Viewport,
    region: (u32, u32, u32, u32),
    out_len: usize,
) -> Result<Geometry, RasterError> {
    let (width, height) = (vp.width, vp.height);
    // The full picture may be larger than one render (print posters, drawn in regions);
    // each region is at most MAX_SIDE a side.
    if width == 0 || height == 0 || width > MAX_TILED_SIDE || height > MAX_TILED_SIDE {
        return Err(RasterError::Size { width, height });
    }
    if region.2 > MAX_SIDE || region.3 > MAX_SIDE {
        return Err(RasterError::Size {
            width: region.2,
            height: region.3,
        });
    }
    let t = [vp.scale_x, vp.scale_y, vp.offset_x, vp.offset_y];
    if !t.iter().all(|v| v.is_finite()) {
        return Err(RasterError::Transform {
            scale_x: vp.scale_x,
            scale_y: vp.scale_y,
            offset_x: vp.offset_x,
            offset_y: vp.offset_y,
        });
    }
    let r = style.radius_px;
    if !(MIN_RADIUS..=MAX_RADIUS).contains(&r) {
        return Err(RasterError::Radius(r));
    }
    if x.len() != y.len() || x.len().checked_mul(4) != Some(rgba.len()) {
        return Err(RasterError::Lengths {
            x: x.len(),
            y: y.len(),
            rgba: rgba.len(),
        });
    }
    let (x0, y0, w, h) = region;
    let inside = |o: u32, n: u32, side: u32| n > 0 && o.checked_add(n).is_some_and(|e| e <= side);
    if !inside(x0, w, width) || !inside(y0, h, height) {
        return Err(RasterError::Region {
            x0,
            y0,
            w,
            h,
            width,
            height,
        });
    }
    // At most 16384^2 * 4 = 2^30, no overflow on any target with >= 32-bit usize.
    let expected = w as usize * h as usize * 4;
    if out_len != expected {
        return Err(RasterError::Output {
            expected,
            found: out_len,
            w,
            h,
        });
    }
    let reach = r.max(0.5) + 0.5;
    let margin = reach + 2.0;
    // Sides are <= 16384, so these fit i32 and f32 exactly.
    let (rx0, ry0, rw, rh) = (x0 as i32, y0 as i32, w as i32, h as i32);
    Ok(Geometry {
        sx: vp.scale_x,
        ox: vp.offset_x,
        sy: vp.scale_y,
        oy: vp.offset_y,
        reach,
        gain: (3.0 * r * r + 0.25).min(1.0),
        gain_a: (3.0 * r * r + 0.25).min(1.0) * 32_768.0 / 255.0,
        avx2: cpu_has(Simd::Avx2),
        ssse3: cpu_has(Simd::Ssse3),
        fast_rows: match reach {
            v if v <= 1.5 => 3,
            v if v <= 2.0 => 4,
            v if v <= 3.0 => 6,
            v if v <= 4.0 => 8,
            _ => 0,
        },
        rx0,
        ry0,
        rw,
        rh,
        tiles_x: (w as usize).div_ceil(TILE_W),
        tiles_y: (h as usize).div_ceil(TILE_H),
        min_px: rx0 as f32 - margin,
        max_px: (rx0 + rw) as f32 + margin,
        min_py: ry0 as f32 - margin,
        max_py: (ry0 + rh) as f32 + margin,
    })
}

/// A renderer that keeps its binning buffers between frames, so animation
/// loops do not pay for fresh allocations (and page faults) every frame.
#[derive(Debug, Default)]
pub struct Rasteriser {
    chunks: Vec<ChunkBins>,
}

impl Rasteriser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Renders the whole viewport; see [`render`].
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &mut self,
        x: &[f32],
        y: &[f32],
        rgba: &[u8],
        style: &DotStyle,
        vp: &Viewport,
        background: [u8; 4],
        out: &mut [u8],
    ) -> Result<(), RasterError> {
        let region = (0, 0, vp.width, vp.height);
        self.render_region(x, y, rgba, style, vp, background, region, out)
    }

    /// Renders one window of the viewport; see [`render_region`].
    #[allow(clippy::too_many_arguments)]
    pub fn render_region(
        &mut self,
        x: &[f32],
        y: &[f32],
        rgba: &[u8],
        style: &DotStyle,
        vp: &Viewport,
        background: [u8; 4],
        region: (u32, u32, u32, u32),
        out: &mut [u8],
    ) -> Result<(), RasterError> {
        let g = check(x, y, rgba, style, vp, region, out.len())?;
        bin::bin_all(&g, x, y, rgba, &mut self.chunks)?;
        let chunks = &self.chunks[..];
        let bg_a = f32::from(background[3]) / 255.0;
        let bg = [
            f32::from(background[0]) / 255.0 * bg_a,
            f32::from(background[1]) / 255.0 * bg_a,
            f32::from(background[2]) / 255.0 * bg_a,
            bg_a,
        ];
        let row_bytes = g.rw as usize * 4;
        out.par_chunks_mut(row_bytes * TILE_H)
            .enumerate()
            .for_each(|(ty, band)| {
                // Each tile writes straight into its columns of the band's rows.
                let mut per_tile: Vec<Vec<&mut [u8]>> =
                    (0..g.tiles_x).map(|_| Vec::with_capacity(TILE_H)).collect();
                for row in band.chunks_exact_mut(row_bytes) {
                    for (tx, piece) in row.chunks_mut(TILE_W * 4).enumerate() {
                        per_tile[tx].push(piece);
                    }
                }
                per_tile
                    .into_par_iter()
                    .enumerate()
                    .for_each_init(Accum::new, |acc, (tx, mut rows)| {
                        tile::render_tile(&g, chunks, acc, tx, ty, bg, &mut rows)
                    });
            });
        Ok(())
    }
}

/// Draws dots over `background` into `out` (`height * width * 4` bytes of
/// straight-alpha RGBA, row 0 at the top).
///
/// `rgba` holds four straight-alpha bytes per dot. Dots are composited
/// "over" in order (dot `i + 1` over dot `i`) in premultiplied f32; dots
/// with alpha 0 or a NaN coordinate are skipped and dots outside the image
/// are clipped. Pixels whose alpha rounds to 0 come out as `[0, 0, 0, 0]`.
/// The result is identical for any number of threads. For frame loops, keep
/// a [`Rasteriser`] to reuse its buffers.
pub fn render(
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    style: &DotStyle,
    vp: &Viewport,
    background: [u8; 4],
    out: &mut [u8],
) -> Result<(), RasterError> {
    Rasteriser::new().render(x, y, rgba, style, vp, background, out)
}

/// Draws only the window `(x0, y0, w, h)` of the full viewport into `out`
/// (`h * w * 4` bytes); its pixels equal the same window of [`render`].
/// For images too large for one buffer, such as print exports.
#[allow(clippy::too_many_arguments)]
pub fn render_region(
    x: &[f32],
    y: &[f32],
    rgba: &[u8],
    style: &DotStyle,
    vp: &Viewport,
    background: [u8; 4],
    region: (u32, u32, u32, u32),
    out: &mut [u8],
) -> Result<(), RasterError> {
    Rasteriser::new().render_region(x, y, rgba, style, vp, background, region, out)
}

#[cfg(test)]
mod tests {
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
}
