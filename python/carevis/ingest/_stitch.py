"""Stitching episodes of many returns into one continuous history per child.

Vectorised over all children at once: rows are sorted by (child, start) with
numpy and every rule compares a row with the next row of the same child.

Rules, in order (each repair is reported against the row it changes):
1. rows with the same child and start: keep the latest submission (latest
   year, then file, then line); the others are ``duplicate_episode`` (same
   content), ``superseded_episode`` (other year) or ``duplicate_start``
   (same return, different content: an error);
2. ``overlap_clipped``: end after the next start -> end = next start (care continued);
3. ``open_episode_closed``: open episode followed by another -> closed at its start, X1;
4. ``rec_missing``: ended without REC -> X1 if the next starts that day, else unknown exit;
5. ``x1_gap_closed``: X1 with a gap -> end = next start;
6. ``x1_without_next``: X1 and no next episode -> ends there, lost to follow-up;
7. ``closed_at_year_end``: open, no next, and the council has later returns
   (so the child is in none of them) -> ends the day after its return's 31 March
   (the return says the child was looked after on that day), lost to follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ._dates import NULL_DAY
from ._rows import Rows

__all__ = ["Stitched", "stitch"]


@dataclass
class Stitched:
    idx: np.ndarray  # kept source rows, sorted by (child, start)
    decom: np.ndarray
    dec: np.ndarray  # NULL_DAY = open
    has_next: np.ndarray
    next_decom: np.ndarray
    rec_x1: np.ndarray  # care continues into the next episode
    rec_unknown: np.ndarray  # left care, reason unknown (-> Other exit)
    lost: np.ndarray  # the data lose the child here (-> Lost to follow-up)


def latest_in_groups(
    rows: np.ndarray, group: list[np.ndarray], minor: np.ndarray, content: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(order, last, dup, sup, conf) of `rows` grouped by `group` and led by their latest
    (`minor`, then row) row: in the Rust core when built, else in numpy."""
    try:
        from carevis._native import latest_in_groups as native
    except ImportError:
        return latest_numpy(rows, group, minor, content)

    def i64(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.int64)

    return native(i64(rows), [i64(g) for g in group], i64(minor), [i64(c) for c in content])


def latest_numpy(
    rows: np.ndarray, group: list[np.ndarray], minor: np.ndarray, content: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """numpy version of the Rust ``latest_in_groups``: `rows` sorted by (group columns,
    minor, row); in each group the last row leads and the others are duplicates,
    superseded or conflicting. Returns (order, last, dup, sup, conf)."""
    from .ssda903 import _pack, argsort_stable

    n = len(minor)
    order = rows[argsort_stable(_pack(*[g[rows] for g in group], minor[rows]))]
    last = np.ones(len(order), bool)
    if len(order):
        last[:-1] = np.logical_or.reduce([g[order][1:] != g[order][:-1] for g in group])
    follower = ~last
    if not follower.any():
        return order, last, *(np.zeros(n, bool) for _ in range(3))
    grp_end = np.flatnonzero(last)
    grp_id = np.cumsum(np.r_[False, last[:-1]])
    leader = order[grp_end[grp_id]]
    same = np.ones(len(order), bool)
    for c in content:
        same &= c[order] == c[leader]
    dup, sup, conf = classify_followers(n, order, follower, same, minor[order] != minor[leader])
    return order, last, dup, sup, conf


def classify_followers(
    n: int, order: np.ndarray, follower: np.ndarray, same: np.ndarray, other_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row (of n): a follower that duplicates its leader, one superseded by a later
    year, one conflicting with it in the same year."""
    dup = np.zeros(n, bool)
    dup[order[follower & same]] = True
    sup = np.zeros(n, bool)
    sup[order[follower & ~same & other_year]] = True
    conf = np.zeros(n, bool)
    conf[order[follower & ~same & ~other_year]] = True
    return dup, sup, conf


def stitch(
    ep: Rows,
    *,
    key: np.ndarray,
    decom: np.ndarray,
    dec: np.ndarray,
    year: np.ndarray,
    year_end: np.ndarray,
    la_max_year: np.ndarray,
    rec_is_x1: np.ndarray,
    rec_known: np.ndarray,
    rec_blank: np.ndarray,
    content: list[np.ndarray],
    raw_dec: pa.Array,
) -> Stitched:
    alive = np.flatnonzero(ep.alive)
    order, last, dup, sup, conf = latest_in_groups(alive, [key, decom], year, content)
    if dup.any() or sup.any() or conf.any():
        child = ep.t.column("CHILD").combine_chunks()
        ep.supersede(dup, "duplicate_episode", "CHILD", child)
        ep.supersede(
            sup,
            "superseded_episode",
            "DECOM",
            ep.t.column("DECOM").combine_chunks(),
            detail="a later return has this episode",
        )
        ep.reject(
            conf,
            "duplicate_start",
            "DECOM",
            ep.t.column("DECOM").combine_chunks(),
            detail="kept the last row",
        )
    idx = order[last]
    k = key[idx]
    s = decom[idx].copy()
    e = dec[idx].copy()
    x1 = rec_is_x1[idx].copy()
    known = rec_known[idx].copy()
    blank = rec_blank[idx]
    yr = year[idx]
    has_next = np.r_[k[1:] == k[:-1], False]
    nd = np.r_[s[1:], NULL_DAY]
    raw = raw_dec

    def rep(mask: np.ndarray, rule: str, detail: str = "") -> None:
        if mask.any():
            rows = idx[mask]
            ep.repair_idx(rows, rule, "DEC", raw.take(pa.array(rows)), detail)

    ov = (e != NULL_DAY) & has_next & (e > nd)
    rep(ov, "overlap_clipped", "end moved to the next start")
    e = np.where(ov, nd, e)
    x1 |= ov
    op = (e == NULL_DAY) & has_next
    rep(op, "open_episode_closed", "closed at the next start")
    e = np.where(op, nd, e)
    x1 |= op
    rm = blank & (e != NULL_DAY) & ~x1
    if rm.any():
        rows = idx[rm]
        ep.repair_idx(
            rows,
            "rec_missing",
            "REC",
            None,
            "X1 if the next episode starts that day, else reason unknown",
        )
    x1 |= rm & has_next & (e == nd)
    gap = x1 & has_next & (e < nd)
    rep(gap, "x1_gap_closed", "end moved to the next start")
    e = np.where(gap, nd, e)
    xn = x1 & ~has_next & (e != NULL_DAY)
    if xn.any():
        ep.repair_idx(
            idx[xn],
            "x1_without_next",
            "REC",
            pa.array(["X1"] * int(xn.sum())),
            "lost to follow-up",
        )
    x1 &= ~xn
    ye = (e == NULL_DAY) & ~has_next & (yr > 0) & (yr < la_max_year[idx])
    rep(ye, "closed_at_year_end", "the child is in no later return: lost to follow-up")
    e = np.where(ye, year_end[idx] + 1, e)
    x1 &= e != NULL_DAY
    lost = xn | ye
    unknown = (e != NULL_DAY) & ~x1 & ~known & ~lost
    return Stitched(idx, s, e, has_next, nd, x1, unknown, lost)
