//! Bindings of the synthetic England generator.

use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use super::run;
use crate::error::CoreError;
use crate::synth::{self, CheckKind, SynthConfig};

type CheckRowPy = (String, Option<i32>, f64, f64, String);

/// Generates the synthetic England: (canonical pyarrow.Table, councils, check rows or None).
#[pyfunction]
#[pyo3(signature = (scale, start_day, end_day, seed, check=false))]
#[allow(clippy::type_complexity)]
pub fn synth_england<'py>(
    py: Python<'py>,
    scale: f64,
    start_day: i32,
    end_day: i32,
    seed: u64,
    check: bool,
) -> PyResult<(
    Bound<'py, PyAny>,
    Vec<(String, String, u32)>,
    Option<Vec<CheckRowPy>>,
)> {
    let cfg = SynthConfig {
        scale,
        start_day,
        end_day,
        seed,
        ..SynthConfig::default()
    };
    let (batch, councils, rows) = run(py, || {
        let out =
            synth::england(&cfg).map_err(|e| CoreError::config("synthetic", e.to_string()))?;
        let rows = check.then(|| synth::check(&out, &cfg));
        let councils: Vec<(String, String, u32)> = out
            .councils
            .iter()
            .map(|c| (c.code.clone(), c.name.clone(), c.child_population))
            .collect();
        let batch = crate::synth_table::to_record_batch(out)?;
        Ok((batch, councils, rows))
    })?;
    let rows = rows.map(|rows| {
        rows.into_iter()
            .map(|r| {
                let kind = match r.kind {
                    CheckKind::Count => "count",
                    CheckKind::Share => "share",
                };
                (
                    r.measure,
                    r.year,
                    r.generated,
                    r.published,
                    kind.to_string(),
                )
            })
            .collect()
    });
    let schema = batch.schema();
    let table = PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)?;
    Ok((table, councils, rows))
}
