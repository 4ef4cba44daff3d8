"""Trends in the moves: on journeys whose share of moves from A to B falls 18% a year
(tests/project/known.py), the fitted trend finds the fall and the projection follows it;
without a trend the projection holds the window's (higher) level; on steady journeys the
trend is shrunk to nothing."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import carevis.project as P
import pytest
from carevis.errors import ConfigError

from .known import steady

AS_OF, END = "2019-03-31", dt.date(2020, 3, 31)


def b_stock(model: P.ProjectionModel) -> float:
    r = P.project(model, years=1, runs=3, seed=5)
    return float(next(row["p50"] for row in r.intervals([END]).to_pylist() if row["state"] == "B"))


def test_falling_move_is_followed() -> None:
    j = steady(to_b=0.4, trend=-0.2)
    model = P.fit(j, AS_OF)
    found = model.trends[("A", "B")]
    assert -0.25 < found < -0.12
    flat = b_stock(P.fit(j, AS_OF, trend_years=0))
    trended = b_stock(model)
    # In B at the end: 30 days of arrivals' moves, 20 a day, at the share then.
    share = 0.4 * math.exp(-0.2 * (dt.date(2020, 2, 1) - dt.date(2015, 4, 1)).days / 365.25)
    want = 20 * 30 * share
    assert trended < 0.85 * flat
    assert abs(trended / want - 1) < 0.15


def test_damping_zero_holds_the_dates_level() -> None:
    j = steady(to_b=0.4, trend=-0.2)
    held = b_stock(P.fit(j, AS_OF, trend_damping=0.0))
    straight = b_stock(P.fit(j, AS_OF, trend_damping=1.0))
    assert straight < held


def test_steady_moves_have_no_trend() -> None:
    model = P.fit(steady(), AS_OF)
    assert all(abs(v) < 0.02 for v in model.trends.values())


def test_saved_model_keeps_its_trend(tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    model = P.fit(steady(to_b=0.4, trend=-0.2), AS_OF)
    model.save(path)
    assert P.load(path).trends == model.trends


@pytest.mark.parametrize("bad", [{"trend_years": -1}, {"trend_damping": 1.5}, {"trend_years": 2.5}])
def test_bad_trend_options(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="trend"):
        P.fit(steady(days=400), AS_OF, **bad)  # type: ignore[arg-type]


def test_trended_projection_is_the_same_at_any_thread_count() -> None:
    model = P.fit(steady(to_b=0.4, trend=-0.2), AS_OF)
    runs = [P.project(model, years=1, runs=2, seed=3, threads=n) for n in (1, 2, 1, 3)]
    first = runs[0].intervals([END])
    assert all(r.intervals([END]).equals(first) for r in runs[1:])
