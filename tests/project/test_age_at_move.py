"""carevis.project: the age band a child is in decides where it moves next (issue 20)."""

from __future__ import annotations

import datetime as dt

import carevis.project as P
import numpy as np
import pyarrow.compute as pc

from .known import moves_by_age


def test_moves_follow_the_age_at_the_move() -> None:
    # Under 16 on leaving A: C; 16 or over: B. A child who arrived at 15 and leaves at 16
    # goes to B, one who leaves at 15 to C, never the other way round.
    journeys = moves_by_age()
    model = P.fit(journeys, "2018-03-31")
    # The data's share of moves to B (a steady flow: the same after the date).
    data = journeys.to_arrow()
    moved = pc.cast(data.filter(pc.greater(data["start"], dt.date(2016, 9, 1)))["state"], "string")
    want = pc.sum(pc.equal(moved, "B")).as_py() / pc.sum(pc.not_equal(moved, "A")).as_py()
    t = P.project(model, years=2, seed=4).journeys.to_arrow()
    t = t.filter(pc.greater(t["start"], dt.date(2018, 3, 31)))
    state = np.array(pc.cast(t["state"], "string").to_pylist())
    start = t["start"].to_pylist()
    birth = t["birth_month"].to_pylist()
    # The month of birth is at or before the birth day: 16 by it is at most a month early.
    b16 = [b.replace(year=b.year + 16) for b in birth]
    over16 = np.array([s >= b for s, b in zip(start, b16, strict=True)])
    month_past = np.array([(s - b).days > 31 for s, b in zip(start, b16, strict=True)])
    assert not np.any((state == "B") & ~over16)
    assert not np.any((state == "C") & month_past)
    to_b, to_c = int(np.sum(state == "B")), int(np.sum(state == "C"))
    assert to_b + to_c > 2000
    assert abs(to_b / (to_b + to_c) - want) < 0.03, (to_b, to_c, want)
