//! Rasterising one tile: dot kernels over planar premultiplied f32 planes, then straight-alpha u8.
//!
//! [`fixed`]: the fixed-point kernels (opaque backgrounds, small dots); [`float`]: the f32
//! kernels (any background, any size); [`bytes`]: planes and fixed-point pixels to bytes.

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

mod bytes;
mod fixed;
mod float;
#[cfg(test)]
mod tests;

use bytes::*;
use fixed::*;
use float::*;

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
