//! Bindings for journey statistics: per-dot groups and births in, Arrow tables out (state,
//! group and age band as codes; `carevis.stats` attaches the labels).

use std::sync::Arc;

use arrow_array::types::{Float64Type, Int64Type, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, PrimitiveArray, RecordBatch, UInt16Array, UInt32Array,
    UInt64Array,
};
use arrow_schema::{Field, Schema};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use super::errors::config_err;
use super::journeys::PyJourneys;
use super::run;
use crate::stats::{flow, survival, waits, Periods, Strata};
use crate::time::{Minute, OPEN};

mod periods;
use periods::*;

/// Per-dot inputs copied out of numpy before the GIL is released.
struct By {
    groups: Option<Vec<u16>>,
    n_groups: usize,
    births: Option<Vec<Minute>>,
}

impl By {
    fn new(
        groups: Option<PyReadonlyArray1<'_, u16>>,
        n_groups: usize,
        births: Option<PyReadonlyArray1<'_, i32>>,
    ) -> Self {
        By {
            groups: groups.map(|g| g.as_array().to_vec()),
            n_groups,
            births: births.map(|b| b.as_array().to_vec()),
        }
    }

    fn strata(&self, index: &crate::index::Index) -> crate::Result<Strata<'_>> {
        Strata::new(
            index,
            self.groups.as_deref(),
            self.n_groups,
            self.births.as_deref(),
        )
    }
}

fn col<A: arrow_array::Array + 'static>(a: A) -> ArrayRef {
    Arc::new(a)
}

/// The group (`band = false`) or age band (`band = true`) of each stratum number.
/// The `group` and `band` columns of rows whose strata are `strata` (`nb` bands a group).
fn strata_cols(
    strata: impl Iterator<Item = u32> + Clone,
    nb: usize,
) -> [(&'static str, ArrayRef); 2] {
    let part = |band: bool| {
        let f = move |k: u32| if band { k as usize % nb } else { k as usize / nb } as u16;
        col(UInt16Array::from_iter_values(strata.clone().map(f)))
    };
    [("group", part(false)), ("band", part(true))]
}

/// A column of one field of each record.
fn field<T, A: ArrowPrimitiveType>(xs: &[T], f: impl Fn(&T) -> A::Native) -> ArrayRef {
    col(PrimitiveArray::<A>::from_iter_values(xs.iter().map(f)))
}

/// A pyarrow table of named columns.
fn table<'py>(py: Python<'py>, columns: Vec<(&str, ArrayRef)>) -> PyResult<Bound<'py, PyAny>> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| {
            Field::new(
                *n,
                a.data_type().clone(),
                a.null_count() > 0 || a.is_nullable(),
            )
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .map_err(|e| config_err("stats", e.to_string()))?;
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

fn group_band(strata: &Strata, k: usize) -> (u16, u16) {
    let (g, b) = strata.split(k);
    (g as u16, b as u16)
}

/// Occupancy at each period start, entries and exits: period, state, group, band codes.
#[pyfunction]
#[pyo3(signature = (journeys, bounds, groups=None, n_groups=1, births=None))]
pub fn stats_flows<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    bounds: PyReadonlyArray1<'_, i32>,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
) -> PyResult<Bound<'py, PyAny>> {
    let bounds = bounds.as_array().to_vec();
    let by = By::new(groups, n_groups, births);
    let index = journeys.index.clone();
    let (p, s, g, b, occ, ent, ex) = run(py, || {
        let strata = by.strata(&index)?;
        let f = flow::flows(&index, &Periods::new(&bounds)?, &strata);
        let mut cols = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for period in 0..f.n_periods {
            for state in 0..f.n_states {
                for k in 0..f.n_strata {
                    let i = f.cell(period, state, k);
                    if f.occupancy[i] | f.entries[i] | f.exits[i] == 0 {
                        continue;
                    }
                    let (gg, bb) = group_band(&strata, k);
                    cols.0.push(period as u32);
                    cols.1.push(state as u16);
                    cols.2.push(gg);
                    cols.3.push(bb);
                    cols.4.push(f.occupancy[i]);
                    cols.5.push(f.entries[i]);
                    cols.6.push(f.exits[i]);
                }
            }
        }
        Ok(cols)
    })?;
    table(
        py,
        vec![
            ("period", col(UInt32Array::from(p))),
            ("state", col(UInt16Array::from(s))),
            ("group", col(UInt16Array::from(g))),
            ("band", col(UInt16Array::from(b))),
            ("occupancy", col(UInt64Array::from(occ))),
            ("entries", col(UInt64Array::from(ent))),
            ("exits", col(UInt64Array::from(ex))),
        ],
    )
}

/// Transition counts per period: period, group, band, from, to (n_states = "(left)"), count.
#[pyfunction]
#[pyo3(signature = (journeys, bounds, groups=None, n_groups=1, births=None))]
pub fn stats_transitions<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    bounds: PyReadonlyArray1<'_, i32>,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
) -> PyResult<Bound<'py, PyAny>> {
    let bounds = bounds.as_array().to_vec();
    let by = By::new(groups, n_groups, births);
    let index = journeys.index.clone();
    let (p, g, b, f, t, n) = run(py, || {
        let strata = by.strata(&index)?;
        let tr = flow::transitions(&index, &Periods::new(&bounds)?, &strata);
        let mut cols = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for period in 0..tr.n_periods {
            for k in 0..tr.n_strata {
                for from in 0..tr.n_states {
                    for to in 0..=tr.n_states {
                        let c = tr.counts[tr.cell(period, k, from, to)];
                        if c == 0 {
                            continue;
                        }
                        let (gg, bb) = group_band(&strata, k);
                        cols.0.push(period as u32);
                        cols.1.push(gg);
                        cols.2.push(bb);
                        cols.3.push(from as u16);
                        cols.4.push(to as u16);
                        cols.5.push(c);
                    }
                }
            }
        }
        Ok(cols)
    })?;
    table(
        py,
        vec![
            ("period", col(UInt32Array::from(p))),
            ("group", col(UInt16Array::from(g))),
            ("band", col(UInt16Array::from(b))),
            ("from", col(UInt16Array::from(f))),
            ("to", col(UInt16Array::from(t))),
            ("count", col(UInt64Array::from(n))),
        ],
    )
}

