//! The column readers on valid Arrow of every accepted type, chunked input (many batches,
//! sliced arrays), nulls, and types that are not accepted.

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::{Int16Type, Int32Type, Int8Type, UInt8Type};
use arrow_array::{
    ArrayRef, Date32Array, Date64Array, DictionaryArray, Float64Array, Int16Array, Int32Array,
    Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    TimestampMicrosecondArray, TimestampSecondArray, UInt64Array,
};
use arrow_schema::{Field, Schema};

use super::*;

const D: i32 = time::MINUTES_PER_DAY;

fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// A batch of the four columns: ids and states as given, dates as day numbers.
fn rows(id: ArrayRef, state: ArrayRef, start: &[i32], end: &[Option<i32>]) -> RecordBatch {
    batch(vec![
        ("child_id", id),
        ("state", state),
        ("start", Arc::new(Date32Array::from(start.to_vec()))),
        ("end", Arc::new(Date32Array::from(end.to_vec()))),
    ])
}

fn strings(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// `texts` as each string type an id column may have: Utf8, LargeUtf8, Utf8View and a
/// dictionary.
fn every_string_type(texts: &[&str]) -> [ArrayRef; 4] {
    [
        strings(texts),
        Arc::new(LargeStringArray::from(texts.to_vec())),
        Arc::new(StringViewArray::from(texts.to_vec())),
        Arc::new(
            texts
                .iter()
                .copied()
                .collect::<DictionaryArray<Int32Type>>(),
        ),
    ]
}

fn decode_default(batches: &[RecordBatch]) -> Result<Decoded> {
    decode(batches, &ColumnNames::default(), &[])
}

#[test]
fn integer_ids_of_every_width_keep_their_order() {
    let ids: Vec<ArrayRef> = vec![
        Arc::new(arrow_array::PrimitiveArray::<Int8Type>::from(vec![
            -2i8, 0, 5,
        ])),
        Arc::new(arrow_array::PrimitiveArray::<Int16Type>::from(vec![
            -2i16, 0, 5,
        ])),
        Arc::new(Int32Array::from(vec![-2, 0, 5])),
        Arc::new(Int64Array::from(vec![-2i64, 0, 5])),
    ];
    for id in ids {
        let d = decode_default(&[rows(
            id,
            strings(&["A", "A", "A"]),
            &[0, 1, 2],
            &[None, None, None],
        )])
        .unwrap();
        assert_eq!(d.id_kind, Some(IdKind::Integer));
        assert!(d.key[0] < d.key[1] && d.key[1] < d.key[2], "{:?}", d.key);
        assert!(d.problems.is_empty());
    }
    let u: ArrayRef = Arc::new(UInt64Array::from(vec![7u64, u64::MAX]));
    let d = decode_default(&[rows(u, strings(&["A", "A"]), &[0, 1], &[None, None])]).unwrap();
    assert_eq!(d.key, [7, u64::MAX]);
    let u8s: ArrayRef = Arc::new(arrow_array::PrimitiveArray::<UInt8Type>::from(vec![3u8]));
    assert_eq!(
        decode_default(&[rows(u8s, strings(&["A"]), &[0], &[None])])
            .unwrap()
            .key,
        [3]
    );
}

#[test]
fn text_ids_hash_the_same_in_every_string_type() {
    let texts = ["c1", "c2", "c1"];
    let mut keys = Vec::new();
    for id in every_string_type(&texts) {
        let d = decode_default(&[rows(
            id,
            strings(&["A", "A", "A"]),
            &[0, 1, 2],
            &[None, None, None],
        )])
        .unwrap();
        assert_eq!(d.id_kind, Some(IdKind::Text));
        assert_eq!(d.key[0], d.key[2]);
        assert_ne!(d.key[0], d.key[1]);
        assert_eq!(d.key[0], hash_bytes(b"c1"));
        keys.push(d.key);
    }
    assert!(keys.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn states_read_from_plain_and_dictionary_columns_in_preferred_order() {
    let mut b = StringDictionaryBuilder::<Int8Type>::new();
    b.append_value("Zeta");
    b.append_null();
    b.append_value("Alpha");
    b.append_value("Mid");
    let dict: ArrayRef = Arc::new(b.finish());
    let d = decode(
        &[rows(
            Arc::new(Int32Array::from(vec![1, 2, 3, 4])),
            dict,
            &[0, 1, 2, 3],
            &[None; 4],
        )],
        &ColumnNames::default(),
        &["Mid".to_string(), "Absent".to_string()],
    )
    .unwrap();
    // preferred labels present first, then the rest sorted
    assert_eq!(d.labels, ["Mid", "Alpha", "Zeta"]);
    assert_eq!([d.state[0], d.state[2], d.state[3]], [2, 1, 0]);
    assert_eq!(d.problems.len(), 1);
    let p = &d.problems[0];
    assert_eq!(
        (p.row, p.column.as_str(), p.value.as_str(), p.rule.as_str()),
        (1, "state", "null", "state is missing")
    );
}

#[test]
fn times_of_every_unit_become_the_same_minutes() {
    let day = 19_000i64; // 2022-01-08
    let minute = (day * D as i64 + 90) as i32;
    let secs = day * 86_400 + 90 * 60;
    let starts: Vec<ArrayRef> = vec![
        Arc::new(TimestampSecondArray::from(vec![secs])),
        Arc::new(TimestampMicrosecondArray::from(vec![
            secs * 1_000_000 + 999_999,
        ])),
    ];
    for s in starts {
        let e = s.clone();
        let b = batch(vec![
            ("child_id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
            ("state", strings(&["A"])),
            ("start", s),
            ("end", e),
        ]);
        let d = decode_default(&[b]).unwrap();
        assert_eq!((d.start[0], d.end[0]), (minute, minute));
    }
    let ms: ArrayRef = Arc::new(Date64Array::from(vec![day * 86_400_000]));
    let b = batch(vec![
        ("child_id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("state", strings(&["A"])),
        ("start", ms.clone()),
        ("end", ms),
    ]);
    assert_eq!(
        decode_default(&[b]).unwrap().start[0],
        (day * D as i64) as i32
    );
}

#[test]
fn nulls_and_bad_values_are_problems_naming_row_column_and_value() {
    let id: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a"),
        None,
        Some(""),
        Some("d"),
    ]));
    let start = Date32Array::from(vec![Some(10), Some(10), Some(10), None]);
    let end = Date32Array::from(vec![Some(5), None, Some(90_000), None]);
    let b = batch(vec![
        ("child_id", id),
        ("state", strings(&["A", "A", "A", "A"])),
        ("start", Arc::new(start)),
        ("end", Arc::new(end)),
    ]);
    let d = decode_default(&[b]).unwrap();
    let got: Vec<(u64, &str, &str, &str)> = d
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.value.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (0, "end", "1970-01-06", "end is before start"),
            (1, "child_id", "null", "child id is missing"),
            (2, "child_id", "''", "child id is missing"),
            (2, "end", "2216-05-31", "date out of range (1900-2200)"),
            (3, "start", "null", "start is missing"),
        ]
    );
    // a null end is an open spell, not a problem
    assert_eq!(d.end[1], OPEN);
    assert_eq!(d.end[3], OPEN);
}

