"""The numpy statistics that ``carevis.distributed`` carried before it called the Rust
core, kept as the reference the Rust path is checked against: occupancy at each period
start as changes (children in a state at instant t when start <= t < end), and the
calendar they count on (weeks from Monday, quarters from January, years from 1 April)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from carevis import Journeys
from carevis.layout import standard_labels
from carevis.stats import Changes

MINUTES_PER_DAY = 1440
OPEN_END = 2**31 - 1


def period_index(minutes: np.ndarray, period: str) -> np.ndarray:
    days: np.ndarray = np.floor_divide(minutes.astype(np.int64), MINUTES_PER_DAY)
    if period == "day":
        return days
    if period == "week":
        weeks: np.ndarray = np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday
        return weeks
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if period == "month":
        return months
    if period == "quarter":
        return np.floor_divide(months, 3)
    return np.floor_divide(months - 3, 12)


def period_start(index: np.ndarray, period: str) -> np.ndarray:
    index = index.astype(np.int64)
    if period == "day":
        days = index
    elif period == "week":
        days = index * 7 - 3
    else:
        months = {"month": index, "quarter": index * 3, "year": index * 12 + 3}[period]
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    out: np.ndarray = days * MINUTES_PER_DAY
    return out


def first_start_at_or_after(minutes: np.ndarray, period: str) -> np.ndarray:
    k = period_index(minutes, period)
    out: np.ndarray = k + (minutes > period_start(k, period))
    return out


def changes(journeys: Journeys, period: str = "month") -> Changes:
    sp = journeys.spells()
    start, end, state = (
        sp["start"].astype(np.int64),
        sp["end"].astype(np.int64),
        sp["state"].astype(np.int64),
    )
    if len(start) == 0:
        none = np.zeros(0, np.int64)
        return Changes(journeys.states, none, none, none, 0, -1)
    closed = end != OPEN_END
    hi = int(max(start.max(), end[closed].max(initial=start.max())))
    a = first_start_at_or_after(start, period)
    b = np.where(
        closed,
        first_start_at_or_after(np.where(closed, end, start), period),
        np.iinfo(np.int64).max,
    )
    live = b > a  # present at one period start at least
    st = np.concatenate([state[live], state[live & closed]])
    ix = np.concatenate([a[live], b[live & closed]])
    dl = np.concatenate(
        [np.ones(int(live.sum()), np.int64), -np.ones(int((live & closed).sum()), np.int64)]
    )
    keys, inv = np.unique(np.stack([st, ix]), axis=1, return_inverse=True)
    total = np.bincount(inv.ravel(), weights=dl, minlength=keys.shape[1]).astype(np.int64)
    keep = total != 0
    return Changes(journeys.states, keys[0][keep], keys[1][keep], total[keep], int(start.min()), hi)


def occupancy_from_changes(parts: Sequence[Changes], period: str = "month") -> pa.Table:
    parts = [p for p in parts if p.hi >= p.lo]
    std = standard_labels()
    found = {s for p in parts for s in p.states}
    names = [s for s in std if s in found] + sorted(found - set(std))
    if not parts:
        return pa.table(
            {
                "period": pa.array([], pa.date32()),
                "state": pa.array([], pa.string()),
                "children": pa.array([], pa.int64()),
            }
        )
    lo, hi = min(p.lo for p in parts), max(p.hi for p in parts)
    first = int(first_start_at_or_after(np.array([lo]), period)[0])
    last = int(period_index(np.array([hi]), period)[0])
    n = max(last - first + 1, 0)
    diff = np.zeros((len(names), n + 1), np.int64)
    where = {s: i for i, s in enumerate(names)}
    for p in parts:
        remap = np.array([where[s] for s in p.states], np.int64)
        np.add.at(diff, (remap[p.state], np.clip(p.index - first, 0, n)), p.delta)
    counts = np.cumsum(diff[:, :n], axis=1)
    starts = period_start(np.arange(first, first + n), period) // MINUTES_PER_DAY
    return pa.table(
        {
            "period": pa.array(np.repeat(starts, len(names)).astype("datetime64[D]"), pa.date32()),
            "state": pa.array(np.tile(np.array(names, dtype=object), n), pa.string()),
            "children": pa.array(counts.T.ravel(), pa.int64()),
        }
    )
