"""carevis embedded: in a notebook widget (jupyter_rfb), in a Qt application (the
example, examples/qt_embed.py) and in a real window on an X display (Xvfb), each driven
by the events its host sends and read back as pixels.

Each case runs in its own Python process on its own Xvfb display, so its GL backend
(glfw, which both use) never meets the EGL backend of the other window tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.gl

HERE = Path(__file__).resolve().parent

# Shared by both scripts: a small scene, and where its dots should show.
PRELUDE = """
import json, sys
sys.path.insert(0, {tests!r})
import numpy as np
import carevis
from tests.journey_tables import BG, make_table
from carevis.window import CarevisCanvas

scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(600, seed=11)))

def dots_inked(c, img):
    f, vp = c.frame, c.viewport
    shown = np.flatnonzero(f.rgba[:, 3] > 0)
    px = np.floor(f.x[shown] * vp.sx + vp.tx).astype(int)
    py = np.floor(f.y[shown] * vp.sy + vp.ty).astype(int)
    ok = (px >= 0) & (px < img.shape[1]) & (py >= 0) & (py < img.shape[0])
    ink = np.abs(img[py[ok], px[ok], :3].astype(int) - np.array(BG[:3])).max(axis=-1)
    return int(ok.sum()), float((ink > 25).mean())
"""

NOTEBOOK = """
c = CarevisCanvas(scene, app="jupyter_rfb", size=(480, 270), threaded=False,
                  t="2018-06-30", dot_radius_px=2.0)
w = c.native  # the ipywidget a notebook cell shows
w.handle_event({"type": "resize", "width": 480, "height": 270, "ratio": 1.0})
first = w.get_frame()  # what the widget sends to the browser
n, inked = dots_inked(c, first)
k = scene.states.index("Foster care (other)")
cx, cy = c.viewport.to_pixels(*scene.centres[k])
ev = dict(x=cx, y=cy, button=1, buttons=[1], modifiers=[], ntouches=0, touches={}, timestamp=0)
w.handle_event({"type": "pointer_down", **ev})
w.handle_event({"type": "pointer_up", **ev})
w.handle_event({"type": "key_down", "key": " ", "modifiers": [], "timestamp": 0})
playing = c.playing
w.handle_event({"type": "key_down", "key": " ", "modifiers": [], "timestamp": 0})
second = w.get_frame()
print(json.dumps(dict(shape=list(first.shape), dots=n, inked=inked, highlight=c.highlight,
                      want=k, playing=playing, paused=not c.playing,
                      changed=int(np.abs(second.astype(int) - first.astype(int)).max()))))
"""

WINDOW = """
c = CarevisCanvas(scene, app="glfw", size=(480, 270), threaded=False, t="2018-06-30",
                  dot_radius_px=2.0, show=True)
c.app.process_events()
img = c.render()
n, inked = dots_inked(c, img)
from vispy.util import keys
c.events.key_press(key=keys.Key("M"), text="m")
menu = c.menu_open
c.events.key_press(key=keys.ESCAPE, text="")
print(json.dumps(dict(shape=list(img.shape), dots=n, inked=inked, menu=menu,
                      closed=not c.menu_open, backend=c.app.backend_name)))
c.close()
"""


QT = """
sys.path.insert(0, {examples!r})
from PyQt6 import QtWidgets
import qt_embed

qt = QtWidgets.QApplication([])
parts = qt_embed.build(scene, size=(480, 270))
win, c = parts["window"], parts["canvas"]
win.show()
c.jump_to("2018-06-30")
for _ in range(20):
    qt.processEvents()
