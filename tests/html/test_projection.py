"""A projection's HTML page: its dots lighter past the date, as the CPU exporter draws them,
and its date line and caption say it is a projection."""

from __future__ import annotations

from pathlib import Path

import carevis
import carevis.project as P
import numpy as np
from carevis import synthetic
from carevis.export.player import export_html
from PIL import Image

from .browser import Browser
from .conftest import HEIGHT, WIDTH
from .test_page import BAD, MEAN, TOL


def test_projected_page(browser: Browser, tmp_path: Path) -> None:
    j = synthetic.england(scale=0.003, seed=5)
    scene = carevis.Scene(P.project(j, 1, as_of="2022-03-31", seed=1).journeys)
    page = export_html(scene, tmp_path / "p.html")
    date = "2022-11-15"
    browser.open(page, f"t={date}&overlay=0")
    shot = browser.screenshot((0, 0, WIDTH, HEIGHT))
    png = carevis.export.png(
        scene, date, tmp_path / "cpu.png", width=WIDTH, height=HEIGHT, overlay=False
    )
    cpu = np.asarray(Image.open(png).convert("RGBA"))
    diff = np.abs(shot.astype(np.int16) - cpu.astype(np.int16))[..., :3]
    assert np.any(diff > TOL, axis=2).mean() <= BAD and diff.mean() <= MEAN
    browser.open(page, f"t={date}")
    assert browser.evaluate("document.getElementById('date').textContent").endswith("(projected)")
    caption = browser.evaluate("document.getElementById('caption').textContent")
    assert "Projection from 31 March 2022" in caption
