//! The Python bindings: the only place PyO3 appears. Every heavy call extracts its inputs,
//! then runs with the GIL released through [`run`], which also turns core errors and any
//! panic into `carevis.errors` exceptions (created in [`errors`]).
//!
//! One file per thing bound: [`errors`], [`journeys`], [`scene`], [`colour`], [`raster`],
//! [`stats`], [`ingest`], [`synth`], [`project`]; this file holds `run` and the module itself.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::arrow_check;

mod colour;
mod errors;
mod ingest;
mod journeys;
mod project;
mod raster;
mod scene;
mod stats;
mod synth;

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
        Ok(result) => Ok(result?),
        Err((what, at)) => {
            let place = at.map(|a| format!(" (at {a})")).unwrap_or_default();
            Err(errors::internal_error(&what, &place))
        }
    }
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
    errors::register(m)?;
    m.add_class::<journeys::PyJourneys>()?;
    m.add_class::<scene::PyScene>()?;
    m.add_class::<raster::PyRasteriser>()?;
    m.add_function(wrap_pyfunction!(synth::synth_england, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(_validate_arrow, m)?)?;
    stats::register(m)?;
    ingest::register(m)?;
    project::register(m)?;
    colour::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
