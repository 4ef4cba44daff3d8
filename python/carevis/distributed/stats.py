"""Journey statistics over a partitioned dataset too large for memory, one part at a time:
occupancy counted as changes per part and summed, transitions counted per part and summed
(on a Dask client's workers, or one part after another in this process).

Moved verbatim from the old ``distributed.py``; see issue 16 for their rewrite on the Rust
statistics."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .._time import MINUTES_PER_DAY
from ..errors import ConfigError, DataError
from ..journeys import Journeys, OnError
from ..layout import standard_labels
from .cluster import DEFAULT_TIMEOUT, _dask, _results
from .partition import child_hash, partitions

PERIODS = ("day", "week", "month", "quarter", "year")
OPEN_END = 2**31 - 1


def _period_index(minutes: np.ndarray, period: str) -> np.ndarray:
    """The number (since 1970) of the period containing each time. Weeks start on Monday,
    quarters on 1 January, April, July and October, years on 1 April (the statistical
    year to 31 March)."""
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


def _period_start(index: np.ndarray, period: str) -> np.ndarray:
    """The first minute of each numbered period."""
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


def _first_start_at_or_after(minutes: np.ndarray, period: str) -> np.ndarray:
    k = _period_index(minutes, period)
    return k + (minutes > _period_start(k, period))


@dataclass
class Changes:
    """Occupancy as changes: ``delta[i]`` children enter (+) or leave (-) state
    ``states[state[i]]`` at the start of period ``index[i]``; the data spans minutes
    ``lo..hi``. Changes from several parts add up."""

    states: list[str]
    state: np.ndarray
    index: np.ndarray
    delta: np.ndarray
    lo: int
    hi: int


def changes(journeys: Journeys, period: str = "month") -> Changes:
    """Occupancy changes of one set of journeys (see :class:`Changes`)."""
    if period not in PERIODS:
        raise ConfigError(f"unknown period {period!r}: use {', '.join(PERIODS)}")
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
    a = _first_start_at_or_after(start, period)
    b = np.where(
        closed,
        _first_start_at_or_after(np.where(closed, end, start), period),
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


def _state_order(names: set[str]) -> list[str]:
    std = standard_labels()
    return [s for s in std if s in names] + sorted(names - set(std))


def occupancy_from_changes(parts: Sequence[Changes], period: str = "month") -> pa.Table:
    """Sums per-part occupancy changes into the occupancy table (see :func:`occupancy`)."""
    parts = [p for p in parts if p.hi >= p.lo]
    names = _state_order({s for p in parts for s in p.states})
    if not parts:
        return pa.table(
            {
                "period": pa.array([], pa.date32()),
                "state": pa.array([], pa.string()),
                "children": pa.array([], pa.int64()),
            }
        )
    lo, hi = min(p.lo for p in parts), max(p.hi for p in parts)
    first = int(_first_start_at_or_after(np.array([lo]), period)[0])
    last = int(_period_index(np.array([hi]), period)[0])
    n = max(last - first + 1, 0)
    diff = np.zeros((len(names), n + 1), np.int64)
    where = {s: i for i, s in enumerate(names)}
    for p in parts:
        remap = np.array([where[s] for s in p.states], np.int64)
        np.add.at(diff, (remap[p.state], np.clip(p.index - first, 0, n)), p.delta)
    counts = np.cumsum(diff[:, :n], axis=1)
    starts = _period_start(np.arange(first, first + n), period) // MINUTES_PER_DAY
    return pa.table(
        {
            "period": pa.array(np.repeat(starts, len(names)).astype("datetime64[D]"), pa.date32()),
            "state": pa.array(np.tile(np.array(names, dtype=object), n), pa.string()),
            "children": pa.array(counts.T.ravel(), pa.int64()),
        }
    )


def count_occupancy(journeys: Journeys, period: str = "month") -> pa.Table:
    """In memory: children in each state at the start of each period (see :func:`occupancy`)."""
    return occupancy_from_changes([changes(journeys, period)], period)


def part_changes(path: str, period: str, on_error: OnError) -> tuple[Changes, np.ndarray]:
    """Runs on a worker: reads one part, indexes it, and counts its occupancy changes.
    Also returns the hashes of its children (see :func:`check_whole_children`)."""
    from ..io import read

    journeys = read(path, on_error=on_error)
    return changes(journeys, period), _child_hashes(journeys)


def _child_hashes(journeys: Journeys) -> np.ndarray:
    return np.unique(child_hash(journeys.child_ids))


def check_whole_children(path: str | os.PathLike[str], hashes: Sequence[np.ndarray]) -> None:
    """Refuses parts that split a child: per-part statistics (transitions above all) are
    right only when each child's spells are all in one part. ``hashes``: each part's
    distinct child hashes. The error counts the children affected (it names none)."""
    if len(hashes) < 2:
        return
    _, seen = np.unique(np.concatenate(hashes), return_counts=True)
    split = int((seen > 1).sum())
    if split:
        raise DataError(
            f"{path}: {split:,} children have spells in more than one of its "
            f"{len(hashes)} parts (files); statistics counted part by part would be wrong. "
            "Keep each child's spells in one part: carevis.distributed.partition_by_child "
            "writes such a dataset (or read it whole with carevis.read)"
        )


def _gather(
    client: Any, fn: Any, parts: list[str], timeout: float, retries: int, **kw: Any
) -> list[Any]:
    """``fn(part, **kw)`` for each part: in this process, or on ``client``'s workers."""
    if client is None:
        return [fn(p, **kw) for p in parts]
    futures = client.map(fn, parts, **kw, retries=retries, pure=False)
    try:
        found = dict(_results(client, futures, timeout))
        return [found[i] for i in range(len(parts))]
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futures)


