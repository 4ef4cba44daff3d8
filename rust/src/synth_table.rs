//! The synthetic England as an Arrow record batch in the canonical journey layout: one row
//! per spell with the child's attributes alongside (dictionary-encoded, no copies later).

use std::sync::Arc;

use arrow_array::types::{Int16Type, Int8Type, UInt8Type};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Int64Array, PrimitiveArray, RecordBatch,
    StringArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{ArrowError, DataType, Field, Schema};
use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::synth::{SynthOutput, LS_CODES, NO_CODE, PLACE_CODES, REC_CODES};

/// Standard state labels in engine order (python/carevis/data/states.csv).
pub const STANDARD_STATES: [&str; 20] = [
    "Referral",
    "Assessment",
    "No further action",
    "Child in need",
    "Section 47",
    "Child protection conference",
    "Child protection plan",
    "Foster care (relative/friend)",
    "Foster care (other)",
    "Children's home & secure",
    "Supported / independent",
    "Placed with parents",
    "Placed for adoption",
    "Other placement",
    "Adopted",
    "Special guardianship",
    "Child arrangements order",
    "Returned home",
    "Independence / adulthood",
    "Other exit",
];

const CIN_CODES: [&str; 8] = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"];
const SEXES: [&str; 2] = ["M", "F"];
const ETHNICITIES: [&str; 5] = ["White", "Mixed", "Black", "Asian", "Other"];

fn arrow_err(e: ArrowError) -> CoreError {
    CoreError::Capacity(e.to_string())
}

/// A dictionary column of u8 codes (`NO_CODE` = null) over `labels`.
fn dict_u8(codes: Vec<u8>, labels: &[&str]) -> Result<ArrayRef> {
    let valid: Vec<bool> = codes.par_iter().map(|&c| c != NO_CODE).collect();
    let nulls = if valid.iter().all(|&v| v) {
        None
    } else {
        Some(NullBuffer::from(valid))
    };
    let keys = PrimitiveArray::<UInt8Type>::new(codes.into(), nulls);
    let values = Arc::new(StringArray::from(labels.to_vec()));
    Ok(Arc::new(
        DictionaryArray::<UInt8Type>::try_new(keys, values).map_err(arrow_err)?,
    ))
}

/// Per child values spread to each of the child's spells.
fn spread<T: Copy + Send + Sync>(per_child: &[T], child: &[u32]) -> Vec<T> {
    child.par_iter().map(|&c| per_child[c as usize]).collect()
}

/// Builds the canonical table. `child_id` is a unique integer per child (council-major).
pub fn to_record_batch(out: SynthOutput) -> Result<RecordBatch> {
    let n = out.child.len();
    let child_id: Vec<i64> = out.child.par_iter().map(|&c| c as i64 + 1).collect();
    let state_keys = PrimitiveArray::<Int8Type>::new(
        out.state
            .par_iter()
            .map(|&s| s as i8)
            .collect::<Vec<_>>()
            .into(),
        None,
    );
    let state = DictionaryArray::<Int8Type>::try_new(
        state_keys,
        Arc::new(StringArray::from(STANDARD_STATES.to_vec())),
    )
    .map_err(arrow_err)?;
    let start = Date32Array::from(out.start);
    let open: Vec<bool> = out.end.par_iter().map(|&e| e != i32::MAX).collect();
    let end = Date32Array::new(
        out.end
            .par_iter()
            .map(|&e| if e == i32::MAX { 0 } else { e })
            .collect::<Vec<_>>()
            .into(),
        Some(NullBuffer::from(open)),
    );
    let council_codes: Vec<&str> = out.councils.iter().map(|c| c.code.as_str()).collect();
    let la_keys = PrimitiveArray::<Int16Type>::new(
        spread(&out.council, &out.child)
            .into_par_iter()
            .map(|c| c as i16)
            .collect::<Vec<_>>()
            .into(),
        None,
    );
    let la =
        DictionaryArray::<Int16Type>::try_new(la_keys, Arc::new(StringArray::from(council_codes)))
            .map_err(arrow_err)?;
    let sex = dict_u8(spread(&out.sex, &out.child), &SEXES)?;
    // Dates of birth reduced to the first of the month (the privacy convention).
    let birth_month: Vec<i32> = out
        .birth
        .par_iter()
        .map(|&d| {
            let (y, m, _) = crate::time::civil_from_days(d as i64);
            crate::time::days_from_civil(y, m, 1) as i32
        })
        .collect();
    let birth = Date32Array::from(spread(&birth_month, &out.child));
    let ethnicity = dict_u8(spread(&out.ethnicity, &out.child), &ETHNICITIES)?;
    let uasc = BooleanArray::from(spread(&out.uasc, &out.child));
    let placement = dict_u8(out.placement, PLACE_CODES)?;
    let legal_status = dict_u8(out.legal_status, LS_CODES)?;
    let cin = dict_u8(out.category_of_need, &CIN_CODES)?;
    let reason = dict_u8(out.reason_ceased, REC_CODES)?;
    let dict8 = |k: DataType| DataType::Dictionary(Box::new(k), Box::new(DataType::Utf8));
    let schema = Schema::new(vec![
        Field::new("child_id", DataType::Int64, false),
        Field::new("state", dict8(DataType::Int8), false),
        Field::new("start", DataType::Date32, false),
        Field::new("end", DataType::Date32, true),
        Field::new("la", dict8(DataType::Int16), false),
        Field::new("sex", dict8(DataType::UInt8), true),
        Field::new("birth_month", DataType::Date32, false),
        Field::new("ethnicity", dict8(DataType::UInt8), true),
        Field::new("uasc", DataType::Boolean, false),
        Field::new("placement", dict8(DataType::UInt8), true),
        Field::new("legal_status", dict8(DataType::UInt8), true),
        Field::new("category_of_need", dict8(DataType::UInt8), true),
        Field::new("reason_ceased", dict8(DataType::UInt8), true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(child_id)),
        Arc::new(state),
        Arc::new(start),
        Arc::new(end),
        Arc::new(la),
        sex,
        Arc::new(birth),
        ethnicity,
        Arc::new(uasc),
        placement,
        legal_status,
        cin,
        reason,
    ];
    debug_assert!(columns.iter().all(|c| c.len() == n));
    RecordBatch::try_new(Arc::new(schema), columns).map_err(arrow_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{england, SynthConfig};

    #[test]
    fn table_has_canonical_columns() {
        let cfg = SynthConfig {
            scale: 0.002,
            ..SynthConfig::default()
        };
        let out = england(&cfg).unwrap();
        let n = out.child.len();
        let opens = out.end.iter().filter(|&&e| e == i32::MAX).count();
        let batch = to_record_batch(out).unwrap();
        assert_eq!(batch.num_rows(), n);
        assert_eq!(batch.column_by_name("end").unwrap().null_count(), opens);
        assert!(batch.column_by_name("placement").unwrap().null_count() > 0);
        let names = ColumnNamesCheck::of(&batch);
        assert_eq!(&names[..4], &["child_id", "state", "start", "end"]);
    }

    struct ColumnNamesCheck;
    impl ColumnNamesCheck {
        fn of(b: &RecordBatch) -> Vec<String> {
            b.schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        }
    }
}
