"""The HTML player's labels with "% of children" (issue 17, item 5) read as the exported
pictures' label model does: the same shares, the same rounding, no share on a suppressed
count; and it colours by ethnicity as the engine does."""

from __future__ import annotations

from pathlib import Path

import carevis
import numpy as np
import pytest
from carevis import synthetic
from carevis.export.player import export_html
from carevis.scene.labels import labels

from .browser import Browser


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(synthetic.england(scale=0.003, seed=5), colour="ethnicity")


@pytest.mark.parametrize("values", ["percent", "both"])
def test_page_labels_are_the_models(
    browser: Browser, scene: carevis.Scene, tmp_path: Path, values: str
) -> None:
    page = export_html(scene, tmp_path / "p.html", suppress_below=5, label_values=values)
    for date in ("2017-06-30", "2024-11-15"):
        browser.open(page, f"t={date}")
        got = [x["count"] for x in browser.evaluate("window.carevis.labels()")]
        minutes = float(np.datetime64(date, "m").astype(np.int64))
        model = labels(scene, minutes, scene.counts(date), suppress_below=5, label_values=values)
        want = [c.count_text or "" for c in model.clusters]
        assert got == want
        assert any("%" in t for t in got) and any(t == "<5" for t in got)
