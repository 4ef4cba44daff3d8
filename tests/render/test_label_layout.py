"""The placement of a picture's texts (issue 17, item 1): no label box overlaps another,
a group heading, the legend, the title, the date or the caption, and every box lies
inside the picture, from 320x180 (what does not fit is left out) to 16K, in the pathway
and circle layouts, for the synthetic England and the small test tables. Boxes only:
nothing is rasterised."""

from __future__ import annotations

from dataclasses import replace

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis._time import to_minutes
from carevis.render.layout_text import TextLayout, box_meets_disc, overlaps
from carevis.render.overlay import OverlayStyle, overlay_labels, overlay_plan
from carevis.render.text_plan import TextPlan, plan, text_unit
from carevis.scene.congestion import CongestionSettings
from carevis.scene.labels import Labels
from carevis.viewport import Viewport

from tests.journey_tables import make_table, with_ethnicity

T = "2018-06-30"
SIZES = [(640, 360), (1280, 720), (1920, 1080), (3840, 2160), (15360, 8640)]
#: Smaller than the smallest picture the issue named: texts that do not fit are left out.
SMALL = [(320, 180), (400, 225), (480, 270), (560, 315)]
DATA = ["england", "tables"]


@pytest.fixture(scope="module")
def journeys() -> dict[str, carevis.Journeys]:
    return {
        "england": carevis.synthetic.england(scale=0.01, seed=3),
        "tables": carevis.Journeys.from_arrow(make_table(800, seed=11)),
        "births": carevis.Journeys.from_arrow(with_births(make_table(500, seed=5))),
    }


def with_births(t: pa.Table) -> pa.Table:
    """The golden pictures' table: a birth month per child, every age band drawn."""
    child = t["child_id"].to_numpy()
    months = np.random.default_rng(9).integers(0, 18 * 12, child.max() + 1)[child]
    birth = np.datetime64("2016-01", "M") - months.astype("timedelta64[M]")
    return t.append_column("birth_month", pa.array(birth.astype("datetime64[D]"), pa.date32()))


def plan_of(
    j: carevis.Journeys, layout: str, size: tuple[int, int], style: OverlayStyle
) -> TextPlan:
    scene = carevis.Scene(j, layout=layout)
    minutes = to_minutes(T)
    model = overlay_labels(scene, minutes, scene.counts(T), scene.radii_at_minutes(minutes), style)
    return overlay_plan(model, Viewport.fit(*size), style)


def assert_clean(layout: TextLayout) -> None:
    assert layout.overlapping() == []
    assert layout.outside() == []


