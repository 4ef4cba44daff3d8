"""The window's labels show what ``label_values`` asks (issue 17, item 5), as the exported
pictures do: the count, the share of the children shown, or both; ``carevis view
--label-values`` sets it, and a picture the window saves says the same."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import carevis
import pyarrow.parquet as pq
import pytest
from carevis.errors import ConfigError

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import make_table

pytestmark = pytest.mark.gl


def test_window_labels_show_percent_or_both() -> None:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(500, seed=3)))
    seen = {}
    for values in ("count", "percent", "both"):
        c = CarevisCanvas(
            scene, app="egl", size=(640, 360), threaded=False, t="2019-03-31", label_values=values
        )
        try:
            c.render()
            seen[values] = c.label_texts()
        finally:
            c.close()
    assert not any("%" in t for t in seen["count"])
    assert sum(re.search(r"\d+(\.\d+)?%", t) is not None for t in seen["percent"]) >= 3
    both = [t for t in seen["both"] if re.search(r"[\d,]+ \(\d+(\.\d+)?%\)", t)]
    assert len(both) >= 3
    with pytest.raises(ConfigError, match="label_values"):
        CarevisCanvas(scene, app="egl", size=(320, 180), threaded=False, label_values="share")


def test_view_command_takes_label_values(monkeypatch: Any, tmp_path: Path) -> None:
    from carevis import window
    from carevis.window import launch

    path = tmp_path / "j.parquet"
    pq.write_table(make_table(50, seed=1), path)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(launch, "view", lambda scene, **kw: seen.update(kw))
    monkeypatch.setattr(launch, "check_display", lambda: None)
    assert window.main_view([str(path), "--label-values", "both"]) == 0
    assert seen["label_values"] == "both"
    assert window.main_view([str(path)]) == 0 and seen["label_values"] == "count"
