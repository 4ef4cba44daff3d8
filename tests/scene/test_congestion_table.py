"""The HTML page's daily congestion flags (issue 19): ``flag_table``, computed from arrays
of the figures at every day at once (one sweep of the core's waits), equals the rule
applied to figures counted by hand from the rows, day by day, on data where the flags
change many times."""

from __future__ import annotations

import itertools
import statistics

import carevis
import pytest
from carevis._time import MINUTES_PER_DAY, to_minutes
from carevis.congestion import (
    Congested,
    CongestionSettings,
    flag_table,
    flagged,
    flags_at,
    is_congested,
    shown,
)

from tests.conftest import day, table
from tests.scene.test_congestion import Row, _rows

SETTINGS = CongestionSettings(window_days=61, growth_pct=5.0, min_count=4)


def _hand(rows: list[Row], state: str, index: int, t: int, w: int) -> Congested:
    """A state's figures on day ``t`` over the ``w`` days before, counted row by row: in
    it at the end of a day when start < t <= end, waiting (time so far) when start <= t
    < end, entries and exits in [t - w, t); the lower median wait."""
    mine = [(a, float("inf") if e is None else e) for _, st, a, e in rows if st == state]

    def wait(x: int) -> float | None:
        waits = [x - a for a, e in mine if a <= x < e]
        return float(statistics.median_low(waits)) if waits else None

    return Congested(
        state=state,
        index=index,
        count=sum(1 for a, e in mine if a < t <= e),
        before=sum(1 for a, e in mine if a < t - w <= e),
        entries=sum(1 for a, _ in mine if t - w <= a < t),
        exits=sum(1 for _, e in mine if t - w <= e < t),
        wait_days=wait(t),
        wait_before_days=wait(t - w),
        window_days=w,
    )


def _by_hand(rows: list[Row], states: list[str], t: int, below: int) -> list[list[object]]:
    watched = [(i, s) for i, s in enumerate(states) if i in SETTINGS.watched(states)]
    figures = [_hand(rows, s, i, t, int(SETTINGS.window_days)) for i, s in watched]
    marked = [Congested(**{**c.__dict__, "flagged": is_congested(c, SETTINGS)}) for c in figures]
    return [[c.index, c.label] for c in shown(flagged(marked), below)]


@pytest.mark.parametrize("below", [0, 12])
def test_daily_flags_equal_the_rule_counted_by_hand(below: int) -> None:
    rows = _rows()
    journeys = carevis.Journeys.from_arrow(table(rows))
    got = flag_table(journeys, SETTINGS, below)
    origin = to_minutes(day(0)) // MINUTES_PER_DAY  # day 0 of the rows, in days since 1970
    t0 = int(got["t0"])  # type: ignore[call-overload]
    steps = int(got["steps"])  # type: ignore[call-overload]
    want = [
        _by_hand(rows, journeys.states, t0 // MINUTES_PER_DAY - origin + k, below)
        for k in range(steps)
    ]
    assert [flags_at(got, t0 + k * MINUTES_PER_DAY) for k in range(steps)] == want
    # the flags change often, and on single days: a table a day late would be wrong
    changes = got["changes"]
    assert isinstance(changes, list) and len(changes) >= 8
    assert sum(1 for a, b in itertools.pairwise(want) if a != b) == len(changes) - 1
    assert any(want[k] and want[k] != want[k - 1] for k in range(1, steps))
