//! Bindings of the CPU rasteriser.

use std::sync::Mutex;

use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray3};
use pyo3::prelude::*;

use super::errors::config_err;
use super::run;
use crate::error::CoreError;
use crate::raster::{DotStyle, Rasteriser, Viewport};

/// A CPU rasteriser that keeps its buffers between frames.
#[pyclass(frozen, module = "carevis._native", name = "Rasteriser")]
pub struct PyRasteriser {
    inner: Mutex<Rasteriser>,
}

#[pymethods]
impl PyRasteriser {
    #[new]
    fn new() -> Self {
        PyRasteriser {
            inner: Mutex::new(Rasteriser::new()),
        }
    }

    /// Draws dots (x, y world units; rgba straight alpha) into `out` (H x W x 4 uint8),
    /// mapping world to pixels by `px = x*sx + tx`, `py = y*sy + ty`. `region` = (x0, y0)
    /// of `out` within a larger `full` = (width, height) image, for tiled renders.
    #[pyo3(signature = (x, y, rgba, out, *, radius_px, sx, sy, tx, ty, background, region=None, full=None))]
    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray1<'_, f32>,
        y: PyReadonlyArray1<'_, f32>,
        rgba: PyReadonlyArray2<'_, u8>,
        mut out: PyReadwriteArray3<'_, u8>,
        radius_px: f32,
        sx: f32,
        sy: f32,
        tx: f32,
        ty: f32,
        background: (u8, u8, u8, u8),
        region: Option<(u32, u32)>,
        full: Option<(u32, u32)>,
    ) -> PyResult<()> {
        let shape = out.as_array().shape().to_vec();
        if shape.len() != 3 || shape[2] != 4 {
            return Err(config_err(
                "out",
                "the image must be an (H, W, 4) uint8 array",
            ));
        }
        let (h, w) = (shape[0] as u32, shape[1] as u32);
        let (fw, fh) = full.unwrap_or((w, h));
        let (x0, y0) = region.unwrap_or((0, 0));
        let bad = || config_err("arrays", "dot and image arrays must be C-contiguous");
        let x = x.as_slice().map_err(|_| bad())?;
        let y = y.as_slice().map_err(|_| bad())?;
        let rgba = rgba.as_slice().map_err(|_| bad())?;
        let out = out.as_slice_mut().map_err(|_| bad())?;
        let vp = Viewport {
            width: fw,
            height: fh,
            scale_x: sx,
            scale_y: sy,
            offset_x: tx,
            offset_y: ty,
        };
        let style = DotStyle { radius_px };
        let bg = [background.0, background.1, background.2, background.3];
        let inner = &self.inner;
        run(py, || {
            let mut r = inner
                .lock()
                .map_err(|_| CoreError::Export("rasteriser lock poisoned".into()))?;
            r.render_region(x, y, rgba, &style, &vp, bg, (x0, y0, w, h), out)
                .map_err(|e| CoreError::Export(e.to_string()))
        })
    }
}
