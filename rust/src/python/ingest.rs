//! Bindings of the ingest fast paths.

use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::Array;
use arrow_array::{DictionaryArray, StringArray};
use arrow_schema::Field;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3_arrow::PyArray as ArrowArray;

use super::errors::config_err;
use crate::columns::by_key_type;
use crate::ingest::{csv, dfe, keys, years};

/// (kept columns, source lines, rows per body)
type Parsed<'py> = (
    Vec<Bound<'py, PyAny>>,
    Bound<'py, PyArray1<i64>>,
    Vec<usize>,
);
/// (body, line, what) of the first row the fast path hands back
type Trouble = (usize, i64, String);

/// Parses CSV return files that share a header: `data[i][starts[i]:]` is file i's body
/// (after its header line), `ncols` fields per row; keeps the fields at positions `keep`
/// as pyarrow `dictionary<int32, string>` arrays of the raw text. Returns
/// `(parsed, None)`, or `(None, why)` when a file needs the careful per-file reader.
/// Columns listed in `repeat` may repeat a dictionary value (see
/// `ingest::csv::parse_bodies_with`): for ids keyed by text afterwards.
#[pyfunction]
#[pyo3(signature = (data, starts, ncols, keep, repeat=Vec::new()))]
pub fn parse_csv_bodies<'py>(
    py: Python<'py>,
    data: Vec<PyBackedBytes>,
    starts: Vec<usize>,
    ncols: usize,
    keep: Vec<usize>,
    repeat: Vec<usize>,
) -> PyResult<(Option<Parsed<'py>>, Option<Trouble>)> {
    if starts.len() != data.len() {
        return Err(config_err("starts", "one start per body"));
    }
    if keep.iter().any(|&k| k >= ncols) {
        return Err(config_err("keep", "field positions must be below ncols"));
    }
    let out = super::run(py, || {
        let bodies: Vec<&[u8]> = data
            .iter()
            .zip(&starts)
            .map(|(d, &s)| d.get(s..).unwrap_or(&[]))
            .collect();
        let distinct: Vec<bool> = keep.iter().map(|k| !repeat.contains(k)).collect();
        Ok(csv::parse_bodies_with(&bodies, ncols, &keep, &distinct))
    })?;
    match out {
        Ok(p) => {
            let pa_array = py.import("pyarrow")?.getattr("array")?;
            let cols = p
                .columns
                .into_iter()
                .map(|c| {
                    let field = Field::new("", c.data_type().clone(), true);
                    let a = ArrowArray::new(Arc::new(c), Arc::new(field)).into_pyobject(py)?;
                    pa_array.call1((a,))
                })
                .collect::<PyResult<Vec<_>>>()?;
            Ok((
                Some((cols, PyArray1::from_vec(py, p.lines), p.counts)),
                None,
            ))
        }
        Err(t) => Ok((None, Some((t.body, t.line, t.what.to_string())))),
    }
}

