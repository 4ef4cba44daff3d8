"""The window's names and filters (issue 17, item 7): a mistyped filter or state is a
ConfigError naming the closest; a filter that shows no child is said in the window (no
warning escapes to the event loop)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import carevis
import pytest
from carevis.errors import ConfigError

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import make_table

pytestmark = pytest.mark.gl


@pytest.fixture
def canvas() -> Iterator[Any]:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(300, seed=11)))
    c = CarevisCanvas(scene, app="egl", size=(480, 270), threaded=False, t="2019-06-30")
    yield c
    c.close()


def test_a_mistyped_filter_or_state_is_a_config_error(canvas: Any) -> None:
    with pytest.raises(ConfigError, match=r"unknown filter 'lx'.*'la'"):
        canvas.set_filter(lx="Kent")
    with pytest.raises(ConfigError, match=r"unknown state 'Foster cre'; did you mean"):
        canvas.set_highlight("Foster cre")
    assert canvas.highlight is None and canvas.filters["la"] is None


def test_a_filter_showing_no_child_is_said_in_the_window(canvas: Any) -> None:
    assert canvas.counts().sum() > 0
    canvas.set_filter(la="Nowhere")  # pytest turns any warning that escapes into an error
    assert canvas.counts().sum() == 0
    assert canvas.message.startswith("no child matches la=Nowhere")
    canvas.render()
    assert canvas.hud.text[-1] == canvas.message  # on screen
    canvas.set_filter(la=None)
    assert canvas.counts().sum() > 0 and canvas.message == ""
