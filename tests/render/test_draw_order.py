"""Dots are drawn in dot order, and in a crowded cluster the dot drawn last is the one
seen. Dot order keeps children who leave at about the same time together (frames read
their spells in runs), so it must not let time decide which colour covers which: a
crowded cluster drawn in dot order looks as it does drawn in a random order."""

from __future__ import annotations

import carevis
import numpy as np
import pytest
from carevis.render import RenderSettings

W, H = 960, 540


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(carevis.synthetic.england(scale=0.05))


def cluster_colours(scene: carevis.Scene, t: str, order: np.ndarray) -> dict[str, np.ndarray]:
    """Mean RGB inside each crowded cluster of the frame at `t`, dots drawn in `order`."""
    f = scene.frame(t)
    vp = RenderSettings(W, H).viewport()
    img = np.empty((H, W, 4), np.uint8)
    carevis._native.Rasteriser().render(
        np.ascontiguousarray(f.x[order]),
        np.ascontiguousarray(f.y[order]),
        np.ascontiguousarray(f.rgba[order]),
        img,
        radius_px=1.5,
        sx=vp.sx,
        sy=vp.sy,
        tx=vp.tx,
        ty=vp.ty,
        background=(247, 247, 244, 255),
    )
    radii = scene.radii(t)
    yy, xx = np.mgrid[0:H, 0:W]
    out = {}
    for s, name in enumerate(scene.states):
        if ((f.state == s) & (f.rgba[:, 3] > 0)).sum() < 1000:
            continue
        cx, cy = scene.centres[s]
        px, py, r = vp.sx * cx + vp.tx, vp.sy * cy + vp.ty, abs(vp.sx) * radii[s] * 0.9
        inside = (xx - px) ** 2 + (yy - py) ** 2 < r * r
        out[name] = img[inside][:, :3].astype(float).mean(axis=0)
    return out


def largest_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert a.keys() == b.keys() and len(a) >= 3
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


@pytest.mark.parametrize("t", ["2021-06-30", "2025-03-31"])
def test_crowded_clusters_look_as_in_a_random_order(scene: carevis.Scene, t: str) -> None:
    n = scene.n_dots
    rng = np.random.default_rng(1)
    randoms = [cluster_colours(scene, t, rng.permutation(n)) for _ in range(4)]
    expected = {k: np.mean([r[k] for r in randoms], axis=0) for k in randoms[0]}
    ours = largest_difference(cluster_colours(scene, t, np.arange(n)), expected)
    # Drawn by arrival (children who arrived last on top), what dot order must not do,
    # the same comparison fails by far.
    spells = scene.journeys.spells()
    first = spells["start"][spells["offsets"][:-1]]
    by_arrival = largest_difference(
        cluster_colours(scene, t, np.argsort(first, kind="stable")), expected
    )
    assert by_arrival > 40, by_arrival
    # One random order against the mean of four differs by 4-10 levels at this size.
    assert ours <= 20, ours
