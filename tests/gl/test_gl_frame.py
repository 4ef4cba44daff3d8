"""The GPU frame against the engine: the same moments through both paths give the same
per-dot states (read back from the GPU) and the same pictures (within the GL tolerance),
in every colour mode, with emphasis and filters, through travel, fades and same-day
steps; and a frame uploads nothing but uniforms. Run for real on EGL (Mesa llvmpipe on
CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis.viewport import Viewport

from .test_gl import BG, assert_images_close, make_table

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

pytestmark = pytest.mark.gl


def tricky_table(n_children: int = 600, seed: int = 11) -> pa.Table:
    """Journeys with what the frame must get right: touching and gapped spells, same-day
    steps (zero-length spells), long gaps (reappearance), open last spells, up to 12
    spells a child (more than any fixed search width), times within days."""
    from carevis.layout import standard_labels

    labels = standard_labels()
    rng = np.random.default_rng(seed)
    child, state, start, end = [], [], [], []
    for c in range(n_children):
        t = int(rng.integers(0, 300)) * 1440 + int(rng.integers(0, 3)) * 600
        k = int(rng.integers(1, 13))
        for i in range(k):
            t += [0, 0, 1440, 20 * 1440, 90 * 1440][int(rng.integers(0, 5))]
            length = [0, 720, 3 * 1440, 10 * 1440, 40 * 1440][int(rng.integers(0, 5))]
            child.append(c)
            state.append(labels[int(rng.integers(0, len(labels)))])
            start.append(t)
            end.append(None if i == k - 1 and rng.random() < 0.25 else t + length)
            t += length
    base = np.datetime64("2017-01-01T00:00", "m")
    starts = base + np.asarray(start, "timedelta64[m]")
    ends = np.array([base + np.timedelta64(e, "m") if e is not None else base for e in end])
    return pa.table(
        {
            "child_id": pa.array(np.asarray(child, np.int64) + 500, pa.int64()),
            "state": pa.array(state, pa.string()),
            "start": pa.array(starts.astype("datetime64[ms]"), pa.timestamp("ms")),
            "end": pa.array(
                ends.astype("datetime64[ms]"),
                pa.timestamp("ms"),
                mask=np.array([e is None for e in end]),
            ),
            "la": pa.array(np.array(["Kent", "Oxfordshire", "East Sussex"])[np.asarray(child) % 3]),
        }
    )


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    from carevis.gl.offscreen import _offscreen

    off = _offscreen()
    yield off


def moments(scene: carevis.Scene, n: int = 9) -> list[float]:
    """Minutes spread over the data (not on whole days), plus its first and last."""
    lo, hi = scene.journeys.minute_range or (0, 0)
    span = hi - lo
    return [lo - 1440.0, float(lo)] + [lo + span * (k + 0.5) / n + 97.3 * k for k in range(n)]


def assert_frames_agree(gpu: Any, cpu: Any, what: str) -> None:
    """States equal; places within float32 rounding; colours equal but for a few dots
    whose colour-table entry or rounded opacity sits on a boundary (float32 on the GPU,
    float64 in the engine) and differ by a step."""
    np.testing.assert_array_equal(gpu.state, cpu.state, err_msg=what)
    np.testing.assert_allclose(gpu.x, cpu.x, atol=2e-6, rtol=0, err_msg=what)
    np.testing.assert_allclose(gpu.y, cpu.y, atol=2e-6, rtol=0, err_msg=what)
    d = np.abs(gpu.rgba.astype(int) - cpu.rgba.astype(int))
    assert d[:, 3].max() <= 1, f"{what}: opacity differs by {d[:, 3].max()}"
    assert d.max() <= 8, f"{what}: a colour differs by {d.max()}"
    assert (d.max(axis=1) > 0).mean() <= 0.01, f"{what}: {(d.max(axis=1) > 0).sum()} dots differ"


@pytest.mark.parametrize(
    ("colour", "fade", "transit"),
    [
        ("time_in_care", 14.0, 7.0),
        ("time_in_state", 0.0, 1.0),
        ("entries", 2.5, 0.0),
        ("la", 14.0, 3.5),
    ],
)
def test_gpu_states_match_the_engine(
    context: Any, colour: str, fade: float, transit: float
) -> None:
    from carevis.gl import GpuFrame

    scene = carevis.Scene(
        carevis.Journeys.from_arrow(tricky_table()),
        colour=colour,
        fade_days=fade,
        transit_days=transit,
    )
    gpu = GpuFrame(scene)
    try:
        seen_on = seen_fade = 0
        for m in moments(scene):
            cpu = scene.frame_at_minutes(m, scene.buffers())
            assert_frames_agree(gpu.read_frame(m), cpu, f"{colour} at {m}")
            a = cpu.rgba[:, 3]
            seen_fade += int(((a > 0) & (a < a.max())).sum())
            seen_on += int((cpu.state >= 0).sum())
        # the moments show dots, and (with a fade) dots part faded
        assert seen_on > 100 and (seen_fade > 0 or fade == 0)
        # emphasis: a filter and a highlight
        mask = scene.filter_mask(la=["Kent", "East Sussex"])
        shown = scene.with_filter(mask, highlight=3, dim=0.3)
        gpu.sync_emphasis(shown.emphasis)
        for m in moments(scene, 4):
            cpu = shown.frame_at_minutes(m, shown.buffers())
            assert_frames_agree(gpu.read_frame(m), cpu, f"{colour} emphasised at {m}")
        # and back to none
        gpu.sync_emphasis(None)
        m = moments(scene)[5]
        assert_frames_agree(gpu.read_frame(m), scene.frame_at_minutes(m, scene.buffers()), "off")
    finally:
        gpu.close()


def test_same_day_steps_are_seen_passing(context: Any) -> None:
    """A -> B (a zero-length spell) -> C: during the first leg the dot heads to B, through
    the GPU just as through the engine."""
    from carevis.gl import GpuFrame

    day = np.datetime64("2020-01-01", "D")
    d10 = np.timedelta64(10, "D")
    t = pa.table(
        {
            "child_id": pa.array([1, 1, 1], pa.int64()),
            "state": pa.array(["Foster care (other)", "Residential", "Adopted"]),
            "start": pa.array(np.array([day, day + d10, day + d10]), pa.date32()),
            "end": pa.array(np.array([day + d10, day + d10, day + 10 * d10]), pa.date32()),
        }
    )
    scene = carevis.Scene(carevis.Journeys.from_arrow(t), transit_days=7.0)
    gpu = GpuFrame(scene)
    try:
        ten = float((day + d10).astype("datetime64[m]").astype(np.int64))
        xs = []
        for m in (ten + 1440 * 3.5, ten + 1440 * 7, ten + 1440 * 10.5):
            g, c = gpu.read_frame(m), scene.frame_at_minutes(m, scene.buffers())
            assert_frames_agree(g, c, f"at {m}")
            xs.append((float(g.x[0]), float(g.y[0])))
        radii = scene.radii_at_minutes(ten + 1440 * 7)
        b = scene.states.index("Residential")
        centre = scene.centres[b]
        # at the end of the first leg the dot rests in B's cluster
        assert np.hypot(xs[1][0] - centre[0], xs[1][1] - centre[1]) <= radii[b] * 1.001
        assert xs[0] != xs[1] != xs[2]
    finally:
        gpu.close()


@pytest.mark.parametrize("compact", ["1", "0"])
def test_gpu_pictures_match_the_engine_path(
    context: Any, compact: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole pictures: the GPU frame drawn (with the compaction pass, and without: every
    dot submitted) against the engine's frame drawn by the GL dot layer, at several
    moments, zoomed, and in tiles."""
    from carevis.gl import GpuFrame, render_frame_gl

    monkeypatch.setenv("CAREVIS_GL_COMPACT", compact)

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(2000)), fade_days=30.0)
    w, h = 480, 270
    for m in moments(scene, 4):
        frame = scene.frame_at_minutes(m, scene.buffers())
        vp = Viewport.fit(w, h)
        want = render_frame_gl(frame, vp, dot_radius_px=1.5)
        got = render_frame_gl(frame, vp, dot_radius_px=1.5, scene=scene, path="gpu")
        assert_images_close(got, want, tol=2, max_bad_fraction=0.001)
        zoomed = Viewport.fit(w, h, zoom=3.0, centre=tuple(scene.centres[8]))
        want = render_frame_gl(frame, zoomed, dot_radius_px=3.0, max_tile=200)
        got = render_frame_gl(
            frame, zoomed, dot_radius_px=3.0, max_tile=200, scene=scene, path="gpu"
        )
        assert_images_close(got, want, tol=2, max_bad_fraction=0.001)
    assert (np.abs(got.astype(int) - np.array(BG)).max(axis=-1) > 20).mean() > 0.01
    # a frame uploads uniforms only: the tables went up once
    from carevis.gl.offscreen import _offscreen

    g = _offscreen().frame_path(scene).gpu_frame()
    assert isinstance(g, GpuFrame)
    assert (g.compaction is not None) == (compact == "1")
    sent = g.bytes_uploaded
    # the tables, once (the compaction's buffers are filled on the GPU)
    assert sent == g.gpu_bytes - (g.compaction.gpu_bytes if g.compaction is not None else 0)
    render_frame_gl(frame, Viewport.fit(w, h), scene=scene, path="gpu")
    assert g.bytes_uploaded == sent