def occupancy(
    path: str | os.PathLike[str],
    client: Any = None,
    period: str = "month",
    *,
    on_error: OnError = "raise",
    retries: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
) -> pa.Table:
    """Children in each state at the start of each period (``day``, ``week`` from Monday,
    ``month``, ``quarter`` or ``year`` from 1 April) over a partitioned dataset (see
    :func:`partition_by_child`), counted part by part on the workers of ``client`` and
    summed. With ``client=None`` the parts are counted one after another in this process
    (no dask needed).

    Returns a table: ``period`` (date of the period's first day), ``state``, ``children``,
    one row per period and state, periods from the first starting within the data to the
    one holding its last date. Equals :func:`count_occupancy` of the whole data."""
    if period not in PERIODS:
        raise ConfigError(f"unknown period {period!r}: use {', '.join(PERIODS)}")
    if client is not None:
        _dask()
    parts = [os.path.abspath(p) for p in partitions(path)]
    found = _gather(client, part_changes, parts, timeout, retries, period=period, on_error=on_error)
    check_whole_children(path, [h for _, h in found])
    return occupancy_from_changes([c for c, _ in found], period)


def _data_range(parts: Sequence[str]) -> tuple[dt.date, dt.date]:  # parts: folders or files
    """Earliest start and latest known date over every part (one pass over two columns)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    tables = [ds.dataset(p, format="parquet").to_table(columns=["start", "end"]) for p in parts]
    t = pa.concat_tables(tables, promote_options="permissive")
    lo = pc.min(t.column("start")).as_py()
    hi = max(v for v in (pc.max(t.column("start")).as_py(), pc.max(t.column("end")).as_py()) if v)
    return _as_date(lo), _as_date(hi)


def _as_date(v: Any) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def part_transitions(
    path: str, freq: str, start: dt.date, end: dt.date, on_error: OnError
) -> tuple[pa.Table, np.ndarray]:
    """Runs on a worker: reads one part, indexes it, and counts its transitions. Also
    returns the hashes of its children (see :func:`check_whole_children`)."""
    from .. import stats
    from ..io import read

    journeys = read(path, on_error=on_error)
    t = stats.transitions(journeys, freq, start=start, end=end)  # type: ignore[arg-type]
    return t.drop(["probability"]), _child_hashes(journeys)


def transitions(
    path: str | os.PathLike[str],
    client: Any = None,
    freq: str = "year",
    *,
    on_error: OnError = "raise",
    retries: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
) -> pa.Table:
    """Transitions between states (see :func:`carevis.stats.transitions`) over a
    partitioned dataset: counted part by part (on the workers of ``client``, or in this
    process) over the same periods, then summed; probabilities from the sums. Equals
    ``stats.transitions`` of the whole data."""
    if client is not None:
        _dask()
    parts = [os.path.abspath(p) for p in partitions(path)]
    lo, hi = _data_range(parts)
    found = _gather(
        client,
        part_transitions,
        parts,
        timeout,
        retries,
        freq=freq,
        start=lo,
        end=hi,
        on_error=on_error,
    )
    check_whole_children(path, [h for _, h in found])
    import pyarrow.compute as pc

    keys = ["period_start", "from_state", "to_state"]
    both = pa.concat_tables([t for t, _ in found], promote_options="permissive")
    summed = both.group_by(keys).aggregate([("count", "sum")]).rename_columns([*keys, "count"])
    totals = summed.group_by(["period_start", "from_state"]).aggregate([("count", "sum")])
    out = summed.join(totals, ["period_start", "from_state"], join_type="left outer")
    prob = pc.divide(
        pc.cast(out.column("count"), pa.float64()), pc.cast(out.column("count_sum"), pa.float64())
    )
    out = out.drop(["count_sum"]).append_column("probability", prob)
    return out.sort_by([(k, "ascending") for k in keys])
