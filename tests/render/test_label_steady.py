"""Labels that do not jump (issue 17): over the consecutive frames of a video each text
keeps its place in the frame before while it still can. A label moves only when its old
place (re-measured for this frame's rim and text) would overlap another text, leave the
picture or cover another cluster's dots, or when a place :data:`NEARER` push steps
closer to its cluster has come free; and no frame's texts overlap. Boxes only."""

from __future__ import annotations

import carevis
import numpy as np
import pytest
from carevis import export
from carevis._time import to_minutes
from carevis.render import OverlayStyle, RenderSettings
from carevis.render.layout_text import (
    NEARER,
    Box,
    TextLayout,
    _candidates,
    inside,
    overlaps,
    push_step,
)
from carevis.render.overlay import overlay_labels, overlay_plan
from carevis.render.text_plan import TextPlan
from carevis.scene.labels import shown_counts
from carevis.viewport import Viewport

from tests.journey_tables import make_table

#: Crowded small pictures, where labels were seen to hop, up to 720p.
SIZES = [(320, 180), (480, 270), (640, 360), (1280, 720)]
#: 60 frames a day apart: counts, rims and label widths change from frame to frame.
TIMES = [to_minutes("2017-03-01") + 1440.0 * k for k in range(60)]


@pytest.fixture(scope="module")
def scenes() -> dict[str, carevis.Scene]:
    england = carevis.synthetic.england(scale=0.01, seed=3)
    return {
        "england": carevis.Scene(england),
        "england-circle": carevis.Scene(england, layout="circle"),
        "tables": carevis.Scene(carevis.Journeys.from_arrow(make_table(800, seed=11))),
    }


def plans(scene: carevis.Scene, size: tuple[int, int], steady: bool) -> list[TextPlan]:
    """The texts of each frame placed with the frame before's layout (``steady``) or
    afresh (as every frame was before)."""
    style, vp = OverlayStyle(caption="A caption"), Viewport.fit(*size)
    frame, out, previous = scene.buffers(), [], None
    for m in TIMES:
        frame = scene.frame_at_minutes(m, frame)
        counts, radii = shown_counts(scene, frame), scene.radii_at_minutes(m)
        model = overlay_labels(scene, m, counts, radii, style)
        p = overlay_plan(model, vp, style, previous if steady else None)
        out.append(p)
        previous = p.layout
    return out


def covers_dots(box: Box, discs: np.ndarray, own: int) -> bool:
    nx = np.clip(discs[:, 0], box[0], box[2])
    ny = np.clip(discs[:, 1], box[1], box[3])
    hit = (nx - discs[:, 0]) ** 2 + (ny - discs[:, 1]) ** 2 < discs[:, 2] ** 2
    hit[own] = False
    return bool(hit.any())


def needless(before: TextLayout, now: TextLayout, discs: np.ndarray, unit: float) -> list[str]:
    """Each label that moved from layout ``before`` to ``now`` though its old place
    (re-measured for this frame: ``discs`` rows of x, y, r in pixels, the box as large
    as its text now) was still free, inside the picture and off other clusters' dots,
    and no place NEARER steps closer came free."""
    bad = []
    boxes = now.boxes()
    for i, box in enumerate(now.clusters):
        name = f"label {i}"
        was, got = before.choices.get(name), now.choices.get(name)
        if box is None or was is None or got is None or was == got:
            continue
        size = (box[2] - box[0], box[3] - box[1])
        x, y, r = discs[i]
        old = _candidates(x, y, r, size, unit, "below")[was]
        blocked = (
            not inside(old, now.width, now.height)
            or any(overlaps(old, b) for n, b in boxes if n != name)
            or covers_dots(old, discs, i)
        )
        if not blocked and push_step(got) > push_step(was) - NEARER:
            bad.append(f"label {i} {was} -> {got}")
    return bad


def needless_moves(scene: carevis.Scene, size: tuple[int, int], ps: list[TextPlan]) -> list[str]:
    """:func:`needless` moves over a sequence of planned frames at :data:`TIMES`."""
    vp = Viewport.fit(*size)
    centres = [vp.to_pixels(*c) for c in scene.centres]
    bad = []
    for t in range(1, len(ps)):
        radii = scene.radii_at_minutes(TIMES[t]) * vp.sx
        discs = np.array([(x, y, r) for (x, y), r in zip(centres, radii, strict=True)])
        bad += [
            f"frame {t}: {m}" for m in needless(ps[t - 1].layout, ps[t].layout, discs, ps[t].unit)
        ]
    return bad


def assert_clean(layout: TextLayout) -> None:
    assert layout.overlapping() == []
    assert layout.outside() == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("data", ["england", "england-circle", "tables"])
def test_labels_move_only_when_they_must(
    scenes: dict[str, carevis.Scene], data: str, size: tuple[int, int]
) -> None:
    scene = scenes[data]
    ps = plans(scene, size, steady=True)
    for p in ps:
        assert_clean(p.layout)
    assert needless_moves(scene, size, ps) == []


def test_the_check_fails_on_placing_each_frame_afresh(
    scenes: dict[str, carevis.Scene],
) -> None:
    """What the steadiness is for: placed afresh, as every frame was before, labels hop
    from one side of their clusters to another although their places were free (from
    320x180 to 720p in the circle layout)."""
    for data, size in [("tables", (320, 180)), ("england-circle", (1280, 720))]:
        scene = scenes[data]
        assert needless_moves(scene, size, plans(scene, size, steady=False)) != [], data


def test_a_sequence_started_mid_way_draws_what_one_run_draws(
    scenes: dict[str, carevis.Scene],
) -> None:
    """A range of a video (on a cluster) or resumed frames start from the layout found
    without drawing for the frame before them: the same pictures as one run (started
    afresh instead, some differ)."""
    scene = scenes["tables"]
    s = RenderSettings(320, 180, overlay=OverlayStyle())
    times, a = TIMES[:24], 12
    whole = [img.copy() for _, img in export.pictures(scene, times, s)]
    seed = list(export.layouts(scene, times[:a], s))[-1]
    rest = [img.copy() for _, img in export.pictures(scene, times[a:], s, previous=seed)]
    for x, y in zip(whole[a:], rest, strict=True):
        np.testing.assert_array_equal(x, y)
    afresh = [img.copy() for _, img in export.pictures(scene, times[a:], s)]
    assert any(not np.array_equal(x, y) for x, y in zip(whole[a:], afresh, strict=True))
