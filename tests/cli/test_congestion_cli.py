"""``--congestion`` on the commands that draw: render (a PNG, a video) and the window's
``view`` parse it into the one settings object, and a PNG marks the congested state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from carevis._usage import Parser
from carevis.cli import main
from carevis.congestion import CongestionSettings, add_arguments, from_arguments
from PIL import Image

from tests.conftest import day, table
from tests.scene.test_congestion import NOW, _rows


def test_options_make_the_settings() -> None:
    p = Parser(prog="x")
    add_arguments(p)
    assert from_arguments(p.parse_args([])) is None
    s = from_arguments(
        p.parse_args(["--congestion", "--congestion-window", "91", "--congestion-growth", "25",
                      "--congestion-min", "3"])
    )  # fmt: skip
    assert s == CongestionSettings(window_days=91, growth_pct=25, min_count=3)


def _red(path: Path) -> int:
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return int(((a[..., 0] > 180) & (a[..., 1] < 80) & (a[..., 2] < 80)).sum())


@pytest.mark.parametrize("size", ["640x360", "1280x720"])
def test_render_png_marks_congestion(tmp_path: Path, size: str) -> None:
    src = tmp_path / "j.parquet"
    pq.write_table(table(_rows()), src)
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    base = ["render", str(src), "--at", str(day(NOW)), "--size", size]
    assert main([*base, "-o", str(plain)]) == 0
    assert main([*base, "-o", str(marked), "--congestion", "--congestion-window", "182"]) == 0
    assert _red(marked) > _red(plain) + 100


def test_bad_threshold_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "j.parquet"
    pq.write_table(table(_rows()), src)
    out = tmp_path / "x.png"
    assert main(["render", str(src), "-o", str(out), "--congestion", "--congestion-min", "0"]) != 0
    assert not out.exists()


def test_frames_find_congestion_ahead_and_match_stills(tmp_path: Path) -> None:
    """A sequence finds congestion for many frames at once (congestion.Ahead): each frame
    is the still picture of its moment, figures and rings included."""
    import carevis
    from carevis import export

    scene = carevis.Scene(carevis.Journeys.from_arrow(table(_rows())))
    s = CongestionSettings(window_days=182, halo=(255, 0, 0, 255))
    kw = dict(width=640, height=360, congestion=s)
    folder = tmp_path / "frames"
    export.frames(scene, folder, start=day(NOW - 2), end=day(NOW), fps=1, days_per_second=1, **kw)
    got = sorted(folder.glob("*.png"))
    assert len(got) == 3
    for k, path in enumerate(got):
        still = export.png(scene, day(NOW - 2 + k), tmp_path / f"s{k}.png", **kw)
        a, b = np.asarray(Image.open(path)), np.asarray(Image.open(still))
        assert np.array_equal(a, b), path.name
        assert _red(path) > 100


def test_render_image_takes_congestion() -> None:
    import carevis
    from carevis.render import image

    scene = carevis.Scene(carevis.Journeys.from_arrow(table(_rows())))
    s = CongestionSettings(window_days=182, halo=(255, 0, 0, 255))

    def red(a: np.ndarray) -> int:
        return int(((a[..., 0] > 200) & (a[..., 1] < 60) & (a[..., 2] < 60)).sum())

    plain = image(scene, day(NOW), 640, 360)
    marked = image(scene, day(NOW), 640, 360, congestion=s)
    assert red(marked) > red(plain) + 100


def test_demo_takes_congestion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``carevis demo --congestion`` (and its thresholds) reach the poster, the video and
    the window, as render's do; without it, none of them flags anything."""
    import carevis.window
    from carevis import export

    seen: list[tuple[str, object]] = []
    monkeypatch.setattr(
        export, "png", lambda scene, at, path, **kw: seen.append(("png", kw["congestion"]))
    )
    monkeypatch.setattr(
        export, "video", lambda scene, path, **kw: seen.append(("video", kw["congestion"]))
    )
    monkeypatch.setattr(export, "count_frames", lambda path: 1)
    out = str(tmp_path / "demo")
    argv = ["demo", "--synthetic", "0.001", "--no-window", "-o", out]
    assert main([*argv, "--congestion", "--congestion-window", "91"]) == 0
    want = CongestionSettings(window_days=91)
    assert seen == [("png", want), ("video", want)]
    seen.clear()
    assert main(argv) == 0 and seen == [("png", None), ("video", None)]
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(
        carevis.window, "view", lambda scene, **kw: seen.append(("view", kw["congestion"]))
    )
    seen.clear()
    assert main(["demo", "--synthetic", "0.001", "-o", out, "--congestion"]) == 0
    assert seen == [("view", CongestionSettings())]
