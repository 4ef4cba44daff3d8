"""Journey statistics over a partitioned dataset too large for memory, one part at a time:
occupancy counted as changes per part and summed, transitions counted per part and summed
(on a Dask client's workers, or one part after another in this process).

Each part is counted by the Rust statistics (:mod:`carevis.stats`: ``occupancy_changes``,
``transition_counts``), and the parts' counts are summed; no copy of the statistics here."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from .. import rules, stats
from ..errors import DataError
from ..journeys import Journeys, OnError
from ..stats import Changes as Changes
from .cluster import DEFAULT_TIMEOUT, _dask, _results
from .partition import child_hash, partitions

PERIODS = rules.FREQS


def changes(journeys: Journeys, period: str = "month") -> Changes:
    """Occupancy changes of one set of journeys, counted by the Rust core (see
    :func:`carevis.stats.occupancy_changes`)."""
    return stats.occupancy_changes(journeys, rules.check_freq(period, "period"))


def occupancy_from_changes(parts: Sequence[Changes], period: str = "month") -> pa.Table:
    """Sums per-part occupancy changes into the occupancy table (see :func:`occupancy`)."""
    return stats.sum_occupancy(parts, rules.check_freq(period, "period"))


def count_occupancy(journeys: Journeys, period: str = "month") -> pa.Table:
    """In memory: children in each state at the start of each period (see :func:`occupancy`)."""
    return occupancy_from_changes([changes(journeys, period)], period)


def part_changes(path: str, period: str, on_error: OnError) -> tuple[Changes, np.ndarray]:
    """Runs on a worker: reads one part, indexes it, and counts its occupancy changes.
    Also returns the hashes of its children (see :func:`check_whole_children`)."""
    from ..journeys import read

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
    rules.check_freq(period, "period")
    if client is not None:
        _dask()
    parts = [os.path.abspath(p) for p in partitions(path)]
    found = _gather(client, part_changes, parts, timeout, retries, period=period, on_error=on_error)
    check_whole_children(path, [h for _, h in found])
    return occupancy_from_changes([c for c, _ in found], period)


def part_transitions(path: str, freq: str, on_error: OnError) -> tuple[pa.Table, np.ndarray]:
    """Runs on a worker: reads one part, indexes it, and counts its transitions (over its
    own calendar periods: see :func:`carevis.stats.transition_counts`). Also returns the
    hashes of its children (see :func:`check_whole_children`)."""
    from ..journeys import read

    journeys = read(path, on_error=on_error)
    counts = stats.transition_counts(journeys, rules.check_freq(freq))
    return counts, _child_hashes(journeys)


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
    process), then summed; probabilities from the sums. Equals ``stats.transitions`` of
    the whole data."""
    rules.check_freq(freq)
    if client is not None:
        _dask()
    parts = [os.path.abspath(p) for p in partitions(path)]
    found = _gather(client, part_transitions, parts, timeout, retries, freq=freq, on_error=on_error)
    check_whole_children(path, [h for _, h in found])
    return stats.sum_transitions([t for t, _ in found])