#[test]
fn many_batches_and_sliced_arrays_number_rows_over_the_whole_input() {
    let full = rows(
        Arc::new(Int32Array::from(vec![9, 1, 2, 3])),
        strings(&["X", "A", "B", "A"]),
        &[0, 1, 2, 3],
        &[None, Some(0), None, None],
    );
    let sliced = full.slice(1, 3); // rows: 1 (end before start), 2, 3
    let second = rows(
        Arc::new(Int32Array::from(vec![4, 5])),
        strings(&["B", "A"]),
        &[4, 5],
        &[Some(3), None],
    );
    let d = decode_default(&[sliced, second]).unwrap();
    assert_eq!(d.key.len(), 5);
    assert_eq!(d.labels, ["A", "B"]);
    assert_eq!(d.state, [0, 1, 0, 1, 0]);
    assert_eq!(d.start, [D, 2 * D, 3 * D, 4 * D, 5 * D]);
    let rows_with_problems: Vec<u64> = d.problems.iter().map(|p| p.row).collect();
    assert_eq!(rows_with_problems, [0, 3]);
}

#[test]
fn text_ids_say_which_rows_repeat_the_row_before() {
    let texts = ["c1", "c1", "c2", "c1", "c1", ""];
    let expect = vec![false, true, false, false, true, false];
    for id in every_string_type(&texts) {
        let b = rows(id, strings(&["A"; 6]), &[0; 6], &[None; 6]);
        assert_eq!(
            decode_default(std::slice::from_ref(&b)).unwrap().same_prev,
            expect
        );
        // A batch's first row never repeats the last row of the batch before.
        let d = decode_default(&[b.slice(0, 1), b.slice(1, 5)]).unwrap();
        assert_eq!(d.same_prev[..2], [false, false]);
        assert_eq!(d.same_prev[2..], expect[2..]);
    }
    // Integer ids need no texts.
    let ints = rows(
        Arc::new(Int64Array::from(vec![1, 1])),
        strings(&["A", "A"]),
        &[0, 1],
        &[None, None],
    );
    assert!(decode_default(&[ints]).unwrap().same_prev.is_empty());
}

