"""The player in a real Jupyter kernel with no display (issue 17, item 7): a notebook run
by nbclient on a headless ipykernel, its picture drawn offscreen (EGL surfaceless)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    """
import json, os
import carevis, carevis.notebook
from tests.journey_tables import make_table
scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(300, seed=6)))
p = carevis.notebook.player(scene, width=320, height=180, start="2018-01-01", t="2018-01-01",
                            step_days=7)
p
""",
    """
first, date = p.image.value, p.date.value
for _ in range(5):
    p.play.value += 1  # what the Play button's timer sends
print(json.dumps(dict(first_date=date, date=p.date.value, step=p.slider.value,
                      changed=p.image.value != first, renderer=p.renderer,
                      png=p.image.value[:8].hex(), display=os.environ.get("DISPLAY"))))
""",
]


def test_player_runs_in_a_headless_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("EGL_PLATFORM", "surfaceless")
    path = os.pathsep.join([str(ROOT / "python"), str(ROOT), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)  # the kernel imports this checkout's carevis
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    shown = nb.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown)
    text = "".join(o.get("text", "") for o in nb.cells[1].outputs if o.output_type == "stream")
    got = json.loads(text.strip().splitlines()[-1])
    assert got["display"] is None
    assert got["step"] == 5 and got["changed"]
    assert got["first_date"] == "1 January 2018" and got["date"] == "5 February 2018"
    assert got["png"] == "89504e470d0a1a0a"  # a PNG
    assert got["renderer"] == "gl"  # EGL offscreen, no display
