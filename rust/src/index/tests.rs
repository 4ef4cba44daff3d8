//! The index's tests: grouping and sorting, dot order, ids sharing a hash, overlaps and
//! other rows that break a rule.

use super::*;

fn labels(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("S{i}")).collect()
}

#[test]
fn groups_and_sorts() {
    let idx = Index::from_rows(
        vec![5, 3, 5, 3],
        vec![0, 1, 1, 0],
        vec![100, 50, 10, 0],
        vec![200, OPEN, 100, 50],
        labels(2),
        OnError::Raise,
    )
    .unwrap();
    assert_eq!(idx.n_children(), 2);
    assert_eq!(idx.offsets, vec![0, 2, 4]);
    // child key 5 leaves first (at 200; child 3 is still open): rows 2 then 0
    assert_eq!(idx.spell_row, vec![2, 0, 3, 1]);
    assert_eq!(idx.start, vec![10, 100, 0, 50]);
    assert_eq!(idx.time_range(), Some((0, 200)));
    assert!(idx.has_open());
}

#[test]
fn dots_in_leaving_order() {
    // By last end (open last), then first start, then key.
    let idx = Index::from_rows(
        vec![1, 2, 3, 4, 5, 6, 6, 0],
        vec![0; 8],
        vec![0, 10, 20, -5, 30, 10, 40, 5],
        vec![90, 90, OPEN, 90, 35, 15, 90, OPEN],
        labels(1),
        OnError::Raise,
    )
    .unwrap();
    let first_rows: Vec<u32> = (0..idx.n_children()).map(|c| idx.child_row(c)).collect();
    // child 5 ends at 35; 4, 1, 2, 6 end at 90 (starts -5, 0, 10, 10: key 2 before
    // key 6); 0 and 3 are open (starts 5, 20)
    assert_eq!(first_rows, vec![4, 3, 0, 1, 5, 7, 2]);
    assert_eq!(idx.offsets, vec![0, 1, 2, 3, 4, 6, 7, 8]);
    assert_eq!(idx.spell_row[4..6], [5, 6]);
}

#[test]
fn leaving_order_with_times_too_far_apart_to_pack() {
    let far = i32::MAX - 1;
    let idx = Index::from_rows(
        vec![1, 2, 3, 4, 5],
        vec![0; 5],
        vec![i32::MIN + 1, -far, 0, i32::MIN + 1, i32::MIN + 1],
        vec![far, far, 5, OPEN, i32::MIN + 1],
        labels(1),
        OnError::Raise,
    )
    .unwrap();
    let first_rows: Vec<u32> = (0..idx.n_children()).map(|c| idx.child_row(c)).collect();
    assert_eq!(first_rows, vec![4, 2, 0, 1, 3]);
}

#[test]
fn dots_in_shuffled_blocks_of_leaving_order() {
    // 100 children of one spell, child k leaving at 1000 - k (leaving order is k
    // descending), or at 901 + k (the keys already in leaving order). Either way, dot
    // order: blocks of 16 consecutive leavers, whole blocks shuffled, the last four (a
    // partial block) last.
    let n = 100;
    for reversed in [true, false] {
        let ends = (0..n as i32).map(|k| if reversed { 1000 - k } else { 901 + k });
        let idx = Index::from_rows(
            (0..n).collect(),
            vec![0; n as usize],
            vec![0; n as usize],
            ends.collect(),
            labels(1),
            OnError::Raise,
        )
        .unwrap();
        let ends: Vec<i32> = (0..idx.n_children()).map(|c| idx.end[c]).collect();
        let mut firsts = vec![];
        for block in ends.chunks(DOT_BLOCK) {
            // each block: consecutive leavers, in leaving order
            assert!(block.windows(2).all(|w| w[1] == w[0] + 1), "{block:?}");
            firsts.push(block[0]);
        }
        assert_eq!(ends[96..], [997, 998, 999, 1000]);
        // the whole blocks are shuffled, not in leaving order
        let whole = &firsts[..6];
        assert!(whole.windows(2).any(|w| w[0] > w[1]), "{whole:?}");
        let mut sorted = whole.to_vec();
        sorted.sort();
        assert_eq!(sorted, vec![901, 917, 933, 949, 965, 981]);
    }
}

