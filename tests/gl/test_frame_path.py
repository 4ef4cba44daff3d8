"""Which path draws the dots (issue 18 item 5): timed over the first frames drawn, each
path in turn, in the window, the GL exporter and the notebook alike; the fastest kept;
``CAREVIS_GL_FRAME`` (or the caller's path) overrides. One path is slowed on purpose
(sleeping in its draw) so that the choice must follow the timing. Run for real on EGL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import carevis
import numpy as np
import pytest
from carevis.gl.choose import COMPACTING, CPU, PLAIN, ROUNDS, FrameTrial

from .test_gl import assert_images_close, make_table

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

pytestmark = pytest.mark.gl

#: Frames a trial of all three paths takes: one to warm up and ROUNDS timed, each.
TRIAL = 3 * (ROUNDS + 1)
SLOW = 0.03  # seconds a slowed path sleeps per draw


def test_the_trial_takes_turns_and_keeps_the_least_median() -> None:
    trial = FrameTrial((CPU, COMPACTING, PLAIN))
    # the engine's path first (a picture drawn once is drawn as before), then by turns
    times = {CPU: [9.0, 0.30, 0.31, 5.0], COMPACTING: [0.1, 0.20, 0.40, 0.41], PLAIN: [0.2] * 4}
    order = []
    for _ in range(TRIAL - 1):
        p = trial.next()
        order.append(p)
        trial.record(p, times[p][order.count(p) - 1])
    assert order[:3] == [CPU, COMPACTING, PLAIN] and order[3:6] == [CPU, COMPACTING, PLAIN]
    assert trial.chosen is None  # not before every path has its frames
    trial.record(trial.next(), 0.2)
    # the warm-up frames (9 s, 0.1 s) and one slow frame (5 s) do not decide: medians do
    assert trial.chosen == PLAIN and trial.next() == PLAIN
    trial.record(CPU, 0.0)  # once chosen, frames no longer count
    assert trial.chosen == PLAIN
    tie = FrameTrial((CPU, PLAIN), rounds=1)
    for p in (CPU, PLAIN, CPU, PLAIN):
        tie.record(p, 0.5)
    assert tie.chosen == CPU  # a tie keeps the engine's path
    dropped = FrameTrial((CPU, COMPACTING, PLAIN))
    dropped.drop(COMPACTING)
    dropped.drop(PLAIN)
    assert dropped.chosen == CPU


@pytest.fixture
def slowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``slow(*paths)``: those paths' draws sleep :data:`SLOW` (the engine's path in
    :class:`DotLayer`, the GPU frame's with its compaction pass on or off)."""
    from carevis.gl import DotLayer, GpuFrame

    monkeypatch.delenv("CAREVIS_GL_FRAME", raising=False)
    slow: set[str] = set()
    dots_draw, gpu_draw = DotLayer.draw, GpuFrame.draw

    def draw_dots(self: Any, *a: Any, **k: Any) -> None:
        time.sleep(SLOW if CPU in slow else 0.0)
        dots_draw(self, *a, **k)

    def draw_gpu(self: Any, *a: Any, **k: Any) -> None:
        on = self.compaction is not None and self.compacting
        time.sleep(SLOW if (COMPACTING if on else PLAIN) in slow else 0.0)
        gpu_draw(self, *a, **k)

    monkeypatch.setattr(DotLayer, "draw", draw_dots)
    monkeypatch.setattr(GpuFrame, "draw", draw_gpu)
    yield lambda *paths: slow.update(paths)


def _scene() -> carevis.Scene:
    return carevis.Scene(carevis.Journeys.from_arrow(make_table(300, seed=4)))


