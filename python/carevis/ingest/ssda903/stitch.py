"""Stitching episodes of many returns into one continuous history per child.

Vectorised over all children at once: rows are sorted by (child, start) in the
Rust core and every rule compares a row with the next row of the same child.

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

from .._dates import NULL_DAY
from .._rows import Rows
from .._sort import latest_in_groups

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
    _set_aside_repeats(ep, dup, sup, conf)
    idx = order[last]
    return _close(
        ep,
        idx,
        key=key,
        decom=decom,
        dec=dec,
        year=year,
        year_end=year_end,
        la_max_year=la_max_year,
        rec_is_x1=rec_is_x1,
        rec_known=rec_known,
        rec_blank=rec_blank,
        raw_dec=raw_dec,
    )


def _set_aside_repeats(ep: Rows, dup: np.ndarray, sup: np.ndarray, conf: np.ndarray) -> None:
    """Report the rows rule 1 sets aside: duplicates, superseded and conflicting rows."""
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


def _close(
    ep: Rows,
    idx: np.ndarray,
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
    raw_dec: pa.Array,
) -> Stitched:
    """Rules 2 to 7 on the kept rows `idx` (sorted by child, then start; an index array,
    so each column taken by it is a new array, changed here freely)."""
    k = key[idx]
    s = decom[idx]
    e = dec[idx]
    x1 = rec_is_x1[idx]
    known = rec_known[idx]
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
