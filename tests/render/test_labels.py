"""The label model (carevis.scene.labels): what text goes where, with which suppression.
Both painters (the PIL overlay and the window) read it; these check the model itself."""

from __future__ import annotations

import carevis
import numpy as np
import pytest
from carevis.errors import ConfigError
from carevis.journeys import SYNTHETIC_NOTE
from carevis.scene.labels import (
    check_suppression,
    format_count,
    full_caption,
    labels,
    shown_counts,
)

from tests.journey_tables import make_table

T = "2018-06-30"
MINUTES = carevis._time.to_minutes(T)


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(carevis.Journeys.from_arrow(make_table(500, seed=5)))


def test_counts_suppressed_below_the_threshold_as_less_than_or_hidden() -> None:
    assert format_count(1234) == "1,234"
    assert format_count(3, 5) == "<5"
    assert format_count(3, 5, "hide") is None
    assert format_count(0, 5) == "0"  # nobody there is not a small number
    assert format_count(5, 5) == "5"
    with pytest.raises(ConfigError, match="suppress_style"):
        check_suppression(5, "blank")
    with pytest.raises(ConfigError, match="suppress_below"):
        check_suppression(-1, "<N")


def test_labels_count_only_the_children_shown(scene: carevis.Scene) -> None:
    kent = scene.filter_mask(la="Kent")
    filtered = scene.with_filter(kent)
    frame = filtered.frame(T)
    counts = shown_counts(filtered, frame)
    every = frame.counts(len(scene.states))
    np.testing.assert_array_equal(counts, frame.counts(len(scene.states), visible=kent))
    assert counts.sum() < every.sum()
    model = labels(filtered, MINUTES, counts, suppress_below=4)
    for c, n in zip(model.clusters, counts, strict=True):
        assert c.count == n
        assert c.count_text == ("<4" if 0 < n < 4 else f"{n:,}")
        assert c.text == f"{c.state} {c.count_text}"


def test_anchors_groups_date_caption_legend(scene: carevis.Scene) -> None:
    counts = scene.counts(T)
    radii = scene.radii_at_minutes(MINUTES)
    model = labels(scene, MINUTES, counts, radii, title="A title", suppress_style="hide")
    k = 3
    assert model.clusters[k].centre == (float(scene.centres[k, 0]), float(scene.centres[k, 1]))
    assert model.clusters[k].radius == float(radii[k])
    # the pathway layout's groups head their states; each state in at most one group
    members = [i for g in model.groups for i in g.members]
    assert model.groups and len(members) == len(set(members))
    assert all(g.text == g.text.upper() for g in model.groups)
    assert model.date == "30 June 2018" and model.title == "A title"
    assert model.caption is None
    assert model.legend.texts[0] == scene.legend.title
    circle = scene.replace(layout="circle")
    assert labels(circle, MINUTES, counts).groups == ()


def test_synthetic_note_cannot_be_left_off() -> None:
    j = carevis.synthetic.england(scale=0.002)
    scene = carevis.Scene(j if isinstance(j, carevis.Journeys) else carevis.Journeys.from_arrow(j))
    assert full_caption(scene, None) == SYNTHETIC_NOTE
    assert full_caption(scene, "Made up") == f"{SYNTHETIC_NOTE}. Made up"
    model = labels(scene, MINUTES, scene.counts(T), caption="Made up")
    assert model.caption == f"{SYNTHETIC_NOTE}. Made up"


def test_legend_lists_24_categories_in_two_columns_then_how_many_more(
    scene: carevis.Scene,
) -> None:
    from carevis.scene.labels import legend_entries

    legend = scene.legend

    def council(n: int) -> object:
        names = [f"LA {i}" for i in range(n)]
        return type(legend)("Council", "categorical", np.zeros((n, 4), np.uint8), [], names)

    entries = legend_entries(council(20))  # the DfE's ethnicity codes: every one shown
    assert entries.categories == tuple(f"LA {i}" for i in range(20)) and entries.more == 0
    assert (entries.columns, entries.rows) == (2, 12) and len(entries.colours) == 20
    assert entries.cell(11) == (0, 11) and entries.cell(12) == (1, 0)
    assert "and" not in entries.texts[-1]
    entries = legend_entries(council(30))
    assert len(entries.categories) == 24 and entries.more == 6
    assert entries.texts[-1] == "and 6 more" and len(entries.colours) == 24
    few = legend_entries(council(5))
    assert (few.columns, few.rows, few.more) == (1, 5, 0)
