"""Projected dots are drawn lighter from the projection's date (the core's frame, the GPU
frame and the HTML player's uniforms agree), and the label model says "Projection from
<date>" in the caption and "(projected)" on the date past it."""

from __future__ import annotations

import datetime as dt
import os

import carevis
import carevis.project as P
import numpy as np
import pytest
from carevis.scene import PROJECTED_ALPHA, projected_from
from carevis.scene.labels import labels, shown_counts

from .known import steady

os.environ.setdefault("EGL_PLATFORM", "surfaceless")


@pytest.fixture(scope="module")
def projected() -> carevis.Journeys:
    return P.project(steady(per_day=2), years=1, as_of="2018-03-31", seed=4).journeys


def minutes(d: dt.date) -> float:
    return float((d - dt.date(1970, 1, 1)).days * 1440)


def test_frames_lighter_after_the_date(projected: carevis.Journeys) -> None:
    scene = carevis.Scene(projected)
    since = projected_from(projected)
    assert since == minutes(dt.date(2018, 4, 1))
    before = scene.frame_at_minutes(since - 3 * 1440, scene.buffers())
    after = scene.frame_at_minutes(since + 60 * 1440, scene.buffers())
    a0 = before.rgba[before.state >= 0, 3]
    a1 = after.rgba[after.state >= 0, 3]
    full = int(a0.max())
    assert full == round(scene.settings.alpha * 255) and a1.size > 0
    assert abs(int(a1.max()) - full * PROJECTED_ALPHA) <= 1
    # Data is drawn as before: the same table without the projection mark.
    t = projected.to_arrow().replace_schema_metadata({})
    plain = carevis.Scene(carevis.Journeys.from_arrow(t, states=projected.states))
    same = plain.frame_at_minutes(since - 3 * 1440, plain.buffers())
    assert np.array_equal(same.rgba, before.rgba)
    assert plain.frame_at_minutes(since + 60 * 1440, plain.buffers()).rgba[:, 3].max() == full


def test_label_model_says_projection(projected: carevis.Journeys) -> None:
    scene = carevis.Scene(projected)
    since = projected_from(projected)
    assert since is not None
    for m, projected_date in ((since - 1440, False), (since + 1440 * 40, True)):
        frame = scene.frame_at_minutes(m, scene.buffers())
        lab = labels(scene, m, shown_counts(scene, frame), caption="Kent")
        assert lab.caption == "Projection from 31 March 2018. Kent"
        assert lab.date.endswith("(projected)") == projected_date


@pytest.mark.gl
def test_gpu_frame_agrees(projected: carevis.Journeys) -> None:
    from carevis.gl import GpuFrame
    from carevis.gl.offscreen import _offscreen

    _offscreen()
    scene = carevis.Scene(projected)
    since = projected_from(projected)
    assert since is not None
    gpu = GpuFrame(scene)
    try:
        for m in (since - 2 * 1440 + 97.0, since + 30 * 1440 + 5.0):
            g = gpu.read_frame(m)
            c = scene.frame_at_minutes(m, scene.buffers())
            np.testing.assert_array_equal(g.state, c.state)
            d = np.abs(g.rgba[:, 3].astype(int) - c.rgba[:, 3].astype(int))
            assert d.max() <= 1
    finally:
        gpu.close()