#[test]
fn chunked_decoding_does_not_depend_on_the_chunk_boundaries() {
    // more rows than one parallel chunk, in uneven batches
    let n = CHUNK + 1000;
    let ids: Vec<i64> = (0..n as i64).map(|i| i % 777).collect();
    let states: Vec<&str> = (0..n).map(|i| ["A", "B", "C"][i % 3]).collect();
    let start: Vec<i32> = (0..n as i32).map(|i| i % 5000).collect();
    let end: Vec<Option<i32>> = (0..n as i32)
        .map(|i| (i % 7 != 0).then_some(i % 5000 + 3))
        .collect();
    let whole = rows(
        Arc::new(Int64Array::from(ids)),
        strings(&states),
        &start,
        &end,
    );
    let one = decode_default(std::slice::from_ref(&whole)).unwrap();
    let parts = [
        whole.slice(0, 10),
        whole.slice(10, CHUNK),
        whole.slice(CHUNK + 10, 990),
    ];
    let many = decode_default(&parts).unwrap();
    assert_eq!(one.key, many.key);
    assert_eq!(one.state, many.state);
    assert_eq!(one.start, many.start);
    assert_eq!(one.end, many.end);
    assert!(one.problems.is_empty() && many.problems.is_empty());
}

#[test]
fn wrong_types_are_schema_errors_naming_column_and_types() {
    let ok_id: ArrayRef = Arc::new(Int32Array::from(vec![1]));
    let float_id: ArrayRef = Arc::new(Float64Array::from(vec![1.0]));
    let e = decode_default(&[rows(float_id, strings(&["A"]), &[0], &[None])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 'child_id' has type Float64; expected an integer or string"
    );
    let e = decode_default(&[rows(
        ok_id.clone(),
        Arc::new(Int32Array::from(vec![1])),
        &[0],
        &[None],
    )])
    .unwrap_err();
    assert!(
        matches!(e, CoreError::ColumnType { ref column, .. } if column == "state"),
        "{e}"
    );
    let b = batch(vec![
        ("child_id", ok_id.clone()),
        ("state", strings(&["A"])),
        ("start", strings(&["2020-01-01"])),
        ("end", Arc::new(Date32Array::from(vec![1]))),
    ]);
    let e = decode_default(&[b]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 'start' has type Utf8; expected a date or timestamp"
    );
    // start and end of different time types
    let b = batch(vec![
        ("child_id", ok_id.clone()),
        ("state", strings(&["A"])),
        ("start", Arc::new(Date32Array::from(vec![1]))),
        ("end", Arc::new(TimestampSecondArray::from(vec![1]))),
    ]);
    let e = decode_default(&[b]).unwrap_err();
    assert!(
        matches!(e, CoreError::ColumnType { ref column, .. } if column == "end"),
        "{e}"
    );
    // ids of different kinds in two batches
    let a = rows(ok_id, strings(&["A"]), &[0], &[None]);
    let b = rows(strings(&["x"]), strings(&["A"]), &[0], &[None]);
    let e = decode_default(&[a, b]).unwrap_err();
    assert!(e.to_string().contains("one type in every batch"), "{e}");
}

#[test]
fn a_missing_column_is_named_with_those_present() {
    let b = batch(vec![
        ("child_id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("state", strings(&["A"])),
        ("start", Arc::new(Date32Array::from(vec![1]))),
    ]);
    let e = decode_default(&[b]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 'end' is missing (columns present: child_id, state, start)"
    );
    assert_eq!(e.kind(), crate::error::ErrorKind::Schema);
}

#[test]
fn custom_column_names_are_read() {
    let b = batch(vec![
        ("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("where", strings(&["A"])),
        ("from", Arc::new(Date32Array::from(vec![1]))),
        ("to", Arc::new(Date32Array::from(vec![Some(2)]))),
    ]);
    let names = ColumnNames {
        child_id: "id".into(),
        state: "where".into(),
        start: "from".into(),
        end: "to".into(),
    };
    let d = decode(&[b], &names, &[]).unwrap();
    assert_eq!((d.start[0], d.end[0]), (D, 2 * D));
}

#[test]
fn id_text_and_dict_key_read_one_row() {
    let ints: ArrayRef = Arc::new(Int64Array::from(vec![-5, 12]));
    assert_eq!(id_text(ints.as_ref(), 1).as_deref(), Some("12"));
    assert_eq!(id_text(ints.as_ref(), 0).as_deref(), Some("-5"));
    let texts: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
    assert_eq!(id_text(texts.as_ref(), 0).as_deref(), Some("a"));
    assert_eq!(id_text(texts.as_ref(), 1), None);
    let dict: DictionaryArray<Int16Type> = vec![Some("p"), None, Some("q")].into_iter().collect();
    assert_eq!(dict_key(&dict, 0), Some(0));
    assert_eq!(dict_key(&dict, 1), None);
    assert_eq!(dict_key(&dict, 2), Some(1));
    assert_eq!(id_text(&dict, 2).as_deref(), Some("q"));
    assert_eq!(dict_key(texts.as_ref(), 0), None); // not a dictionary
}

#[test]
fn problems_become_bad_value_errors() {
    let e = Problem::new(4, "end", "2020-01-01", "end is before start").into_error();
    assert_eq!(
        e.to_string(),
        "row 4, column 'end': end is before start (value: 2020-01-01)"
    );
    assert_eq!(e.kind(), crate::error::ErrorKind::Data);
}

#[test]
fn hashes_are_fixed_and_differ_by_length() {
    assert_eq!(hash_bytes(b"abc"), hash_bytes(b"abc"));
    assert_ne!(hash_bytes(b"A"), hash_bytes(b"A\0"));
    assert_ne!(hash_bytes(b""), hash_bytes(b"\0"));
    assert_ne!(hash_bytes(b"12345678"), hash_bytes(b"123456789"));
}

#[test]
fn dictionary_states_read_by_key_give_what_their_texts_give() {
    // An entry no row uses, a null entry, a null key: read by keys (rows outnumber the
    // entries) or row by row (a slice with fewer rows than entries), as the texts.
    let values = StringArray::from(vec![Some("Home"), Some("Unused"), None, Some("Foster")]);
    let keys = Int16Array::from(vec![Some(3), Some(0), Some(2), None, Some(0), Some(3)]);
    let dict: ArrayRef =
        Arc::new(DictionaryArray::<Int16Type>::try_new(keys, Arc::new(values)).unwrap());
    let plain: ArrayRef = Arc::new(StringArray::from(vec![
        Some("Foster"),
        Some("Home"),
        None,
        None,
        Some("Home"),
        Some("Foster"),
    ]));
    let ids: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5, 6]));
    let seen = |d: &Decoded| {
        let p: Vec<_> = d
            .problems
            .iter()
            .map(|p| (p.row, p.column.clone(), p.value.clone(), p.rule.clone()))
            .collect();
        (d.labels.clone(), d.state.clone(), p)
    };
    for (at, len) in [(0, 6), (1, 5), (4, 2)] {
        let by_key = decode_default(&[rows(
            ids.slice(at, len),
            dict.slice(at, len),
            &[0; 6][..len],
            &vec![None; len],
        )])
        .unwrap();
        let by_text = decode_default(&[rows(
            ids.slice(at, len),
            plain.slice(at, len),
            &[0; 6][..len],
            &vec![None; len],
        )])
        .unwrap();
        assert_eq!(seen(&by_key), seen(&by_text), "rows {at}..{}", at + len);
    }
    let whole = decode_default(&[rows(ids, dict, &[0; 6], &[None; 6])]).unwrap();
    assert_eq!(whole.labels, ["Foster", "Home"]);
    assert_eq!(whole.problems.len(), 2);
}
