//! Bindings for journey statistics: per-dot groups and births in, Arrow tables out (state,
//! group and age band as codes; `carevis.stats` attaches the labels).

use std::sync::Arc;

use arrow_array::types::{Float64Type, Int64Type, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, Int32Array, PrimitiveArray, RecordBatch,
    UInt16Array, UInt32Array, UInt64Array,
};
use arrow_schema::{Field, Schema};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use super::errors::config_err;
use super::journeys::PyJourneys;
use super::run;
use crate::stats::care::{self, Roles, NONE, STILL_IN};
use crate::stats::{dfe, flow, survival, Periods, Strata};
use crate::time::{Minute, OPEN};

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

fn opt(m: Minute) -> Option<i32> {
    (m != NONE && m != OPEN).then_some(m)
}

/// Periods of care (no child identifier): group, band, entry, end, exit state, first
/// placement for adoption, first placement order, moves, previous period's end (minutes).
#[pyfunction]
#[pyo3(signature = (journeys, care, placed_for_adoption=None, groups=None, n_groups=1, births=None, placement_order=None))]
#[allow(clippy::too_many_arguments)]
pub fn stats_care_periods<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    care: Vec<bool>,
    placed_for_adoption: Option<u16>,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
    placement_order: Option<PyReadonlyArray1<'_, bool>>,
) -> PyResult<Bound<'py, PyAny>> {
    let by = By::new(groups, n_groups, births);
    let e1 = placement_order.map(|a| a.as_array().to_vec());
    let index = journeys.index.clone();
    let roles = Roles {
        care,
        placed_for_adoption,
    };
    let (periods, nb) = run(py, || {
        let strata = by.strata(&index)?;
        Ok((
            care::care_periods(&index, &roles, &strata, e1.as_deref())?,
            strata.n_bands(),
        ))
    })?;
    let m = |f: &dyn Fn(&care::CarePeriod) -> Minute| {
        col(Int32Array::from(
            periods.iter().map(|p| opt(f(p))).collect::<Vec<_>>(),
        ))
    };
    let mut cols = strata_cols(periods.iter().map(|p| p.stratum), nb).to_vec();
    cols.extend([
        ("entry", m(&|p| p.entry)),
        ("end", m(&|p| p.end)),
        (
            "exit_state",
            col(UInt16Array::from(
                periods
                    .iter()
                    .map(|p| (p.exit_state != STILL_IN).then_some(p.exit_state))
                    .collect::<Vec<_>>(),
            )),
        ),
        ("placed_for_adoption", m(&|p| p.placed_for_adoption)),
        ("placement_order", m(&|p| p.placement_order)),
        ("moves", field::<_, UInt32Type>(&periods, |p| p.moves)),
        ("previous_end", m(&|p| p.previous_end)),
        (
            "still_in",
            col(BooleanArray::from(
                periods
                    .iter()
                    .map(|p| p.exit_state == STILL_IN)
                    .collect::<Vec<_>>(),
            )),
        ),
    ]);
    table(py, cols)
}

/// Placement moves and care minutes per period: period, group, band, moves, care_minutes.
#[pyfunction]
#[pyo3(signature = (journeys, care, bounds, as_of, groups=None, n_groups=1, births=None))]
#[allow(clippy::too_many_arguments)]
pub fn stats_stability<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    care: Vec<bool>,
    bounds: PyReadonlyArray1<'_, i32>,
    as_of: i64,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
) -> PyResult<Bound<'py, PyAny>> {
    let bounds = bounds.as_array().to_vec();
    let by = By::new(groups, n_groups, births);
    let index = journeys.index.clone();
    let as_of = as_of.clamp(Minute::MIN as i64, (OPEN - 1) as i64) as Minute;
    let roles = Roles {
        care,
        placed_for_adoption: None,
    };
    let (moves, minutes, np, nk, nb) = run(py, || {
        let strata = by.strata(&index)?;
        let periods = Periods::new(&bounds)?;
        let (a, b) = care::stability(&index, &roles, &periods, &strata, as_of)?;
        Ok((a, b, periods.n(), strata.n(), strata.n_bands()))
    })?;
    per_period(py, np, nk, nb, ("moves", moves), ("care_minutes", minutes))
}

