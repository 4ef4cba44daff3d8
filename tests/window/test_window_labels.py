"""The window's cluster labels (issue 17, item 1): placed by the pictures' placement, so
no two overlap, none covers the date, the legend or the timeline, and each is drawn over
a halo of the same text in the background colour."""

from __future__ import annotations

import os

import carevis
import pytest
from carevis.render.layout_text import overlaps

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import make_table

pytestmark = pytest.mark.gl


@pytest.mark.parametrize("size", [(960, 540), (1280, 720)], ids=str)
def test_window_labels_do_not_overlap(size: tuple[int, int]) -> None:
    from carevis.window import CarevisCanvas
    from carevis.window.drawing import HALO

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(600, seed=11)))
    c = CarevisCanvas(scene, app="egl", size=size, threaded=False, t="2018-06-30")
    try:
        c.render()
        boxes = c.label_boxes
        assert len(boxes) == len(scene.states)
        w, h = c.physical_size
        hud = (0, 0, 160 * c.pixel_scale, 90 * c.pixel_scale)  # the date and speed
        x0, y0, x1, y1 = c._timeline_box()
        s = c.pixel_scale
        for i, a in enumerate(boxes):
            assert a[0] >= 0 and a[2] <= w and a[1] >= 0 and a[3] <= h, scene.states[i]
            assert not overlaps(a, hud) and not overlaps(a, (x0 * s, y0 * s, x1 * s, y1 * s))
            for j, b in enumerate(boxes[i + 1 :], i + 1):
                assert not overlaps(a, b), (scene.states[i], scene.states[j])
        assert list(c.label_halo.text) == [t for t in c.labels.text for _ in HALO]
    finally:
        c.close()
