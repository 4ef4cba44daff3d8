"""Arrivals with a trend, and arrivals given from the data: on journeys whose arrivals rise
20% a year (tests/project/known.py, ``growing``) the fitted trend (``arrival_trend=True``;
off by default) finds the rise and the projected entries follow the data's; held at the
last year's level they fall short; on flat arrivals the trend is shrunk to nothing. With
the data's own arrivals the entries are the data's, exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import carevis
import carevis.project as P
import numpy as np
import pyarrow.compute as pc
import pytest
from carevis.errors import ConfigError

from .known import growing

AS_OF, END = "2019-03-31", dt.date(2020, 3, 31)


def entries(j: carevis.Journeys) -> int:
    """Children arriving in A (every arrival) after the date, to END."""
    t = j.to_arrow()
    start = pc.cast(t.column("start"), "date32").to_numpy(zero_copy_only=False)
    keep = (
        (np.asarray(t.column("state").cast("string").to_pylist()) == "A")
        & (start > np.datetime64(AS_OF))
        & (start <= np.datetime64(END))
    )
    return int(keep.sum())


def projected_entries(model: P.ProjectionModel, **options: object) -> int:
    return entries(P.project(model, years=1, seed=2, **options).journeys)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rising() -> carevis.Journeys:
    return growing(per_day=10, days=1900, growth=0.2)


def test_rising_arrivals_are_followed(rising: carevis.Journeys) -> None:
    model = P.fit(rising, AS_OF, trend_damping=1.0, arrival_trend=True)
    found = model.arrival_trends
    assert set(found) == {("A", "1-4"), ("A", "10-15")}
    assert all(0.17 < v < 0.27 for v in found.values()), found
    data = entries(rising)
    trended = projected_entries(model)
    held = projected_entries(P.fit(rising, AS_OF, trend_damping=1.0, arrival_trend=False))
    assert abs(trended / data - 1) < 0.04
    # Held at the year to the date's level: about exp(-0.2) of the year after's.
    assert abs(held / data - np.exp(-0.2)) < 0.04


def test_flat_arrivals_have_no_trend() -> None:
    flat = growing(per_day=10, days=1900)
    model = P.fit(flat, AS_OF, arrival_trend=True)
    assert all(abs(v) < 0.02 for v in model.arrival_trends.values())
    assert abs(projected_entries(model) / entries(flat) - 1) < 0.03


def test_no_arrival_trend_unless_asked(rising: carevis.Journeys) -> None:
    assert P.fit(rising, AS_OF).arrival_trends == {}
    assert P.fit(rising, AS_OF, arrival_trend=True, trend_years=0).arrival_trends == {}
    with pytest.raises(ConfigError, match="arrival_trend"):
        P.fit(rising, AS_OF, arrival_trend=1)  # type: ignore[arg-type]


def test_saved_model_keeps_its_arrival_trend(rising: carevis.Journeys, tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    model = P.fit(rising, AS_OF, arrival_trend=True)
    model.save(path)
    assert P.load(path).arrival_trends == model.arrival_trends != {}


def test_the_same_at_any_thread_count(rising: carevis.Journeys) -> None:
    model = P.fit(rising, AS_OF, arrival_trend=True)
    for given in (None, rising):
        runs = [
            P.project(model, years=1, runs=2, seed=3, threads=n, arrivals=given) for n in (1, 2, 3)
        ]
        first = runs[0].intervals([END])
        assert all(r.intervals([END]).equals(first) for r in runs[1:])


def test_known_arrivals_are_the_datas(rising: carevis.Journeys) -> None:
    model = P.fit(rising, AS_OF)
    r = P.project(model, years=1, seed=2, arrivals=rising)
    assert entries(r.journeys) == entries(rising)
    assert r.metadata()["arrivals"] == "known"
    other = carevis.Journeys.from_arrow(rising.to_arrow(), states=["B", "A"])
    with pytest.raises(ConfigError, match="states"):
        P.project(model, years=1, arrivals=other)