/// Child keys over tables: `parts` = [(la, child)], each `dictionary<int32, string>`.
/// Returns (per-row key int64, per-row blank CHILD, pyarrow string ids `LA-CHILD` per
/// key), keys in order of first appearance, text trimmed, a null council `unknown_la`.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn child_keys<'py>(
    py: Python<'py>,
    parts: Vec<(ArrowArray, ArrowArray)>,
    unknown_la: &str,
) -> PyResult<(
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyAny>,
)> {
    /// (codes, -1 for null rows; values) of a dictionary<int32, string> column.
    fn dict(a: &ArrowArray) -> PyResult<(Vec<i32>, Vec<&str>)> {
        let d = a
            .as_ref()
            .as_any()
            .downcast_ref::<DictionaryArray<Int32Type>>()
            .ok_or_else(|| config_err("parts", "columns must be dictionary<int32, string>"))?;
        let v = d
            .values()
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| config_err("parts", "dictionary values must be strings"))?;
        let values = (0..v.len())
            .map(|i| if v.is_valid(i) { v.value(i) } else { "" })
            .collect();
        let codes = d.keys().iter().map(|c| c.unwrap_or(-1)).collect();
        Ok((codes, values))
    }
    let mut cols = Vec::new();
    for (la, child) in &parts {
        let l = dict(la)?;
        let c = dict(child)?;
        if l.0.len() != c.0.len() {
            return Err(config_err("parts", "la and child differ in length"));
        }
        cols.push((l, c));
    }
    let tables: Vec<keys::IdColumns<'_>> = cols
        .iter()
        .map(|((lc, lv), (cc, cv))| keys::IdColumns {
            la_codes: lc,
            la_values: lv,
            child_codes: cc,
            child_values: cv,
        })
        .collect();
    let out = super::run(py, || Ok(keys::child_keys(&tables, unknown_la)))?;
    let ids = out.ids;
    let field = Field::new("", ids.data_type().clone(), true);
    let ids = ArrowArray::new(Arc::new(ids), Arc::new(field)).into_pyobject(py)?;
    let ids = py.import("pyarrow")?.getattr("array")?.call1((ids,))?;
    Ok((
        PyArray1::from_vec(py, out.keys),
        PyArray1::from_vec(py, out.blank),
        ids,
    ))
}

/// A dictionary array's keys as int64, -1 for a null or a key that does not fit: one pass
/// without the GIL (pyarrow's `fill_null` then `to_numpy` copies twice, through float
/// when there are nulls).
#[pyfunction]
pub fn dict_indices<'py>(py: Python<'py>, arr: ArrowArray) -> PyResult<Bound<'py, PyArray1<i64>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_schema::DataType;
    let a = arr.as_ref();
    let DataType::Dictionary(k, _) = a.data_type() else {
        return Err(config_err(
            "arr",
            format!("not a dictionary array: {}", a.data_type()),
        ));
    };
    macro_rules! keys {
        ($t:ty) => {{
            let keys = a.as_dictionary::<$t>().keys();
            super::run(py, || {
                let mut out: Vec<i64> = keys
                    .values()
                    .iter()
                    .map(|&v| arrow_buffer::ArrowNativeType::to_i64(v).unwrap_or(-1))
                    .collect();
                if let Some(nulls) = keys.nulls().filter(|n| n.null_count() > 0) {
                    // 64 rows at a time: only words with a null bit are looked into.
                    let bits = nulls.inner();
                    let chunks = bits.inner().bit_chunks(bits.offset(), bits.len());
                    let mut mark = |at: usize, valid: u64, len: usize| {
                        let mut z = !valid & (u64::MAX >> (64 - len));
                        while z != 0 {
                            out[at + z.trailing_zeros() as usize] = -1;
                            z &= z - 1;
                        }
                    };
                    let mut at = 0;
                    for word in chunks.iter() {
                        mark(at, word, 64);
                        at += 64;
                    }
                    if chunks.remainder_len() > 0 {
                        mark(at, chunks.remainder_bits(), chunks.remainder_len());
                    }
                }
                Ok(out)
            })?
        }};
    }
    let out = by_key_type!(
        k.as_ref(),
        keys,
        return Err(config_err("arr", format!("dictionary keys of type {k}")))
    );
    Ok(PyArray1::from_vec(py, out))
}

/// Stable argsort of int64 keys (numpy's `argsort(kind="stable")`), in parallel.
#[pyfunction]
pub fn argsort_stable<'py>(
    py: Python<'py>,
    keys: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let k = keys.as_slice()?;
    if k.len() > u32::MAX as usize {
        return Err(config_err("keys", "at most 2^32 keys"));
    }
    let order = super::run(py, || Ok(keys::argsort_stable(k)))?;
    Ok(PyArray1::from_vec(
        py,
        order.into_iter().map(i64::from).collect(),
    ))
}

