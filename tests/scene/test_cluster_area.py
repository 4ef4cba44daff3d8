"""Crowding reads right: a cluster's area is in proportion to its children (the same
packing of dots in every cluster above the visible minimum), on the synthetic England;
the minimum is stated in the legend ("One dot, one child")."""

from __future__ import annotations

import carevis
import numpy as np
import pytest
from carevis import synthetic
from carevis._time import to_minutes
from carevis.render.layout_text import overlaps
from carevis.scene.labels import labels, shown_counts

DATES = ("2016-03-31", "2021-09-30", "2025-03-31")


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(synthetic.england(scale=0.02, seed=3))


def _occupancy(scene: carevis.Scene, minutes: float) -> np.ndarray:
    """The children in each cluster as the engine sizes it (its daily occupancy)."""
    t0, step, grid = scene._native.occupancy()
    u = np.clip((minutes - t0) / step, 0, np.asarray(grid).shape[1] - 1)
    i = int(np.floor(u))
    g = np.asarray(grid, np.float64)
    j = min(i + 1, g.shape[1] - 1)
    return g[:, i] + (g[:, j] - g[:, i]) * (u - i)


def area_misfits(radii: np.ndarray, counts: np.ndarray, minimum: float) -> list[str]:
    """Clusters above the minimum whose share of the area is not their share of the
    children (to 1%, relative), i.e. whose packing of dots differs."""
    above = (counts > 0) & (radii > minimum * 1.0001)
    area = radii[above].astype(np.float64) ** 2
    share_area = area / area.sum()
    share_count = counts[above] / counts[above].sum()
    bad = np.abs(share_area / share_count - 1) > 0.01
    return [
        f"{100 * c:.2f}% of the children, {100 * a:.2f}% of the area"
        for c, a in zip(share_count[bad], share_area[bad], strict=True)
    ]


@pytest.mark.parametrize("date", DATES)
def test_area_share_is_count_share(scene: carevis.Scene, date: str) -> None:
    m = to_minutes(date)
    radii = scene.radii_at_minutes(m)
    counts = _occupancy(scene, m)
    base = scene.settings.base_radius
    assert area_misfits(radii, counts, base) == []
    # one packing for all: dots per unit area the same in every cluster above the minimum
    above = radii > base * 1.0001
    assert above.sum() >= 8  # most clusters are sized by their children
    packing = counts[above] / radii[above].astype(np.float64) ** 2
    assert np.ptp(packing) / packing.mean() < 0.01
    # below the minimum: drawn at the minimum, which is stated as a number of children
    small = ~above
    assert np.all(radii[small] == np.float32(base))
    n_min = scene.min_cluster_children
    assert np.all(counts[small] < n_min) and np.all(counts[above] >= n_min - 1)


def test_the_old_rule_fails_the_check(scene: carevis.Scene) -> None:
    """base + spacing * sqrt(n), the old radius, gave small clusters far more than their
    share (0.9% of the children, 5.1% of the area): the check catches it."""
    m = to_minutes("2025-03-31")
    counts = _occupancy(scene, m)
    old = 0.012 + scene._native.spacing * np.sqrt(counts)
    assert area_misfits(old.astype(np.float32), counts, 0.0)


def test_the_legend_states_one_dot_one_child_and_the_minimum(scene: carevis.Scene) -> None:
    m = to_minutes("2025-03-31")
    model = labels(scene, m, shown_counts(scene, scene.frame("2025-03-31")))
    n = scene.min_cluster_children
    assert model.legend.note == ("One dot, one child", f"Area shows how many (min. {n:,})")
    assert model.legend.texts[-2:] == list(model.legend.note)
    # pictures draw it as the legend's size key, bottom left, clear of every other text
    from carevis.render.overlay import OverlayStyle, overlay_plan
    from carevis.render.settings import RenderSettings

    for w, h in ((640, 360), (1920, 1080), (7680, 4320)):
        plan = overlay_plan(model, RenderSettings(w, h).viewport(), OverlayStyle())
        assert plan.note is not None and plan.note.box is not None
        assert [ln.text for ln in plan.note.block.lines] == list(model.legend.note)
        x0, y0, x1, y1 = plan.note.box
        assert 0 <= x0 < x1 < w / 2 and h / 2 < y0 < y1 <= h
        others = [b for name, b in plan.layout.boxes() if name != "note"]
        assert not any(overlaps(plan.note.box, b) for b in others)
    # the minimum is where the area rule takes over: one child fewer is at the minimum
    k = scene._native.spacing
    base = np.float32(scene.settings.base_radius)
    assert np.float32(k) * np.float32(np.sqrt(n)) >= base > np.float32(k) * np.sqrt(n - 1)
