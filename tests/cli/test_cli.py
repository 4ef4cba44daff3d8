"""The command line: the main job (demo), synth and its check."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from carevis import export
from carevis.cli import main
from PIL import Image


def test_demo_renders_video_and_poster_offscreen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    out = tmp_path / "demo"
    assert main(["demo", "--synthetic", "0.002", "--start", "2025-01-01", "-o", str(out)]) == 0
    with Image.open(out / "poster.png") as im:
        assert im.size == (3840, 2160)
    assert export.count_frames(out / "journeys.mp4") > 30
    assert export.read_metadata(out / "journeys.mp4")["frames"] == export.count_frames(
        out / "journeys.mp4"
    )
    assert sorted(p.name for p in out.iterdir()) == ["journeys.mp4", "poster.png"]
    meta = export.read_metadata(out / "journeys.mp4")
    assert (meta["qp"], meta["preset"]) == (export.QUALITIES["email"], "veryfast")
    again = tmp_path / "again"
    argv = ["demo", "--synthetic", "0.002", "--start", "2025-03-01", "-o", str(again)]
    assert main([*argv, "--quality", "publication", "--preset", "ultrafast"]) == 0
    meta = export.read_metadata(again / "journeys.mp4")
    assert (meta["qp"], meta["preset"]) == (18, "ultrafast")


def test_synth_writes_parquet_and_903(tmp_path: Path) -> None:
    assert (
        main(
            [
                "synth",
                "--synthetic",
                "0.002",
                "-o",
                str(tmp_path / "e.parquet"),
                "--ssda903",
                str(tmp_path / "903"),
            ]
        )
        == 0
    )
    t = pq.read_table(tmp_path / "e.parquet")
    assert t.num_rows > 1000 and t.column_names[:4] == ["child_id", "state", "start", "end"]
    assert any((tmp_path / "903").rglob("*.csv"))


def test_synth_check_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--synthetic", "0.01", "--compare"]) == 0
    out = capsys.readouterr().out
    assert "children looked after at 31 March" in out and "published" in out


def test_errors_are_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(tmp_path / "missing.parquet"), "-o", str(tmp_path / "x.png")]) == 1
    assert "no such file" in capsys.readouterr().err
