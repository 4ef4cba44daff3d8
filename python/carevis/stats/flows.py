"""Occupancy, entries and exits, transitions between states, and time in state
(Kaplan-Meier, open spells censored; waits at a moment), counted by the Rust core per
period and stratum and labelled here.

>>> occ = carevis.stats.occupancy(journeys, freq="month", by="la", age=True)
>>> tis = carevis.stats.time_in_state(journeys)
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .. import _native
from .._time import MINUTES_PER_DAY, TimeLike, to_minutes
from ..journeys import Journeys
from ..rules import Freq
from .base import Roles, label, period_bounds, strata
from .base import as_of as as_of_minutes


def occupancy(
    journeys: Journeys,
    freq: Freq = "month",
    *,
    by: str | None = None,
    age: bool = False,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pa.Table:
    """Per period and state (and group / age band at spell start): ``occupancy`` (children
    in the state at the end of the period's last day: for years to 31 March, the stock at
    31 March), ``entries`` (spells starting in the period) and
    ``exits`` (spells ending in it). Rows where all three are zero are left out."""
    bounds = period_bounds(journeys, freq, start, end)
    b = strata(journeys, by, age)
    raw = _native.stats_flows(journeys._native, bounds, **b.kwargs())
    return label(raw, journeys, b, bounds)


def transitions(
    journeys: Journeys,
    freq: Freq = "year",
    *,
    by: str | None = None,
    age: bool = False,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pa.Table:
    """Moves from each state to the child's next spell (``"(left)"`` when no spell starts
    as this one ends: a gap counts as leaving, then re-entering), counted in the period the
    spell ends: ``count`` and ``probability`` (share of the from-state's ends)."""
    bounds = period_bounds(journeys, freq, start, end)
    b = strata(journeys, by, age)
    raw = _native.stats_transitions(journeys._native, bounds, **b.kwargs())
    t = label(raw, journeys, b, bounds)
    keys = ["period_start", *b.keys(), "from_state"]
    if t.num_rows == 0:
        return t.append_column("probability", pa.array([], pa.float64()))
    totals = t.group_by(keys).aggregate([("count", "sum")])
    t = t.join(totals, keys, join_type="left outer")
    prob = pc.divide(
        pc.cast(t.column("count"), pa.float64()), pc.cast(t.column("count_sum"), pa.float64())
    )
    t = t.drop(["count_sum"]).append_column("probability", prob)
    return t.sort_by([(k, "ascending") for k in keys] + [("to_state", "ascending")])


def _drop_exits(table: pa.Table) -> pa.Table:
    """Leaves out the standard exit states: their spells are the picture's linger after a
    child leaves (``synthetic.DWELL_DAYS``), not time the data records."""
    exits = Roles.standard().exits
    if "state" not in table.column_names or not exits:
        return table
    keep = pc.invert(pc.is_in(table.column("state"), pa.array(sorted(exits), pa.string())))
    return table.filter(keep)


def time_in_state(
    journeys: Journeys,
    *,
    by: str | None = None,
    age: bool = False,
    as_of: TimeLike | None = None,
    curves: bool = False,
) -> pa.Table | tuple[pa.Table, pa.Table]:
    """Kaplan-Meier time in each state (days; exit states have none and are left out):
    ``n``, ``events``, ``censored`` (spells still
    open at ``as_of``, the data's end by default), ``p25``, ``median``, ``p75``, ``p90``
    (null where the curve never falls that far). With ``curves=True`` also the survival
    curve (``time_days``, ``survival``, ``at_risk``; last point per day)."""
    b = strata(journeys, by, age)
    summary, curve = _native.stats_time_in_state(
        journeys._native,
        as_of_minutes(journeys, as_of),
        curve_step=MINUTES_PER_DAY if curves else 0,
        **b.kwargs(),
    )
    s = _drop_exits(label(summary, journeys, b))
    for q in ("p25", "median", "p75", "p90"):
        i = s.schema.get_field_index(q)
        s = s.set_column(
            i, q, pc.divide(pc.cast(s.column(q), pa.float64()), float(MINUTES_PER_DAY))
        )
    if not curves:
        return s
    c = _drop_exits(label(curve, journeys, b))
    i = c.schema.get_field_index("time")
    c = c.set_column(
        i, "time_days", pc.divide(pc.cast(c.column("time"), pa.float64()), float(MINUTES_PER_DAY))
    )
    return s, c


def waits(journeys: Journeys, t: TimeLike, *, by: str | None = None, age: bool = False) -> pa.Table:
    """The children in each state at ``t`` and the median of their time there so far (days)."""
    b = strata(journeys, by, age)
    raw = _native.stats_waits(journeys._native, int(to_minutes(t)), **b.kwargs())
    w = _drop_exits(label(raw, journeys, b))
    i = w.schema.get_field_index("median")
    return w.set_column(
        i,
        "median_days",
        pc.divide(pc.cast(w.column("median"), pa.float64()), float(MINUTES_PER_DAY)),
    )