/// Rows grouped by equal `group` columns, led by their latest (largest `minor`, then last)
/// row: (order, last per position, dup, sup, conf per row). See `ingest::keys::Latest`.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn latest_in_groups<'py>(
    py: Python<'py>,
    rows: PyReadonlyArray1<'py, i64>,
    group: Vec<PyReadonlyArray1<'py, i64>>,
    minor: PyReadonlyArray1<'py, i64>,
    content: Vec<PyReadonlyArray1<'py, i64>>,
) -> PyResult<(
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
)> {
    let minor = minor.as_slice()?;
    let n = minor.len();
    let group: Vec<&[i64]> = group
        .iter()
        .map(|g| g.as_slice())
        .collect::<Result<_, _>>()?;
    let content: Vec<&[i64]> = content
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    if group.iter().chain(&content).any(|c| c.len() != n) || n > u32::MAX as usize {
        return Err(config_err(
            "columns",
            "one entry per row, at most 2^32 rows",
        ));
    }
    let rows: Vec<u32> = rows
        .as_slice()?
        .iter()
        .map(|&r| u32::try_from(r).ok().filter(|&r| (r as usize) < n))
        .collect::<Option<_>>()
        .ok_or_else(|| config_err("rows", "row numbers must be within the columns"))?;
    if rows.windows(2).any(|w| w[0] >= w[1]) {
        return Err(config_err("rows", "rows must be ascending"));
    }
    let g = super::run(py, || {
        Ok(keys::latest_in_groups(n, &rows, &group, minor, &content))
    })?;
    Ok((
        PyArray1::from_vec(py, g.order.into_iter().map(i64::from).collect()),
        PyArray1::from_vec(py, g.last),
        PyArray1::from_vec(py, g.dup),
        PyArray1::from_vec(py, g.sup),
        PyArray1::from_vec(py, g.conf),
    ))
}

/// The DfE rules on consecutive episodes of a child in a return and 302 (see
/// `ingest::dfe`): a dict rule -> flagged episode rows ("142", "501", "431", "432",
/// "437", "433", "388", "302"), plus "302_header" (header rows).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn dfe_sequence_rules<'py>(
    py: Python<'py>,
    grp: PyReadonlyArray1<'py, i64>,
    decom: PyReadonlyArray1<'py, i64>,
    dec: PyReadonlyArray1<'py, i64>,
    flags: PyReadonlyArray1<'py, u8>,
    null: i64,
    header_grp: PyReadonlyArray1<'py, i64>,
    header_dob: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let (grp, decom, dec, flags) = (
        grp.as_slice()?,
        decom.as_slice()?,
        dec.as_slice()?,
        flags.as_slice()?,
    );
    let (hg, hd) = (header_grp.as_slice()?, header_dob.as_slice()?);
    let n = grp.len();
    if decom.len() != n || dec.len() != n || flags.len() != n || n > u32::MAX as usize {
        return Err(config_err(
            "columns",
            "one entry per row, at most 2^32 rows",
        ));
    }
    if hg.len() != hd.len() || hg.len() > u32::MAX as usize {
        return Err(config_err(
            "header",
            "one key and one birth date per header row",
        ));
    }
    let ep = dfe::Episodes {
        grp,
        decom,
        dec,
        flags,
        null,
    };
    let f = super::run(py, || Ok(dfe::sequence_rules(&ep, hg, hd)))?;
    let out = pyo3::types::PyDict::new(py);
    for (k, v) in [
        ("142", f.r142),
        ("501", f.r501),
        ("431", f.r431),
        ("432", f.r432),
        ("437", f.r437),
        ("433", f.r433),
        ("388", f.r388),
        ("302", f.e302),
        ("302_header", f.h302),
    ] {
        out.set_item(
            k,
            PyArray1::from_vec(py, v.into_iter().map(i64::from).collect()),
        )?;
    }
    Ok(out)
}

