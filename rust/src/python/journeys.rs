//! Bindings of the journeys: `Journeys.from_arrow` builds the per-child index on the
//! caller's Arrow batches (kept, never copied), and the index's arrays and tables.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::{PyArray as ArrowArray, PyTable};

use super::errors::config_err;
use super::run;
use crate::arrow_check;
use crate::columns::{self, ColumnNames};
use crate::index::{IdText, Index, OnError};
use crate::table;
use crate::time::Minute;

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
    pub(super) index: Arc<Index>,
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

    /// This index over `data`: the table it was built from, with more columns beside the
    /// four it read, row for row (the ingest builds the index from those four while it
    /// makes the rest). `data` is checked in full, as `from_arrow` checks its input, but
    /// for the columns that are the very memory the index read (checked then).
    fn _with_table(&self, py: Python<'_>, data: AnyRecordBatch) -> PyResult<Self> {
        let (batches, schema) = data.into_table()?.into_inner();
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if rows != self.index.n_rows {
            return Err(config_err(
                "data",
                format!(
                    "{rows} rows, but the index was built on {}",
                    self.index.n_rows
                ),
            ));
        }
        run(py, || {
            arrow_check::check_unique_names(&schema)?;
            arrow_check::validate_batches_beside(&batches, &self.batches)
        })?;
        Ok(PyJourneys {
            index: self.index.clone(),
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

    /// Rows set aside, as a pyarrow.Table: `row` (int64), `column`, `value`, `rule`.
    fn rejects_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let batch = table::rejects_batch(&self.index.rejected)?;
        let schema = batch.schema();
        PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
    }

    /// A per-child column (read from each child's first spell's row), in dot order, as
    /// one pyarrow.Array of the column's type.
    fn attribute<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let idx = &self.index;
        let (batches, schema) = (&self.batches, &self.schema);
        let (field, array) = run(py, || {
            let rows: Vec<u32> = (0..idx.n_children()).map(|c| idx.child_row(c)).collect();
            table::take_rows(batches, schema, name, &rows)
        })?;
        let array = ArrowArray::try_new(array, field)
            .map_err(|e| config_err("attribute", e.to_string()))?;
        let out = array.to_pyarrow(py)?.unbind();
        Ok(out.into_bound(py))
    }

    /// Each dot's spell (index order) at `t` minutes: its last spell begun by `t`, or -1
    /// when it has none begun (or is no dot).
    fn spell_at<'py>(
        &self,
        py: Python<'py>,
        dots: PyReadonlyArray1<'_, i64>,
        t: i64,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let t = t.clamp(Minute::MIN as i64, Minute::MAX as i64) as Minute;
        let idx = &self.index;
        let out: Vec<i64> = dots
            .as_array()
            .iter()
            .map(|&d| {
                usize::try_from(d)
                    .ok()
                    .and_then(|d| table::spell_at(idx, d, t))
                    .map_or(-1, |s| s as i64)
            })
            .collect();
        Ok(PyArray1::from_vec(py, out))
    }

    /// Bytes the index holds beyond the Arrow input.
    fn index_bytes(&self) -> usize {
        self.index.heap_bytes()
    }
}
