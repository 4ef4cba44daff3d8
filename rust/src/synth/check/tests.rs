//! The calibration check's tests.

use super::*;

#[test]
fn calibration_table_parses_every_row() {
    let p = published();
    let rows = CALIBRATION_CSV.lines().skip(1).filter(|l| !l.is_empty());
    assert_eq!(p.len(), rows.count());
    for row in &p {
        assert!((2015..=2025).contains(&row.year), "{row:?}");
        assert!(row.value > 0.0 && !row.source.is_empty(), "{row:?}");
    }
    let known = [
        "children looked after at 31 March",
        "unaccompanied asylum-seeking children at 31 March",
        "children in need at 31 March",
        "child protection plans at 31 March",
        "started to be looked after",
        "ceased to be looked after",
        "adopted",
        "placement changes",
        "referrals",
        "assessments",
        "section 47 enquiries",
    ];
    assert!(p.iter().all(|r| known.contains(&r.measure)));
    // Every year of the default window has a count of children looked after.
    for y in 2015..=2025 {
        assert!(p.iter().any(|r| r.year == y && r.measure == known[0]));
    }
}
