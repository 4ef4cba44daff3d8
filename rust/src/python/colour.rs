//! Bindings of the colour tables: the named continuous maps. (Categories' colours are
//! chosen in Python: carevis.scene.palettes.)

use numpy::PyArray2;
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::errors::config_err;
use crate::colour;

/// A named continuous colour map as a (256, 4) uint8 table.
#[pyfunction]
fn colour_map<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let lut = colour::colour_map(name).ok_or_else(|| {
        config_err(
            "colourmap",
            format!("unknown map '{name}' (known: {})", colour::MAPS.join(", ")),
        )
    })?;
    let rows: Vec<Vec<u8>> = lut.iter().map(|c| c.to_vec()).collect();
    PyArray2::from_vec2(py, &rows).map_err(|e| config_err("colourmap", e.to_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(colour_map, m)?)?;
    m.add("COLOUR_MAPS", PyList::new(m.py(), colour::MAPS)?)?;
    Ok(())
}
