//! The per-child index: every child's spells grouped (CSR offsets) and sorted by start,
//! built once, in parallel, from decoded rows.

use rayon::prelude::*;

use crate::columns::{Decoded, IdKind, Problem};
use crate::error::Result;
use crate::time::{Minute, MINUTES_PER_DAY, OPEN};

/// What to do with a row that breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop with an error naming the first offending row.
    Raise,
    /// Set the row aside in the report, count it, and go on without it.
    Reject,
}

/// Children's spells, grouped per child (dot) and sorted by (start, end).
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// State labels; `state` values index this.
    pub labels: Vec<String>,
    /// Child `c`'s spells are `offsets[c]..offsets[c + 1]`.
    pub offsets: Vec<u32>,
    pub start: Vec<Minute>,
    pub end: Vec<Minute>,
    pub state: Vec<u16>,
    /// The input row of each spell.
    pub spell_row: Vec<u32>,
    /// Rows set aside (only with [`OnError::Reject`]), in row order.
    pub rejected: Vec<Problem>,
    /// Rows in the input.
    pub n_rows: u64,
    pub id_kind: Option<IdKind>,
}

/// Compares the ids of two input rows as text (only used for string ids sharing a hash).
pub trait IdText: Sync {
    fn text(&self, row: u32) -> Option<&str>;
}

/// Ids that never collide (integers): no text needed.
pub struct NoText;
impl IdText for NoText {
    fn text(&self, _row: u32) -> Option<&str> {
        None
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    key: u64,
    start: Minute,
    end: Minute,
    row: u32,
}

impl Index {
    pub fn n_children(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn n_spells(&self) -> usize {
        self.start.len()
    }

    pub fn spells(&self, child: usize) -> std::ops::Range<usize> {
        self.offsets[child] as usize..self.offsets[child + 1] as usize
    }

    /// The input row that carries child `c`'s id and attributes (its first spell's row).
    pub fn child_row(&self, child: usize) -> u32 {
        self.spell_row[self.offsets[child] as usize]
    }

    /// Earliest start and latest known time (an end, or a start for open spells), minutes.
    pub fn time_range(&self) -> Option<(Minute, Minute)> {
        if self.start.is_empty() {
            return None;
        }
        let lo = self.start.par_iter().copied().min().unwrap_or(0);
        let hi = self
            .start
            .par_iter()
            .zip(self.end.par_iter())
            .map(|(&s, &e)| if e == OPEN { s } else { e })
            .max()
            .unwrap_or(lo);
        Some((lo, hi))
    }

    /// Whether any spell is still open at the end of the data.
    pub fn has_open(&self) -> bool {
        self.end.par_iter().any(|&e| e == OPEN)
    }

    /// Bytes held by the index beyond the input.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.start.capacity() * 4
            + self.end.capacity() * 4
            + self.state.capacity() * 2
            + self.spell_row.capacity() * 4
    }

    /// Builds the index from decoded rows. `ids` gives the id text of a row for string ids.
    pub fn build(decoded: Decoded, on_error: OnError, ids: &dyn IdText) -> Result<Index> {
        let Decoded {
            key,
            state,
            start,
            end,
            labels,
            id_kind,
            mut problems,
        } = decoded;
        let n_rows = key.len() as u64;
        if on_error == OnError::Raise {
            if let Some(p) = problems.first() {
                return Err(p.clone().into_error());
            }
        }
        let mut bad = vec![false; key.len()];
        for p in &problems {
            if let Some(b) = bad.get_mut(p.row as usize) {
                *b = true;
            }
        }
        let mut items: Vec<Item> = (0..key.len())
            .into_par_iter()
            .filter(|&i| !bad[i])
            .map(|i| Item {
                key: key[i],
                start: start[i],
                end: end[i],
                row: i as u32,
            })
            .collect();
        drop((key, start, end, bad));
        let sorted = items.par_windows(2).all(|w| w[0] <= w[1]);
        if !sorted {
            items.par_sort_unstable();
        }
        // Texts are compared only where two ids share a hash (vanishingly rare).
        let collided = id_kind == Some(IdKind::Text) && separate_collisions(&mut items, ids);
        let same = |a: &Item, b: &Item| {
            a.key == b.key && (!collided || ids.text(a.row) == ids.text(b.row))
        };

        // Group boundaries, then overlaps within each child.
        let mut offsets: Vec<u32> = Vec::with_capacity(items.len() / 2 + 2);
        for i in 0..items.len() {
            if i == 0 || !same(&items[i - 1], &items[i]) {
                offsets.push(i as u32);
            }
        }
        offsets.push(items.len() as u32);
        let overlaps: Vec<(usize, Problem)> = offsets
            .par_windows(2)
            .flat_map_iter(|w| {
                let mut found = Vec::new();
                let (a, b) = (w[0] as usize, w[1] as usize);
                let mut prev = a;
                for i in a + 1..b {
                    let (p, q) = (&items[prev], &items[i]);
                    if q.start < p.end {
                        let shown =
                            crate::time::format_day(q.start.div_euclid(MINUTES_PER_DAY) as i64);
                        found.push((
                            i,
                            Problem::new(
                                q.row as u64,
                                "start",
                                shown,
                                &format!(
                                    "overlaps an earlier spell of the same child (row {})",
                                    p.row
                                ),
                            ),
                        ));
                    } else {
                        prev = i;
                    }
                }
                found
            })
            .collect();
        if on_error == OnError::Raise {
            if let Some((_, p)) = overlaps.into_iter().min_by_key(|(_, p)| p.row) {
                return Err(p.into_error());
            }
        } else if !overlaps.is_empty() {
            let mut drop_item = vec![false; items.len()];
            for (i, p) in overlaps {
                drop_item[i] = true;
                problems.push(p);
            }
            let mut kept = Vec::with_capacity(items.len());
            let mut new_offsets = Vec::with_capacity(offsets.len());
            for w in offsets.windows(2) {
                let before = kept.len();
                for i in w[0] as usize..w[1] as usize {
                    if !drop_item[i] {
                        kept.push(items[i]);
                    }
                }
                if kept.len() > before {
                    new_offsets.push(before as u32);
                }
            }
            new_offsets.push(kept.len() as u32);
            items = kept;
            offsets = new_offsets;
        }
        problems.sort_by_key(|p| p.row);

        let n = items.len();
        let mut out_start = vec![0; n];
        let mut out_end = vec![0; n];
        let mut out_row = vec![0; n];
        let mut out_state = vec![0u16; n];
        out_start
            .par_iter_mut()
            .zip(&items)
            .for_each(|(o, it)| *o = it.start);
        out_end
            .par_iter_mut()
            .zip(&items)
            .for_each(|(o, it)| *o = it.end);
        out_row
            .par_iter_mut()
            .zip(&items)
            .for_each(|(o, it)| *o = it.row);
        out_state
            .par_iter_mut()
            .zip(&items)
            .for_each(|(o, it)| *o = state[it.row as usize]);
        Ok(Index {
            labels,
            offsets,
            start: out_start,
            end: out_end,
            state: out_state,
            spell_row: out_row,
            rejected: problems,
            n_rows,
            id_kind,
        })
    }

