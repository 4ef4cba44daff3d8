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


#: Window sizes down to well under 640x360, where labels were seen to overlap (issue 17).
SIZES = [(320, 180), (480, 270), (640, 360), (960, 540), (1280, 720)]


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_window_labels_do_not_overlap(size: tuple[int, int]) -> None:
    """No label overlaps another, the HUD, the legend or the timeline, and the legend
    overlaps neither the HUD's text nor the timeline: at any size what does not fit is
    left out. From 960x540 every state is named."""
    from carevis.window import CarevisCanvas
    from carevis.window.drawing import HALO, _legend_box

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(600, seed=11)))
    c = CarevisCanvas(scene, app="egl", size=size, threaded=False, t="2018-06-30")
    try:
        c.render()
        boxes = c.label_boxes
        texts = list(c.labels.text)
        assert len(boxes) == sum(t != "" for t in texts)
        if size[0] >= 960:
            assert len(boxes) == len(scene.states)
        w, h = c.physical_size
        s = c.pixel_scale
        hud = (0, 0, 160 * s, 90 * s)  # the date and speed
        x0, y0, x1, y1 = c._timeline_box()
        timeline = (x0 * s, y0 * s, x1 * s, y1 * s)
        legend_texts = [t for t in c.legend_text.text if t]
        others = [hud, timeline]
        if legend_texts:  # drawn: where it stands, clear of the HUD and the timeline
            lg = c._legend_shown(c.label_model)
            assert lg is not None and legend_texts[0] == lg.title
            lx0, ly0, lx1, ly1 = _legend_box(lg, c.size[0])
            legend = (lx0 * s, ly0 * s, lx1 * s, ly1 * s)
            assert lx0 >= 0 and not overlaps(legend, hud) and not overlaps(legend, timeline)
            others.append(legend)
        else:
            assert size[0] < 640
        for i, a in enumerate(boxes):
            assert a[0] >= 0 and a[2] <= w and a[1] >= 0 and a[3] <= h, i
            assert not any(overlaps(a, b) for b in others), i
            for j, b in enumerate(boxes[i + 1 :], i + 1):
                assert not overlaps(a, b), (i, j)
        assert list(c.label_halo.text) == [t for t in texts for _ in HALO]
    finally:
        c.close()
