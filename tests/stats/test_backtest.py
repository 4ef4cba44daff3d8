"""The backtest harness (carevis.stats.backtest): the cut at 31 March keeps exactly what
was known then, a projection that returns the data scores 0, one that freezes the stock
scores what freezing costs, and the errors are the absolute % of the actual figure."""

from __future__ import annotations

import datetime as dt

import carevis
import carevis.project as P
import numpy as np
import pyarrow as pa
import pytest
from carevis.errors import ConfigError
from carevis.stats import backtest as bt
from carevis.stats.base import Roles

from tests.project.known import steady


def _table(rows: list[tuple[int, str, str, str | None]]) -> pa.Table:
    def day(s: str | None) -> dt.date | None:
        return None if s is None else dt.date.fromisoformat(s)

    return pa.table(
        {
            "child_id": pa.array([r[0] for r in rows], pa.int64()),
            "state": [r[1] for r in rows],
            "start": pa.array([day(r[2]) for r in rows], pa.date32()),
            "end": pa.array([day(r[3]) for r in rows], pa.date32()),
        }
    )


ROWS = [
    (1, "Referral", "2019-01-01", "2019-02-01"),
    (1, "Foster care (other)", "2019-02-01", "2019-06-01"),
    (1, "Returned home", "2019-06-01", None),
    (2, "Foster care (other)", "2018-05-01", "2019-04-01"),  # ends as 1 April begins
    (2, "Children's home & secure", "2019-04-01", None),
    (3, "Foster care (relative/friend)", "2019-04-01", None),  # after the cut
    (4, "Placed with parents", "2017-01-01", "2018-01-01"),
    (4, "Returned home", "2018-01-01", "2018-02-01"),
]


def test_censor_keeps_what_was_known_at_the_end_of_31_march() -> None:
    j = carevis.Journeys.from_arrow(_table(ROWS))
    cut = bt.censor(j, "2019-03-31").to_arrow().to_pylist()
    got = [(r["child_id"], r["state"], str(r["start"]), r["end"] and str(r["end"])) for r in cut]
    assert got == [
        (1, "Referral", "2019-01-01", "2019-02-01"),
        (1, "Foster care (other)", "2019-02-01", None),
        (2, "Foster care (other)", "2018-05-01", None),
        (4, "Placed with parents", "2017-01-01", "2018-01-01"),
        (4, "Returned home", "2018-01-01", "2018-02-01"),
    ]


def test_censor_keeps_the_stock_at_31_march_on_synthetic_england() -> None:
    j = carevis.synthetic.england(scale=0.005, seed=2)
    cut = bt.censor(j, dt.date(2019, 3, 31))
    assert cut.synthetic
    np.testing.assert_array_equal(bt.figures(cut, [2019]).stock, bt.figures(j, [2019]).stock)
    assert (
        cut.minute_range is not None
        and cut.minute_range[1] < 1440 * (dt.date(2019, 4, 1) - dt.date(1970, 1, 1)).days
    )
    assert j.n_spells > cut.n_spells


@pytest.mark.parametrize("bad", ["2019-04-01", "2019-3-31", "31/03/2019"])
def test_as_of_must_be_a_31_march(bad: str) -> None:
    with pytest.raises(ConfigError, match="as_of"):
        bt.as_of_date(bad)


def test_errors_are_absolute_percent_of_actual() -> None:
    actual = bt.Figures(
        (2020,), ("a", "b"), np.array([[100.0, 0.0]]), np.array([50.0]), np.array([40.0])
    )
    proj = bt.Figures(
        (2020,), ("a", "b"), np.array([[90.0, 3.0]]), np.array([55.0]), np.array([40.0])
    )
    rows = {(r["measure"], r["group"]): r for r in bt.compare(actual, {"m": proj}).to_pylist()}
    assert rows[(bt.STOCK, "a")]["abs_error_pct"] == pytest.approx(10.0)
    assert rows[(bt.STOCK, "b")]["abs_error_pct"] is None  # actual 0: no percentage
    assert rows[(bt.STOCK, "Total")]["projected"] == 93.0
    assert rows[(bt.STOCK, "Total")]["abs_error_pct"] == pytest.approx(7.0)
    assert rows[(bt.STARTED, "Total")]["abs_error_pct"] == pytest.approx(10.0)
    assert rows[(bt.CEASED, "Total")]["abs_error_pct"] == 0.0


@pytest.fixture(scope="module")
def england() -> carevis.Journeys:
    return carevis.synthetic.england(scale=0.005, seed=1)


