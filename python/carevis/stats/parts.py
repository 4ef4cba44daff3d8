"""Statistics of data held in parts (each part holding whole children), counted part by
part by the Rust core in a form that adds up exactly: occupancy as changes at calendar
period starts, transitions as counts per calendar period. ``carevis.distributed`` counts
the parts on a cluster's workers and sums them here.

>>> total = sum_occupancy([occupancy_changes(j, "month") for j in parts], "month")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _native
from .._time import MINUTES_PER_DAY, TimeLike
from ..journeys import Journeys
from ..rules import Freq, check_freq, period_index, period_start, standard_labels
from .flows import transitions


@dataclass
class Changes:
    """Occupancy as changes: ``delta[i]`` children enter (+) or leave (-) state
    ``states[state[i]]`` at the start of period ``index[i]`` (numbered from 1970 as
    :func:`carevis.rules.period_index` numbers them); the data spans minutes ``lo..hi``.
    Changes from several parts add up."""

    states: list[str]
    state: np.ndarray
    index: np.ndarray
    delta: np.ndarray
    lo: int
    hi: int


def _first_start_at_or_after(minutes: int, freq: Freq) -> int:
    k = int(period_index(np.array([minutes]), freq)[0])
    return k + int(minutes > int(period_start(np.array([k]), freq)[0]))


def occupancy_changes(journeys: Journeys, freq: Freq = "month") -> Changes:
    """The children in each state at every period start from the data's first to the
    one after its last time (in a state at instant ``t`` when ``start <= t < end``, as a
    frame shows them), counted by the Rust core, as changes (see :class:`Changes`)."""
    check_freq(freq, "period")
    none = np.zeros(0, np.int64)
    rng = journeys.minute_range
    if rng is None:
        return Changes(journeys.states, none, none, none, 0, -1)
    lo, hi = rng
    first = _first_start_at_or_after(lo, freq)
    last = int(period_index(np.array([hi]), freq)[0]) + 1  # after it nothing changes
    if last < first:
        return Changes(journeys.states, none, none, none, lo, hi)
    # The core counts a spell at the instant b when start < b <= end; one minute after a
    # period start P that is start <= P < end. Period p of these bounds ends at start p+1.
    starts = period_start(np.arange(first - 1, last + 1), freq)
    bounds = np.ascontiguousarray(starts + 1, dtype=np.int32)
    raw = _native.stats_flows(journeys._native, bounds)
    n_states, n = max(len(journeys.states), 1), last - first + 1
    counts = np.zeros((n_states, n), np.int64)
    np.add.at(
        counts,
        (
            np.asarray(raw.column("state").to_numpy(), dtype=np.int64),
            np.asarray(raw.column("period").to_numpy(), dtype=np.int64),
        ),
        np.asarray(raw.column("occupancy").to_numpy(), dtype=np.int64),
    )
    delta = np.diff(counts, axis=1, prepend=0)
    state, k = np.nonzero(delta)  # row-major: by state, then period
    return Changes(journeys.states, state.astype(np.int64), k + first, delta[state, k], lo, hi)


def state_order(names: set[str]) -> list[str]:
    """The standard states first (in their order), then any others sorted."""
    std = standard_labels()
    return [s for s in std if s in names] + sorted(names - set(std))


def sum_occupancy(parts: Sequence[Changes], freq: Freq = "month") -> pa.Table:
    """Sums the parts' changes into the occupancy table: ``period`` (date of the period's
    first day), ``state``, ``children``; one row per period and state, periods from the
    first starting within the data to the one holding its last time."""
    parts = [p for p in parts if p.hi >= p.lo]
    names = state_order({s for p in parts for s in p.states})
    if not parts:
        return pa.table(
            {
                "period": pa.array([], pa.date32()),
                "state": pa.array([], pa.string()),
                "children": pa.array([], pa.int64()),
            }
        )
    lo, hi = min(p.lo for p in parts), max(p.hi for p in parts)
    first = _first_start_at_or_after(lo, freq)
    last = int(period_index(np.array([hi]), freq)[0])
    n = max(last - first + 1, 0)
    diff = np.zeros((len(names), n + 1), np.int64)
    where = {s: i for i, s in enumerate(names)}
    for p in parts:
        remap = np.array([where[s] for s in p.states], np.int64)
        np.add.at(diff, (remap[p.state], np.clip(p.index - first, 0, n)), p.delta)
    counts = np.cumsum(diff[:, :n], axis=1)
    starts = period_start(np.arange(first, first + n), freq) // MINUTES_PER_DAY
    return pa.table(
        {
            "period": pa.array(np.repeat(starts, len(names)).astype("datetime64[D]"), pa.date32()),
            "state": pa.array(np.tile(np.array(names, dtype=object), n), pa.string()),
            "children": pa.array(counts.T.ravel(), pa.int64()),
        }
    )


def transition_counts(
    journeys: Journeys,
    freq: Freq = "year",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pa.Table:
    """Transition counts of one part (see :func:`carevis.stats.transitions`):
    ``period_start``, ``period_end``, ``from_state``, ``to_state``, ``count``. Periods are
    calendar periods, so the counts of parts over different ranges add up."""
    t = transitions(journeys, freq, start=start, end=end)
    return t.drop(["probability"])


def sum_transitions(parts: Sequence[pa.Table]) -> pa.Table:
    """Sums the parts' transition counts; probabilities (share of the from-state's ends
    in the period) from the sums. Equals ``transitions`` of the whole data."""
    keys = ["period_start", "from_state", "to_state"]
    both = pa.concat_tables(parts, promote_options="permissive")
    summed = both.group_by(keys).aggregate([("count", "sum")]).rename_columns([*keys, "count"])
    totals = summed.group_by(["period_start", "from_state"]).aggregate([("count", "sum")])
    out = summed.join(totals, ["period_start", "from_state"], join_type="left outer")
    prob = pc.divide(
        pc.cast(out.column("count"), pa.float64()), pc.cast(out.column("count_sum"), pa.float64())
    )
    out = out.drop(["count_sum"]).append_column("probability", prob)
    return out.sort_by([(k, "ascending") for k in keys])


__all__ = [
    "Changes",
    "occupancy_changes",
    "state_order",
    "sum_occupancy",
    "sum_transitions",
    "transition_counts",
]
