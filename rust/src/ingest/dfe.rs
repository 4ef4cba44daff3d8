//! The DfE's SSDA903 rules on consecutive episodes of a child in one return (142, 501,
//! 431, 432, 437, 433, 388) and on a child's first episode against the header's birth
//! date (302), numbered as the DfE numbers them. Each is checked the way the DfE
//! validator (data-to-insight/csc-validator-be-903) checks it: episodes sorted by start
//! (a missing start last) within a child in a return, 433 by start and then end, 388
//! with a missing start first. `python/carevis/ingest/ssda903/dfe.py` works out the
//! per-row codes; its numpy reference is `tests/ingest/reference.py::dfe_sequence_rules`.
//!
//! Rows are grouped by a counting sort on the child-in-return key (a radix sort when the
//! keys are sparse); a child's few rows are then ordered in place, so no global sort by
//! date is needed.

use super::keys::argsort_stable;
use rayon::prelude::*;

/// RNE is S (a new period of care).
pub const RNE_S: u8 = 1;
/// RNE continues a period (P, L, T, U, B).
pub const RNE_CONT: u8 = 2;
/// REC ends a period of care (the codes of DfE 432).
pub const REC_LEFT: u8 = 4;
/// REC is E2 (died) or E15 (care taken over by another council).
pub const REC_E2_E15: u8 = 8;
/// REC is X1 (the episode ends, care continues).
pub const REC_X1: u8 = 16;
/// REC is not blank.
pub const REC_KNOWN: u8 = 32;
/// The row's CHILD is blank.
pub const CHILD_BLANK: u8 = 64;

/// The episode rows the rules look at.
pub struct Episodes<'a> {
    /// One integer per child in a return (rows of one child in one return share it).
    pub grp: &'a [i64],
    /// Start and end day numbers, `null` where blank or not a date.
    pub decom: &'a [i64],
    pub dec: &'a [i64],
    /// The `RNE_*`, `REC_*` and `CHILD_BLANK` bits of each row.
    pub flags: &'a [u8],
    /// The day number that stands for blank (larger than every date).
    pub null: i64,
}

/// Flagged rows per rule, each ascending. `h302`: header rows (of the header arrays
/// given) whose birth date is after their child's first episode starts; `e302` those
/// first episodes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Flagged {
    pub r142: Vec<u32>,
    pub r501: Vec<u32>,
    pub r431: Vec<u32>,
    pub r432: Vec<u32>,
    pub r437: Vec<u32>,
    pub r433: Vec<u32>,
    pub r388: Vec<u32>,
    pub h302: Vec<u32>,
    pub e302: Vec<u32>,
}

/// Rows grouped by `grp`: `order` (ascending key; input order within a group), the
/// groups' bounds in that order (first position of each group, then the length), and
/// a way to find a key's group.
struct Groups {
    order: Vec<u32>,
    bounds: Vec<usize>,
    find: Find,
}

enum Find {
    /// Dense keys: group of key `lo + v` is `order[first[v]..first[v + 1]]`.
    Dense { lo: i64, first: Vec<u32> },
    /// Sparse keys: each group's key, ascending (searched).
    Sparse { keys: Vec<i64> },
}

impl Groups {
    /// The rows of the group with key `k` (positions in `order`), if any.
    fn of(&self, k: i64) -> Option<(usize, usize)> {
        match &self.find {
            Find::Dense { lo, first } => {
                let v = usize::try_from(k.checked_sub(*lo)?).ok()?;
                let (a, b) = (*first.get(v)? as usize, *first.get(v + 1)? as usize);
                (b > a).then_some((a, b))
            }
            Find::Sparse { keys } => {
                let g = keys.binary_search(&k).ok()?;
                Some((self.bounds[g], self.bounds[g + 1]))
            }
        }
    }
}

fn grouped(grp: &[i64]) -> Groups {
    let n = grp.len();
    let (Some(&lo), Some(&hi)) = (grp.iter().min(), grp.iter().max()) else {
        let find = Find::Sparse { keys: Vec::new() };
        return Groups {
            order: Vec::new(),
            bounds: vec![0],
            find,
        };
    };
    let span = (hi as i128 - lo as i128 + 1) as u128;
    if span <= (4 * n + 1024) as u128 {
        // a counting sort: one pass to count, one to place
        let mut first = vec![0u32; span as usize + 1];
        for &g in grp {
            first[(g - lo) as usize + 1] += 1;
        }
        for i in 1..first.len() {
            first[i] += first[i - 1];
        }
        let mut at = first.clone();
        let mut order = vec![0u32; n];
        for (i, &g) in grp.iter().enumerate() {
            let c = &mut at[(g - lo) as usize];
            order[*c as usize] = i as u32;
            *c += 1;
        }
        let mut bounds: Vec<usize> = first
            .windows(2)
            .filter(|w| w[1] > w[0])
            .map(|w| w[0] as usize)
            .collect();
        bounds.push(n);
        let find = Find::Dense { lo, first };
        return Groups {
            order,
            bounds,
            find,
        };
    }
    let order = argsort_stable(grp);
    let mut bounds = Vec::with_capacity(n / 2 + 2);
    let mut keys = Vec::with_capacity(n / 2 + 2);
    for k in 0..n {
        let g = grp[order[k] as usize];
        if k == 0 || g != grp[order[k - 1] as usize] {
            bounds.push(k);
            keys.push(g);
        }
    }
    bounds.push(n);
    Groups {
        order,
        bounds,
        find: Find::Sparse { keys },
    }
}

