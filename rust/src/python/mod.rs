//! The Python bindings: the only place PyO3 appears. Every heavy call extracts its inputs,
//! then runs with the GIL released through [`run`], which also turns core errors and any
//! panic into `carevis.errors` exceptions.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use numpy::{
    PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray1, PyReadwriteArray2,
};
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::PyTable;

use crate::arrow_check;
use crate::colour::{self, ColourBy};
use crate::columns::{self, ColumnNames};
use crate::error::{CoreError, ErrorKind};
use crate::index::{IdText, Index, OnError};
use crate::scene::{Emphasis, FrameBuffers, Scene, SceneConfig};

mod ingest;
mod raster;
mod stats;
mod synth;

/// Raises the `carevis.errors` class matching `kind` with `message`.
fn py_error(py: Python<'_>, kind: ErrorKind, message: String) -> PyErr {
    let name = match kind {
        ErrorKind::Schema => "SchemaError",
        ErrorKind::Data => "DataError",
        ErrorKind::Config => "ConfigError",
        ErrorKind::Export => "ExportError",
    };
    match py
        .import("carevis.errors")
        .and_then(|m| m.getattr(name))
        .and_then(|cls| cls.call1((message.clone(),)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => pyo3::exceptions::PyValueError::new_err(message),
    }
}

fn core_err(py: Python<'_>, e: CoreError) -> PyErr {
    py_error(py, e.kind(), e.to_string())
}

fn config_err(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    core_err(py, CoreError::config(name, message))
}

/// Where the last panic happened (set by the hook, taken by [`run`]). One for the process:
/// a panic on a rayon thread is resumed on the thread that called [`run`].
static PANIC_AT: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Replaces the default panic hook (which prints "panicked at <file:line>" to stderr)
/// with one that only records where: the message and the place go into the exception
/// [`run`] raises, never to the terminal. This library's std has a hook of its own, so
/// other extensions in the process keep theirs. `CAREVIS_PANIC_STDERR=1` (debugging)
/// keeps the default printing as well.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        let loud = std::env::var_os("CAREVIS_PANIC_STDERR").is_some_and(|v| v == "1");
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            if let Ok(mut p) = PANIC_AT.lock() {
                *p = at;
            }
            if loud {
                default(info);
            }
        }));
    });
}

/// The text of a panic payload (a `&str` or `String`; "unknown" otherwise).
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into())
}

/// Runs `f` without the GIL, mapping its error and any panic to a carevis exception.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> crate::Result<T> + Send) -> PyResult<T> {
    let out = py.detach(|| {
        catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
            let at = PANIC_AT.lock().ok().and_then(|mut p| p.take());
            (panic_text(panic.as_ref()), at)
        })
    });
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(core_err(py, e)),
        Err((what, at)) => {
            let place = at.map(|a| format!(" (at {a})")).unwrap_or_default();
            let exc = py
                .import("carevis.errors")
                .and_then(|m| m.getattr("CarevisError"))
                .and_then(|cls| {
                    cls.call1((format!(
                        "internal error in the carevis core: {what}{place}; please report it"
                    ),))
                });
            Err(match exc {
                Ok(e) => PyErr::from_value(e),
                Err(e) => e,
            })
        }
    }
}

/// Row -> id text for string ids: the id column of every batch.
struct BatchIds {
    columns: Vec<arrow_array::ArrayRef>,
    starts: Vec<usize>,
}

impl BatchIds {
    fn new(batches: &[RecordBatch], name: &str) -> Self {
        let mut starts = Vec::new();
        let mut columns = Vec::new();
        let mut at = 0;
        for b in batches {
            if let Some(c) = b.column_by_name(name) {
                starts.push(at);
                columns.push(c.clone());
            }
            at += b.num_rows();
        }
        BatchIds { columns, starts }
    }

    fn locate(&self, row: u32) -> Option<(usize, usize)> {
        let row = row as usize;
        let k = self.starts.partition_point(|&s| s <= row).checked_sub(1)?;
        Some((k, row - self.starts[k]))
    }
}

