"""The window shows congestion as the pictures do: ``view(..., congestion=)`` and
``carevis view --congestion`` ring the congested waiting state and put its figures in its
label; its legend says what a dot and a cluster's size mean."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import carevis
import pyarrow.parquet as pq
import pytest
from carevis.congestion import CongestionSettings

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.conftest import day, table
from tests.scene.test_congestion import NOW, WINDOW, _rows

pytestmark = pytest.mark.gl


def test_window_marks_congestion_and_states_the_size_rule() -> None:
    from carevis.window import view

    scene = carevis.Scene(carevis.Journeys.from_arrow(table(_rows())))
    settings = CongestionSettings(window_days=WINDOW)
    c = view(scene, run=False, app="egl", size=(960, 540), t=day(NOW), congestion=settings)
    try:
        c.render()
        model = c.label_model
        assert model is not None
        assert [k.state for k in model.congested] == ["Assessment"]
        want = "Assessment 129 (+514% in 6 months, median wait 3.6 months)"
        assert want in list(c.labels.text)
        assert not any("wait" in t for t in c.labels.text if t.startswith("Foster"))
        assert list(model.legend.note) == list(c.legend_text.text)[-2:]
        assert model.legend.note[0] == "One dot, one child"
    finally:
        c.close()


def test_main_view_takes_congestion(monkeypatch: Any, tmp_path: Path) -> None:
    from carevis import window
    from carevis.window import launch

    path = tmp_path / "j.parquet"
    pq.write_table(table(_rows()), path)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(launch, "view", lambda scene, **kw: seen.update(kw))
    monkeypatch.setenv("DISPLAY", ":0")  # main_view refuses to start without a display
    monkeypatch.setattr(launch, "check_display", lambda: None)  # nor is :0 probed
    assert window.main_view([str(path), "--congestion", "--congestion-window", "91"]) == 0
    assert seen["congestion"] == CongestionSettings(window_days=91)
    assert window.main_view([str(path)]) == 0 and seen["congestion"] is None
