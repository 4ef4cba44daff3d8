//! Bindings of the scene: an immutable frame engine; emphasis (filter, highlight, dim) is
//! an argument of each frame.

use numpy::{
    PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray1, PyReadwriteArray2,
};
use pyo3::prelude::*;

use super::errors::config_err;
use super::journeys::PyJourneys;
use super::run;
use crate::colour::ColourBy;
use crate::scene::{Emphasis, FrameBuffers, Scene, SceneConfig};

/// A scene: journeys with a layout and a colour scheme, ready to give frames.
#[pyclass(frozen, module = "carevis._native", name = "Scene")]
pub struct PyScene {
    /// Immutable: emphasis (filters, highlight) is an argument of each frame.
    inner: Scene,
}

/// The emphasis a frame is drawn with, from the binding's optional arguments.
fn emphasis<'a>(
    visible: Option<&'a PyReadonlyArray1<'_, bool>>,
    highlight: Option<u16>,
    dim: f32,
) -> PyResult<Emphasis<'a>> {
    let visible = match visible {
        Some(v) => Some(
            v.as_slice()
                .map_err(|_| config_err("visible", "the filter must be a C-contiguous array"))?,
        ),
        None => None,
    };
    Ok(Emphasis {
        visible,
        highlight,
        dim,
    })
}