impl IdText for BatchIds {
    fn text(&self, row: u32) -> Option<&str> {
        use arrow_array::cast::AsArray;
        use arrow_schema::DataType;
        let (k, i) = self.locate(row)?;
        let col = &self.columns[k];
        match col.data_type() {
            DataType::Utf8 => Some(col.as_string::<i32>().value(i)),
            DataType::LargeUtf8 => Some(col.as_string::<i64>().value(i)),
            DataType::Utf8View => Some(col.as_string_view().value(i)),
            DataType::Dictionary(_, _) => {
                // (one key at a time: `normalized_keys` would copy them all per call)
                let key = crate::columns::dict_key(col.as_ref(), i)?;
                let v = col.as_any_dictionary().values();
                match v.data_type() {
                    DataType::Utf8 => Some(v.as_string::<i32>().value(key)),
                    DataType::LargeUtf8 => Some(v.as_string::<i64>().value(key)),
                    DataType::Utf8View => Some(v.as_string_view().value(key)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// Children's journeys: the caller's Arrow batches and the per-child index built on them.
#[pyclass(frozen, module = "carevis._native", name = "Journeys")]
pub struct PyJourneys {
    index: Arc<Index>,
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

#[pymethods]
impl PyJourneys {
    #[staticmethod]
    #[pyo3(signature = (data, *, child_id="child_id", state="state", start="start", end="end", states=None, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn from_arrow(
        py: Python<'_>,
        data: AnyRecordBatch,
        child_id: &str,
        state: &str,
        start: &str,
        end: &str,
        states: Option<Vec<String>>,
        on_error: &str,
    ) -> PyResult<Self> {
        let on_error = match on_error {
            "raise" => OnError::Raise,
            "reject" => OnError::Reject,
            other => {
                return Err(config_err(
                    py,
                    "on_error",
                    format!("'{other}': use 'raise' or 'reject'"),
                ))
            }
        };
        let (batches, schema) = data.into_table()?.into_inner();
        let names = ColumnNames {
            child_id: child_id.into(),
            state: state.into(),
            start: start.into(),
            end: end.into(),
        };
        let preferred = states.unwrap_or_default();
        let index = run(py, || {
            // from outside: checked in full before any column is read
            arrow_check::check_unique_names(&schema)?;
            arrow_check::validate_batches(&batches)?;
            let decoded = columns::decode(&batches, &names, &preferred)?;
            let ids = BatchIds::new(&batches, &names.child_id);
            Index::build(decoded, on_error, &ids)
        })?;
        Ok(PyJourneys {
            index: Arc::new(index),
            batches,
            schema,
        })
    }

    #[getter]
    fn n_children(&self) -> usize {
        self.index.n_children()
    }

    #[getter]
    fn n_spells(&self) -> usize {
        self.index.n_spells()
    }

    #[getter]
    fn n_rows(&self) -> u64 {
        self.index.n_rows
    }

    #[getter]
    fn states(&self) -> Vec<String> {
        self.index.labels.clone()
    }

    /// (earliest start, latest known time) in minutes since 1970, or None when empty.
    fn time_range(&self) -> Option<(i64, i64)> {
        self.index.time_range().map(|(a, b)| (a as i64, b as i64))
    }

    fn has_open(&self) -> bool {
        self.index.has_open()
    }

    /// The Arrow table given, as the same buffers (a pyarrow.Table).
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = PyTable::try_new(self.batches.clone(), self.schema.clone())?;
        table.into_pyarrow(py)
    }

    /// The input row of each child's first spell (its id and attributes), in dot order.
    fn child_rows<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        let idx = &self.index;
        let rows: Vec<u32> = (0..idx.n_children()).map(|c| idx.child_row(c)).collect();
        PyArray1::from_vec(py, rows)
    }

    /// CSR offsets: child c's spells are offsets[c]..offsets[c+1] in spell order.
    fn offsets<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, &self.index.offsets)
    }

    /// Per spell (in index order): input row, state number, start and end minutes.
    #[allow(clippy::type_complexity)]
    fn spells<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u16>>,
        Bound<'py, PyArray1<i32>>,
        Bound<'py, PyArray1<i32>>,
    ) {
        let i = &self.index;
        (
            PyArray1::from_slice(py, &i.spell_row),
            PyArray1::from_slice(py, &i.state),
            PyArray1::from_slice(py, &i.start),
            PyArray1::from_slice(py, &i.end),
        )
    }

    /// Rows set aside: (row, column, value, rule).
    fn rejected(&self) -> Vec<(u64, String, String, String)> {
        self.index
            .rejected
            .iter()
            .map(|p| (p.row, p.column.clone(), p.value.clone(), p.rule.clone()))
            .collect()
    }

    /// Bytes the index holds beyond the Arrow input.
    fn index_bytes(&self) -> usize {
        self.index.heap_bytes()
    }
}

/// A scene: journeys with a layout and a colour scheme, ready to give frames.
#[pyclass(frozen, module = "carevis._native", name = "Scene")]
pub struct PyScene {
    /// Immutable: emphasis (filters, highlight) is an argument of each frame.
    inner: Scene,
}

fn read_scene<'a>(_py: Python<'_>, s: &'a PyScene) -> PyResult<&'a Scene> {
    Ok(&s.inner)
}

/// The emphasis a frame is drawn with, from the binding's optional arguments.
fn emphasis<'a>(
    py: Python<'_>,
    visible: Option<&'a PyReadonlyArray1<'_, bool>>,
    highlight: Option<u16>,
    dim: f32,
) -> PyResult<Emphasis<'a>> {
    let visible =
        match visible {
            Some(v) => Some(v.as_slice().map_err(|_| {
                config_err(py, "visible", "the filter must be a C-contiguous array")
            })?),
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
    #[pyo3(signature = (journeys, centres, *, base_radius, dot_spacing, transit_minutes, fade_minutes, colour, lo, hi, lut, categories=None, alpha=255, seed=12648430, gap=0.0))]
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
    ) -> PyResult<Self> {
        let c = centres.as_array();
        if c.ncols() != 2 {
            return Err(config_err(
                py,
                "layout",
                "centres must be an (n_states, 2) array",
            ));
        }
        let centres: Vec<[f32; 2]> = c.rows().into_iter().map(|r| [r[0], r[1]]).collect();
        let l = lut.as_array();
        if l.ncols() != 4 || l.nrows() == 0 {
            return Err(config_err(
                py,
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
                    py,
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
        };
        let index = journeys.index.clone();
        let scene = run(py, || Scene::new(index, cfg))?;
        Ok(PyScene { inner: scene })
    }

    #[getter]
    fn n_dots(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(read_scene(py, self)?.n_dots())
    }

    /// The crowd spacing in use (shrunk from the requested one so clusters never overlap).
    #[getter]
    fn spacing(&self, py: Python<'_>) -> PyResult<f32> {
        Ok(read_scene(py, self)?.spacing())
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
        let em = emphasis(py, visible.as_ref(), highlight, dim)?;
        let not_contiguous =
            |py| config_err(py, "buffers", "frame buffers must be C-contiguous arrays");
        let x = x.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let y = y.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let rgba = rgba.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let state = state.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let scene = read_scene(py, self)?;
        run(py, || {
            scene.frame_into(t, FrameBuffers { x, y, rgba, state }, &em)
        })
    }

    /// Fills the GPU frame's tables (see `Scene::gpu_tables`): `dots` (n_dots + 1, 4) and
    /// `spells` (n_spells, 4) uint32, `places` (n_spells, 2) float32.
    fn gpu_tables(
        &self,
        py: Python<'_>,
        mut dots: PyReadwriteArray2<'_, u32>,
        mut spells: PyReadwriteArray2<'_, u32>,
        mut places: PyReadwriteArray2<'_, f32>,
    ) -> PyResult<()> {
        let not_contiguous = |py| config_err(py, "buffers", "tables must be C-contiguous arrays");
        let dots = dots.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let spells = spells.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let places = places.as_slice_mut().map_err(|_| not_contiguous(py))?;
        let scene = read_scene(py, self)?;
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
        let s = read_scene(py, self)?;
        let em = Emphasis {
            visible: None,
            highlight,
            dim,
        };
        s.check_emphasis(&em).map_err(|e| core_err(py, e))?;
        let (u, lut) = s.gpu_uniforms(&em);
        let rows: Vec<Vec<u8>> = lut.iter().map(|c| c.to_vec()).collect();
        let lut =
            PyArray2::from_vec2(py, &rows).map_err(|e| config_err(py, "colour", e.to_string()))?;
        Ok((u.to_vec(), lut))
    }

    /// Spells in the scene's index.
    #[getter]
    fn n_spells(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(read_scene(py, self)?.index().n_spells())
    }

    /// Each cluster's radius at `t` (world units).
    fn radii<'py>(&self, py: Python<'py>, t: f64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let r = read_scene(py, self)?.radii(t);
        Ok(PyArray1::from_vec(py, r))
    }

    /// (t0 minutes, step minutes, counts[state, step]) sampled daily over the data's range.
    fn occupancy<'py>(&self, py: Python<'py>) -> PyResult<(i64, i64, Bound<'py, PyArray2<u32>>)> {
        let s = read_scene(py, self)?;
        let o = s.occupancy();
        let rows: Vec<Vec<u32>> = (0..o.n_states)
            .map(|k| o.counts[k * o.n_steps..(k + 1) * o.n_steps].to_vec())
            .collect();
        let arr = PyArray2::from_vec2(py, &rows)
            .map_err(|e| config_err(py, "occupancy", e.to_string()))?;
        Ok((o.t0 as i64, o.step as i64, arr))
    }

    /// Bytes one frame at `t` reads and writes (for the bandwidth bound).
    fn frame_bytes(&self, py: Python<'_>, t: f64) -> PyResult<u64> {
        let s = read_scene(py, self)?;
        Ok(py.detach(|| s.frame_bytes(t)))
    }

    /// The same, counted in the whole cache lines it moves.
    fn frame_line_bytes(&self, py: Python<'_>, t: f64) -> PyResult<u64> {
        let s = read_scene(py, self)?;
        Ok(py.detach(|| s.frame_line_bytes(t)))
    }
}

