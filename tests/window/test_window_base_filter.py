"""A scene given to the window with a filter (``carevis view --filter``, or a notebook's
``scene.with_filter``) stays filtered: the window's own filters narrow it and R resets to
it, not to every child."""

from __future__ import annotations

import os

import carevis
import numpy as np
import pytest

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import make_table

pytestmark = pytest.mark.gl


def test_the_given_filter_survives_the_windows_filters_and_reset() -> None:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(400, seed=5)))
    la = np.asarray(scene.journeys.attribute("la").to_pylist())
    sex = np.asarray(scene.journeys.attribute("sex").to_pylist())
    base = la == la[0]
    c = CarevisCanvas(
        scene.with_filter(base), app="egl", size=(320, 180), threaded=False, t="2019-03-31"
    )
    try:
        c.set_filter(sex=str(sex[0]))
        em = c.scene.emphasis
        assert em is not None and em.visible is not None
        assert np.array_equal(em.visible, base & (sex == sex[0]))
        c.reset()
        em = c.scene.emphasis
        assert em is not None and em.visible is not None
        assert np.array_equal(em.visible, base)
        assert c.counts().sum() <= base.sum()
    finally:
        c.close()
