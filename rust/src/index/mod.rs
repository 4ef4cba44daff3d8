//! The per-child index: every child's spells grouped (CSR offsets) and sorted by start,
//! built once, in parallel, from decoded rows.

use rayon::prelude::*;

use crate::columns::{mix64, Decoded, IdKind, Problem};
use crate::error::Result;
use crate::mem::prefetch;
use crate::time::{Minute, MINUTES_PER_DAY, OPEN};

/// What to do with a row that breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop with an error naming the first offending row.
    Raise,
    /// Set the row aside in the report, count it, and go on without it.
    Reject,
}

/// Children's spells, grouped per child (dot) and sorted by (start, end). Children (dots)
/// are in small blocks by when they leave: see [`Index::build`].
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
    /// Carried along (in what would be padding) so that no pass looks it up by row.
    state: u16,
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
    ///
    /// Dot order: children ordered by the end of their last spell (those still in a state
    /// when the data ends last), then the start of their first spell, then id key; then
    /// cut into blocks of [`DOT_BLOCK`], the whole blocks shuffled (see [`in_blocks`]).
    pub fn build(decoded: Decoded, on_error: OnError, ids: &dyn IdText) -> Result<Index> {
        let Decoded {
            key,
            state,
            start,
            end,
            labels,
            id_kind,
            mut problems,
            same_prev,
        } = decoded;
        let n_rows = key.len() as u64;
        if on_error == OnError::Raise {
            if let Some(p) = problems.first() {
                return Err(p.clone().into_error());
            }
        }
        let item = |i: usize| Item {
            key: key[i],
            start: start[i],
            end: end[i],
            row: i as u32,
            state: state[i],
        };
        let mut items: Vec<Item> = if problems.is_empty() {
            // Every row: collected straight into place (a filter would gather pieces and
            // copy them together).
            (0..key.len()).into_par_iter().map(item).collect()
        } else {
            let mut bad = vec![false; key.len()];
            for p in &problems {
                if let Some(b) = bad.get_mut(p.row as usize) {
                    *b = true;
                }
            }
            (0..key.len())
                .into_par_iter()
                .filter(|&i| !bad[i])
                .map(item)
                .collect()
        };
        drop((key, start, end, state));
        let sorted = items.par_windows(2).all(|w| w[0] <= w[1]);
        if !sorted {
            match sorted_by_runs(&items) {
                Some(by_runs) => items = by_runs,
                None => items.par_sort_unstable(),
            }
        }
        // Texts are compared only where two ids share a hash (vanishingly rare).
        let collided =
            id_kind == Some(IdKind::Text) && separate_collisions(&mut items, ids, &same_prev);
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
        let order = in_blocks(leaving_order(&items, &offsets));
        let order = (!order.par_iter().enumerate().all(|(p, &c)| p == c as usize)).then_some(order);
        let n = items.len();
        let mut out_start = vec![0; n];
        let mut out_end = vec![0; n];
        let mut out_row = vec![0; n];
        let mut out_state = vec![0u16; n];
        let offsets = match order {
            None => {
                out_start
                    .par_iter_mut()
                    .zip(out_end.par_iter_mut())
                    .zip(out_row.par_iter_mut().zip(out_state.par_iter_mut()))
                    .zip(&items)
                    .for_each(|(((s, e), (r, a)), it)| {
                        *s = it.start;
                        *e = it.end;
                        *r = it.row;
                        *a = it.state;
                    });
                offsets
            }
            Some(order) => {
                let mut new_offsets = Vec::with_capacity(order.len() + 1);
                let mut at = 0u32;
                for &c in &order {
                    new_offsets.push(at);
                    at += offsets[c as usize + 1] - offsets[c as usize];
                }
                new_offsets.push(at);
                // Each block of children (in the new order) fills its own stretch of spells.
                const BLOCK: usize = 1 << 14;
                let mut jobs = Vec::new();
                let (mut st, mut en, mut ro, mut sa) = (
                    &mut out_start[..],
                    &mut out_end[..],
                    &mut out_row[..],
                    &mut out_state[..],
                );
                for (k, block) in order.chunks(BLOCK).enumerate() {
                    let c0 = k * BLOCK;
                    let len = (new_offsets[c0 + block.len()] - new_offsets[c0]) as usize;
                    let (s1, s2) = st.split_at_mut(len);
                    let (e1, e2) = en.split_at_mut(len);
                    let (r1, r2) = ro.split_at_mut(len);
                    let (a1, a2) = sa.split_at_mut(len);
                    jobs.push((block, s1, e1, r1, a1));
                    (st, en, ro, sa) = (s2, e2, r2, a2);
                }
                jobs.into_par_iter().for_each(|(block, st, en, ro, sa)| {
                    let mut k = 0;
                    for (b, &c) in block.iter().enumerate() {
                        // Each child's run lies elsewhere: ask for a later one's ahead.
                        if let Some(&q) = block.get(b + 16) {
                            prefetch(items.as_ptr().wrapping_add(offsets[q as usize] as usize));
                        }
                        let run =
                            &items[offsets[c as usize] as usize..offsets[c as usize + 1] as usize];
                        for it in run {
                            st[k] = it.start;
                            en[k] = it.end;
                            ro[k] = it.row;
                            sa[k] = it.state;
                            k += 1;
                        }
                    }
                });
                new_offsets
            }
        };
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
            same_prev: Vec::new(),
        };
        Index::build(decoded, on_error, &NoText)
    }
}

/// Children per block of the dot order (see [`in_blocks`]).
pub const DOT_BLOCK: usize = 16;