/// Every rule over the episodes; `header_grp`/`header_dob` (same key, birth day number
/// or `null`) for 302.
pub fn sequence_rules(ep: &Episodes, header_grp: &[i64], header_dob: &[i64]) -> Flagged {
    let mut out = Flagged::default();
    let nul = ep.null;
    let mut gs = grouped(ep.grp);
    let bounds = std::mem::take(&mut gs.bounds);
    let lo = ep
        .decom
        .iter()
        .copied()
        .filter(|&d| d != nul)
        .min()
        .unwrap_or(0);
    // Children in pieces of about equal rows, each piece's rules on its own thread (the
    // flagged rows are sorted below, so the pieces' order does not matter).
    let want = (rayon::current_num_threads() * 8).max(1);
    let per = (ep.grp.len() / want).max(1024);
    let mut pieces = Vec::new();
    let mut rest = &mut gs.order[..];
    let mut b0 = 0;
    while b0 + 1 < bounds.len() {
        let mut b1 = b0 + 1;
        while b1 + 1 < bounds.len() && bounds[b1] - bounds[b0] < per {
            b1 += 1;
        }
        let (piece, r) = std::mem::take(&mut rest).split_at_mut(bounds[b1] - bounds[b0]);
        pieces.push((&bounds[b0..=b1], piece));
        rest = r;
        b0 = b1;
    }
    let found: Vec<Flagged> = pieces
        .into_par_iter()
        .map(|(bs, piece)| {
            let mut out = Flagged::default();
            let mut buf: Vec<u32> = Vec::new();
            for w in bs.windows(2) {
                let g = &mut piece[w[0] - bs[0]..w[1] - bs[0]];
                group_rules(ep, g, lo, &mut buf, &mut out);
            }
            out
        })
        .collect();
    for f in found {
        out.r142.extend(f.r142);
        out.r501.extend(f.r501);
        out.r431.extend(f.r431);
        out.r432.extend(f.r432);
        out.r437.extend(f.r437);
        out.r433.extend(f.r433);
        out.r388.extend(f.r388);
    }
    gs.bounds = bounds;
    rule_302(ep, &gs, header_grp, header_dob, &mut out);
    for v in [
        &mut out.r142,
        &mut out.r501,
        &mut out.r431,
        &mut out.r432,
        &mut out.r437,
        &mut out.r433,
        &mut out.r388,
        &mut out.h302,
        &mut out.e302,
    ] {
        v.sort_unstable();
        v.dedup();
    }
    out
}

/// 142, 501, 431, 432, 437, 433 and 388 on one child-in-return's rows `g` (ordered in
/// place by start); `buf` is scratch.
fn group_rules(ep: &Episodes, g: &mut [u32], lo: i64, buf: &mut Vec<u32>, out: &mut Flagged) {
    let nul = ep.null;
    if g.len() > 1 {
        // by start, a missing start (null, the largest) last, then row
        let start = |i: &u32| ep.decom[*i as usize];
        if g.windows(2).any(|w| start(&w[0]) > start(&w[1])) {
            g.sort_by_key(start);
        }
        pairs(ep, g, out);
        // 433 breaks ties of start by end: another order only where starts tie
        if g.windows(2).any(|w| start(&w[0]) == start(&w[1])) {
            buf.clear();
            buf.extend_from_slice(g);
            buf.sort_by_key(|&i| (ep.decom[i as usize], ep.dec[i as usize]));
            rule_433(ep, buf, out);
        } else {
            rule_433(ep, g, out);
        }
        // 388 puts a missing start first: another order only where one is missing
        if start(&g[g.len() - 1]) == nul {
            buf.clear();
            buf.extend_from_slice(g);
            buf.sort_by_key(|&i| match ep.decom[i as usize] {
                d if d == nul => lo - 1,
                d => d,
            });
            rule_388(ep, buf, lo, out);
        } else {
            rule_388(ep, g, lo, out);
        }
    } else {
        rule_388(ep, g, lo, out);
    }
}