    /// Builds an index directly from per-row vectors (tests, the generator).
    pub fn from_rows(
        key: Vec<u64>,
        state: Vec<u16>,
        start: Vec<Minute>,
        end: Vec<Minute>,
        labels: Vec<String>,
        on_error: OnError,
    ) -> Result<Index> {
        let mut problems = Vec::new();
        for i in 0..key.len() {
            if end[i] < start[i] {
                problems.push(Problem::new(
                    i as u64,
                    "end",
                    end[i].to_string(),
                    "end is before start",
                ));
            }
        }
        let decoded = Decoded {
            key,
            state,
            start,
            end,
            labels,
            id_kind: Some(IdKind::Integer),
            problems,
        };
        Index::build(decoded, on_error, &NoText)
    }
}

/// Where two different string ids share a 64-bit hash, re-sorts their rows so each id's
/// rows are contiguous (by id text, then start). Vanishingly rare, but never silent.
/// Returns whether any did.
fn separate_collisions(items: &mut [Item], ids: &dyn IdText) -> bool {
    // Runs of equal keys.
    let runs: Vec<(usize, usize)> = {
        let mut runs = Vec::new();
        let mut a = 0;
        for i in 1..=items.len() {
            if i == items.len() || items[i].key != items[a].key {
                if i - a > 1 {
                    runs.push((a, i));
                }
                a = i;
            }
        }
        runs
    };
    let mixed: Vec<(usize, usize)> = runs
        .into_par_iter()
        .filter(|&(a, b)| {
            let first = ids.text(items[a].row);
            items[a + 1..b].iter().any(|it| ids.text(it.row) != first)
        })
        .collect();
    let any = !mixed.is_empty();
    for (a, b) in mixed {
        items[a..b].sort_by(|p, q| {
            ids.text(p.row)
                .cmp(&ids.text(q.row))
                .then(p.start.cmp(&q.start))
                .then(p.end.cmp(&q.end))
                .then(p.row.cmp(&q.row))
        });
    }
    any
}

#[cfg(test)]
mod tests {
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
        // child key 3 first: rows 3 then 1
        assert_eq!(idx.spell_row, vec![3, 1, 2, 0]);
        assert_eq!(idx.start, vec![0, 50, 10, 100]);
        assert_eq!(idx.time_range(), Some((0, 200)));
        assert!(idx.has_open());
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
        };
        let idx = Index::build(decoded, OnError::Raise, &texts).unwrap();
        assert_eq!(idx.n_children(), 3);
        assert_eq!(idx.offsets, vec![0, 2, 4, 5]);
        assert_eq!(idx.spell_row, vec![0, 2, 1, 3, 4]);
        // Without the texts (no collision check), they would overlap as one child.
        let decoded = Decoded {
            key: vec![7, 7, 7, 7],
            state: vec![0, 1, 1, 0],
            start: vec![0, 0, 50, 50],
            end: vec![40, 40, 90, 90],
            labels: labels(2),
            id_kind: Some(IdKind::Text),
            problems: Vec::new(),
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
}
