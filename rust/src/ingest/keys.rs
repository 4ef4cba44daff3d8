//! Child keys and sort orders for ingest: the per-row work of stitching returns.

use std::collections::HashMap;
use std::fmt::Write;

use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

/// Rows per piece of the parallel passes of [`latest_in_groups`].
const PIECE: usize = 1 << 14;

/// One table's council and child columns, dictionary-coded: per row a code into the
/// values (-1 = null).
pub struct IdColumns<'a> {
    pub la_codes: &'a [i32],
    pub la_values: &'a [&'a str],
    pub child_codes: &'a [i32],
    pub child_values: &'a [&'a str],
}

/// Children across tables: per row a key (equal keys = same child), per row whether
/// CHILD was blank, and per key its id text `LA-CHILD`.
#[derive(Debug)]
pub struct ChildKeys {
    pub keys: Vec<i64>,
    pub blank: Vec<bool>,
    pub ids: arrow_array::StringArray,
}

/// Each dictionary entry's id in `map` of trimmed text (`u32::MAX` = blank).
fn intern<'a>(
    values: &[&'a str],
    map: &mut HashMap<&'a str, u32, FxBuildHasher>,
    text: &mut Vec<&'a str>,
) -> Vec<u32> {
    values
        .iter()
        .map(|v| {
            let v = v.trim();
            if v.is_empty() {
                return u32::MAX;
            }
            *map.entry(v).or_insert_with(|| {
                text.push(v);
                (text.len() - 1) as u32
            })
        })
        .collect()
}

/// Keys children by trimmed council and child text, in order of first appearance over
/// the tables' rows. A null or blank council reads as `unknown_la`.
pub fn child_keys<'a>(tables: &[IdColumns<'a>], unknown_la: &str) -> ChildKeys {
    let mut la_ids: HashMap<&'a str, u32, FxBuildHasher> = HashMap::default();
    let mut la_text: Vec<&'a str> = Vec::new();
    let mut child_ids: HashMap<&'a str, u32, FxBuildHasher> = HashMap::default();
    let mut child_text: Vec<&'a str> = Vec::new();
    // Nearly every child appears with one council: its first council and key sit in
    // arrays by child id, and only other (child, council) pairs go through a hash map.
    let mut first: Vec<(u32, u32)> = Vec::new(); // (council, key); u32::MAX = none yet
    let mut blank_key: HashMap<u32, u32, FxBuildHasher> = HashMap::default();
    let mut pairs: HashMap<u64, u32, FxBuildHasher> = HashMap::default();
    let mut ids: Vec<(u32, u32)> = Vec::new(); // (council, child) per key
    let n: usize = tables.iter().map(|t| t.child_codes.len()).sum();
    let mut keys = Vec::with_capacity(n);
    let mut blank = Vec::with_capacity(n);
    for t in tables {
        let la_g = intern(t.la_values, &mut la_ids, &mut la_text);
        let ch_g = intern(t.child_values, &mut child_ids, &mut child_text);
        first.resize(child_text.len(), (u32::MAX, u32::MAX));
        for (&la, &ch) in t.la_codes.iter().zip(t.child_codes) {
            let l = usize::try_from(la)
                .ok()
                .and_then(|i| la_g.get(i))
                .copied()
                .unwrap_or(u32::MAX);
            let c = usize::try_from(ch)
                .ok()
                .and_then(|i| ch_g.get(i))
                .copied()
                .unwrap_or(u32::MAX);
            blank.push(c == u32::MAX);
            let next = ids.len() as u32;
            let key = if c == u32::MAX {
                *blank_key.entry(l).or_insert(next)
            } else {
                let f = &mut first[c as usize];
                if f.0 == l {
                    f.1
                } else if f.0 == u32::MAX {
                    *f = (l, next);
                    next
                } else {
                    *pairs
                        .entry((u64::from(c) << 32) | u64::from(l))
                        .or_insert(next)
                }
            };
            if key == next {
                ids.push((l, c));
            }
            keys.push(i64::from(key));
        }
    }
    let mut text = arrow_array::builder::StringBuilder::with_capacity(ids.len(), ids.len() * 16);
    for (l, c) in ids {
        let la_s = la_text.get(l as usize).copied().unwrap_or(unknown_la);
        let ch_s = child_text.get(c as usize).copied().unwrap_or("");
        text.write_str(la_s).ok();
        text.write_str("-").ok();
        text.write_str(ch_s).ok();
        text.append_value("");
    }
    let ids = text.finish();
    ChildKeys { keys, blank, ids }
}