#[test]
fn ids_sharing_a_hash_stay_apart() {
    // Rows 0 and 2 are child "a", rows 1 and 3 child "b": all four share one key, as
    // two different texts with the same 64-bit hash would.
    struct Texts(Vec<&'static str>);
    impl IdText for Texts {
        fn text(&self, row: u32) -> Option<&str> {
            self.0.get(row as usize).copied()
        }
    }
    let texts = Texts(vec!["a", "b", "a", "b", "c"]);
    let decoded = Decoded {
        key: vec![7, 7, 7, 7, 9],
        state: vec![0, 1, 1, 0, 0],
        start: vec![0, 0, 50, 50, 0],
        end: vec![40, 40, 90, 90, 10],
        labels: labels(2),
        id_kind: Some(IdKind::Text),
        problems: Vec::new(),
        same_prev: Vec::new(),
    };
    let idx = Index::build(decoded, OnError::Raise, &texts).unwrap();
    assert_eq!(idx.n_children(), 3);
    // "c" leaves first; "a" and "b" leave and arrive together, so go by id.
    assert_eq!(idx.offsets, vec![0, 1, 3, 5]);
    assert_eq!(idx.spell_row, vec![4, 0, 2, 1, 3]);
    // Without the texts (no collision check), they would overlap as one child.
    let decoded = Decoded {
        key: vec![7, 7, 7, 7],
        state: vec![0, 1, 1, 0],
        start: vec![0, 0, 50, 50],
        end: vec![40, 40, 90, 90],
        labels: labels(2),
        id_kind: Some(IdKind::Text),
        problems: Vec::new(),
        same_prev: Vec::new(),
    };
    let idx = Index::build(decoded, OnError::Reject, &texts).unwrap();
    assert_eq!(idx.n_children(), 2);
    assert!(idx.rejected.is_empty());
}

#[test]
fn overlap_raises_or_rejects() {
    let rows = || {
        (
            vec![1, 1, 1],
            vec![0, 1, 0],
            vec![0, 10, 20],
            vec![15, 30, 40],
        )
    };
    let (k, s, a, b) = rows();
    let err = Index::from_rows(k, s, a, b, labels(2), OnError::Raise).unwrap_err();
    assert!(err.to_string().contains("row 1"), "{err}");
    let (k, s, a, b) = rows();
    let idx = Index::from_rows(k, s, a, b, labels(2), OnError::Reject).unwrap();
    // row 1 overlaps row 0 and is set aside; row 2 (20..40) overlaps nothing kept? 20 >= 15.
    assert_eq!(idx.rejected.len(), 1);
    assert_eq!(idx.rejected[0].row, 1);
    assert_eq!(idx.spell_row, vec![0, 2]);
}

#[test]
fn zero_length_spells_sort_first() {
    let idx = Index::from_rows(
        vec![1, 1],
        vec![0, 1],
        vec![10, 10],
        vec![40, 10],
        labels(2),
        OnError::Raise,
    )
    .unwrap();
    assert_eq!(idx.spell_row, vec![1, 0]);
}

#[test]
fn end_before_start_is_reported() {
    let err = Index::from_rows(
        vec![1],
        vec![0],
        vec![10],
        vec![5],
        labels(1),
        OnError::Raise,
    )
    .unwrap_err();
    assert!(err.to_string().contains("end is before start"));
    let idx = Index::from_rows(
        vec![1, 2],
        vec![0, 0],
        vec![10, 1],
        vec![5, 2],
        labels(1),
        OnError::Reject,
    )
    .unwrap();
    assert_eq!(idx.n_children(), 1);
    assert_eq!(idx.rejected.len(), 1);
}

#[test]
fn chains_of_equal_ids_in_input_order_spare_the_text_reads_but_not_the_check() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Counted(Vec<&'static str>, AtomicUsize);
    impl IdText for Counted {
        fn text(&self, row: u32) -> Option<&str> {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0.get(row as usize).copied()
        }
    }
    let decoded = |same_prev: Vec<bool>| Decoded {
        // "a" twice then "b" twice, all sharing one hash, as two colliding texts would.
        key: vec![7, 7, 7, 7],
        state: vec![0, 1, 0, 1],
        start: vec![0, 50, 0, 50],
        end: vec![40, 90, 40, 90],
        labels: labels(2),
        id_kind: Some(IdKind::Text),
        problems: Vec::new(),
        same_prev,
    };
    let texts = Counted(vec!["a", "a", "b", "b"], AtomicUsize::new(0));
    let idx = Index::build(
        decoded(vec![false, true, false, true]),
        OnError::Raise,
        &texts,
    );
    // The chains (rows 0-1 and 2-3) differ, so their texts are compared: two children.
    assert_eq!(idx.unwrap().n_children(), 2);
    assert!(texts.1.load(Ordering::Relaxed) > 0);

    // One id on every row, all of it one chain: no text is read, one child.
    let same = Counted(vec!["a"; 4], AtomicUsize::new(0));
    let one = Decoded {
        start: vec![0, 50, 100, 150],
        end: vec![40, 90, 140, 190],
        ..decoded(vec![false, true, true, true])
    };
    let idx = Index::build(one, OnError::Raise, &same).unwrap();
    assert_eq!(idx.n_children(), 1);
    assert_eq!(same.1.load(Ordering::Relaxed), 0);
}

#[test]
fn rows_grouped_by_child_give_the_order_of_a_full_sort() {
    // Children's rows together (the runs path), or not (the full sort), or a child in two
    // runs, or a run out of time order: every input gives the index a full sort gives.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    for case in 0..40 {
        let children = 1 + next(60) as usize;
        let mut rows: Vec<(u64, i32)> = Vec::new();
        for c in 0..children {
            let key = next(1 << 40) | 1;
            let mut t = next(1000) as i32;
            for _ in 0..1 + next(4) {
                rows.push((key ^ (c as u64) << 41, t));
                t += 1 + next(50) as i32;
            }
        }
        match case % 4 {
            1 => {
                // shuffled: no runs
                for i in (1..rows.len()).rev() {
                    rows.swap(i, next(i as u64 + 1) as usize);
                }
            }
            2 if rows.len() > 2 => {
                // one child's first row moved to the end: that key comes in two runs
                let r = rows.remove(0);
                rows.push(r);
            }
            3 if rows.len() > 1 => rows.swap(0, 1), // maybe a run out of time order
            _ => {}
        }
        let n = rows.len();
        let decoded = || Decoded {
            key: rows.iter().map(|r| r.0).collect(),
            state: vec![0; n],
            start: rows.iter().map(|r| r.1 * 10).collect(),
            end: rows.iter().map(|r| r.1 * 10 + 10).collect(),
            labels: labels(1),
            id_kind: Some(IdKind::Integer),
            problems: Vec::new(),
            same_prev: Vec::new(),
        };
        let got = Index::build(decoded(), OnError::Raise, &NoText).unwrap();
        // The reference: every row sorted before the build.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (rows[i].0, rows[i].1, i));
        let d = decoded();
        let want_rows: Vec<u32> = order.iter().map(|&i| i as u32).collect();
        let sorted = Decoded {
            key: order.iter().map(|&i| d.key[i]).collect(),
            start: order.iter().map(|&i| d.start[i]).collect(),
            end: order.iter().map(|&i| d.end[i]).collect(),
            ..decoded()
        };
        let want = Index::build(sorted, OnError::Raise, &NoText).unwrap();
        assert_eq!(got.offsets, want.offsets, "case {case}");
        let back: Vec<u32> = want
            .spell_row
            .iter()
            .map(|&r| want_rows[r as usize])
            .collect();
        assert_eq!(got.spell_row, back, "case {case}");
        assert_eq!(got.start, want.start, "case {case}");
    }
}
