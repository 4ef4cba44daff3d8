//! Tables out of the index: a per-child column picked from the caller's batches by each
//! child's first row, the rows set aside as a table, and which spell a dot is in.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::columns::Problem;
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::time::Minute;

/// Column `name` of `batches` (one table, `schema`) at the input rows `rows` (numbered
/// over all batches), as one array with the column's type.
pub fn take_rows(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    name: &str,
    rows: &[u32],
) -> Result<(Arc<Field>, ArrayRef)> {
    let Ok(at) = schema.index_of(name) else {
        return Err(CoreError::MissingColumn {
            column: name.to_string(),
            present: schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let field = Arc::new(schema.field(at).clone());
    let columns: Vec<&dyn arrow_array::Array> =
        batches.iter().map(|b| b.column(at).as_ref()).collect();
    let mut starts = Vec::with_capacity(batches.len());
    let mut n = 0usize;
    for b in batches {
        starts.push(n);
        n += b.num_rows();
    }
    let mut picks = Vec::with_capacity(rows.len());
    for &r in rows {
        let r = r as usize;
        if r >= n {
            return Err(CoreError::InvalidArrow {
                column: name.to_string(),
                rows: r.to_string(),
                message: format!("row {r} is beyond the table's {n} rows"),
            });
        }
        let k = starts.partition_point(|&s| s <= r) - 1;
        picks.push((k, r - starts[k]));
    }
    let out = if columns.is_empty() {
        arrow_array::new_empty_array(field.data_type())
    } else {
        arrow_select::interleave::interleave(&columns, &picks).map_err(|e| {
            CoreError::InvalidArrow {
                column: name.to_string(),
                rows: "all".into(),
                message: e.to_string(),
            }
        })?
    };
    Ok((field, out))
}

/// The rows set aside: `row` (int64), `column`, `value` and `rule` (strings).
pub fn rejects_batch(rejected: &[Problem]) -> Result<RecordBatch> {
    let row = Int64Array::from_iter_values(rejected.iter().map(|p| p.row as i64));
    let text = |f: fn(&Problem) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rejected.iter().map(f)))
    };
    let schema = Schema::new(vec![
        Field::new("row", DataType::Int64, true),
        Field::new("column", DataType::Utf8, true),
        Field::new("value", DataType::Utf8, true),
        Field::new("rule", DataType::Utf8, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(row),
            text(|p| &p.column),
            text(|p| &p.value),
            text(|p| &p.rule),
        ],
    )
    .map_err(|e| CoreError::Export(e.to_string()))
}

/// The spell (index order) dot `dot` is in at `t` minutes: its last spell begun by `t`
/// (ended or not), or `None` when it has none begun or no such dot.
pub fn spell_at(index: &Index, dot: usize, t: Minute) -> Option<usize> {
    if dot >= index.n_children() {
        return None;
    }
    let range = index.spells(dot);
    let begun = index.start[range.clone()].partition_point(|&s| s <= t);
    (begun > 0).then(|| range.start + begun - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    use arrow_array::{Array, DictionaryArray, Int32Array};

    fn two_batches() -> (Vec<RecordBatch>, SchemaRef) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("la", DataType::Utf8, true),
            Field::new("n", DataType::Int32, true),
        ]));
        let a = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some("a0"), None])),
                Arc::new(Int32Array::from(vec![10, 11])),
            ],
        )
        .unwrap();
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["b0", "b1", "b2"])),
                Arc::new(Int32Array::from(vec![20, 21, 22])),
            ],
        )
        .unwrap();
        (vec![a, b], schema)
    }

    #[test]
    fn takes_rows_across_batches_in_the_order_asked() {
        let (batches, schema) = two_batches();
        let (field, got) = take_rows(&batches, &schema, "la", &[4, 0, 1, 2]).unwrap();
        assert_eq!(field.name(), "la");
        let got = got.as_string::<i32>();
        assert_eq!(got.len(), 4);
        assert_eq!(got.value(0), "b2");
        assert_eq!(got.value(1), "a0");
        assert!(got.is_null(2));
        assert_eq!(got.value(3), "b0");
        let (_, n) = take_rows(&batches, &schema, "n", &[3]).unwrap();
        assert_eq!(n.as_primitive::<Int32Type>().value(0), 21);
    }

    #[test]
    fn keeps_a_dictionary_column_a_dictionary() {
        let dict: DictionaryArray<Int32Type> = vec!["x", "y", "x"].into_iter().collect();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "la",
            dict.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(dict)]).unwrap();
        let (_, got) = take_rows(&[batch], &schema, "la", &[1, 2]).unwrap();
        let got = got.as_dictionary::<Int32Type>();
        let values = got.values().as_string::<i32>();
        let text: Vec<&str> = got
            .keys()
            .iter()
            .map(|k| values.value(k.unwrap() as usize))
            .collect();
        assert_eq!(text, ["y", "x"]);
    }

    #[test]
    fn a_missing_column_or_row_is_an_error_naming_it() {
        let (batches, schema) = two_batches();
        let e = take_rows(&batches, &schema, "sex", &[0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column 'sex' is missing (columns present: la, n)"
        );
        let e = take_rows(&batches, &schema, "la", &[5]).unwrap_err();
        assert!(e.to_string().contains("row 5"), "{e}");
    }

    #[test]
    fn rejects_become_a_table() {
        let p = Problem {
            row: 7,
            column: "end".into(),
            value: "2020-01-01".into(),
            rule: "end before start".into(),
        };
        let b = rejects_batch(&[p]).unwrap();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(
            b.column(0)
                .as_primitive::<arrow_array::types::Int64Type>()
                .value(0),
            7
        );
        assert_eq!(b.column(3).as_string::<i32>().value(0), "end before start");
        assert_eq!(rejects_batch(&[]).unwrap().num_rows(), 0);
    }

    #[test]
    fn finds_the_spell_begun_last() {
        let index = Index {
            labels: vec!["A".into(), "B".into()],
            offsets: vec![0, 2, 3],
            start: vec![10, 20, 5],
            end: vec![20, 30, 50],
            state: vec![0, 1, 0],
            spell_row: vec![0, 1, 2],
            ..Index::default()
        };
        assert_eq!(spell_at(&index, 0, 9), None);
        assert_eq!(spell_at(&index, 0, 10), Some(0));
        assert_eq!(spell_at(&index, 0, 19), Some(0));
        assert_eq!(spell_at(&index, 0, 20), Some(1));
        assert_eq!(spell_at(&index, 0, 99), Some(1));
        assert_eq!(spell_at(&index, 1, 5), Some(2));
        assert_eq!(spell_at(&index, 2, 5), None);
    }
}
