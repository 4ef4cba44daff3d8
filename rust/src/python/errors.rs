//! The `carevis.errors` exception hierarchy, created here at module init, and the one
//! conversion from core errors (and panics) to it: binding code maps errors with `?`.
//!
//! `CarevisError(Exception)` > `SchemaError`, `DataError`, `ExportError`, and
//! `ConfigError(CarevisError, ValueError)`. Each class says `__module__ == "carevis.errors"`,
//! which re-exports them, so they pickle by name.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::error::{CoreError, ErrorKind};

pyo3::create_exception!(
    carevis.errors,
    CarevisError,
    PyException,
    "Base class of every error carevis raises."
);
pyo3::create_exception!(
    carevis.errors,
    SchemaError,
    CarevisError,
    "A column is missing or has a type carevis cannot use."
);
pyo3::create_exception!(
    carevis.errors,
    DataError,
    CarevisError,
    "A value in the data breaks a rule (null id, end before start, overlap...)."
);
pyo3::create_exception!(
    carevis.errors,
    ExportError,
    CarevisError,
    "An export cannot be written (bad path, size, format or time range)."
);

const CONFIG_DOC: &str = "An option, layout or colour setting is invalid.";

/// `ConfigError(CarevisError, ValueError)`: two bases, which `create_exception!` cannot
/// give, so it is made by calling `type` once and kept.
static CONFIG_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The `ConfigError` class (made on first use).
pub fn config_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    let ty = CONFIG_ERROR.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(
            py,
            [py.get_type::<CarevisError>(), py.get_type::<PyValueError>()],
        )?;
        let body = PyDict::new(py);
        body.set_item("__module__", "carevis.errors")?;
        body.set_item("__qualname__", "ConfigError")?;
        body.set_item("__doc__", CONFIG_DOC)?;
        let made = py
            .get_type::<PyType>()
            .call1(("ConfigError", bases, body))?;
        Ok(made.cast_into::<PyType>()?.unbind())
    })?;
    Ok(ty.bind(py))
}

/// A `ConfigError` with `message` (a plain `ValueError` only if the class cannot be made).
fn config_error(message: String) -> PyErr {
    Python::attach(|py| match config_error_type(py) {
        Ok(ty) => PyErr::from_type(ty.clone(), message),
        Err(_) => PyValueError::new_err(message),
    })
}

impl From<CoreError> for PyErr {
    fn from(e: CoreError) -> PyErr {
        let message = e.to_string();
        match e.kind() {
            ErrorKind::Schema => SchemaError::new_err(message),
            ErrorKind::Data => DataError::new_err(message),
            ErrorKind::Export => ExportError::new_err(message),
            ErrorKind::Config => config_error(message),
        }
    }
}

/// A `ConfigError` about setting `name` (the core's wording: "invalid setting ...").
pub fn config_err(name: &str, message: impl Into<String>) -> PyErr {
    CoreError::config(name, message).into()
}

/// The error a panic in the core becomes: a `CarevisError` saying what and where.
pub fn internal_error(what: &str, place: &str) -> PyErr {
    CarevisError::new_err(format!(
        "internal error in the carevis core: {what}{place}; please report it"
    ))
}

/// Adds the five classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CarevisError", py.get_type::<CarevisError>())?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("ExportError", py.get_type::<ExportError>())?;
    m.add("ConfigError", config_error_type(py)?)?;
    Ok(())
}
