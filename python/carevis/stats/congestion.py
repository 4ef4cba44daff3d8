"""Congestion as a table (``carevis stats --congestion``): per waiting state, its
children now and a window ago, the change, the spells begun and ended in the window, the
median time so far of the children in it, and whether it is congested, by the one rule
of :mod:`carevis.congestion` (the figures the pictures draw)."""

from __future__ import annotations

import pyarrow as pa

from .._time import TimeLike, to_date
from ..congestion import CongestionSettings, congestion_series, shown
from ..journeys import Journeys
from .base import as_of
from .report import suppress


def congestion_table(
    journeys: Journeys,
    at: TimeLike | None = None,
    settings: CongestionSettings | None = None,
    *,
    suppress_below: int = 0,
) -> pa.Table:
    """One row per waiting state at ``at`` (default: the data's last time): ``state``,
    ``date``, ``window_days``, ``occupancy`` (now), ``occupancy_before`` (a window ago),
    ``change_pct``, ``entries`` and ``exits`` in the window, ``median_wait_days`` (now)
    and ``median_wait_before_days``, ``congested`` and ``figure`` (the text the pictures
    draw, where congested). Counts below ``suppress_below`` are suppressed (null, with a
    ``suppressed`` flag) with what is derived from them, and never flagged."""
    s = settings or CongestionSettings()
    t = as_of(journeys, at)
    rows = congestion_series(journeys, [t], s)[0]
    flagged = {c.index for c in shown([c for c in rows if c.flagged], suppress_below)}
    when = to_date(t)
    table = pa.table(
        {
            "state": pa.array([c.state for c in rows], pa.string()),
            "date": pa.array([when] * len(rows), pa.date32()),
            "window_days": pa.array([s.window_days] * len(rows), pa.float64()),
            "occupancy": pa.array([c.count for c in rows], pa.int64()),
            "occupancy_before": pa.array([c.before for c in rows], pa.int64()),
            "change_pct": pa.array([c.change_pct for c in rows], pa.float64()),
            "entries": pa.array([c.entries for c in rows], pa.int64()),
            "exits": pa.array([c.exits for c in rows], pa.int64()),
            "median_wait_days": pa.array([c.wait_days for c in rows], pa.float64()),
            "median_wait_before_days": pa.array([c.wait_before_days for c in rows], pa.float64()),
            "congested": pa.array([c.index in flagged for c in rows], pa.bool_()),
            "figure": pa.array(
                [c.label if c.index in flagged else None for c in rows], pa.string()
            ),
        }
    )
    return suppress(table, suppress_below)