/// Kaplan-Meier time in state: (summary table, curve table); times in minutes.
#[pyfunction]
#[pyo3(signature = (journeys, as_of, groups=None, n_groups=1, births=None, curve_step=0))]
#[allow(clippy::too_many_arguments)]
pub fn stats_time_in_state<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    as_of: i64,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
    curve_step: i64,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let by = By::new(groups, n_groups, births);
    let index = journeys.index.clone();
    let as_of = as_of.clamp(Minute::MIN as i64, (OPEN - 1) as i64) as Minute;
    let (summaries, curve, nb) = run(py, || {
        let strata = by.strata(&index)?;
        let (s, c) = survival::kaplan_meier(&index, &strata, as_of, curve_step)?;
        Ok((s, c, strata.n_bands()))
    })?;
    let q = |k: usize| {
        col(PrimitiveArray::<Int64Type>::from_iter(
            summaries.iter().map(|s| s.quantiles[k]),
        ))
    };
    let mut cols = vec![("state", field::<_, UInt16Type>(&summaries, |s| s.state))];
    cols.extend(strata_cols(summaries.iter().map(|s| s.stratum), nb));
    cols.extend([
        ("n", field::<_, UInt64Type>(&summaries, |s| s.n)),
        ("events", field::<_, UInt64Type>(&summaries, |s| s.events)),
        (
            "censored",
            field::<_, UInt64Type>(&summaries, |s| s.censored),
        ),
        ("p25", q(0)),
        ("median", q(1)),
        ("p75", q(2)),
        ("p90", q(3)),
    ]);
    let summary = table(py, cols)?;
    let mut cols = vec![("state", field::<_, UInt16Type>(&curve, |s| s.state))];
    cols.extend(strata_cols(curve.iter().map(|s| s.stratum), nb));
    cols.extend([
        ("time", field::<_, Int64Type>(&curve, |s| s.time)),
        ("survival", field::<_, Float64Type>(&curve, |s| s.survival)),
        ("at_risk", field::<_, UInt64Type>(&curve, |s| s.at_risk)),
    ]);
    let curves = table(py, cols)?;
    Ok((summary, curves))
}

/// The children in each state at `t` and the median of their time there so far (minutes).
#[pyfunction]
#[pyo3(signature = (journeys, t, groups=None, n_groups=1, births=None))]
pub fn stats_waits<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    t: i64,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
) -> PyResult<Bound<'py, PyAny>> {
    let by = By::new(groups, n_groups, births);
    let index = journeys.index.clone();
    let t = t.clamp(Minute::MIN as i64, (OPEN - 1) as i64) as Minute;
    let (w, nb) = run(py, || {
        let strata = by.strata(&index)?;
        Ok((
            survival::current_waits(&index, &strata, t),
            strata.n_bands(),
        ))
    })?;
    let mut cols = vec![("state", field::<_, UInt16Type>(&w, |r| r.0))];
    cols.extend(strata_cols(w.iter().map(|r| r.1), nb));
    cols.extend([
        ("n", field::<_, UInt64Type>(&w, |r| r.2)),
        ("median", field::<_, Int64Type>(&w, |r| r.3)),
    ]);
    table(py, cols)
}

/// The waits of [`stats_waits`] at many ascending moments `times` (minutes), for the
/// states flagged in `states` only: time index, state, n, median (minutes).
#[pyfunction]
pub fn stats_waits_at<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    times: PyReadonlyArray1<'_, i64>,
    states: PyReadonlyArray1<'_, bool>,
) -> PyResult<Bound<'py, PyAny>> {
    let times: Vec<Minute> = times
        .as_array()
        .iter()
        .map(|&t| t.clamp(Minute::MIN as i64, (OPEN - 1) as i64) as Minute)
        .collect();
    let states = states.as_array().to_vec();
    let index = journeys.index.clone();
    let w = run(py, || waits::waits_at_times(&index, &states, &times))?;
    table(
        py,
        vec![
            ("time", field::<_, UInt32Type>(&w, |r| r.0)),
            ("state", field::<_, UInt16Type>(&w, |r| r.1)),
            ("n", field::<_, UInt64Type>(&w, |r| r.2)),
            ("median", field::<_, Int64Type>(&w, |r| r.3)),
        ],
    )
}

/// Adds the statistics functions to the `_native` module.
pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(stats_flows, m)?)?;
    m.add_function(wrap_pyfunction!(stats_transitions, m)?)?;
    m.add_function(wrap_pyfunction!(stats_time_in_state, m)?)?;
    m.add_function(wrap_pyfunction!(stats_waits, m)?)?;
    m.add_function(wrap_pyfunction!(stats_waits_at, m)?)?;
    m.add_function(wrap_pyfunction!(stats_care_periods, m)?)?;
    m.add_function(wrap_pyfunction!(stats_stability, m)?)?;
    m.add_function(wrap_pyfunction!(stats_repeats, m)?)?;
    m.add_function(wrap_pyfunction!(stats_stock, m)?)?;
    m.add_function(wrap_pyfunction!(stats_care_flows, m)?)?;
    Ok(())
}