img = c.render()
n, inked = dots_inked(c, img)
inside = c.native.window() is win
# the File menu's save action, with the file dialog answered
QtWidgets.QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: ({saved!r}, "*.png"))
parts["save"].trigger()
shown_before = int((c.frame.rgba[:, 3] > 0).sum())
parts["council"].setCurrentIndex(1)
la = c.filters["la"]
shown_after = int((c.frame.rgba[:, 3] > 0).sum())
parts["play"].click()
playing = c.playing
parts["record"].trigger()
print(json.dumps(dict(backend=c.app.backend_name, inside=inside, shape=list(img.shape),
                      dots=n, inked=inked, la=la, first_la=parts["council"].itemText(1),
                      before=shown_before, after=shown_after, playing=playing,
                      recording=c.recording is not None)))
"""


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A fresh Xvfb display (`make system-deps` installs Xvfb)."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: run `make system-deps` (apt-get install xvfb)"
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(
        [xvfb, f":{n}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            assert proc.poll() is None, "Xvfb exited at start"
            time.sleep(0.05)
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def on_display(args: list[str], display: str) -> subprocess.CompletedProcess[str]:
    """Runs Python with `args` on the X display (and not on EGL or Wayland); must succeed."""
    env = {k: v for k, v in os.environ.items() if k not in ("EGL_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    env["QT_QPA_PLATFORM"] = "xcb"
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def run_case(body: str, display: str) -> dict[str, object]:
    out = on_display(["-c", PRELUDE.format(tests=str(HERE.parent.parent)) + body], display)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def num(r: dict[str, object], key: str) -> float:
    v = r[key]
    assert isinstance(v, (int, float)), (key, v)
    return float(v)


def test_notebook_widget_draws_and_takes_events(display: str) -> None:
    r = run_case(NOTEBOOK, display)
    assert r["shape"] == [270, 480, 4]
    assert num(r, "dots") > 100 and num(r, "inked") > 0.95  # dots where the engine says
    assert r["highlight"] == r["want"]  # the click reached the canvas: cluster highlighted
    assert r["playing"] and r["paused"]  # space played, then paused
    assert num(r, "changed") > 50  # and the widget's next frame shows the highlight


def test_qt_example_embeds_the_canvas_and_its_menu_saves(display: str, tmp_path: Path) -> None:
    saved = tmp_path / "from-the-menu.png"
    body = QT.format(examples=str(HERE.parent.parent / "examples"), saved=str(saved))
    r = run_case(body, display)
    assert r["backend"] == "PyQt6" and r["inside"]  # a widget inside the main window
    assert r["shape"] == [270, 480, 4]
    assert num(r, "dots") > 100 and num(r, "inked") > 0.95
    from PIL import Image

    with Image.open(saved) as im:  # File > Save view: a 4K PNG through the exporter
        assert im.size == (3840, 2160)
    assert r["la"] == r["first_la"] and num(r, "after") < num(r, "before")  # council filter
    assert r["playing"] and r["recording"]  # the play button and File > record


def test_real_window_on_an_x_display(display: str) -> None:
    r = run_case(WINDOW, display)
    assert r["backend"] == "Glfw"
    assert r["shape"] == [270, 480, 4]
    assert num(r, "dots") > 100 and num(r, "inked") > 0.95
    assert r["menu"] and r["closed"]


def test_demo_opens_the_window_when_there_is_a_display(display: str, tmp_path: Path) -> None:
    # With a display the main job opens the window (here closing itself after 3 s and
    # leaving a screenshot) instead of rendering the video offscreen.
    shot, out = tmp_path / "shot.png", tmp_path / "demo"
    args = ["--synthetic", "0.002", "--seconds", "3", "--screenshot", str(shot), "-o", str(out)]
    done = on_display(["-m", "carevis.cli", "demo", *args], display)
    assert "opening the window" in done.stdout + done.stderr
    assert not out.exists()  # no offscreen video: the window was the main job
    import numpy as np
    from PIL import Image

    with Image.open(shot) as im:
        img = np.asarray(im)
    assert img.shape == (720, 1280, 4)
    # the picture is not blank: many dot and text pixels differ from the background
    bg = img[5, 640, :3].astype(int)
    assert (np.abs(img[..., :3].astype(int) - bg).max(-1) > 40).mean() > 0.002
