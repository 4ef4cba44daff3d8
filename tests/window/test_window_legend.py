"""The window's legend lists every category of a colouring with up to 24 (in columns):
the DfE's 20 ethnicity codes, with no "and N more", and no label runs into it."""

from __future__ import annotations

import os

import carevis
import pytest
from carevis.render.layout_text import overlaps

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import make_table, with_ethnicity

pytestmark = pytest.mark.gl


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=str)
def test_window_legend_lists_twenty_ethnic_groups(size: tuple[int, int]) -> None:
    from carevis.window import CarevisCanvas

    j = carevis.Journeys.from_arrow(with_ethnicity(make_table(600, seed=11)))
    scene = carevis.Scene(j, colour="ethnicity")
    c = CarevisCanvas(scene, app="egl", size=size, threaded=False, t="2018-06-30")
    try:
        c.render()
        texts = list(c.legend_text.text)
        cats = list(scene.legend.categories)
        assert len(cats) == 20 and all(t in texts for t in cats)
        assert not any(t.startswith("and ") and t.endswith(" more") for t in texts)
        xs = [p[0] for p, t in zip(c.legend_text.pos, texts, strict=True) if t in cats]
        assert len(set(xs)) == 2  # two columns
        w, _ = c.physical_size
        assert min(xs) * c.pixel_scale >= 0 and max(xs) * c.pixel_scale < w
        boxes = c.label_boxes
        s = c.pixel_scale
        left = min(xs) - 16
        legend = (left * s, 0.0, float(w), (14 + 18 + 14 * 12 + 8) * s)
        for i, b in enumerate(boxes):
            assert not overlaps(b, legend), scene.states[i]
    finally:
        c.close()


@pytest.mark.parametrize("size", [(640, 360), (1280, 720)], ids=str)
def test_window_legend_hides_no_cluster_with_children(size: tuple[int, int]) -> None:
    """At 640x360 the whole legend (with its note) lay over the golden table's Adopted
    cluster: the window now draws it without its note there, which hides nothing."""
    from carevis.render.layout_text import box_meets_disc
    from carevis.window import CarevisCanvas
    from carevis.window.placing import _legend_box

    j = carevis.Journeys.from_arrow(make_table(500, seed=5))
    scene = carevis.Scene(j, colour="la")
    c = CarevisCanvas(scene, app="egl", size=size, threaded=False, t="2018-06-30")
    try:
        c.render()
        model = c.current_labels()
        lg = c._legend_shown(model)
        assert lg is not None
        s, vp = c.pixel_scale, c.viewport
        legend = tuple(v * s for v in _legend_box(lg, c.size[0]))
        hidden = [
            cl.state
            for cl in model.clusters
            if cl.count > 0
            and box_meets_disc(legend, (*vp.to_pixels(*cl.centre), cl.radius * vp.sx))
        ]
        assert hidden == []
        if size == (1280, 720):
            assert lg.note == model.legend.note  # room for all of it: the note stays
    finally:
        c.close()
