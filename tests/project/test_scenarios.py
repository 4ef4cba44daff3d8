"""Each scenario moves the projection the right way by about the right size, on journeys
built so that the answer is known (tests/project/known.py: 20 a day into A for 60 days,
half aged 3 and half 12, then 25% to B and 75% to C for 30 days)."""

from __future__ import annotations

import datetime as dt

import carevis.project as P
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from carevis.errors import ConfigError
from carevis.project import Scenario
from carevis.project.scenario import ScenarioLike

from .known import steady

END = dt.date(2019, 3, 31)


@pytest.fixture(scope="module")
def model() -> P.ProjectionModel:
    return P.fit(steady(), "2018-03-31")


def stock(model: P.ProjectionModel, scenario: ScenarioLike) -> dict[str, float]:
    r = P.project(model, years=1, runs=4, seed=11, scenario=scenario)
    return {row["state"]: row["p50"] for row in r.intervals([END]).to_pylist()}


def close(x: float, want: float, tol: float = 0.07) -> bool:
    return abs(x / want - 1) < tol


def test_baseline(model: P.ProjectionModel) -> None:
    s = stock(model, None)
    assert close(s["A"], 1200) and close(s["B"], 150, 0.15) and close(s["C"], 450)


def test_entries_overall(model: P.ProjectionModel) -> None:
    s = stock(model, "entries*0.8")
    assert close(s["A"], 960) and close(s["C"], 360)


@pytest.mark.parametrize(("band", "factor", "want"), [("10-15", 0.0, 600), ("1-4", 2.0, 1800)])
def test_entries_by_age_band(
    model: P.ProjectionModel, band: str, factor: float, want: float
) -> None:
    s = stock(model, f"entries[{band}]*{factor}")
    assert close(s["A"], want)


def test_time_in_state(model: P.ProjectionModel) -> None:
    s = stock(model, "time:A*0.5")
    # Half the stay, same arrivals: half the stock in A; B and C as before.
    assert close(s["A"], 600) and close(s["C"], 450)


def test_shift_of_next_state(model: P.ProjectionModel) -> None:
    s = stock(model, "shift:A->B 20%")
    # B's share rises from 0.25 to 0.25 + 0.2 * 0.75 = 0.4 of 600.
    assert close(s["B"], 240, 0.12) and close(s["C"], 360)


def test_composed(model: P.ProjectionModel) -> None:
    s = stock(model, ["entries*0.5", Scenario.parse("time:A*2")])
    assert close(s["A"], 1200) and close(s["C"], 225)
    same = stock(model, "entries*0.5; time:a*2")  # state names match case-insensitively
    assert same == s


def test_parse_and_errors(model: P.ProjectionModel) -> None:
    sc = Scenario.parse("entries[16+]*1.5; time:Placed for adoption*0.75; shift:X->Y 0.2")
    assert sc.entries[4] == 1.5 and sc.time == (("Placed for adoption", 0.75),)
    assert sc.shift == (("X", "Y", 0.2),)
    for bad, match in (
        ("entries*-1", "multiplier"),
        ("entries[7-9]*2", "age band"),
        ("time:A*0", "time multiplier"),
        ("shift:A->B 1.5", "share"),
        ("more please", "not one of"),
        ("", "empty"),
    ):
        with pytest.raises(ConfigError, match=match):
            Scenario.parse(bad)
    with pytest.raises(ConfigError, match="no state 'Z'"):
        P.project(model, scenario="time:Z*2")


def test_scenario_keeps_the_history(model: P.ProjectionModel) -> None:
    a = P.project(model, years=1, seed=1).table()
    b = P.project(model, years=1, seed=1, scenario="entries*0.5").table()

    def real(t: pa.Table) -> int:
        return int(t.filter(pc.invert(t.column("projected"))).num_rows)

    assert real(a) == real(b) > 0
