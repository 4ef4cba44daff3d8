"""``carevis project`` and ``carevis stats`` on its output."""

from __future__ import annotations

from pathlib import Path

import carevis
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from carevis import project
from carevis.cli import main
from carevis.stats.command import projection_intervals


def test_project_writes_a_projection_that_stats_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "projected.parquet"
    rc = main(
        [
            "project", "--synthetic", "0.005", "--as-of", "2022-03-31", "--years", "2",
            "--runs", "5", "--scenario", "time:Placed for adoption*0.75",
            "-o", str(out), "--intervals", str(tmp_path / "iv.csv"),
            "--save-model", str(tmp_path / "model.bin"),
        ]
    )  # fmt: skip
    assert rc == 0
    printed = capsys.readouterr().out
    assert "time:Placed for adoption*0.75" in printed and "2024-03-31" in printed
    t = pq.read_table(out)
    assert "projected" in t.column_names and pc.any(t.column("projected")).as_py()
    j = carevis.read(out)
    assert str(j.projection) == "2022-03-31" and j.synthetic
    iv = projection_intervals(j)
    assert iv is not None and iv.num_rows > 0
    assert set(iv.column_names) == {"date", "state", "p10", "p50", "p90"}
    assert main(["stats", str(out), "-o", str(tmp_path / "s"), "--no-plots"]) == 0
    assert (tmp_path / "s" / "projection_intervals.csv").is_file()
    assert "projection_intervals" in capsys.readouterr().out
    # The saved model projects again without the data.
    again = tmp_path / "again.parquet"
    assert main(["project", "--model", str(tmp_path / "model.bin"), "-o", str(again)]) == 0
    assert pq.read_table(again).num_rows > 0


def test_project_without_care_bands(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    args = ["project", "--synthetic", "0.005", "--as-of", "2022-03-31", "--save-model"]
    assert main([*args, str(path), "--no-care-bands"]) == 0
    assert project.load(path).care_bands == ()
    assert main([*args, str(path)]) == 0
    assert project.load(path).care_bands == (1.0, 3.0)


def test_project_usage_errors(tmp_path: Path) -> None:
    assert main(["project", "--synthetic", "0.005", "--as-of", "2022-03-31"]) == 2
    out = str(tmp_path / "x.parquet")
    assert main(["project", "--synthetic", "0.005", "-o", out]) == 2
    bad = ["project", "--synthetic", "0.005", "--as-of", "2022-03-31", "-o", out]
    assert main([*bad, "--scenario", "nonsense"]) == 1
    assert not Path(out).exists()