/// Entries into `states` per period and those within `window` minutes of the previous one.
#[pyfunction]
#[pyo3(signature = (journeys, states, window, bounds, groups=None, n_groups=1, births=None))]
#[allow(clippy::too_many_arguments)]
pub fn stats_repeats<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    states: Vec<bool>,
    window: i64,
    bounds: PyReadonlyArray1<'_, i32>,
    groups: Option<PyReadonlyArray1<'_, u16>>,
    n_groups: usize,
    births: Option<PyReadonlyArray1<'_, i32>>,
) -> PyResult<Bound<'py, PyAny>> {
    let bounds = bounds.as_array().to_vec();
    let by = By::new(groups, n_groups, births);
    let index = journeys.index.clone();
    let (entries, reps, np, nk, nb) = run(py, || {
        let strata = by.strata(&index)?;
        let periods = Periods::new(&bounds)?;
        let (a, b) = care::repeats(&index, &states, window, &periods, &strata);
        Ok((a, b, periods.n(), strata.n(), strata.n_bands()))
    })?;
    per_period(py, np, nk, nb, ("entries", entries), ("repeats", reps))
}

fn per_period<'py>(
    py: Python<'py>,
    np: usize,
    nk: usize,
    nb: usize,
    a: (&str, Vec<u64>),
    b: (&str, Vec<u64>),
) -> PyResult<Bound<'py, PyAny>> {
    let n = np * nk;
    let mut cols = vec![(
        "period",
        col(UInt32Array::from_iter_values(
            (0..n).map(|i| (i / nk) as u32),
        )),
    )];
    cols.extend(strata_cols((0..n).map(|i| (i % nk) as u32), nb));
    cols.extend([
        (a.0, col(UInt64Array::from(a.1))),
        (b.0, col(UInt64Array::from(b.1))),
    ]);
    table(py, cols)
}

/// The hits as a table: which (snapshot or period), row (input row), state.
fn hits<'py>(py: Python<'py>, hits: &[dfe::Hit]) -> PyResult<Bound<'py, PyAny>> {
    table(
        py,
        vec![
            ("which", field::<_, UInt32Type>(hits, |h| h.which)),
            ("row", field::<_, UInt32Type>(hits, |h| h.row)),
            ("state", field::<_, UInt16Type>(hits, |h| h.state)),
        ],
    )
}

/// The children in `states` at each instant of `ends` (the end of a day): one row per
/// child and snapshot (which, row, state).
#[pyfunction]
pub fn stats_stock<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    states: Vec<bool>,
    ends: PyReadonlyArray1<'_, i32>,
) -> PyResult<Bound<'py, PyAny>> {
    let ends = ends.as_array().to_vec();
    let index = journeys.index.clone();
    let h = run(py, || Ok(dfe::stock(&index, &states, &ends)))?;
    hits(py, &h)
}

/// Periods of care started and ceased per period, each child once a period: two tables of
/// (which, row, state); for ceased, state is the state entered as care ends.
#[pyfunction]
pub fn stats_care_flows<'py>(
    py: Python<'py>,
    journeys: &PyJourneys,
    care: Vec<bool>,
    bounds: PyReadonlyArray1<'_, i32>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let bounds = bounds.as_array().to_vec();
    let index = journeys.index.clone();
    let f = run(py, || {
        Ok(dfe::care_flows(&index, &care, &Periods::new(&bounds)?))
    })?;
    Ok((hits(py, &f.started)?, hits(py, &f.ceased)?))
}

/// Adds the statistics functions to the `_native` module.
pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(stats_flows, m)?)?;
    m.add_function(wrap_pyfunction!(stats_transitions, m)?)?;
    m.add_function(wrap_pyfunction!(stats_time_in_state, m)?)?;
    m.add_function(wrap_pyfunction!(stats_waits, m)?)?;
    m.add_function(wrap_pyfunction!(stats_care_periods, m)?)?;
    m.add_function(wrap_pyfunction!(stats_stability, m)?)?;
    m.add_function(wrap_pyfunction!(stats_repeats, m)?)?;
    m.add_function(wrap_pyfunction!(stats_stock, m)?)?;
    m.add_function(wrap_pyfunction!(stats_care_flows, m)?)?;
    Ok(())
}
