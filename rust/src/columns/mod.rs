//! Reading the canonical journey columns (`child_id`, `state`, `start`, `end`) out of Arrow
//! record batches, in place: the caller's buffers are read, never copied as a whole.
//!
//! Each row becomes a child key (`u64`), a state number (`u16`) and two times (minutes).
//! Rows that break a rule are reported as [`Problem`]s with their row, column and value.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxBuildHasher;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, DictionaryArray, RecordBatch};
use arrow_buffer::ArrowNativeType;
use arrow_schema::{DataType, TimeUnit};
use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::time::{self, Minute, OPEN};

/// Rows decoded per parallel task; fixed so that results never depend on the thread count.
const CHUNK: usize = 1 << 16;

/// One row the engine cannot use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub rule: String,
}

impl Problem {
    pub fn new(row: u64, column: &str, value: impl Into<String>, rule: &str) -> Self {
        Problem {
            row,
            column: column.to_string(),
            value: value.into(),
            rule: rule.to_string(),
        }
    }

    pub fn into_error(self) -> CoreError {
        CoreError::BadValue {
            row: self.row,
            column: self.column,
            value: self.value,
            rule: self.rule,
        }
    }
}

/// How children are identified: the key is the id itself (integers) or a hash (strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Integer,
    Text,
}

/// The decoded rows, one entry per input row (rows with problems hold placeholders).
#[derive(Debug, Default)]
pub struct Decoded {
    pub key: Vec<u64>,
    pub state: Vec<u16>,
    pub start: Vec<Minute>,
    pub end: Vec<Minute>,
    pub labels: Vec<String>,
    pub id_kind: Option<IdKind>,
    pub problems: Vec<Problem>,
}

/// The names of the four canonical columns.
#[derive(Debug, Clone)]
pub struct ColumnNames {
    pub child_id: String,
    pub state: String,
    pub start: String,
    pub end: String,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            child_id: "child_id".into(),
            state: "state".into(),
            start: "start".into(),
            end: "end".into(),
        }
    }
}

/// A 64-bit hash of an id's bytes: fixed (no random seed), so dot order is reproducible.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0x243F_6A88_85A3_08D3 ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    mix64(h)
}

