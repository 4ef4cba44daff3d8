"""carevis.project's care bands: times in state by the time in care at the spell's start."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import carevis
import carevis.project as P
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from carevis.errors import ConfigError

from .known import long_stayers

AS_OF = "2018-03-31"


@pytest.fixture(scope="module")
def journeys() -> carevis.Journeys:
    return long_stayers()


def _b_stays(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """For each B spell ended after the date: (days in care before it, its length)."""
    t = table.sort_by([("child_id", "ascending"), ("start", "ascending")])
    cid = t["child_id"].to_numpy()
    state = np.array(pc.cast(t["state"], pa.string()).to_pylist())
    a = t["start"].cast(pa.int32()).to_numpy()
    e = pc.fill_null(t["end"].cast(pa.int32()), -1).to_numpy()
    as_of = (dt.date(2018, 3, 31) - dt.date(1970, 1, 1)).days
    i = np.flatnonzero(
        (state[1:] == "B") & (state[:-1] == "A") & (cid[1:] == cid[:-1]) & (e[1:] > as_of)
    )
    return a[i + 1] - a[i], e[i + 1] - a[i + 1]


def test_old_and_new_children_keep_their_stays(journeys: carevis.Journeys) -> None:
    model = P.fit(journeys, AS_OF)
    assert model.care_bands == P.model.CARE_BANDS == (1.0, 3.0)
    assert "time in care" in repr(model)
    table = P.project(model, years=2, seed=4).table()
    before, stay = _b_stays(table)
    # Children in care over a year when they reach B (at the date or after) stay 200 days.
    assert (before >= 365).sum() > 500 and (before < 365).sum() > 500
    assert np.all(stay[before >= 365] == 200) and np.all(stay[before < 365] == 100)
    # Pooled over time in care, the two draw from each other's stays.
    pooled = P.fit(journeys, AS_OF, care_bands=())
    assert pooled.care_bands == () and "time in care" not in repr(pooled)
    before, stay = _b_stays(P.project(pooled, years=2, seed=4).table())
    assert (stay[before >= 365] == 100).sum() > 50


def test_saved_model_keeps_its_care_bands(journeys: carevis.Journeys, tmp_path: Path) -> None:
    model = P.fit(journeys, AS_OF, care_bands=(0.5, 2))
    path = tmp_path / "model.bin"
    model.save(path)
    loaded = P.load(path)
    assert loaded.care_bands == model.care_bands == (0.5, 2.0)
    a = P.project(model, years=1, runs=2, seed=3)
    b = P.project(loaded, years=1, runs=2, seed=3)
    assert np.array_equal(a.stock, b.stock)


def test_a_newer_format_asks_for_a_refit(journeys: carevis.Journeys, tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    P.fit(journeys, AS_OF).save(path)
    data = path.read_bytes()
    path.write_bytes(b"CVPROJ99" + data[8:])
    with pytest.raises(ConfigError, match="refit"):
        P.load(path)


@pytest.mark.parametrize("bad", [(0,), (3, 1), (1, 1), "1", (True,), tuple(range(1, 18))])
def test_bad_care_bands(journeys: carevis.Journeys, bad: object) -> None:
    with pytest.raises(ConfigError, match="care_bands"):
        P.fit(journeys, AS_OF, care_bands=bad)  # type: ignore[arg-type]