def test_a_projection_that_returns_the_data_scores_zero(england: carevis.Journeys) -> None:
    seen: list[tuple[dt.date, int, int]] = []

    def oracle(history: carevis.Journeys, as_of: dt.date, years: int) -> carevis.Journeys:
        seen.append((as_of, years, history.n_spells))
        return england

    table = bt.backtest(england, {"oracle": oracle}, as_of="2019-03-31", years=3)
    assert seen == [(dt.date(2019, 3, 31), 3, bt.censor(england, "2019-03-31").n_spells)]
    assert sorted(set(table.column("year").to_pylist())) == [2020, 2021, 2022]
    errs = [e for e in table.column("abs_error_pct").to_pylist() if e is not None]
    assert errs and max(errs) == 0.0
    assert bt.worst(table) == {"oracle": 0.0}


def test_a_frozen_projection_keeps_the_stock_and_misses_every_flow(
    england: carevis.Journeys,
) -> None:
    table = bt.backtest(england, {"frozen": lambda h, d, y: h, "oracle": lambda h, d, y: england})
    start = bt.figures(england, [2019])
    rows = [r for r in table.to_pylist() if r["model"] == "frozen"]
    for r in rows:
        if r["measure"] == bt.STOCK and r["group"] != "Total":
            assert r["projected"] == start.stock[0, start.groups.index(r["group"])]
        if r["measure"] in (bt.STARTED, bt.CEASED):
            assert r["projected"] == 0.0 and r["abs_error_pct"] == 100.0
    text = bt.format_backtest(table)
    assert "frozen" in text and "oracle" in text and text.count("\n") == 3 * 10


def test_figures_given_by_a_model_are_compared_as_given(england: carevis.Journeys) -> None:
    actual = bt.figures(england, [2020])
    doubled = bt.Figures(
        actual.years, actual.groups, 2 * actual.stock, actual.started, actual.ceased
    )
    table = bt.backtest(england, {"double": lambda h, d, y: doubled}, years=1)
    stock = [r["abs_error_pct"] for r in table.to_pylist() if r["measure"] == bt.STOCK]
    assert all(e == pytest.approx(100.0) for e in stock if e is not None)


def test_the_data_must_reach_the_last_year(england: carevis.Journeys) -> None:
    with pytest.raises(ConfigError, match="31 March 2031"):
        bt.backtest(england, {"frozen": lambda h, d, y: h}, as_of="2019-03-31", years=12)


@pytest.mark.parametrize("typ", [pa.timestamp("us"), pa.timestamp("s", tz="UTC"), pa.date64()])
def test_censor_takes_timestamps_and_other_date_types(typ: pa.DataType) -> None:
    table = pa.table(
        {
            "child_id": [1, 1, 2],
            "state": ["Foster care (other)", "Returned home", "Foster care (other)"],
            "start": pa.array(
                [dt.datetime(2019, 1, 1), dt.datetime(2019, 5, 1), dt.datetime(2019, 3, 31, 23)]
            ).cast(typ),
            "end": pa.array([dt.datetime(2019, 5, 1), None, dt.datetime(2019, 4, 1)]).cast(typ),
        }
    )
    cut = bt.censor(carevis.Journeys.from_arrow(table), "2019-03-31").to_arrow()
    # the later spell is gone; both spells going at midnight are left open
    assert cut.column("child_id").to_pylist() == [1, 2]
    assert cut.column("end").to_pylist() == [None, None]


def test_known_arrivals_give_the_datas_entries_exactly() -> None:
    """On stationary journeys (every arrival a start of care), a projection given the
    data's arrivals gets the starts exactly; a model without an ``arrivals`` parameter is
    run as without."""
    j = steady(per_day=5, days=1900)
    roles = Roles(care=frozenset({"A", "B", "C"}))
    called: list[str] = []

    def known(h: carevis.Journeys, d: dt.date, y: int, arrivals: carevis.Journeys) -> object:
        called.append("known")
        return P.project(P.fit(h, d), years=y, seed=1, arrivals=arrivals).journeys

    def drawn(h: carevis.Journeys, d: dt.date, y: int) -> object:
        called.append("drawn")
        return P.project(P.fit(h, d), years=y, seed=1).journeys

    models = {"known": known, "drawn": drawn}
    table = bt.backtest(j, models, years=1, roles=roles, known_arrivals=True)  # type: ignore[arg-type]
    assert called == ["known", "drawn"]
    started = {r["model"]: r for r in table.to_pylist() if r["measure"] == bt.STARTED}
    assert started["known"]["actual"] > 1500
    assert started["known"]["abs_error_pct"] == 0.0
    assert started["drawn"]["abs_error_pct"] > 0.0
    assert bt.takes_arrivals(known) and not bt.takes_arrivals(drawn)