@pytest.mark.parametrize("size", SMALL + SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("layout", ["pathway", "circle"])
@pytest.mark.parametrize("data", DATA)
def test_no_text_overlaps_another_and_all_lie_inside(
    journeys: dict[str, carevis.Journeys], data: str, layout: str, size: tuple[int, int]
) -> None:
    p = plan_of(journeys[data], layout, size, OverlayStyle(caption="A caption"))
    assert_clean(p.layout)
    names = {n.split()[0] for n, _ in p.layout.boxes()}
    assert {"title", "date", "legend", "caption", "label"} <= names
    if layout == "pathway":
        assert "group" in names
    placed = [c for c in p.clusters if c is not None and c.box is not None]
    # Every cluster is labelled from 1280x720 up; at 640x360 at most a few are left out.
    assert len(placed) >= len(p.clusters) - (3 if size[0] < 1280 else 0)


@pytest.mark.parametrize("size", [(640, 360), (1920, 1080)], ids=str)
def test_congestion_figures_and_a_long_title_find_room_too(
    journeys: dict[str, carevis.Journeys], size: tuple[int, int]
) -> None:
    style = OverlayStyle(
        title="A very long title that would run into the date on a small picture, surely",
        congestion=CongestionSettings(),
    )
    p = plan_of(journeys["england"], "pathway", size, style)
    assert_clean(p.layout)
    assert p.date is not None and p.title is not None
    assert p.date.box is not None and p.title.box is not None
    assert not overlaps(p.date.box, p.title.box)


def test_labels_sit_outside_their_cluster(journeys: dict[str, carevis.Journeys]) -> None:
    scene = carevis.Scene(journeys["england"], layout="pathway")
    vp = Viewport.fit(1920, 1080)
    p = plan_of(journeys["england"], "pathway", (1920, 1080), OverlayStyle())
    minutes = to_minutes(T)
    radii = scene.radii_at_minutes(minutes)
    for i, c in enumerate(p.clusters):
        assert c is not None and c.box is not None
        cx, cy = vp.to_pixels(*scene.centres[i])
        nx, ny = np.clip(cx, c.box[0], c.box[2]), np.clip(cy, c.box[1], c.box[3])
        assert np.hypot(nx - cx, ny - cy) >= radii[i] * vp.sx, scene.states[i]


def old_placement(p: TextPlan, scene: carevis.Scene, vp: Viewport) -> TextLayout:
    """Where the overlay put the same texts before issue 17: each label under its
    cluster's rim and each heading over its group, whatever was there; the rims where
    they were then too (radius 0.012 + spacing * sqrt(n), before item 2 made the area
    proportional to the children)."""
    minutes = to_minutes(T)
    radii = 0.012 + scene._native.spacing * np.sqrt(scene.counts(T).astype(np.float64))
    at = [vp.to_pixels(*c) for c in scene.centres]
    labels = []
    for i, c in enumerate(p.clusters):
        assert c is not None
        labels.append(c.block.box_at(at[i][0], at[i][1] + radii[i] * vp.sx + 0.5 * p.unit))
    groups = []
    if p.groups:
        model = overlay_labels(scene, minutes, scene.counts(T), radii, OverlayStyle())
        top = min(at[k][1] for g in model.groups for k in g.members) - 4.2 * p.unit
        for g, placed in zip(model.groups, p.groups, strict=True):
            gx = sum(at[k][0] for k in g.members) / len(g.members)
            groups.append(placed.block.box_at(gx, top))
    return TextLayout(vp.width, vp.height, p.layout.fixed, tuple(groups), tuple(labels), ())


@pytest.mark.parametrize("layout", ["pathway", "circle"])
def test_the_check_fails_on_the_old_placement(
    journeys: dict[str, carevis.Journeys], layout: str
) -> None:
    """The check catches what issue 17 saw: the old placement's labels overlap."""
    size = (640, 360)
    scene = carevis.Scene(journeys["england"], layout=layout)
    p = plan_of(journeys["england"], layout, size, OverlayStyle())
    assert old_placement(p, scene, Viewport.fit(*size)).overlapping() != []


@pytest.mark.parametrize("size", SMALL + SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_legend_of_twenty_ethnic_groups_shows_every_one(size: tuple[int, int]) -> None:
    """Coloured by the DfE's 20 ethnicity codes the legend lists every one (in columns),
    with no "and N more", and still overlaps nothing."""
    t = with_ethnicity(make_table(800, seed=11))
    scene = carevis.Scene(carevis.Journeys.from_arrow(t), layout="pathway", colour="ethnicity")
    minutes = to_minutes(T)
    style = OverlayStyle(caption="A caption")
    model = overlay_labels(scene, minutes, scene.counts(T), scene.radii_at_minutes(minutes), style)
    assert len(model.legend.categories) == 20 and model.legend.more == 0
    p = overlay_plan(model, Viewport.fit(*size), style)
    assert_clean(p.layout)
    assert p.legend_at is not None


def fixed_gap(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float]:
    """(space between two boxes side by side, space one under the other); negative
    where they share that extent."""
    side = max(a[0] - b[2], b[0] - a[2])
    under = max(a[1] - b[3], b[1] - a[3])
    return side, under


LONG_DATES = ["Wednesday 30 September 2024 (projected)", "30 September 2024", "1 May 2021"]
TITLES = [
    "Children's journeys through social care",
    "Children's journeys through social care in England, synthetic data",
]


@pytest.mark.parametrize("size", SMALL + SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_title_and_the_date_keep_apart(
    journeys: dict[str, carevis.Journeys], size: tuple[int, int]
) -> None:
    """Issue 17: the title ran into a long date. Side by side they keep 1.5 text units
    apart (the title shrinks or wraps), else the date goes under the title with space
    between; every other text still finds room."""
    from dataclasses import replace

    from carevis.render.text_plan import TITLE_GAP, TITLE_UNDER

    scene = carevis.Scene(journeys["england"], layout="pathway")
    minutes = to_minutes(T)
    for title in TITLES:
        style = OverlayStyle(title=title, caption="Synthetic data, not real children")
        model = overlay_labels(
            scene, minutes, scene.counts(T), scene.radii_at_minutes(minutes), style
        )
        for date in LONG_DATES:
            p = overlay_plan(replace(model, date=date), Viewport.fit(*size), style)
            assert_clean(p.layout)
            assert p.title is not None and p.date is not None
            assert p.title.box is not None and p.date.box is not None
            side, under = fixed_gap(p.title.box, p.date.box)
            assert side >= TITLE_GAP * p.unit - 1e-9 or under >= TITLE_UNDER * p.unit - 1e-9, (
                title,
                date,
                side,
                under,
            )
            assert " ".join(ln.text for ln in p.title.block.lines) == title


@pytest.mark.parametrize("size", [(160, 90), (200, 112), (240, 135)], ids=str)
@pytest.mark.parametrize("layout", ["pathway", "circle"])
def test_texts_that_do_not_fit_a_tiny_picture_are_left_out(
    journeys: dict[str, carevis.Journeys], layout: str, size: tuple[int, int]
) -> None:
    """Below 320x180 not every text fits: those that would overlap a higher-ranked one
    are left out, never drawn over it (the legend moves clear of the note first); the
    caption (the synthetic-data note) always stays."""
    p = plan_of(journeys["england"], layout, size, OverlayStyle(caption="A caption"))
    assert p.layout.overlapping() == []
    assert p.caption is not None and "caption" in p.layout.fixed
    assert p.date is not None
    if size == (160, 90) and p.note is not None and p.legend_at is not None:
        # the legend's note met the legend bottom right: the legend went where it is clear
        assert not overlaps(p.layout.fixed["legend"], p.layout.fixed["note"])


def legend_plan(
    j: carevis.Journeys, size: tuple[int, int], previous: TextLayout | None = None
) -> tuple[TextPlan, Labels]:
    """A pathway picture's texts, coloured by age band where the data has birth months
    (five categories: a tall legend)."""
    has_birth = "birth_month" in j.to_arrow().column_names
    scene = carevis.Scene(j, colour="age_band" if has_birth else "time_in_care")
    minutes = to_minutes(T)
    style = OverlayStyle(caption="A caption")
    model = overlay_labels(scene, minutes, scene.counts(T), scene.radii_at_minutes(minutes), style)
    return plan(model, Viewport.fit(*size), previous=previous), model


def covered_clusters(p: TextPlan, model: Labels, size: tuple[int, int]) -> list[str]:
    """States with children whose disc the legend's box covers."""
    vp = Viewport.fit(*size)
    box = p.layout.fixed["legend"]
    return [
        c.state
        for c in model.clusters
        if c.count > 0 and box_meets_disc(box, (*vp.to_pixels(*c.centre), c.radius * vp.sx))
    ]


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (1920, 1080)], ids=str)
@pytest.mark.parametrize("data", [*DATA, "births"])
def test_the_legend_covers_no_cluster_with_children(
    journeys: dict[str, carevis.Journeys], data: str, size: tuple[int, int]
) -> None:
    # the pathway's bottom-right cluster (Lost to follow-up) lay under the bottom-right
    # legend of the golden pictures' table ("births") at 640x360 and 1920x1080: its
    # children were hidden
    p, model = legend_plan(journeys[data], size)
    assert covered_clusters(p, model, size) == []
    assert_clean(p.layout)


def test_the_legend_keeps_a_clear_place_from_the_frame_before(
    journeys: dict[str, carevis.Journeys],
) -> None:
    size = (1920, 1080)
    first, model = legend_plan(journeys["tables"], size)
    assert first.legend_at is not None
    box = first.layout.fixed["legend"]
    up = round(text_unit(Viewport.fit(*size)))  # one step up the right edge: still clear
    moved = (box[0], box[1] - up, box[2], box[3] - up)
    before = replace(first.layout, fixed={**first.layout.fixed, "legend": moved})
    again, _ = legend_plan(journeys["tables"], size, previous=before)
    assert again.legend_at == (first.legend_at[0], first.legend_at[1] - up)
    assert covered_clusters(again, model, size) == []
    assert_clean(again.layout)
    # without the frame before, the first clear place from the bottom, as at first
    assert legend_plan(journeys["tables"], size)[0].legend_at == first.legend_at
