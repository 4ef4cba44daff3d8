//! Reading one column's rows in place: text (plain, large, view or dictionary), ids as
//! keys, times as minutes; one row's id as text.

use super::*;

/// `$m!(T)` for the Arrow key type `T` of the dictionary key type `$k` (a `&DataType`),
/// or `$other` for a type no dictionary key has.
macro_rules! by_key_type {
    ($k:expr, $m:ident, $other:expr) => {
        match $k {
            DataType::Int8 => $m!(Int8Type),
            DataType::Int16 => $m!(Int16Type),
            DataType::Int32 => $m!(Int32Type),
            DataType::Int64 => $m!(Int64Type),
            DataType::UInt8 => $m!(UInt8Type),
            DataType::UInt16 => $m!(UInt16Type),
            DataType::UInt32 => $m!(UInt32Type),
            DataType::UInt64 => $m!(UInt64Type),
            _ => $other,
        }
    };
}
pub(crate) use by_key_type;

/// Calls `f(row_in_batch, Some(&str) | None)` for the rows `range` of a text column.
pub(super) fn each_text(
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
            by_key_type!(k.as_ref(), dict, {})
        }
        _ => {}
    }
}

pub(super) fn each_dict_text<K: ArrowDictionaryKeyType>(
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

/// For a dictionary array of text whose dictionary is no longer than `rows` (worth
/// reading value by value, then row by row as keys): each dictionary value's text (None
/// for a null). None for any other array.
pub(super) fn small_dict_texts(arr: &dyn Array, rows: usize) -> Option<Vec<Option<&str>>> {
    let DataType::Dictionary(_, _) = arr.data_type() else {
        return None;
    };
    let values = arr.as_any_dictionary().values();
    if values.len() > rows {
        return None;
    }
    let texts = match values.data_type() {
        DataType::Utf8 => {
            let s = values.as_string::<i32>();
            (0..s.len())
                .map(|v| (!s.is_null(v)).then(|| s.value(v)))
                .collect()
        }
        DataType::LargeUtf8 => {
            let s = values.as_string::<i64>();
            (0..s.len())
                .map(|v| (!s.is_null(v)).then(|| s.value(v)))
                .collect()
        }
        DataType::Utf8View => {
            let s = values.as_string_view();
            (0..s.len())
                .map(|v| (!s.is_null(v)).then(|| s.value(v)))
                .collect()
        }
        _ => return None,
    };
    Some(texts)
}

/// Calls `f(row_in_batch, key)` for the rows `range` of a dictionary array: the row's
/// dictionary key, None for a null or a key outside the dictionary.
pub(super) fn each_dict_key(
    arr: &dyn Array,
    range: std::ops::Range<usize>,
    mut f: impl FnMut(usize, Option<usize>),
) {
    let DataType::Dictionary(k, _) = arr.data_type() else {
        return;
    };
    let n_values = arr.as_any_dictionary().values().len();
    macro_rules! keys {
        ($t:ty) => {{
            let d: &DictionaryArray<$t> = arr.as_dictionary::<$t>();
            let keys = d.keys();
            for i in range {
                let k = (!keys.is_null(i))
                    .then(|| keys.value(i).as_usize())
                    .filter(|&k| k < n_values);
                f(i, k);
            }
        }};
    }
    by_key_type!(k.as_ref(), keys, {})
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
    let v = by_key_type!(k.as_ref(), key, return None);
    let d = arr.as_any_dictionary();
    (v < d.values().len()).then_some(v)
}

/// Order-preserving map of a signed id into `u64`.
#[inline]
pub(super) fn signed_key(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

pub(super) fn decode_ids(
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
pub(super) fn decode_times(
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

/// Whether each row's id is the same text as the row before it (`out[0]`, the range's first
/// row: left false). Texts are compared only where the hashes (`keys`, 0 for a missing id)
/// agree; a dictionary's rows compare their keys. `false` where unsure: the index then
/// compares the texts itself.
pub(super) fn same_as_previous(
    arr: &dyn Array,
    range: std::ops::Range<usize>,
    keys: &[u64],
    out: &mut [bool],
) {
    let lo = range.start;
    let hashed_alike = |k: usize| keys[k] != 0 && keys[k] == keys[k - 1];
    macro_rules! plain {
        ($a:expr) => {{
            let a = $a;
            for i in lo + 1..range.end {
                let k = i - lo;
                out[k] = hashed_alike(k) && a.value(i) == a.value(i - 1);
            }
        }};
    }
    match arr.data_type() {
        DataType::Utf8 => plain!(arr.as_string::<i32>()),
        DataType::LargeUtf8 => plain!(arr.as_string::<i64>()),
        DataType::Utf8View => plain!(arr.as_string_view()),
        DataType::Dictionary(_, _) => {
            for i in lo + 1..range.end {
                let k = i - lo;
                out[k] = hashed_alike(k)
                    && matches!(
                        (dict_key(arr, i), dict_key(arr, i - 1)),
                        (Some(a), Some(b)) if a == b
                    );
            }
        }
        _ => {}
    }
}