/// Dot order from the leaving order: blocks of [`DOT_BLOCK`] children who leave one after
/// another, the whole blocks in a fixed pseudo-random order (a last, partial block stays
/// last).
///
/// Renderers draw dots in dot order, and in a crowded cluster the dot drawn last is the
/// one seen. Drawn in leaving order, the children who arrived last would cover the others,
/// and a cluster coloured by time in care would look newer than it is. In shuffled small
/// blocks, which dot is drawn over which does not depend on time (a test checks the colour
/// of crowded clusters against a random order), while the dots on screen at any moment
/// still come in runs of neighbours, so that a frame reads their spells in runs rather than
/// one by one.
fn in_blocks(leaving: Vec<u32>) -> Vec<u32> {
    let n = leaving.len();
    let full = n / DOT_BLOCK;
    let mut blocks: Vec<(u64, u32)> = (0..full as u32)
        .into_par_iter()
        .map(|b| (mix64(b as u64 ^ 0xB10C_0DE5), b))
        .collect();
    blocks.par_sort_unstable();
    (0..n)
        .into_par_iter()
        .map(|p| {
            let (b, k) = (p / DOT_BLOCK, p % DOT_BLOCK);
            match blocks.get(b) {
                Some(&(_, from)) => leaving[from as usize * DOT_BLOCK + k],
                None => leaving[p],
            }
        })
        .collect()
}

/// The order in which the children (runs of `items` at `offsets`) leave: by the end of
/// their last spell (still open last), then the start of their first, then as they are (by
/// id key). The children on screen at any moment lie close together in this order.
fn leaving_order(items: &[Item], offsets: &[u32]) -> Vec<u32> {
    let n = offsets.len().saturating_sub(1);
    // (end of the last spell, start of the first) per child, read once.
    let times: Vec<(Minute, Minute)> = offsets
        .par_windows(2)
        .map(|w| (items[w[1] as usize - 1].end, items[w[0] as usize].start))
        .collect();
    if times.par_windows(2).all(|w| w[0] <= w[1]) {
        return (0..n as u32).collect();
    }
    // One key per child: both times offset from their smallest values and packed, open
    // ends just after the latest end.
    let (lo_last, hi_last, lo_first, hi_first) = times
        .par_iter()
        .fold(
            || (i64::MAX, i64::MIN, i64::MAX, i64::MIN),
            |(a, b, c, d), &(e, f)| {
                let (lo, hi) = if e == OPEN {
                    (a, b)
                } else {
                    (a.min(e as i64), b.max(e as i64))
                };
                (lo, hi, c.min(f as i64), d.max(f as i64))
            },
        )
        .reduce(
            || (i64::MAX, i64::MIN, i64::MAX, i64::MIN),
            |x, y| (x.0.min(y.0), x.1.max(y.1), x.2.min(y.2), x.3.max(y.3)),
        );
    let lo_last = lo_last.min(hi_last); // all open: no closed end to offset from
    let open_at = (hi_last - lo_last + 1).max(0);
    let shift = 64 - ((hi_first - lo_first + 1) as u64).leading_zeros();
    if shift + (64 - (open_at as u64).leading_zeros()) > 63 {
        // Times too far apart to pack (not seen in real data): compare them instead.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.par_sort_by_key(|&c| times[c as usize]);
        return order;
    }
    let keys: Vec<i64> = times
        .par_iter()
        .map(|&(e, f)| {
            let e = if e == OPEN {
                open_at
            } else {
                e as i64 - lo_last
            };
            (e << shift) | (f as i64 - lo_first)
        })
        .collect();
    crate::ingest::keys::argsort_stable(&keys)
}

/// `items` in order, where the input holds each id's rows together and in time order (one
/// run per child: how journey tables are usually written): the runs sorted by key, each
/// copied whole, rather than every row sorted. The same order a full sort gives; `None`
/// where a run is out of order or a key comes in two runs (then sort every row).
fn sorted_by_runs(items: &[Item]) -> Option<Vec<Item>> {
    // (key, first item, length) of each run of equal keys.
    let mut runs: Vec<(u64, u32, u32)> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.0 == it.key => {
                if *it < items[i - 1] {
                    return None;
                }
                run.2 += 1;
            }
            _ => runs.push((it.key, i as u32, 1)),
        }
    }
    runs.par_sort_unstable_by_key(|r| r.0);
    if runs.par_windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    for &(_, a, n) in &runs {
        out.extend_from_slice(&items[a as usize..(a + n) as usize]);
    }
    Some(out)
}

/// Where two different string ids share a 64-bit hash, re-sorts their rows so each id's
/// rows are contiguous (by id text, then start). Vanishingly rare, but never silent.
/// Returns whether any did.
///
/// `same_prev` (per input row, may be empty) says which rows repeat the text of the row
/// before; rows joined by such a chain are one id without comparing their texts again, so
/// where a child's rows lie together in the input no text is read here.
fn separate_collisions(items: &mut [Item], ids: &dyn IdText, same_prev: &[bool]) -> bool {
    // Each row's first row of its chain of equal texts in input order.
    let chain: Vec<u32> = if same_prev.is_empty() {
        Vec::new()
    } else {
        let mut chain = Vec::with_capacity(same_prev.len());
        for (r, &same) in same_prev.iter().enumerate() {
            let head = if same && r > 0 {
                chain[r - 1]
            } else {
                r as u32
            };
            chain.push(head);
        }
        chain
    };
    let known_same = |a: u32, b: u32| !chain.is_empty() && chain[a as usize] == chain[b as usize];
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
            let head = items[a].row;
            let rest = &items[a + 1..b];
            if rest.iter().all(|it| known_same(head, it.row)) {
                return false;
            }
            let first = ids.text(head);
            rest.iter()
                .any(|it| !known_same(head, it.row) && ids.text(it.row) != first)
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
mod tests;