/// Dictionary codes (-1 for null rows) of a `dictionary<int32, ...>` column.
fn dict_codes(a: &ArrowArray, what: &str) -> PyResult<Vec<i32>> {
    let d = a
        .as_ref()
        .as_any()
        .downcast_ref::<DictionaryArray<Int32Type>>()
        .ok_or_else(|| config_err(what, "must be dictionary<int32, string>"))?;
    let keys = d.keys();
    Ok(keys
        .values()
        .iter()
        .enumerate()
        .map(|(i, &c)| if keys.is_null(i) { -1 } else { c })
        .collect())
}

/// Collection-year evidence per group of files (see `ingest::years::year_counts`):
/// `(y0, ends, latest)`, the counts as flat int64 arrays of `n_groups` rows of years
/// from `y0`. `start`/`end` are `dictionary<int32, string>` date columns, `start_fy`/
/// `end_fy` the collection year of each of their dictionary values.
#[pyfunction]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn year_counts<'py>(
    py: Python<'py>,
    file: PyReadonlyArray1<'py, i32>,
    year: PyReadonlyArray1<'py, i32>,
    group_of: PyReadonlyArray1<'py, i64>,
    n_groups: usize,
    start: ArrowArray,
    start_fy: PyReadonlyArray1<'py, i64>,
    end: ArrowArray,
    end_fy: PyReadonlyArray1<'py, i64>,
) -> PyResult<(i64, Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>)> {
    let (file, year, group_of) = (file.as_slice()?, year.as_slice()?, group_of.as_slice()?);
    let (start_fy, end_fy) = (start_fy.as_slice()?, end_fy.as_slice()?);
    let (sc, ec) = (dict_codes(&start, "start")?, dict_codes(&end, "end")?);
    let n = file.len();
    if year.len() != n || sc.len() != n || ec.len() != n {
        return Err(config_err("columns", "one entry per row"));
    }
    let c = super::run(py, || {
        let s = years::YearCodes {
            codes: &sc,
            fy: start_fy,
        };
        let e = years::YearCodes {
            codes: &ec,
            fy: end_fy,
        };
        Ok(years::year_counts(file, year, group_of, n_groups, &s, &e))
    })?;
    Ok((
        c.y0,
        PyArray1::from_vec(py, c.ends),
        PyArray1::from_vec(py, c.latest),
    ))
}

