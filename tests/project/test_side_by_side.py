"""Baseline and scenario side by side: one picture or video, the difference per state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import carevis
import carevis.project as P
import numpy as np
import pytest
from carevis.cli import main
from carevis.errors import ConfigError
from carevis.export.compare import side_by_side, side_by_side_video, stock_difference
from carevis.export.encoder import frames_and_seconds

from .known import steady

WHEN = dt.date(2018, 12, 31)


@pytest.fixture(scope="module")
def scenes() -> tuple[carevis.Scene, carevis.Scene]:
    model = P.fit(steady(per_day=4), "2018-03-31")
    base = P.project(model, years=1, seed=2).journeys
    half = P.project(model, years=1, seed=2, scenario="time:A*0.5").journeys
    return carevis.Scene(base), carevis.Scene(half)


def test_difference_per_state(scenes: tuple[carevis.Scene, carevis.Scene]) -> None:
    left, right = scenes
    m = float((WHEN - dt.date(1970, 1, 1)).days * 1440)
    rows = {s: (a, b) for s, a, b in stock_difference(left, right, m)}
    a, b = rows["A"]
    # 4 a day for 60 days in A, against 30 days: about 240 against 120.
    assert abs(a / 240 - 1) < 0.15 and abs(b / 120 - 1) < 0.2
    assert stock_difference(left, right, m)[0][0] == "A"  # the largest difference first


def test_picture_halves_and_panel(scenes: tuple[carevis.Scene, carevis.Scene]) -> None:
    left, right = scenes
    img = side_by_side(left, right, WHEN, 640, 360)
    assert img.shape == (360, 640, 4)
    top = int(360 * 0.84) // 2 * 2
    # The halves differ (A is smaller on the right); the panel has text on background.
    assert not np.array_equal(img[:top, :320], img[:top, 320:])
    assert (img[top:, :, :3] < 100).any()
    with pytest.raises(ConfigError, match="at least"):
        side_by_side(left, right, WHEN, 100, 60)


def test_video_and_command(scenes: tuple[carevis.Scene, carevis.Scene], tmp_path: Path) -> None:
    left, right = scenes
    out = side_by_side_video(
        left, right, tmp_path / "sbs.mp4", start="2018-03-01", end="2018-04-30",
        width=320, height=180, fps=5, days_per_second=20,
    )  # fmt: skip
    n, _ = frames_and_seconds(out)
    assert n == 16
    png = tmp_path / "sbs.png"
    rc = main(
        ["project", "--synthetic", "0.003", "--as-of", "2022-03-31", "--years", "1",
         "--scenario", "entries*0.5", "--side-by-side", str(png)]
    )  # fmt: skip
    assert rc == 0 and png.stat().st_size > 1000
    bad = ["project", "--synthetic", "0.003", "--as-of", "2022-03-31", "--side-by-side", str(png)]
    assert main(bad) == 2