@pytest.mark.parametrize("fastest", [CPU, COMPACTING, PLAIN])
def test_the_window_keeps_the_path_that_draws_faster(slowed: Any, fastest: str) -> None:
    from carevis.window import CarevisCanvas

    slowed(*({CPU, COMPACTING, PLAIN} - {fastest}))
    c = CarevisCanvas(_scene(), app="egl", size=(320, 180), threaded=False, t="2018-06-30")
    try:
        c.show_overlay = False
        assert c.frame_path.path is None and c.gpu is None  # nothing measured at start
        shots = [c.render() for _ in range(TRIAL)]
        assert c.frame_path.path == ("cpu" if fastest == CPU else "gpu")
        # the GPU's tables are kept only where they draw
        assert (c.gpu is None) == (fastest == CPU)
        if c.gpu is not None and c.gpu.compaction is not None:
            assert c.gpu.compacting == (fastest == COMPACTING)
        after = c.frame_path.trial.times
        shots.append(c.render())
        assert c.frame_path.trial.times == after  # settled: no more timing
        c.set_colour("entries")  # a new engine: the GPU frame follows, as chosen
        assert c.gpu is None or c.gpu.scene is c.scene
    finally:
        c.close()
    # drawn by each path in turn, the pictures agree: the user sees nothing
    for s in shots[1:]:
        assert_images_close(s, shots[0], tol=2, max_bad_fraction=0.001)
    assert (shots[0][..., 3] > 0).any() and not np.all(shots[0] == shots[0][0, 0])


@pytest.mark.parametrize(("forced", "how"), [("gpu", "env"), ("cpu", "env"), ("cpu", "arg")])
def test_the_path_named_overrides_the_timing(
    slowed: Any, monkeypatch: pytest.MonkeyPatch, forced: str, how: str
) -> None:
    from carevis.gl import GpuFrame
    from carevis.window import CarevisCanvas

    slowed(*([COMPACTING, PLAIN] if forced == "gpu" else [CPU]))  # the named one is slower
    built: list[int] = []
    init = GpuFrame.__init__

    def counted(self: Any, scene: Any) -> None:
        built.append(1)
        init(self, scene)

    monkeypatch.setattr(GpuFrame, "__init__", counted)
    if how == "env":
        monkeypatch.setenv("CAREVIS_GL_FRAME", forced)
    kw = {"gl_frame": forced} if how == "arg" else {}
    c = CarevisCanvas(_scene(), app="egl", size=(320, 180), threaded=False, **kw)
    try:
        for _ in range(TRIAL + 1):
            c.render()
        assert c.frame_path.path == forced
        assert (c.gpu is not None) == (forced == "gpu")
        assert built == ([1] if forced == "gpu" else [])  # "cpu": no tables on the GPU
    finally:
        c.close()
    monkeypatch.setenv("CAREVIS_GL_FRAME", "fastest")
    with pytest.raises(carevis.ConfigError, match="CAREVIS_GL_FRAME"):
        CarevisCanvas(_scene(), app="egl", size=(320, 180), threaded=False)


@pytest.mark.parametrize("fastest", [CPU, PLAIN])
def test_the_gl_exporter_keeps_the_path_that_draws_faster(
    slowed: Any, tmp_path: Any, fastest: str
) -> None:
    from carevis import export
    from carevis.gl.offscreen import _offscreen

    slowed(*({CPU, COMPACTING, PLAIN} - {fastest}))
    scene = _scene()
    lo, hi = scene.journeys.minute_range or (0, 0)
    export.frames(
        scene,
        tmp_path,
        times=list(np.linspace(lo + (hi - lo) / 3, hi, TRIAL + 2)),
        width=320,
        height=180,
        renderer="gl",
        progress=False,
    )
    fp = _offscreen()._path
    assert fp is not None and fp.scene._native is scene._native
    assert fp.path == ("cpu" if fastest == CPU else "gpu")
    assert (fp.gpu is None) == (fastest == CPU)
    assert fp.gpu is None or fp.gpu.compaction is None or not fp.gpu.compacting


def test_the_notebook_keeps_the_path_that_draws_faster(slowed: Any) -> None:
    from carevis.gl.offscreen import _offscreen
    from carevis.notebook import player

    slowed(CPU, COMPACTING)
    scene = _scene()
    p = player(scene, width=320, height=180, title=None, start="2018-01-01", step_days=7)
    assert p.renderer == "gl"
    first = _offscreen()._path
    assert first is not None and first.path is None
    for _ in range(TRIAL):
        p.step()
    fp = _offscreen()._path
    assert fp is first and fp.path == "gpu" and fp.gpu is not None
    assert fp.gpu.compaction is None or not fp.gpu.compacting
