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

mod read;

pub(crate) use read::by_key_type;
use read::*;
pub use read::{dict_key, id_text};

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
    /// For text ids: whether each row's id is the same text as the row before it in the same
    /// batch (read in input order, where a child's rows usually lie together); empty for
    /// other ids. The index then compares texts only between rows it cannot tell apart.
    pub same_prev: Vec<bool>,
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
            let Some(col) = col else {
                return set;
            };
            if let Some(texts) = small_dict_texts(col, range.len()) {
                // The values the rows use, found by their keys.
                let mut used = vec![false; texts.len()];
                each_dict_key(col, range.clone(), |_, k| {
                    if let Some(k) = k {
                        used[k] = true;
                    }
                });
                for (text, _) in texts.iter().zip(&used).filter(|(_, &u)| u) {
                    if let Some(s) = text {
                        set.insert(s.to_string());
                    }
                }
                return set;
            }
            each_text(col, range.clone(), |_, s| {
                if let Some(s) = s {
                    if !set.contains(s) {
                        set.insert(s.to_string());
                    }
                }
            });
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
        same_prev: if id_kind == IdKind::Text {
            vec![false; n]
        } else {
            Vec::new()
        },
    };
    let mut slices = Vec::with_capacity(items.len());
    {
        let (mut k, mut st, mut s, mut e) = (
            &mut out.key[..],
            &mut out.state[..],
            &mut out.start[..],
            &mut out.end[..],
        );
        let mut same = &mut out.same_prev[..];
        for (_, range, _) in &items {
            let len = range.len();
            let (k1, k2) = k.split_at_mut(len);
            let (st1, st2) = st.split_at_mut(len);
            let (s1, s2) = s.split_at_mut(len);
            let (e1, e2) = e.split_at_mut(len);
            let (sp1, sp2) = same.split_at_mut(len.min(same.len()));
            slices.push((k1, st1, s1, e1, sp1));
            (k, st, s, e, same) = (k2, st2, s2, e2, sp2);
        }
    }
    let problems: Vec<Vec<Problem>> = items
        .par_iter()
        .zip(slices.into_par_iter())
        .map(|((b, range, gbase), (keys, states, starts, ends, same))| {
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
            if !same.is_empty() {
                same_as_previous(id.as_ref(), range.clone(), keys, same);
            }
            let mut state_of = |i: usize, v: Option<u16>| match v {
                Some(v) => states[i - lo] = v,
                None => {
                    problems.push(Problem::new(
                        base + i as u64,
                        &names.state,
                        "null",
                        "state is missing",
                    ));
                }
            };
            match small_dict_texts(st.as_ref(), range.len()) {
                // Each dictionary value's label looked up once, then the rows' keys.
                Some(texts) => {
                    let label: Vec<Option<u16>> = texts
                        .iter()
                        .map(|t| t.and_then(|s| label_index.get(s).copied()))
                        .collect();
                    each_dict_key(st.as_ref(), range.clone(), |i, k| {
                        state_of(i, k.and_then(|k| label[k]))
                    });
                }
                None => each_text(st.as_ref(), range.clone(), |i, s| {
                    state_of(i, s.and_then(|s| label_index.get(s).copied()))
                }),
            }
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