/// SplitMix64's finaliser: a strong, cheap 64-bit mixer.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn find_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    let schema = batch.schema();
    match schema.index_of(name) {
        Ok(i) => Ok(batch.column(i)),
        Err(_) => Err(CoreError::MissingColumn {
            column: name.to_string(),
            present: schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn type_error(column: &str, expected: &str, found: &DataType) -> CoreError {
    CoreError::ColumnType {
        column: column.to_string(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// Checks the four columns exist with usable types in every batch (before any work).
pub fn check_schema(batches: &[RecordBatch], names: &ColumnNames) -> Result<IdKind> {
    let mut kind = None;
    for batch in batches {
        let id = find_column(batch, &names.child_id)?;
        let k = id_kind(id.data_type())
            .ok_or_else(|| type_error(&names.child_id, "an integer or string", id.data_type()))?;
        if kind.is_some_and(|old| old != k) {
            return Err(type_error(
                &names.child_id,
                "one type in every batch",
                id.data_type(),
            ));
        }
        kind = Some(k);
        let st = find_column(batch, &names.state)?;
        if !is_text(st.data_type()) {
            return Err(type_error(
                &names.state,
                "a string or dictionary of strings",
                st.data_type(),
            ));
        }
        for name in [&names.start, &names.end] {
            let c = find_column(batch, name)?;
            if !is_time(c.data_type()) {
                return Err(type_error(name, "a date or timestamp", c.data_type()));
            }
        }
        let (s, e) = (
            find_column(batch, &names.start)?,
            find_column(batch, &names.end)?,
        );
        if s.data_type() != e.data_type() {
            return Err(type_error(
                &names.end,
                &s.data_type().to_string(),
                e.data_type(),
            ));
        }
    }
    Ok(kind.unwrap_or(IdKind::Integer))
}

fn id_kind(dt: &DataType) -> Option<IdKind> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Some(IdKind::Integer),
        dt if is_text(dt) => Some(IdKind::Text),
        _ => None,
    }
}

fn is_text(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(k, v) => k.is_dictionary_key_type() && is_text(v),
        _ => false,
    }
}

fn is_time(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
    )
}

/// Calls `f(row_in_batch, Some(&str) | None)` for the rows `range` of a text column.
fn each_text(
    arr: &dyn Array,
    range: std::ops::Range<usize>,
    mut f: impl FnMut(usize, Option<&str>),
) {
    macro_rules! plain {
        ($a:expr) => {{
            let a = $a;
            for i in range {
                f(i, if a.is_null(i) { None } else { Some(a.value(i)) });
            }
        }};
    }
    match arr.data_type() {
        DataType::Utf8 => plain!(arr.as_string::<i32>()),
        DataType::LargeUtf8 => plain!(arr.as_string::<i64>()),
        DataType::Utf8View => plain!(arr.as_string_view()),
        DataType::Dictionary(k, _) => {
            macro_rules! dict {
                ($t:ty) => {{
                    let d: &DictionaryArray<$t> = arr.as_dictionary::<$t>();
                    each_dict_text(d, range, &mut f)
                }};
            }
            match k.as_ref() {
                DataType::Int8 => dict!(Int8Type),
                DataType::Int16 => dict!(Int16Type),
                DataType::Int32 => dict!(Int32Type),
                DataType::Int64 => dict!(Int64Type),
                DataType::UInt8 => dict!(UInt8Type),
                DataType::UInt16 => dict!(UInt16Type),
                DataType::UInt32 => dict!(UInt32Type),
                DataType::UInt64 => dict!(UInt64Type),
                _ => {}
            }
        }
        _ => {}
    }
}

fn each_dict_text<K: ArrowDictionaryKeyType>(
    d: &DictionaryArray<K>,
    range: std::ops::Range<usize>,
    f: &mut impl FnMut(usize, Option<&str>),
) {
    let values = d.values();
    let keys = d.keys();
    let lookup = |v: usize| -> Option<&str> {
        match values.data_type() {
            DataType::Utf8 => {
                let s = values.as_string::<i32>();
                (!s.is_null(v)).then(|| s.value(v))
            }
            DataType::LargeUtf8 => {
                let s = values.as_string::<i64>();
                (!s.is_null(v)).then(|| s.value(v))
            }
            DataType::Utf8View => {
                let s = values.as_string_view();
                (!s.is_null(v)).then(|| s.value(v))
            }
            _ => None,
        }
    };
    for i in range {
        if keys.is_null(i) {
            f(i, None);
            continue;
        }
        let v = keys.value(i).as_usize();
        f(i, if v < values.len() { lookup(v) } else { None });
    }
}

/// The dictionary key of row `i` of a dictionary array (`None` for a null, another type,
/// or a key out of range). One row at a time: never materialises the keys.
pub fn dict_key(arr: &dyn Array, i: usize) -> Option<usize> {
    let DataType::Dictionary(k, _) = arr.data_type() else {
        return None;
    };
    macro_rules! key {
        ($t:ty) => {{
            let d: &DictionaryArray<$t> = arr.as_dictionary::<$t>();
            let keys = d.keys();
            if keys.is_null(i) {
                return None;
            }
            keys.value(i).as_usize()
        }};
    }
    let v = match k.as_ref() {
        DataType::Int8 => key!(Int8Type),
        DataType::Int16 => key!(Int16Type),
        DataType::Int32 => key!(Int32Type),
        DataType::Int64 => key!(Int64Type),
        DataType::UInt8 => key!(UInt8Type),
        DataType::UInt16 => key!(UInt16Type),
        DataType::UInt32 => key!(UInt32Type),
        DataType::UInt64 => key!(UInt64Type),
        _ => return None,
    };
    let d = arr.as_any_dictionary();
    (v < d.values().len()).then_some(v)
}

/// Order-preserving map of a signed id into `u64`.
#[inline]
fn signed_key(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

fn decode_ids(
    arr: &dyn Array,
    range: std::ops::Range<usize>,
    base: u64,
    column: &str,
    out: &mut [u64],
    problems: &mut Vec<Problem>,
) {
    let start = range.start;
    macro_rules! ints {
        ($t:ty, $conv:expr) => {{
            let a = arr.as_primitive::<$t>();
            for i in range {
                if a.is_null(i) {
                    problems.push(Problem::new(
                        base + i as u64,
                        column,
                        "null",
                        "child id is missing",
                    ));
                    out[i - start] = 0;
                } else {
                    out[i - start] = $conv(a.value(i));
                }
            }
        }};
    }
    match arr.data_type() {
        DataType::Int8 => ints!(Int8Type, |v: i8| signed_key(v as i64)),
        DataType::Int16 => ints!(Int16Type, |v: i16| signed_key(v as i64)),
        DataType::Int32 => ints!(Int32Type, |v: i32| signed_key(v as i64)),
        DataType::Int64 => ints!(Int64Type, signed_key),
        DataType::UInt8 => ints!(UInt8Type, |v: u8| v as u64),
        DataType::UInt16 => ints!(UInt16Type, |v: u16| v as u64),
        DataType::UInt32 => ints!(UInt32Type, |v: u32| v as u64),
        DataType::UInt64 => ints!(UInt64Type, |v: u64| v),
        _ => each_text(arr, range, |i, s| match s {
            Some(s) if !s.is_empty() => out[i - start] = hash_bytes(s.as_bytes()),
            other => {
                let value = if other.is_some() { "''" } else { "null" };
                problems.push(Problem::new(
                    base + i as u64,
                    column,
                    value,
                    "child id is missing",
                ));
                out[i - start] = 0;
            }
        }),
    }
}

/// The id of row `row_in_batch` as text, for collision checks and id lists.
pub fn id_text(arr: &dyn Array, row_in_batch: usize) -> Option<String> {
    let mut out = None;
    match arr.data_type() {
        DataType::Int8 => {
            out = Some(
                arr.as_primitive::<Int8Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::Int16 => {
            out = Some(
                arr.as_primitive::<Int16Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::Int32 => {
            out = Some(
                arr.as_primitive::<Int32Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::Int64 => {
            out = Some(
                arr.as_primitive::<Int64Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::UInt8 => {
            out = Some(
                arr.as_primitive::<UInt8Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::UInt16 => {
            out = Some(
                arr.as_primitive::<UInt16Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::UInt32 => {
            out = Some(
                arr.as_primitive::<UInt32Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        DataType::UInt64 => {
            out = Some(
                arr.as_primitive::<UInt64Type>()
                    .value(row_in_batch)
                    .to_string(),
            )
        }
        _ => each_text(arr, row_in_batch..row_in_batch + 1, |_, s| {
            out = s.map(str::to_string)
        }),
    }
    out
}

/// Minutes of a time column's rows; `None` for nulls, `Err(raw)` when out of range.
fn decode_times(
    arr: &dyn Array,
    range: std::ops::Range<usize>,
    mut f: impl FnMut(usize, Option<std::result::Result<Minute, String>>),
) {
    macro_rules! each {
        ($t:ty, $conv:expr, $show:expr) => {{
            let a = arr.as_primitive::<$t>();
            for i in range {
                if a.is_null(i) {
                    f(i, None);
                } else {
                    let v = a.value(i) as i64;
                    f(i, Some($conv(v).ok_or_else(|| $show(v))));
                }
            }
        }};
    }
    use arrow_array::types::*;
    let show_day = |d: i64| {
        if (-10_000_000..10_000_000).contains(&d) {
            time::format_day(d)
        } else {
            format!("{d} days since 1970-01-01")
        }
    };
    match arr.data_type() {
        DataType::Date32 => each!(Date32Type, time::day_to_minute, show_day),
        DataType::Date64 => each!(
            Date64Type,
            |v| time::ticks_to_minute(v, 60_000),
            |v: i64| show_day(v.div_euclid(86_400_000))
        ),
        DataType::Timestamp(unit, _) => {
            let per_minute: i64 = match unit {
                TimeUnit::Second => 60,
                TimeUnit::Millisecond => 60_000,
                TimeUnit::Microsecond => 60_000_000,
                TimeUnit::Nanosecond => 60_000_000_000,
            };
            let show = move |v: i64| show_day(v.div_euclid(per_minute * 1440));
            match unit {
                TimeUnit::Second => each!(
                    TimestampSecondType,
                    |v| time::ticks_to_minute(v, per_minute),
                    show
                ),
                TimeUnit::Millisecond => each!(
                    TimestampMillisecondType,
                    |v| time::ticks_to_minute(v, per_minute),
                    show
                ),
                TimeUnit::Microsecond => each!(
                    TimestampMicrosecondType,
                    |v| time::ticks_to_minute(v, per_minute),
                    show
                ),
                TimeUnit::Nanosecond => each!(
                    TimestampNanosecondType,
                    |v| time::ticks_to_minute(v, per_minute),
                    show
                ),
            }
        }
        _ => {}
    }
}

/// The state labels in engine order: `preferred` labels first (in their order, those present),
/// then the others sorted.
fn order_labels(found: HashSet<String, FxBuildHasher>, preferred: &[String]) -> Vec<String> {
    let mut labels: Vec<String> = preferred
        .iter()
        .filter(|p| found.contains(*p))
        .cloned()
        .collect();
    let known: HashSet<&String> = labels.iter().collect();
    let mut rest: Vec<String> = found
        .iter()
        .filter(|l| !known.contains(l))
        .cloned()
        .collect();
    rest.sort();
    labels.extend(rest);
    labels
}

/// Decodes every batch's canonical columns into row-aligned vectors, in parallel.
pub fn decode(
    batches: &[RecordBatch],
    names: &ColumnNames,
    preferred_states: &[String],
) -> Result<Decoded> {
    let id_kind = check_schema(batches, names)?;
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    if n >= u32::MAX as usize {
        return Err(CoreError::Capacity(format!(
            "{n} rows; at most {} rows fit one index",
            u32::MAX - 1
        )));
    }
    // Work items: (batch, row range, global row of the range's start).
    let mut items = Vec::new();
    let mut base = 0usize;
    for (b, batch) in batches.iter().enumerate() {
        let len = batch.num_rows();
        let mut s = 0;
        while s < len {
            let e = (s + CHUNK).min(len);
            items.push((b, s..e, base + s));
            s = e;
        }
        base += len;
    }

    // Pass 1: the set of state labels.
    let found: HashSet<String, FxBuildHasher> = items
        .par_iter()
        .map(|(b, range, _)| {
            let col = batches[*b].column_by_name(&names.state).map(|c| c.as_ref());
            let mut set: HashSet<String, FxBuildHasher> = HashSet::default();
            if let Some(col) = col {
                each_text(col, range.clone(), |_, s| {
                    if let Some(s) = s {
                        if !set.contains(s) {
                            set.insert(s.to_string());
                        }
                    }
                });
            }
            set
        })
        .reduce(HashSet::default, |mut a, b| {
            a.extend(b);
            a
        });
    let labels = order_labels(found, preferred_states);
    if labels.len() > u16::MAX as usize {
        return Err(CoreError::Capacity(format!(
            "{} distinct states; at most 65535",
            labels.len()
        )));
    }
    let label_index: HashMap<&str, u16, FxBuildHasher> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u16))
        .collect();

    // Pass 2: every column of every row.
    let mut out = Decoded {
        key: vec![0; n],
        state: vec![0; n],
        start: vec![0; n],
        end: vec![0; n],
        labels: Vec::new(),
        id_kind: Some(id_kind),
        problems: Vec::new(),
    };
    let mut slices = Vec::with_capacity(items.len());
    {
        let (mut k, mut st, mut s, mut e) = (
            &mut out.key[..],
            &mut out.state[..],
            &mut out.start[..],
            &mut out.end[..],
        );
        for (_, range, _) in &items {
            let len = range.len();
            let (k1, k2) = k.split_at_mut(len);
            let (st1, st2) = st.split_at_mut(len);
            let (s1, s2) = s.split_at_mut(len);
            let (e1, e2) = e.split_at_mut(len);
            slices.push((k1, st1, s1, e1));
            (k, st, s, e) = (k2, st2, s2, e2);
        }
    }
    let problems: Vec<Vec<Problem>> = items
        .par_iter()
        .zip(slices.into_par_iter())
        .map(|((b, range, gbase), (keys, states, starts, ends))| {
            let batch = &batches[*b];
            let mut problems = Vec::new();
            let base = (*gbase - range.start) as u64;
            let lo = range.start;
            // Columns were checked by check_schema; a missing one here is unreachable, but
            // is reported rather than panicking.
            let (Some(id), Some(st), Some(sc), Some(ec)) = (
                batch.column_by_name(&names.child_id),
                batch.column_by_name(&names.state),
                batch.column_by_name(&names.start),
                batch.column_by_name(&names.end),
            ) else {
                problems.push(Problem::new(
                    *gbase as u64,
                    &names.child_id,
                    "",
                    "column vanished",
                ));
                return problems;
            };
            decode_ids(
                id.as_ref(),
                range.clone(),
                base,
                &names.child_id,
                keys,
                &mut problems,
            );
            each_text(st.as_ref(), range.clone(), |i, s| {
                match s.and_then(|s| label_index.get(s)) {
                    Some(&v) => states[i - lo] = v,
                    None => {
                        problems.push(Problem::new(
                            base + i as u64,
                            &names.state,
                            "null",
                            "state is missing",
                        ));
                    }
                }
            });
            decode_times(sc.as_ref(), range.clone(), |i, v| match v {
                Some(Ok(m)) => starts[i - lo] = m,
                Some(Err(raw)) => problems.push(Problem::new(
                    base + i as u64,
                    &names.start,
                    raw,
                    "date out of range (1900-2200)",
                )),
                None => problems.push(Problem::new(
                    base + i as u64,
                    &names.start,
                    "null",
                    "start is missing",
                )),
            });
            decode_times(ec.as_ref(), range.clone(), |i, v| match v {
                Some(Ok(m)) => {
                    ends[i - lo] = m;
                    if m < starts[i - lo] {
                        let shown = time::format_day(m.div_euclid(time::MINUTES_PER_DAY) as i64);
                        problems.push(Problem::new(
                            base + i as u64,
                            &names.end,
                            shown,
                            "end is before start",
                        ));
                    }
                }
                Some(Err(raw)) => problems.push(Problem::new(
                    base + i as u64,
                    &names.end,
                    raw,
                    "date out of range (1900-2200)",
                )),
                None => ends[i - lo] = OPEN,
            });
            problems.sort_by_key(|p| p.row);
            problems
        })
        .collect();
    out.problems = problems.into_iter().flatten().collect();
    out.labels = labels;
    Ok(out)
}

#[cfg(test)]
mod tests;
