//! Bindings of projections: fitting a journey model, saving and loading it, and running it.

use std::sync::{Arc, Mutex};

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::journeys::PyJourneys;
use super::run;
use crate::project::{self, FitInput, Known, Model, Scenario, SimConfig};
use crate::time::Minute;

/// A fitted journey model (immutable).
#[pyclass(name = "ProjectionModel", module = "carevis._native", frozen)]
pub struct PyModel {
    pub(super) model: Arc<Model>,
}

#[pymethods]
impl PyModel {
    #[getter]
    fn states(&self) -> Vec<String> {
        self.model.states.clone()
    }
    #[getter]
    fn groups(&self) -> Vec<String> {
        self.model.groups.clone()
    }
    #[getter]
    fn by_age(&self) -> bool {
        self.model.by_age
    }
    /// Edges (days) of the care bands (time in care at a spell's start); empty: none.
    #[getter]
    fn care_edges(&self) -> Vec<i32> {
        self.model.care_edges.clone()
    }
    #[getter]
    fn as_of_day(&self) -> i32 {
        self.model.as_of_day
    }
    #[getter]
    fn window_days(&self) -> i32 {
        self.model.window_days
    }
    /// Per (state, next state or left): the fitted trend of the move's rate, log per year.
    #[getter]
    fn trend(&self) -> Vec<f64> {
        self.model.trend.clone()
    }
    /// Per (entry state, age band): the fitted trend of the arrivals, log per year; empty:
    /// none.
    #[getter]
    fn arrival_trend(&self) -> Vec<f64> {
        self.model.arrival_trend.clone()
    }
    #[getter]
    fn trend_damping(&self) -> f64 {
        self.model.damping
    }
    #[getter]
    fn n_open(&self) -> usize {
        self.model.open.len()
    }
    /// Arrivals a year (at the fitted level).
    #[getter]
    fn arrivals_per_year(&self) -> f64 {
        self.model.arrivals.iter().map(|a| a.per_year).sum()
    }
    /// Per cell: (spells, events) of the cells in use.
    fn cells_used(&self) -> usize {
        let mut c = self.model.choice.clone();
        c.sort_unstable();
        c.dedup();
        c.len()
    }
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &project::to_bytes(&self.model))
    }
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: Vec<u8>) -> PyResult<Self> {
        let model = run(py, || project::from_bytes(&data))?;
        Ok(PyModel {
            model: Arc::new(model),
        })
    }
}

/// Fits a model: per-child group codes (with their labels) and births (minutes) optional.
#[pyfunction]
#[pyo3(signature = (journeys, as_of, window_days, groups=None, group_labels=vec![], births=None,
    trend_years=0, trend_damping=1.0, care_edges=vec![], arrival_trend=false))]
#[allow(clippy::too_many_arguments)]
pub fn project_fit(
    py: Python<'_>,
    journeys: &PyJourneys,
    as_of: i64,
    window_days: i32,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    group_labels: Vec<String>,
    births: Option<PyReadonlyArray1<'_, i32>>,
    trend_years: u32,
    trend_damping: f64,
    care_edges: Vec<i32>,
    arrival_trend: bool,
) -> PyResult<PyModel> {
    let groups = groups.map(|g| g.as_array().to_vec());
    let births = births.map(|b| b.as_array().to_vec());
    let index = journeys.index.clone();
    let as_of = as_of.clamp(Minute::MIN as i64, (crate::time::OPEN - 1) as i64) as Minute;
    let model = run(py, || {
        project::fit(&FitInput {
            index: &index,
            as_of,
            groups: groups.as_deref().map(|g| (g, group_labels)),
            births: births.as_deref(),
            window_days,
            trend_years,
            damping: trend_damping,
            care_edges,
            arrival_trend,
        })
    })?;
    Ok(PyModel {
        model: Arc::new(model),
    })
}

/// Known arrivals as (state, day, birth day, group) arrays.
type KnownArrays<'py> = (
    Bound<'py, PyArray1<u16>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<u16>>,
);

/// The arrivals in the journeys after `from_day` up to `to_day` (days): every child's first
/// spell and every return after a gap, with births (minutes) and group codes if given.
#[pyfunction]
#[pyo3(signature = (journeys, from_day, to_day, births=None, groups=None))]
pub fn project_arrivals<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    from_day: i32,
    to_day: i32,
    births: Option<PyReadonlyArray1<'_, i32>>,
    groups: Option<PyReadonlyArray1<'_, u16>>,
) -> PyResult<KnownArrays<'py>> {
    let births = births.map(|b| b.as_array().to_vec());
    let groups = groups.map(|g| g.as_array().to_vec());
    let index = journeys.index.clone();
    let k = run(py, || {
        project::arrivals_between(
            &index,
            births.as_deref(),
            groups.as_deref(),
            (from_day, to_day),
        )
    })?;
    Ok((
        PyArray1::from_iter(py, k.iter().map(|a| a.state)),
        PyArray1::from_iter(py, k.iter().map(|a| a.day)),
        PyArray1::from_iter(py, k.iter().map(|a| a.birth_day)),
        PyArray1::from_iter(py, k.iter().map(|a| a.group)),
    ))
}