/// A named continuous colour map as a (256, 4) uint8 table.
#[pyfunction]
fn colour_map<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let lut = colour::colour_map(name).ok_or_else(|| {
        config_err(
            py,
            "colourmap",
            format!("unknown map '{name}' (known: {})", colour::MAPS.join(", ")),
        )
    })?;
    let rows: Vec<Vec<u8>> = lut.iter().map(|c| c.to_vec()).collect();
    PyArray2::from_vec2(py, &rows).map_err(|e| config_err(py, "colourmap", e.to_string()))
}

/// A qualitative palette of `n` colours as an (n, 4) uint8 table.
#[pyfunction]
fn palette<'py>(py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let rows: Vec<Vec<u8>> = colour::palette(n).iter().map(|c| c.to_vec()).collect();
    PyArray2::from_vec2(py, &rows).map_err(|e| config_err(py, "palette", e.to_string()))
}

/// Threads the core uses.
#[pyfunction]
fn num_threads() -> usize {
    rayon::current_num_threads()
}

/// Only the checks `Journeys.from_arrow` makes of data from outside (for the benchmarks:
/// what full validation costs).
#[pyfunction]
fn _validate_arrow(py: Python<'_>, data: AnyRecordBatch) -> PyResult<()> {
    let (batches, schema) = data.into_table()?.into_inner();
    run(py, || {
        arrow_check::check_unique_names(&schema)?;
        arrow_check::validate_batches(&batches)
    })
}

/// Deliberately panics inside the core, on the calling thread or (`pool`) on rayon's
/// threads (tests check that no panic reaches Python, nor stderr).
#[pyfunction]
#[pyo3(signature = (pool=false))]
fn _panic_for_test(py: Python<'_>, pool: bool) -> PyResult<()> {
    use rayon::prelude::*;
    run(py, || -> crate::Result<()> {
        if pool {
            (0..64u32).into_par_iter().for_each(|i| {
                if i == 40 {
                    panic!("test panic in the pool")
                }
            });
        }
        panic!("test panic")
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    install_panic_hook();
    if let Some(n) = std::env::var("CAREVIS_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        // Fails only if a pool exists already (another extension built one): keep that one.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    m.add_class::<PyJourneys>()?;
    m.add_class::<PyScene>()?;
    m.add_class::<raster::PyRasteriser>()?;
    m.add_function(wrap_pyfunction!(synth::synth_england, m)?)?;
    m.add_function(wrap_pyfunction!(colour_map, m)?)?;
    m.add_function(wrap_pyfunction!(palette, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(_validate_arrow, m)?)?;
    stats::register(m)?;
    ingest::register(m)?;
    m.add("COLOUR_MAPS", PyList::new(m.py(), colour::MAPS)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
