"""Sorting and grouping kernels shared by the stages, run in the Rust core: a stable
argsort, packed sort keys, and the latest row of each group (duplicates, superseded
and conflicting rows beside it)."""

from __future__ import annotations

import numpy as np

from carevis import _native

__all__ = ["argsort_stable", "first_of_each", "latest_in_groups", "pack"]


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def argsort_stable(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")``, in parallel in the Rust core."""
    return np.asarray(_native.argsort_stable(_i64(keys)))


def first_of_each(keys: np.ndarray) -> np.ndarray:
    """Where each distinct key first occurs, ordered by key: ``np.unique(keys,
    return_index=True)[1]``. Dense non-negative keys (child keys) by the smallest row
    per key, in one pass; others by the core's parallel stable sort."""
    keys = _i64(keys)
    m = len(keys)
    if not m:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if lo >= 0 and hi < 4 * m + 1024:
        first = np.full(hi + 1, m, dtype=np.int64)
        np.minimum.at(first, keys, np.arange(m, dtype=np.int64))
        return first[first < m]
    order = argsort_stable(keys)
    k = keys[order]
    return order[np.r_[True, k[1:] != k[:-1]]]


def pack(*cols: np.ndarray) -> np.ndarray:
    """One int64 sort key from small non-negative-ish int columns (lexicographic)."""
    out = np.zeros(len(cols[0]), dtype=np.int64)
    for c in cols:
        c = np.asarray(c, dtype=np.int64)
        lo = int(c.min()) if len(c) else 0
        span = (int(c.max()) - lo + 1) if len(c) else 1
        out = out * span + (c - lo)
    return out


def latest_in_groups(
    rows: np.ndarray, group: list[np.ndarray], minor: np.ndarray, content: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(order, last, dup, sup, conf) of `rows` grouped by `group` and led by their latest
    (`minor`, then row) row: `order` sorts `rows` by (group, minor, row), `last` marks
    each group's leader, and per row (of ``len(minor)``) a follower that duplicates its
    leader (`dup`), one superseded by a later year (`sup`), one conflicting with it in
    the same year (`conf`)."""
    return _native.latest_in_groups(
        _i64(rows), [_i64(g) for g in group], _i64(minor), [_i64(c) for c in content]
    )
