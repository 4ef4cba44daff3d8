"""carevis.project: fitting, projecting, determinism, the journeys it gives, saving."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import carevis
import carevis.project as P
import numpy as np
import pyarrow.compute as pc
import pytest
from carevis.errors import ConfigError

from .known import steady

AS_OF = "2018-03-31"


@pytest.fixture(scope="module")
def journeys() -> carevis.Journeys:
    return steady()


def test_steady_state_projects_the_steady_stock(journeys: carevis.Journeys) -> None:
    model = P.fit(journeys, AS_OF)
    assert model.as_of == dt.date(2018, 3, 31) and model.by_age
    # 20 a day in A for 60 days: 1200 open in A, 150 in B, 450 in C.
    r = P.project(model, years=1, runs=5, seed=2)
    iv = {(row["date"], row["state"]): row for row in r.intervals().to_pylist()}
    at = iv[(dt.date(2018, 3, 31), "A")]
    assert at["p10"] == at["p50"] == at["p90"] == 1200
    end = dt.date(2019, 3, 31)
    for state, want in (("A", 1200), ("B", 150), ("C", 450)):
        row = iv[(end, state)]
        assert row["p10"] <= row["p50"] <= row["p90"]
        assert abs(row["p50"] / want - 1) < 0.1, (state, row)


def test_journeys_carry_history_and_projected_flag(journeys: carevis.Journeys) -> None:
    r = P.project(journeys, years=1, as_of=AS_OF, seed=1)
    j = r.journeys
    assert j.projection == dt.date(2018, 3, 31)
    t = j.to_arrow()
    assert {"child_id", "state", "start", "end", "projected", "birth_month"} <= set(t.column_names)
    real = t.filter(pc.invert(t.column("projected")))
    proj = t.filter(t.column("projected"))
    as_of = dt.date(2018, 3, 31)
    # Real spells ended by the date; projected ones end after it (or are open).
    assert max(real.column("end").to_pylist()) <= as_of
    assert all(e is None or e > as_of for e in proj.column("end").to_pylist())
    assert all(s <= dt.date(2019, 3, 31) for s in proj.column("start").to_pylist())
    # Every child open at the date continues: 1200 + 150 + 450 projected spells begin by it.
    begun = pc.sum(pc.less_equal(proj.column("start"), as_of)).as_py()
    assert begun == 1800
    # The table works with the rest of carevis unchanged.
    scene = carevis.Scene(j)
    assert scene is not None
    occ = carevis.stats.occupancy(j, freq="year")
    assert occ.num_rows > 0


def test_same_result_at_any_thread_count(journeys: carevis.Journeys) -> None:
    model = P.fit(journeys, AS_OF)
    one = P.project(model, years=1, runs=3, seed=5, threads=1)
    three = P.project(model, years=1, runs=3, seed=5, threads=3)
    assert np.array_equal(one.stock, three.stock)
    assert one.table().equals(three.table())
    other = P.project(model, years=1, runs=3, seed=6)
    assert not np.array_equal(one.stock, other.stock)


def test_save_and_load(journeys: carevis.Journeys, tmp_path: Path) -> None:
    model = P.fit(journeys, AS_OF, by_council=True)
    assert model.councils and model.council == "la"
    path = tmp_path / "model.bin"
    model.save(path)
    loaded = P.load(path)
    a = P.project(model, years=1, runs=2, seed=3)
    b = P.project(loaded, years=1, runs=2, seed=3)
    assert np.array_equal(a.stock, b.stock)
    # A loaded model has no journeys: its history is the spells open at the date.
    assert b.journeys.n_children < a.journeys.n_children
    assert "la" in b.table().column_names
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ConfigError, match="model"):
        P.load(path)


def test_bad_options(journeys: carevis.Journeys) -> None:
    model = P.fit(journeys, AS_OF)
    with pytest.raises(ConfigError, match="years"):
        P.project(model, years=0)
    with pytest.raises(ConfigError, match="runs"):
        P.project(model, runs=0)
    with pytest.raises(ConfigError, match="fitted at"):
        P.project(model, as_of="2017-03-31")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        P.fit(journeys, "31/03/2018")
    with pytest.raises(ConfigError, match="no stock counted"):
        P.project(model).intervals(["2018-06-01"])


def test_edges_give_errors_or_empty_results_not_crashes() -> None:
    import pyarrow as pa

    empty = pa.table(
        {
            "child_id": pa.array([], pa.int64()),
            "state": pa.array([], pa.string()),
            "start": pa.array([], pa.date32()),
            "end": pa.array([], pa.date32()),
        }
    )
    with pytest.raises(ConfigError, match="no spells"):
        P.project(carevis.Journeys.from_arrow(empty), 1)
    assert P.project(carevis.Journeys.from_arrow(empty), 1, as_of="2020-03-31").stock.sum() == 0
    england = carevis.synthetic.england(scale=0.002)
    assert P.project(england, 1, as_of="1990-03-31").journeys.n_spells == 0
    with pytest.raises(ConfigError, match="'la' column"):
        P.fit(carevis.Journeys.from_arrow(empty), "2020-03-31", by_council=True)
    # Times within days: whole days in the projection.
    t = pa.table(
        {
            "child_id": [1, 1],
            "state": ["A", "B"],
            "start": pa.array([0, 90 * 60_000], pa.timestamp("ms")),
            "end": pa.array([90 * 60_000, None], pa.timestamp("ms")),
        }
    )
    rows = P.project(carevis.Journeys.from_arrow(t), 1, as_of="1970-01-05").table().to_pylist()
    mine = [r for r in rows if r["child_id"] == 1]
    assert [(r["state"], r["projected"]) for r in mine] == [("A", False), ("B", True)]
    assert mine[0]["start"] == mine[0]["end"] == dt.date(1970, 1, 1)