def test_gpu_memory_fits_the_budget(context: Any) -> None:
    from carevis.gl import GpuFrame

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(5000)))
    gpu = GpuFrame(scene)
    try:
        n, m = scene.n_dots, scene.journeys.n_spells
        # rows are padded to the texture's width (at most one row per table) and the
        # colour table is 1 KiB
        width = 1 << gpu.shift
        padding = 12 * width + 24 * width + 1024
        extra = gpu.compaction.gpu_bytes if gpu.compaction is not None else 0
        # the tables: 12 bytes a dot and 24 a spell
        assert gpu.gpu_bytes - extra <= 24 * m + 12 * n + padding
        # the compaction's list holds the most dots ever on screen at once (fewer than all
        # here), plus a count per 1024 dots and the draw's command
        assert extra <= 4 * n + 4 * (n // 1024 + 1) + 20
        # together: within the budget of 24 bytes a spell and 16 a dot
        assert gpu.gpu_bytes <= 24 * m + 16 * n + padding
    finally:
        gpu.close()


def test_draws_skip_chunks_waiting_off_screen(context: Any) -> None:
    """A draw submits only runs of chunks with a dot on screen; every dot shown lies in
    them, and the picture is the engine's."""
    from carevis import gl as gl_frame
    from carevis.gl import render_frame_gl

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(20_000, seed=5)))
    gpu = gl_frame.GpuFrame(scene)
    try:
        skipped = 0
        for m in moments(scene, 5):
            covered = np.zeros(scene.n_dots, bool)
            for first, count in gpu.ranges(m):
                covered[first : first + count] = True
            frame = scene.frame_at_minutes(m, scene.buffers())
            shown = (frame.state >= 0) | (frame.rgba[:, 3] > 0)
            assert covered[shown].all()
            skipped += int((~covered).sum())
        assert skipped > 0
    finally:
        gpu.close()
    m = moments(scene, 5)[2]
    frame = scene.frame_at_minutes(m, scene.buffers())
    vp = Viewport.fit(320, 180)
    want = render_frame_gl(frame, vp)
    got = render_frame_gl(frame, vp, scene=scene, path="gpu")
    assert_images_close(got, want, tol=2, max_bad_fraction=0.001)