/// Known arrivals' (state, day, birth day, group) arrays as they come from Python.
type KnownIn<'py> = (
    PyReadonlyArray1<'py, u16>,
    PyReadonlyArray1<'py, i32>,
    PyReadonlyArray1<'py, i32>,
    PyReadonlyArray1<'py, u16>,
);

/// Runs a model: (stock per run x date x state as a flat uint64 array, the first run's spells
/// as a dict of arrays or None). `known`: arrivals given (as from `project_arrivals`) instead
/// of drawn.
#[pyfunction]
#[pyo3(signature = (model, horizon_day, dates, seed=0, runs=1, emit=false, journeys=None,
    births=None, groups=None, entries=vec![1.0; 6], time=vec![], shift=vec![], threads=None,
    known=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn project_run<'py>(
    py: Python<'py>,
    model: &PyModel,
    horizon_day: i32,
    dates: Vec<i32>,
    seed: u64,
    runs: u32,
    emit: bool,
    journeys: Option<&PyJourneys>,
    births: Option<PyReadonlyArray1<'_, i32>>,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    entries: Vec<f64>,
    time: Vec<f64>,
    shift: Vec<(u16, u16, f64)>,
    threads: Option<usize>,
    known: Option<KnownIn<'_>>,
) -> PyResult<(Bound<'py, PyArray1<u64>>, Option<Bound<'py, PyDict>>)> {
    let known: Option<Vec<Known>> = match known {
        None => None,
        Some((s, d, b, g)) => {
            let (s, d, b, g) = (s.as_array(), d.as_array(), b.as_array(), g.as_array());
            if d.len() != s.len() || b.len() != s.len() || g.len() != s.len() {
                return Err(super::errors::config_err(
                    "arrivals",
                    "known arrivals' arrays differ in length",
                ));
            }
            Some(
                (0..s.len())
                    .map(|i| Known {
                        state: s[i],
                        day: d[i],
                        birth_day: b[i],
                        group: g[i],
                    })
                    .collect(),
            )
        }
    };
    let entries: [f64; 6] = entries
        .try_into()
        .map_err(|_| super::errors::config_err("scenario", "entries needs 6 multipliers"))?;
    let sc = Scenario {
        entries,
        time,
        shift,
    };
    let births = births.map(|b| b.as_array().to_vec());
    let groups = groups.map(|g| g.as_array().to_vec());
    let index = journeys.map(|j| j.index.clone());
    let m = model.model.clone();
    let out = run(py, || {
        let cfg = SimConfig {
            seed,
            runs,
            horizon_day,
            dates,
            emit,
            history: index
                .as_deref()
                .map(|i| (i, births.as_deref(), groups.as_deref())),
            known: known.as_deref(),
        };
        match threads {
            Some(n) => pool(n)?.install(|| project::simulate(&m, &sc, &cfg)),
            None => project::simulate(&m, &sc, &cfg),
        }
    })?;
    let stock = PyArray1::from_vec(py, out.stock);
    if !emit {
        return Ok((stock, None));
    }
    let s = out.spells;
    let d = PyDict::new(py);
    d.set_item("child", PyArray1::from_vec(py, s.child))?;
    d.set_item("state", PyArray1::from_vec(py, s.state))?;
    d.set_item("start", PyArray1::from_vec(py, s.start))?;
    d.set_item("end", PyArray1::from_vec(py, s.end))?;
    d.set_item("projected", PyArray1::from_vec(py, s.projected))?;
    d.set_item("birth", PyArray1::from_vec(py, s.birth))?;
    d.set_item("group", PyArray1::from_vec(py, s.group))?;
    Ok((stock, Some(d)))
}

/// A rayon pool of `n` threads (at least 1), built once per size and kept.
fn pool(n: usize) -> crate::error::Result<Arc<rayon::ThreadPool>> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let n = n.max(1);
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(k, _)| *k == n) {
        return Ok(p.clone());
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| crate::CoreError::config("threads", e.to_string()))?,
    );
    pools.push((n, p.clone()));
    Ok(p)
}

/// Adds the projection classes and functions to the `_native` module.
pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_function(wrap_pyfunction!(project_fit, m)?)?;
    m.add_function(wrap_pyfunction!(project_run, m)?)?;
    m.add_function(wrap_pyfunction!(project_arrivals, m)?)?;
    Ok(())
}
