"""The window's timeline has year ticks (issue 17, item 6): a tick at each 1 January, a
label beside every first, second, fifth... tick, never meeting another label, read back
from the text visual and from the framebuffer."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from typing import Any

import carevis
import numpy as np
import pytest

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from carevis.window.drawing import (
    PROGRESS,
    TICK_ON_PROGRESS,
    TICK_ON_TRACK,
    TRACK,
    YEAR_GAP,
    YEAR_PAD,
    year_ticks,
    year_width,
)

from tests.journey_tables import make_table

pytestmark = pytest.mark.gl

DAY = 1440.0


def minutes(d: dt.date) -> float:
    return (d - dt.date(1970, 1, 1)).days * DAY


@pytest.mark.parametrize("years", [1, 3, 8, 25, 120])
@pytest.mark.parametrize("width", [120.0, 250.0, 480.0, 1280.0, 3840.0])
def test_labels_never_meet_and_every_year_has_a_tick(years: int, width: float) -> None:
    lo, hi = minutes(dt.date(2010, 5, 17)), minutes(dt.date(2010 + years, 8, 2))
    x0, x1 = 70.0, width - 20.0
    ticks = year_ticks(lo, hi, x0, x1)
    assert [y for _, y, _ in ticks] == list(range(2011, 2011 + years))
    assert all(x0 <= x <= x1 for x, _, _ in ticks)
    labels = [(x, y) for x, y, on in ticks if on]
    for (xa, ya), (xb, _) in itertools.pairwise(labels):
        assert xa + YEAR_PAD + year_width(str(ya)) + YEAR_GAP <= xb + 1e-9
    assert all(x + YEAR_PAD + year_width(str(y)) <= x1 for x, y in labels)
    steps = {b - a for (_, a), (_, b) in itertools.pairwise(labels)}
    assert len(steps) <= 1 and (not steps or steps.pop() in (1, 2, 5, 10, 20, 50, 100))
    if years <= 8 and width >= 1280:
        assert len(labels) == years  # room for every year


def test_fewer_labels_when_narrow() -> None:
    lo, hi = minutes(dt.date(2000, 1, 5)), minutes(dt.date(2024, 1, 5))
    wide = sum(on for _, _, on in year_ticks(lo, hi, 70, 1900))
    narrow = sum(on for _, _, on in year_ticks(lo, hi, 70, 300))
    assert wide == 23 and 0 < narrow < 8  # 2024 falls 4 days before the end: no room


@pytest.fixture(params=[(320, 180), (480, 270), (1280, 720)], ids=lambda s: f"{s[0]}x{s[1]}")
def canvas(request: pytest.FixtureRequest) -> Iterator[Any]:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(300, seed=11)))
    c = CarevisCanvas(scene, app="egl", size=request.param, threaded=False, t="2019-06-30")
    yield c
    c.close()


def _rgb(c: tuple[float, ...]) -> np.ndarray:
    return np.round(np.array(c[:3]) * 255)


def test_ticks_and_year_labels_are_drawn(canvas: Any) -> None:
    img = canvas.render()[..., :3].astype(int)
    s = canvas.pixel_scale
    x0, y0, x1, y1 = canvas._timeline_box()
    lo, hi = canvas.t_range
    ticks = year_ticks(lo, hi, x0, x1)
    labelled = [(x, y) for x, y, on in ticks if on]
    assert len(labelled) >= 2
    # the text visual holds the labelled years, each just right of its tick
    assert list(canvas.year_text.text) == [str(y) for _, y in labelled]
    assert [p[0] for p in canvas.year_text.pos] == [x + YEAR_PAD for x, _ in labelled]
    xk = x0 + (canvas.frame.minutes - lo) / (hi - lo) * (x1 - x0)
    row = int((y1 - 2) * s)  # the bottom of the track, below the labels' digits
    for x, _, _ in ticks:
        if abs(x - xk) < 6:
            continue  # under the knob
        px = img[row, int(x * s)]
        want = TICK_ON_PROGRESS if x < xk else TICK_ON_TRACK
        back = PROGRESS if x < xk else TRACK
        assert np.abs(px - _rgb(want)).max() <= np.abs(px - _rgb(back)).max(), (x, px)
    # each label's digits put ink on the track, in the tick's colour
    band = slice(int((y0 + 3) * s), int((y1 - 3) * s))
    for x, y in labelled:
        a, b = int((x + YEAR_PAD) * s), int((x + YEAR_PAD + year_width(str(y))) * s)
        if a <= xk * s <= b + 6 * s:
            continue
        back = _rgb(PROGRESS if x < xk else TRACK)
        patch = img[band, a:b]
        assert (np.abs(patch - back).max(axis=-1) > 60).mean() > 0.05, y
    # no label where there is no tick: the track between labels is plain
    for (xa, ya), (xb, _) in itertools.pairwise(labelled):
        a, b = xa + YEAR_PAD + year_width(str(ya)) + 2, xb - 2
        for c in range(int(a * s), int(b * s)):
            if abs(c - xk * s) <= 6 * s or any(abs(c - t[0] * s) <= 1.5 for t in ticks):
                continue
            back = _rgb(TRACK if c > xk * s else PROGRESS)
            patch = img[int((y0 + 2) * s) : int((y0 + 5) * s), c]
            assert (np.abs(patch - back).max(axis=-1) <= 8).all(), c
