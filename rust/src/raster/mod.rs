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
mod tests;