/// Every row's collection year from its file's (see `ingest::years::fill_years`).
#[pyfunction]
pub fn fill_years<'py>(
    py: Python<'py>,
    file: PyReadonlyArray1<'py, i32>,
    year: PyReadonlyArray1<'py, i32>,
    year_of: PyReadonlyArray1<'py, i64>,
    overridden: PyReadonlyArray1<'py, bool>,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let (file, year) = (file.as_slice()?, year.as_slice()?);
    let (year_of, overridden) = (year_of.as_slice()?, overridden.as_slice()?);
    if year.len() != file.len() {
        return Err(config_err("year", "one entry per row"));
    }
    let out = super::run(py, || {
        Ok(years::fill_years(file, year, year_of, overridden))
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// The bytes of every file, read in parallel: None for a file that cannot be read or
/// holds more than `cap` bytes (the caller reads those itself, to say why).
#[pyfunction]
pub fn read_files<'py>(
    py: Python<'py>,
    paths: Vec<std::path::PathBuf>,
    cap: u64,
) -> PyResult<Vec<Option<Bound<'py, pyo3::types::PyBytes>>>> {
    use rayon::prelude::*;
    use std::io::Read;
    fn one(p: &std::path::Path, cap: u64) -> Option<Vec<u8>> {
        let f = std::fs::File::open(p).ok()?;
        let size = f.metadata().ok()?.len();
        if size > cap {
            return None;
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(usize::try_from(size).ok()?.saturating_add(1))
            .ok()?;
        f.take(cap.saturating_add(1)).read_to_end(&mut buf).ok()?;
        (buf.len() as u64 <= cap).then_some(buf)
    }
    // Sizes first (in parallel, without the GIL), then each file's bytes object made at
    // that size and filled in place by the threads: the text is copied once, from the
    // file, and the pages are first touched on the threads, not on the caller's.
    let sizes: Vec<Option<u64>> = super::run(py, || {
        Ok(paths
            .par_iter()
            .map(|p| {
                std::fs::metadata(p)
                    .ok()
                    .map(|m| m.len())
                    .filter(|&n| n <= cap)
            })
            .collect())
    })?;
    let mut out: Vec<Option<Bound<'py, pyo3::types::PyBytes>>> = Vec::with_capacity(paths.len());
    let mut slots: Vec<Option<(usize, usize)>> = Vec::with_capacity(paths.len());
    for size in &sizes {
        let made = size.and_then(|n| isize::try_from(n).ok()).and_then(|n| {
            // SAFETY: a new bytes object of n uninitialised bytes (null data pointer); it
            // is filled below before Python sees it, and dropped unseen if that fails.
            let obj = unsafe { pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), n) };
            if obj.is_null() {
                let _ = PyErr::take(py); // out of memory: read it the ordinary way
                return None;
            }
            // SAFETY: `obj` is a new, owned reference to a bytes object.
            let b = unsafe { Bound::from_owned_ptr(py, obj) }.cast_into::<pyo3::types::PyBytes>();
            b.ok()
        });
        slots.push(made.as_ref().map(|b| {
            // SAFETY: the object's buffer, `len` bytes, lives as long as the object (kept
            // in `out` until this function returns it).
            let ptr = unsafe { pyo3::ffi::PyBytes_AsString(b.as_ptr()) } as usize;
            // SAFETY: `b` is a bytes object.
            let len = unsafe { pyo3::ffi::PyBytes_Size(b.as_ptr()) } as usize;
            (ptr, len)
        }));
        out.push(made);
    }
    let filled: Vec<bool> = super::run(py, || {
        Ok(paths
            .par_iter()
            .zip(&slots)
            .with_max_len(1)
            .map(|(p, slot)| {
                let Some((ptr, len)) = *slot else {
                    return false;
                };
                // SAFETY: each slot is a distinct bytes object's buffer of `len` bytes,
                // written by this thread alone while no Python code can see it; zeroed
                // first, so the slice never covers uninitialised memory.
                let buf = unsafe {
                    std::ptr::write_bytes(ptr as *mut u8, 0, len);
                    std::slice::from_raw_parts_mut(ptr as *mut u8, len)
                };
                let Ok(mut f) = std::fs::File::open(p) else {
                    return false;
                };
                // exactly `len` bytes, then nothing more (a file that changed size since
                // its size was read is read again the ordinary way)
                f.read_exact(buf).is_ok() && matches!(f.read(&mut [0u8; 1]), Ok(0))
            })
            .collect())
    })?;
    let mut result = Vec::with_capacity(paths.len());
    for ((p, b), ok) in paths.iter().zip(out).zip(filled) {
        if ok {
            result.push(b);
            continue;
        }
        // SAFETY of dropping `b` unfilled: Python never saw it.
        drop(b);
        let again = py.detach(|| one(p, cap));
        result.push(again.map(|v| pyo3::types::PyBytes::new(py, &v)));
    }
    Ok(result)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dfe_sequence_rules, m)?)?;
    m.add_function(wrap_pyfunction!(parse_csv_bodies, m)?)?;
    m.add_function(wrap_pyfunction!(child_keys, m)?)?;
    m.add_function(wrap_pyfunction!(argsort_stable, m)?)?;
    m.add_function(wrap_pyfunction!(latest_in_groups, m)?)?;
    m.add_function(wrap_pyfunction!(year_counts, m)?)?;
    m.add_function(wrap_pyfunction!(fill_years, m)?)?;
    m.add_function(wrap_pyfunction!(read_files, m)?)?;
    m.add_function(wrap_pyfunction!(dict_indices, m)?)?;
    Ok(())
}