/// The stable sort order of `keys` (equal keys keep their input order): an LSD radix
/// sort of 11-bit digits over the bits the keys' range needs.
pub fn argsort_stable(keys: &[i64]) -> Vec<u32> {
    const BITS: u32 = 11;
    let Some(&min) = keys.iter().min() else {
        return Vec::new();
    };
    // Offsets from the minimum keep the order and start at 0.
    let mut a: Vec<(u64, u32)> = keys
        .iter()
        .zip(0u32..)
        .map(|(&k, i)| ((k as u64).wrapping_sub(min as u64), i))
        .collect();
    let max = a.iter().map(|p| p.0).max().unwrap_or(0);
    let passes = (64 - max.leading_zeros()).div_ceil(BITS);
    let mut b = vec![(0u64, 0u32); a.len()];
    let mut counts = vec![0usize; 1 << BITS];
    for p in 0..passes {
        let shift = p * BITS;
        let digit = |k: u64| ((k >> shift) & ((1 << BITS) - 1)) as usize;
        counts.fill(0);
        for x in &a {
            counts[digit(x.0)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = sum;
            sum += here;
        }
        for x in &a {
            let d = digit(x.0);
            b[counts[d]] = *x;
            counts[d] += 1;
        }
        std::mem::swap(&mut a, &mut b);
    }
    a.into_iter().map(|(_, i)| i).collect()
}

/// Rows grouped by equal `group` columns, each group's latest row (largest `minor`, then
/// last row) its leader, and every other row classified against it.
#[derive(Debug, PartialEq)]
pub struct Latest {
    /// `rows` sorted by (group, minor, row).
    pub order: Vec<u32>,
    /// Per position in `order`: the last of its group (the leader).
    pub last: Vec<bool>,
    /// Per input row (of `n`): a follower with the leader's content (a duplicate), with
    /// other content and another `minor` (superseded), or other content and the same
    /// `minor` (a conflict).
    pub dup: Vec<bool>,
    pub sup: Vec<bool>,
    pub conf: Vec<bool>,
}

/// Packs columns (each offset by its minimum) into one sort key per row of `rows`,
/// lexicographic in the columns' order; None if they need more than 63 bits.
fn pack(rows: &[u32], cols: &[&[i64]]) -> Option<Vec<u64>> {
    let mut spans = Vec::with_capacity(cols.len());
    let mut bits = 0u32;
    for c in cols {
        let (lo, hi) = rows
            .iter()
            .map(|&r| c[r as usize])
            .fold((i64::MAX, i64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let span = (hi as i128 - lo as i128).max(0) as u128 + 1;
        bits += 128 - (span - 1).leading_zeros().min(127);
        spans.push((lo, span as u64));
    }
    if bits > 63 {
        return None;
    }
    Some(
        rows.iter()
            .map(|&r| {
                spans.iter().zip(cols).fold(0u64, |acc, (&(lo, span), c)| {
                    acc * span + (c[r as usize] as i128 - lo as i128) as u64
                })
            })
            .collect(),
    )
}

/// `rows` counting-sorted by `key` (stable) with each key's start, when the keys are
/// small non-negative integers (at most one more than there are rows).
fn dense_buckets(rows: &[u32], key: Option<&[i64]>) -> Option<(Vec<usize>, Vec<u32>)> {
    let key = key?;
    let max = rows.iter().map(|&r| key[r as usize]).max()?;
    let min = rows.iter().map(|&r| key[r as usize]).min()?;
    if min < 0 || max as u64 > rows.len() as u64 {
        return None;
    }
    let k = max as usize + 1;
    let mut starts = vec![0usize; k + 1];
    for &r in rows {
        starts[key[r as usize] as usize + 1] += 1;
    }
    for i in 0..k {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut out = vec![0u32; rows.len()];
    for &r in rows {
        let b = key[r as usize] as usize;
        out[next[b]] = r;
        next[b] += 1;
    }
    Some((starts, out))
}

/// See [`Latest`]. `rows` must be ascending (ties keep row order); every column has one
/// entry per input row (`n` of them).
pub fn latest_in_groups(
    n: usize,
    rows: &[u32],
    group: &[&[i64]],
    minor: &[i64],
    content: &[&[i64]],
) -> Latest {
    let mut cols: Vec<&[i64]> = group.to_vec();
    cols.push(minor);
    let by_cols = |a: &u32, b: &u32| {
        cols.iter()
            .map(|c| c[*a as usize].cmp(&c[*b as usize]))
            .find(|x| x.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let order: Vec<u32> = match dense_buckets(rows, group.first().copied()) {
        // Keys 0..k (child keys): a counting sort by key, then each child's few rows
        // sorted by the other columns.
        Some((starts, mut o)) => {
            // Children in pieces of about `PIECE` rows, sorted in parallel.
            let mut pieces = Vec::new();
            let mut rest = &mut o[..];
            let mut b0 = 0;
            while b0 + 1 < starts.len() {
                let mut b1 = b0 + 1;
                while b1 + 1 < starts.len() && starts[b1] - starts[b0] < PIECE {
                    b1 += 1;
                }
                let (piece, r) = std::mem::take(&mut rest).split_at_mut(starts[b1] - starts[b0]);
                pieces.push((&starts[b0..=b1], piece));
                rest = r;
                b0 = b1;
            }
            pieces.into_par_iter().for_each(|(bs, piece)| {
                for w in bs.windows(2) {
                    let b = &mut piece[w[0] - bs[0]..w[1] - bs[0]];
                    if b.len() > 1 {
                        b.sort_by(by_cols); // stable: ties keep row order
                    }
                }
            });
            o
        }
        None => match pack(rows, &cols) {
            Some(keys) => {
                let signed: Vec<i64> = keys.into_iter().map(|k| k as i64).collect();
                argsort_stable(&signed)
                    .into_iter()
                    .map(|i| rows[i as usize])
                    .collect()
            }
            None => {
                let mut o = rows.to_vec();
                o.sort_by(by_cols);
                o
            }
        },
    };
    let same_group = |a: u32, b: u32| group.iter().all(|c| c[a as usize] == c[b as usize]);
    // Pieces of `order` that start at a group's first row, classified in parallel:
    // per position LEADER, DUP, SUP or CONF.
    const LEADER: u8 = 0;
    const DUP: u8 = 1;
    const SUP: u8 = 2;
    const CONF: u8 = 3;
    let m = order.len();
    let mut cuts = vec![0usize];
    let mut p = PIECE;
    while p < m {
        while p < m && same_group(order[p - 1], order[p]) {
            p += 1;
        }
        if p < m {
            cuts.push(p);
        }
        p += PIECE;
    }
    cuts.push(m);
    let kinds: Vec<Vec<u8>> = cuts
        .par_windows(2)
        .map(|w| {
            let part = &order[w[0]..w[1]];
            let mut kind = vec![LEADER; part.len()];
            let mut s = 0;
            while s < part.len() {
                let mut e = s + 1;
                while e < part.len() && same_group(part[s], part[e]) {
                    e += 1;
                }
                let leader = part[e - 1] as usize;
                for (k, &r) in kind[s..e - 1].iter_mut().zip(&part[s..e - 1]) {
                    let r = r as usize;
                    *k = if content.iter().all(|c| c[r] == c[leader]) {
                        DUP
                    } else if minor[r] != minor[leader] {
                        SUP
                    } else {
                        CONF
                    };
                }
                s = e;
            }
            kind
        })
        .collect();
    let mut last = Vec::with_capacity(m);
    let (mut dup, mut sup, mut conf) = (vec![false; n], vec![false; n], vec![false; n]);
    for (&r, k) in order.iter().zip(kinds.into_iter().flatten()) {
        last.push(k == LEADER);
        match k {
            DUP => dup[r as usize] = true,
            SUP => sup[r as usize] = true,
            CONF => conf[r as usize] = true,
            _ => {}
        }
    }
    Latest {
        order,
        last,
        dup,
        sup,
        conf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_children_by_trimmed_council_and_id_in_first_seen_order() {
        let t1 = IdColumns {
            la_codes: &[0, 0, 1, -1, 0],
            la_values: &["E1", " E2 "],
            child_codes: &[0, 1, 0, 0, -1],
            child_values: &["7", " 8"],
        };
        let t2 = IdColumns {
            la_codes: &[0, 0, 0],
            la_values: &["E2"],
            child_codes: &[0, 1, 2],
            child_values: &["7 ", "9", "  "],
        };
        let k = child_keys(&[t1, t2], "unknown");
        assert_eq!(k.keys, vec![0, 1, 2, 3, 4, 2, 5, 6]);
        assert_eq!(
            k.blank,
            vec![false, false, false, false, true, false, false, true]
        );
        let ids: Vec<&str> = k.ids.iter().map(|v| v.unwrap_or("?")).collect();
        assert_eq!(
            ids,
            vec!["E1-7", "E1-8", "E2-7", "unknown-7", "E1-", "E2-9", "E2-"]
        );
    }

    #[test]
    fn argsort_is_stable() {
        let keys = [5i64, 1, 5, -2, 1, 5];
        assert_eq!(argsort_stable(&keys), vec![3, 1, 4, 0, 2, 5]);
        let mut h = 1u64;
        for span in [1i64, 300, 1 << 20, 1 << 45, i64::MAX] {
            let keys: Vec<i64> = (0..50_000)
                .map(|_| {
                    h = crate::columns::mix64(h);
                    (h as i64 % span).wrapping_sub(span / 3)
                })
                .collect();
            let order = argsort_stable(&keys);
            let mut want: Vec<u32> = (0..keys.len() as u32).collect();
            want.sort_by_key(|&i| keys[i as usize]); // std's sort_by_key is stable
            assert_eq!(order, want, "span {span}");
        }
        assert_eq!(argsort_stable(&[i64::MAX, i64::MIN, 0]), vec![1, 2, 0]);
    }

    #[test]
    fn latest_in_groups_leads_with_the_latest_and_classifies_the_rest() {
        // rows: (child, start, year, content)
        let child = [1i64, 1, 1, 2, 2, 1, 3];
        let start = [10i64, 10, 10, 5, 5, 20, 7];
        let year = [2019i64, 2020, 2020, 2020, 2020, 2020, 2021];
        let content = [7i64, 7, 8, 1, 1, 3, 4];
        let rows: Vec<u32> = (0..7).collect();
        let g = latest_in_groups(7, &rows, &[&child, &start], &year, &[&content]);
        assert_eq!(g.order, vec![0, 1, 2, 5, 3, 4, 6]);
        assert_eq!(g.last, vec![false, false, true, true, false, true, true]);
        // Group (1, 10): leader row 2 (2020, last); row 1 same year other content ->
        // conflict; row 0 other year, other content -> superseded.
        assert_eq!(g.conf, vec![false, true, false, false, false, false, false]);
        assert_eq!(g.sup, vec![true, false, false, false, false, false, false]);
        // Group (2, 5): row 3 duplicates row 4.
        assert_eq!(g.dup, vec![false, false, false, true, false, false, false]);
        // Only some rows, and the wide-key fallback gives the same.
        let some = [1u32, 2, 3, 4];
        let a = latest_in_groups(7, &some, &[&child, &start], &year, &[&content]);
        let wide = [i64::MIN, 0, 0, 5, 5, 0, i64::MAX];
        let b = latest_in_groups(7, &rows, &[&child, &start, &wide], &year, &[&content]);
        assert_eq!(a.order, vec![1, 2, 3, 4]);
        assert!(a.conf[1]);
        assert_eq!(b.order, vec![0, 1, 2, 5, 3, 4, 6]);
        assert_eq!(b.dup, g.dup);
    }

    #[test]
    fn latest_in_groups_same_by_counting_sort_and_by_radix() {
        let mut h = 9u64;
        let n = 5000;
        let mut col = |m: u64| -> Vec<i64> {
            (0..n)
                .map(|_| {
                    h = crate::columns::mix64(h);
                    (h % m) as i64
                })
                .collect()
        };
        let (key, start, year, c1) = (col(700), col(5), col(3), col(2));
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 7 != 3).collect();
        let dense = latest_in_groups(n, &rows, &[&key, &start], &year, &[&c1]);
        // The same keys shifted negative take the packed radix path.
        let neg: Vec<i64> = key.iter().map(|k| k - 1_000).collect();
        let packed = latest_in_groups(n, &rows, &[&neg, &start], &year, &[&c1]);
        assert_eq!(dense, packed);
        assert!(dense.dup.iter().any(|&d| d) && dense.conf.iter().any(|&d| d));
    }
}
