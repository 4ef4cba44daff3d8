//! Checks on Arrow data that comes from outside (files, other libraries) before the core
//! reads it: full validation of every column's buffers, offsets, lengths, UTF-8 and
//! dictionary keys, and one column per name. Arrow imported through the C data interface
//! is not validated on import; a corrupt file or a faulty producer would otherwise make
//! the core read past a buffer.

use std::collections::HashSet;

use arrow_array::{Array, RecordBatch};
use arrow_schema::Schema;
use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// Refuses a schema that names one column twice (every name is looked up by name later).
pub fn check_unique_names(schema: &Schema) -> Result<()> {
    let mut seen = HashSet::new();
    let twice: Vec<&str> = schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .filter(|n| !seen.insert(*n))
        .collect();
    match twice.first() {
        None => Ok(()),
        Some(name) => Err(CoreError::DuplicateColumn {
            column: name.to_string(),
            count: schema.fields().iter().filter(|f| f.name() == name).count(),
        }),
    }
}

/// Fully validates every column of every batch (in parallel, one task per column and
/// batch); the first invalid one, in input order, is reported with its column and rows.
pub fn validate_batches(batches: &[RecordBatch]) -> Result<()> {
    validate_batches_beside(batches, &[])
}

/// [`validate_batches`], except for columns that are the very same memory as a column of
/// `checked` (batches validated before): those are valid already.
pub fn validate_batches_beside(batches: &[RecordBatch], checked: &[RecordBatch]) -> Result<()> {
    let known: Vec<arrow_data::ArrayData> = checked
        .iter()
        .flat_map(|b| b.columns().iter().map(|c| c.to_data()))
        .collect();
    let mut jobs = Vec::new();
    let mut first_row = 0u64;
    for batch in batches {
        check_unique_names(batch.schema_ref())?;
        for (i, field) in batch.schema_ref().fields().iter().enumerate() {
            let data = batch.column(i).to_data();
            if !known.iter().any(|k| k.ptr_eq(&data)) {
                jobs.push((field.name().as_str(), first_row, batch.column(i)));
            }
        }
        first_row += batch.num_rows() as u64;
    }
    let found: Option<CoreError> = jobs
        .par_iter()
        .map(|(name, row, column)| {
            column
                .to_data()
                .validate_full()
                .err()
                .map(|e| CoreError::InvalidArrow {
                    column: name.to_string(),
                    rows: format!("{}..{}", row, row + column.len() as u64),
                    message: e.to_string(),
                })
        })
        .find_first(Option::is_some)
        .flatten();
    found.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_buffer::Buffer;
    use arrow_schema::{DataType, Field};

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
    }

    #[test]
    fn valid_data_passes() {
        let b = batch(vec![
            ("child_id", Arc::new(StringArray::from(vec!["a", "bc"]))),
            ("n", Arc::new(Int64Array::from(vec![1, 2]))),
        ]);
        assert_eq!(validate_batches(&[b.clone(), b]), Ok(()));
    }

    /// Two rows of int64, and two strings whose offsets (0, 2, 1000) run past their 2 bytes
    /// of data: built unchecked, as FFI import does.
    fn good_and_bad() -> (ArrayRef, ArrayRef) {
        let data = arrow_data::ArrayDataBuilder::new(DataType::Utf8)
            .len(2)
            .add_buffer(Buffer::from_slice_ref([0i32, 2, 1000]))
            .add_buffer(Buffer::from(b"ab".to_vec()));
        let bad: ArrayRef = Arc::new(StringArray::from(unsafe { data.build_unchecked() }));
        (Arc::new(Int64Array::from(vec![1, 2])), bad)
    }

    #[test]
    fn offsets_past_the_data_are_refused() {
        let (good, bad) = good_and_bad();
        let b = batch(vec![("n", good), ("child_id", bad)]);
        match validate_batches(&[b]) {
            Err(CoreError::InvalidArrow { column, rows, .. }) => {
                assert_eq!((column.as_str(), rows.as_str()), ("child_id", "0..2"));
            }
            other => panic!("expected InvalidArrow, got {other:?}"),
        }
    }

    #[test]
    fn only_columns_not_checked_before_are_checked_beside_them() {
        let (good, bad) = good_and_bad();
        // a column counts as checked only if it is the same memory: an equal copy is not
        let checked = batch(vec![("n", good.clone())]);
        let b = batch(vec![("n", good.clone()), ("child_id", bad.clone())]);
        assert!(matches!(
            validate_batches_beside(&[b], std::slice::from_ref(&checked)),
            Err(CoreError::InvalidArrow { .. })
        ));
        let marked = batch(vec![("child_id", bad.clone())]);
        let b = batch(vec![("n", good), ("child_id", bad)]);
        assert_eq!(
            validate_batches_beside(std::slice::from_ref(&b), &[marked]),
            Ok(())
        );
        let copy: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let other = batch(vec![("n", copy)]);
        assert!(validate_batches_beside(&[b], &[other]).is_err());
    }

    #[test]
    fn a_name_given_twice_is_refused() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let b = batch(vec![("x", a.clone()), ("state", a.clone()), ("x", a)]);
        assert_eq!(
            validate_batches(&[b]),
            Err(CoreError::DuplicateColumn {
                column: "x".into(),
                count: 2
            })
        );
    }
}
