//! Bindings of the DfE care statistics: periods of care, stability, repeat entries, stock
//! and flows per statistical period.

use arrow_array::types::{UInt16Type, UInt32Type};
use arrow_array::{BooleanArray, Int32Array, UInt16Array, UInt32Array, UInt64Array};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use super::{col, field, strata_cols, table, By};
use crate::python::journeys::PyJourneys;
use crate::python::run;
use crate::stats::care::{self, Roles, NONE, STILL_IN};
use crate::stats::{dfe, Periods};
use crate::time::{Minute, OPEN};

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
