"""``carevis stats --congestion``: the waiting states' figures as a table (state,
occupancy now and a window ago, change, entries, exits, median wait, flag), by the
pictures' rule, with small counts suppressed."""

from __future__ import annotations

from pathlib import Path

import carevis
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from carevis.cli import main
from carevis.congestion import CongestionSettings
from carevis.stats import congestion_table

from tests.conftest import day, table
from tests.scene.test_congestion import NOW, WINDOW, _rows


@pytest.fixture(scope="module")
def journeys() -> carevis.Journeys:
    return carevis.Journeys.from_arrow(table(_rows()))


def test_table_has_the_figures_and_the_flag(journeys: carevis.Journeys) -> None:
    t = congestion_table(journeys, day(NOW), CongestionSettings(window_days=WINDOW))
    rows = {r["state"]: r for r in t.to_pylist()}
    assert set(rows) == {"Assessment", "Section 47", "Child protection conference"}
    a = rows["Assessment"]
    assert (a["occupancy"], a["occupancy_before"], a["entries"], a["exits"]) == (129, 21, 108, 0)
    assert a["change_pct"] == pytest.approx(514.2857, abs=1e-3)
    assert (a["median_wait_days"], a["median_wait_before_days"]) == (110.0, 18.0)
    assert a["congested"] and a["figure"] == "+514% in 6 months, median wait 3.6 months"
    assert not rows["Section 47"]["congested"] and rows["Section 47"]["figure"] is None
    assert not rows["Child protection conference"]["congested"]


def test_small_counts_are_suppressed_and_never_flagged(journeys: carevis.Journeys) -> None:
    t = congestion_table(
        journeys, day(NOW), CongestionSettings(window_days=WINDOW), suppress_below=25
    )
    a = {r["state"]: r for r in t.to_pylist()}["Assessment"]
    # 21 children a window ago is under 25: that count and what comes from it go
    assert a["occupancy_before"] is None and a["change_pct"] is None
    assert a["median_wait_before_days"] is None and a["figure"] is None
    assert a["suppressed"] and not a["congested"]
    assert a["occupancy"] == 129  # what is not small stays


def test_cli_prints_and_writes_the_table(
    journeys: carevis.Journeys, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "j.parquet"
    pq.write_table(table(_rows()), src)
    out = tmp_path / "stats"
    argv = ["stats", str(src), "--congestion", "--at", str(day(NOW)), "-o", str(out)]
    assert main([*argv, "--congestion-window", str(WINDOW), "--suppress-below", "5"]) == 0
    text = capsys.readouterr().out
    assert "+514% in 6 months, median wait 3.6 months" in text and "Foster" not in text
    got = pacsv.read_csv(out / "congestion.csv").to_pylist()
    assert [r["state"] for r in got if r["congested"]] == ["Assessment"]
    assert pq.read_table(out / "congestion.parquet").num_rows == 3
    # without -o it prints only
    assert main(["stats", str(src), "--congestion", "--at", str(day(NOW))]) == 0
    assert "median_wait_days" in capsys.readouterr().out


def test_waits_are_the_statistics_waits() -> None:
    """The figures' median waits (counted for many moments in one pass) are those of
    ``carevis.stats.waits`` at each moment, on the synthetic England."""
    from carevis import synthetic
    from carevis.congestion import congestion_series
    from carevis.stats import waits

    j = synthetic.england(scale=0.003, seed=5)
    dates = ["2019-03-31", "2021-06-30", "2024-11-15"]
    s = CongestionSettings(window_days=91)
    series = congestion_series(j, [carevis._time.to_minutes(d) for d in dates], s)
    for d, rows in zip(dates, series, strict=True):
        w = {r["state"]: r["median_days"] for r in waits(j, d).to_pylist()}
        assert rows and all(c.wait_days == w.get(c.state) for c in rows), d
        before = carevis._time.to_minutes(d) - 91 * 1440
        wb = {r["state"]: r["median_days"] for r in waits(j, _date(before)).to_pylist()}
        assert all(c.wait_before_days == wb.get(c.state) for c in rows), d


def _date(minutes: float) -> str:
    return str(carevis._time.to_date(minutes))