#[pymethods]
impl PyScene {
    #[new]
    #[pyo3(signature = (journeys, centres, *, base_radius, dot_spacing, transit_minutes, fade_minutes, colour, lo, hi, lut, categories=None, alpha=255, seed=12648430, gap=0.0, projected_from=None, projected_alpha=1.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        journeys: &PyJourneys,
        centres: PyReadonlyArray2<'_, f32>,
        base_radius: f32,
        dot_spacing: f32,
        transit_minutes: f64,
        fade_minutes: f64,
        colour: &str,
        lo: f32,
        hi: f32,
        lut: PyReadonlyArray2<'_, u8>,
        categories: Option<PyReadonlyArray1<'_, u16>>,
        alpha: u8,
        seed: u64,
        gap: f32,
        projected_from: Option<i64>,
        projected_alpha: f32,
    ) -> PyResult<Self> {
        if !(0.0..=1.0).contains(&projected_alpha) {
            return Err(config_err("projected_alpha", "must be within 0..1"));
        }
        let c = centres.as_array();
        if c.ncols() != 2 {
            return Err(config_err(
                "layout",
                "centres must be an (n_states, 2) array",
            ));
        }
        let centres: Vec<[f32; 2]> = c.rows().into_iter().map(|r| [r[0], r[1]]).collect();
        let l = lut.as_array();
        if l.ncols() != 4 || l.nrows() == 0 {
            return Err(config_err(
                "colour",
                "the colour table must be an (n, 4) uint8 array",
            ));
        }
        let lut: Vec<[u8; 4]> = l
            .rows()
            .into_iter()
            .map(|r| [r[0], r[1], r[2], r[3]])
            .collect();
        let colour = match colour {
            "time_in_care" => ColourBy::TimeInCare { lo, hi },
            "time_in_state" => ColourBy::TimeInState { lo, hi },
            "entries" => ColourBy::Entries { lo, hi },
            "category" => ColourBy::Category,
            other => {
                return Err(config_err(
                    "colour",
                    format!("unknown colour mode '{other}'"),
                ))
            }
        };
        let categories = categories
            .map(|a| a.as_array().to_vec())
            .unwrap_or_default();
        let cfg = SceneConfig {
            centres,
            base_radius,
            dot_spacing,
            transit_minutes,
            fade_minutes,
            colour,
            lut,
            categories,
            alpha,
            seed,
            gap: gap.max(0.0),
            projected_from: projected_from.map_or(crate::time::OPEN, |m| {
                m.clamp(i32::MIN as i64, crate::time::OPEN as i64) as crate::time::Minute
            }),
            projected_alpha,
        };
        let index = journeys.index.clone();
        let scene = run(py, || Scene::new(index, cfg))?;
        Ok(PyScene { inner: scene })
    }

    #[getter]
    fn n_dots(&self) -> usize {
        self.inner.n_dots()
    }

    /// The crowd spacing in use (shrunk from the requested one so clusters never overlap).
    #[getter]
    fn spacing(&self) -> f32 {
        self.inner.spacing()
    }

    /// The fewest children whose cluster is drawn above the minimum radius (smaller
    /// clusters are drawn at this many children's size).
    #[getter]
    fn min_cluster_children(&self) -> f64 {
        self.inner.min_cluster_children()
    }

    /// Writes the frame at `t` (minutes since 1970) into the four arrays, showing only the
    /// dots flagged in `visible` (None: all) and dimming by `dim` every dot not in the
    /// `highlight` state (None: none).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (t, x, y, rgba, state, visible=None, highlight=None, dim=0.2))]
    fn frame_into(
        &self,
        py: Python<'_>,
        t: f64,
        mut x: PyReadwriteArray1<'_, f32>,
        mut y: PyReadwriteArray1<'_, f32>,
        mut rgba: PyReadwriteArray2<'_, u8>,
        mut state: PyReadwriteArray1<'_, i32>,
        visible: Option<PyReadonlyArray1<'_, bool>>,
        highlight: Option<u16>,
        dim: f32,
    ) -> PyResult<()> {
        let em = emphasis(visible.as_ref(), highlight, dim)?;
        let not_contiguous = || config_err("buffers", "frame buffers must be C-contiguous arrays");
        let x = x.as_slice_mut().map_err(|_| not_contiguous())?;
        let y = y.as_slice_mut().map_err(|_| not_contiguous())?;
        let rgba = rgba.as_slice_mut().map_err(|_| not_contiguous())?;
        let state = state.as_slice_mut().map_err(|_| not_contiguous())?;
        let scene = &self.inner;
        run(py, || {
            scene.frame_into(t, FrameBuffers { x, y, rgba, state }, &em)
        })
    }

    /// Fills the GPU frame's tables (see `Scene::gpu_tables`): `dots` (n_dots + 1, 3) and
    /// `spells` (n_spells, 4) uint32, `places` (n_spells, 2) float32.
    fn gpu_tables(
        &self,
        py: Python<'_>,
        mut dots: PyReadwriteArray2<'_, u32>,
        mut spells: PyReadwriteArray2<'_, u32>,
        mut places: PyReadwriteArray2<'_, f32>,
    ) -> PyResult<()> {
        let not_contiguous = || config_err("buffers", "tables must be C-contiguous arrays");
        let dots = dots.as_slice_mut().map_err(|_| not_contiguous())?;
        let spells = spells.as_slice_mut().map_err(|_| not_contiguous())?;
        let places = places.as_slice_mut().map_err(|_| not_contiguous())?;
        let scene = &self.inner;
        run(py, || scene.gpu_tables(dots, spells, places))
    }

    /// The GPU frame's uniforms beyond the time (see `Scene::gpu_uniforms`): eight numbers
    /// and the colour table.
    #[allow(clippy::type_complexity)]
    #[pyo3(signature = (highlight=None, dim=0.2))]
    fn gpu_uniforms<'py>(
        &self,
        py: Python<'py>,
        highlight: Option<u16>,
        dim: f32,
    ) -> PyResult<(Vec<f32>, Bound<'py, PyArray2<u8>>)> {
        let s = &self.inner;
        let em = Emphasis {
            visible: None,
            highlight,
            dim,
        };
        s.check_emphasis(&em)?;
        let (u, lut) = s.gpu_uniforms(&em);
        let rows: Vec<Vec<u8>> = lut.iter().map(|c| c.to_vec()).collect();
        let lut =
            PyArray2::from_vec2(py, &rows).map_err(|e| config_err("colour", e.to_string()))?;
        Ok((u.to_vec(), lut))
    }

    /// Spells in the scene's index.
    #[getter]
    fn n_spells(&self) -> usize {
        self.inner.index().n_spells()
    }

    /// Each cluster's radius at `t` (world units).
    fn radii<'py>(&self, py: Python<'py>, t: f64) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_vec(py, self.inner.radii(t))
    }

    /// (t0 minutes, step minutes, counts[state, step]) sampled daily over the data's range.
    fn occupancy<'py>(&self, py: Python<'py>) -> PyResult<(i64, i64, Bound<'py, PyArray2<u32>>)> {
        let s = &self.inner;
        let o = s.occupancy();
        let rows: Vec<Vec<u32>> = (0..o.n_states)
            .map(|k| o.counts[k * o.n_steps..(k + 1) * o.n_steps].to_vec())
            .collect();
        let arr =
            PyArray2::from_vec2(py, &rows).map_err(|e| config_err("occupancy", e.to_string()))?;
        Ok((o.t0 as i64, o.step as i64, arr))
    }

    /// Bytes one frame at `t` reads and writes (for the bandwidth bound).
    fn frame_bytes(&self, py: Python<'_>, t: f64) -> PyResult<u64> {
        let s = &self.inner;
        Ok(py.detach(|| s.frame_bytes(t)))
    }

    /// The same, counted in the whole cache lines it moves.
    fn frame_line_bytes(&self, py: Python<'_>, t: f64) -> PyResult<u64> {
        let s = &self.inner;
        Ok(py.detach(|| s.frame_line_bytes(t)))
    }
}