def test_the_window_draws_with_the_gpu_frame(context: Any) -> None:
    """The window on the GPU frame shows what it shows on the engine's frames: playing,
    zoomed, filtered and highlighted, and after recolouring (a new scene on the GPU)."""
    from carevis.window import CarevisCanvas

    table = make_table(600, seed=11)
    shots = {}
    for path in ("gpu", "cpu"):
        scene = carevis.Scene(carevis.Journeys.from_arrow(table))
        c = CarevisCanvas(
            scene, app="egl", size=(480, 270), threaded=False, t="2018-06-30", gl_frame=path
        )
        try:
            assert (c.gpu is not None) == (path == "gpu")
            c.show_overlay = False
            imgs = [c.render()]
            c.play()
            c.tick(0.5)
            c.pause()
            imgs.append(c.render())
            c.zoom = 2.5
            c.set_filter(la="Kent")
            c.set_highlight(2)
            imgs.append(c.render())
            c.set_colour("entries")
            imgs.append(c.render())
            if path == "gpu":
                assert c.gpu.scene is c.scene
            shots[path] = imgs
        finally:
            c.close()
    for got, want in zip(shots["gpu"], shots["cpu"], strict=True):
        assert_images_close(got, want, tol=2, max_bad_fraction=0.001)
    assert not np.array_equal(shots["cpu"][0], shots["cpu"][2])