/// 142, 501, 431, 432, 437 on each pair of a child's rows sorted by start.
fn pairs(ep: &Episodes, g: &[u32], out: &mut Flagged) {
    let nul = ep.null;
    for p in g.windows(2) {
        let (a, b) = (p[0] as usize, p[1] as usize);
        let (fa, fb) = (ep.flags[a], ep.flags[b]);
        let (sa, ea, sb) = (ep.decom[a], ep.dec[a], ep.decom[b]);
        if (ea == nul || fa & REC_KNOWN == 0) && fa & CHILD_BLANK == 0 && sa != nul {
            out.r142.push(a as u32);
        }
        if ea != nul && sb < ea {
            out.r501.push(b as u32);
        }
        if fb & RNE_S != 0 && ea != nul && sb != nul && sb <= ea {
            out.r431.push(b as u32);
        }
        if fa & REC_LEFT != 0 && fb & RNE_S == 0 {
            out.r432.push(b as u32);
        }
        if sa != nul && fa & REC_E2_E15 != 0 {
            out.r437.push(a as u32);
        }
    }
}

/// 433: a continuing RNE whose start is not the previous episode's end (sorted by
/// start, then end).
fn rule_433(ep: &Episodes, g: &[u32], out: &mut Flagged) {
    let nul = ep.null;
    for p in g.windows(2) {
        let (a, b) = (p[0] as usize, p[1] as usize);
        let (ea, sb) = (ep.dec[a], ep.decom[b]);
        if ep.flags[b] & RNE_CONT != 0 && (ea != sb || ea == nul || sb == nul) {
            out.r433.push(b as u32);
        }
    }
}

/// 388: REC X1 with the next episode not starting on its end, another REC with it
/// starting on the end, or the last episode ending X1 (a missing start sorted first,
/// read as the day before the earliest start).
fn rule_388(ep: &Episodes, g: &[u32], lo: i64, out: &mut Flagged) {
    let nul = ep.null;
    for (k, &r) in g.iter().enumerate() {
        let r = r as usize;
        let (f, e) = (ep.flags[r], ep.dec[r]);
        if e == nul {
            continue;
        }
        let x1 = f & REC_X1 != 0;
        let bad = match g.get(k + 1) {
            Some(&nx) => {
                let s = match ep.decom[nx as usize] {
                    d if d == nul => lo - 1,
                    d => d,
                };
                (x1 && e != s) || (!x1 && f & REC_KNOWN != 0 && e == s)
            }
            None => x1,
        };
        if bad {
            out.r388.push(r as u32);
        }
    }
}

/// 302: the birth date is after the start of the child's first episode in the return.
fn rule_302(ep: &Episodes, gs: &Groups, header_grp: &[i64], header_dob: &[i64], out: &mut Flagged) {
    let nul = ep.null;
    for (h, (&hg, &dob)) in header_grp.iter().zip(header_dob).enumerate() {
        if dob == nul {
            continue;
        }
        let Some((a, _)) = gs.of(hg) else {
            continue;
        };
        let first = gs.order[a] as usize;
        let s = ep.decom[first];
        if s != nul && dob > s {
            out.h302.push(h as u32);
            out.e302.push(first as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: i64 = i32::MAX as i64;

    #[test]
    fn grouped_by_counting_and_by_radix_agree() {
        let dense = [3i64, 1, 3, 2, 1];
        let d = grouped(&dense);
        assert_eq!(d.order, vec![1, 4, 3, 0, 2]);
        assert_eq!(d.bounds, vec![0, 2, 3, 5]);
        let sparse = [3i64 << 40, 1, 3 << 40, 2, 1];
        let s = grouped(&sparse);
        assert_eq!(s.order, d.order);
        assert_eq!(s.bounds, d.bounds);
        for (k, want) in [(1, Some((0, 2))), (2, Some((2, 3))), (0, None), (4, None)] {
            assert_eq!(d.of(k), want);
        }
        assert_eq!(s.of(3 << 40), Some((3, 5)));
        assert_eq!(s.of(3), None);
    }

    #[test]
    fn each_rule_flags_its_row() {
        // child 0: S 1..10 (REC E4A), then S 5..N (blank REC): 501, 431 (overlap),
        // 432 is not (second is S); child 1: P 1..10 X1, P 12.. : 433 and 388.
        let grp = [0i64, 0, 1, 1];
        let decom = [1i64, 5, 1, 12];
        let dec = [10i64, N, 10, N];
        let flags = [
            RNE_S | REC_LEFT | REC_KNOWN,
            RNE_S,
            RNE_CONT | REC_X1 | REC_KNOWN,
            RNE_CONT,
        ];
        let ep = Episodes {
            grp: &grp,
            decom: &decom,
            dec: &dec,
            flags: &flags,
            null: N,
        };
        let f = sequence_rules(&ep, &[1, 0], &[3, 0]);
        assert_eq!(f.r501, vec![1]);
        assert_eq!(f.r431, vec![1]);
        assert!(f.r432.is_empty() && f.r142.is_empty() && f.r437.is_empty());
        assert_eq!(f.r433, vec![3]);
        assert_eq!(f.r388, vec![2]);
        assert_eq!((f.h302, f.e302), (vec![0], vec![2]));
    }
}
