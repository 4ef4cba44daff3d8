"""The window's frame loop: frames per second at 100k, 1M and 10M dots, and the share of
each frame spent in the engine (``frame_into``), the upload (positions + colours into GL
buffers) and the draw (through ``glFinish``); and, in the same run, the GPU frame
(``carevis.gl.gpu_frame``: the journeys on the GPU, a shader computing every dot, only
uniforms uploaded per frame) at the same moments, with its ratio to that path, the GPU
memory its tables take against the budget (24 bytes a spell + 16 a dot); and, by turns
in one loop (the machine's load weighing on all alike), today's path, the GPU frame
compacting and with every dot submitted, and the path chosen as the window chooses it
(``carevis.gl.FramePath``: the first frames drawn by each path in turn, timed), with the
auto choice's ratio to the fastest. ``--export WxH``
also times the GL exporter's dots (``render_gl`` to PNG-ready pixels) both ways at
``--export-at`` dots.

Dots come from a real Scene over generated journeys (``_common.big_table``, ~3 spells per
child); ``--random`` uses random arrays instead (for sizes too big to index quickly).
Drawn offscreen with EGL (on a machine without a GPU: Mesa llvmpipe) at 1920x1080, dots
of radius 1.5 px, as the window draws them. The peer, in the same run, is VisPy's
Markers visual given the same dots (its ``set_data`` + draw per frame), for the sizes up
to ``--peer-max``.

``--app glfw`` draws in a real window instead, into its own framebuffer (under Xvfb on a
machine without a display: ``xvfb-run -a python benches/bench_window.py --app glfw``).

Usage: python benches/bench_window.py [--sizes 100000,1000000,10000000] [--frames 10]
    [--app egl|glfw] [--export 7680x4320] [--no-gpu]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import carevis
from _common import big_table, ratio
from carevis.gl import DotLayer, FramePair, premultiplied
from carevis.scene import Frame
from carevis.viewport import Viewport

W, H = 1920, 1080


class _Window:
    """The window's own framebuffer, standing in for the offscreen one (``with`` works)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def context(backend: str = "egl") -> tuple[object, object]:
    from vispy import app, gloo

    if backend == "egl":
        os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    a = app.Application(backend)
    # the canvas has the image's size so that visuals' transforms (the peer's) map to it
    canvas = app.Canvas(app=a, size=(W, H), show=backend != "egl")
    canvas.set_current()
    if backend != "egl":
        a.process_events()
        return canvas, _Window()
    fbo = gloo.FrameBuffer(color=gloo.RenderBuffer((H, W, 4), format="color"))
    return canvas, fbo


def random_frames(n: int, seed: int = 0) -> tuple[FramePair, Callable[[int, Frame], None]]:
    rng = np.random.default_rng(seed)
    pair = FramePair(n)
    base_x = rng.uniform(0, 16 / 9, n).astype(np.float32)
    base_y = rng.uniform(0, 1, n).astype(np.float32)
    rgba = rng.integers(0, 256, (n, 4)).astype(np.uint8)

    def fill(i: int, f: Frame) -> None:
        np.add(base_x, np.float32(0.001 * i), out=f.x)
        np.copyto(f.y, base_y)
        np.copyto(f.rgba, rgba)

    return pair, fill


def bench(n: int, frames: int, use_random: bool, canvas: object, fbo: object) -> dict[str, Any]:
    from vispy import gloo

    build = 0.0
    scene = None
    if use_random:
        pair, fill = random_frames(n)
    else:
        a = time.perf_counter()
        scene = carevis.Scene(carevis.Journeys.from_arrow(big_table(n, shuffle=False)))
        build = time.perf_counter() - a
        pair = FramePair(n)
        lo, hi = scene.journeys.minute_range  # type: ignore[misc]
        mid = (lo + hi) / 2 / 1440

        def fill(i: int, f: Frame) -> None:
            scene.frame_into(mid + i, f)

    layer = DotLayer()
    vp = Viewport.fit(W, H, margin=0.04)
    gl = gloo.gl
    ctx = canvas.context  # type: ignore[attr-defined]
    t_engine, t_upload, t_draw, t_total = [], [], [], []
    with fbo:  # type: ignore[attr-defined]
        gloo.set_viewport(0, 0, W, H)
        for i in range(frames + 1):  # the first frame warms up
            t0 = time.perf_counter()
            fill(i, pair.back)
            f = pair.swap()
            t1 = time.perf_counter()
            layer.upload(f)
            ctx.flush_commands()
            gl.glFinish()
            t2 = time.perf_counter()
            gloo.set_clear_color(premultiplied((247, 247, 244, 255)))
            gloo.clear(color=True)
            layer.draw(vp, radius_px=1.5, target=(W, H))
            ctx.flush_commands()
            gl.glFinish()
            t3 = time.perf_counter()
            if i:
                t_engine.append(t1 - t0)
                t_upload.append(t2 - t1)
                t_draw.append(t3 - t2)
                t_total.append(t3 - t0)
        front = pair.front
        shown = int((front.rgba[:, 3] > 0).sum())
    med = statistics.median
    return {
        "build": build,
        "engine": med(t_engine),
        "upload": med(t_upload),
        "draw": med(t_draw),
        "total": med(t_total),
        "shown": shown,
        "frame": front,  # type: ignore[dict-item]
        "scene": scene,
    }


def bench_gpu(scene: Any, frames: int, canvas: Any, fbo: Any) -> dict[str, Any]:
    """The GPU frame at the moments :func:`bench` drew: per frame the uniforms and one
    draw, waiting for the GL."""
    from carevis.gl import GpuFrame
    from vispy import gloo

    a = time.perf_counter()
    gpu = GpuFrame(scene)
    gpu.finish()
    build = time.perf_counter() - a
    sent = gpu.bytes_uploaded
    vp = Viewport.fit(W, H, margin=0.04)
    lo, hi = scene.journeys.minute_range
    mid = (lo + hi) / 2
    times = []
    with fbo:
        gloo.set_viewport(0, 0, W, H)
        for i in range(frames + 1):
            t0 = time.perf_counter()
            gloo.set_clear_color(premultiplied((247, 247, 244, 255)))
            gloo.clear(color=True)
            canvas.context.flush_commands()
            gpu.draw(mid + i * 1440.0, vp, radius_px=1.5, target=(W, H))
            gpu.finish()
            if i:
                times.append(time.perf_counter() - t0)
    # where a frame's time goes: the vertex stage alone (rasteriser discard), and the
    # whole draw without blending
    parts = {}
    for what in ("vertex", "unblended"):
        ts = []
        with fbo:
            gloo.set_viewport(0, 0, W, H)
            for i in range(frames + 1):
                canvas.context.flush_commands()
                t0 = time.perf_counter()
                if what == "vertex":
                    gpu.gl.Enable(0x8C89)  # GL_RASTERIZER_DISCARD
                gpu.draw(
                    mid + i * 1440.0, vp, radius_px=1.5, target=(W, H), blend=what != "unblended"
                )
                gpu.gl.Disable(0x8C89)
                gpu.finish()
                if i:
                    ts.append(time.perf_counter() - t0)
        parts[what] = statistics.median(ts)
    # the same frames with every dot submitted (no compaction pass)
    os.environ["CAREVIS_GL_COMPACT"] = "0"
    plain = GpuFrame(scene)
    os.environ.pop("CAREVIS_GL_COMPACT")
    ts = []
    with fbo:
        gloo.set_viewport(0, 0, W, H)
        for i in range(frames + 1):
            canvas.context.flush_commands()
            t0 = time.perf_counter()
            plain.draw(mid + i * 1440.0, vp, radius_px=1.5, target=(W, H))
            plain.finish()
            if i:
                ts.append(time.perf_counter() - t0)
    plain.close()
    parts["uncompacted"] = statistics.median(ts)
    n, m = scene.n_dots, scene.journeys.n_spells
    out = {
        "total": statistics.median(times),
        "build": build,
        "per_frame_upload": gpu.bytes_uploaded - sent,
        "gpu_bytes": gpu.gpu_bytes,
        "budget": 24 * m + 16 * n,
        **parts,
    }
    gpu.close()
    return out


def bench_auto(scene: Any, frames: int, canvas: Any, fbo: Any) -> dict[str, Any]:
    """The path chosen as the window chooses it (:class:`carevis.gl.FramePath`: its first
    frames by each path in turn, timed), against each path fixed, by turns in one loop so
    that the machine's load weighs on all alike: per round one frame by today's path (the
    engine's frame computed, uploaded and drawn, as :func:`bench` draws it), by the GPU
    frame compacting and with every dot submitted (as :func:`bench_gpu`), and by the auto
    choice; rounds until the auto choice has drawn ``frames`` frames after choosing.
    Medians: the fixed paths' over every round but the first, the auto choice's over its
    frames after choosing (the trial's frames, the GPU frame's tables built in one, are
    counted apart)."""
    from carevis.gl import FramePath, GpuFrame
    from carevis.gl.choose import COMPACTING, CPU, PLAIN
    from vispy import gloo

    os.environ.pop("CAREVIS_GL_FRAME", None)
    auto, fixed = FramePath(scene), GpuFrame(scene)
    layer, pair = DotLayer(), FramePair(scene.n_dots)
    vp = Viewport.fit(W, H, margin=0.04)
    lo, hi = scene.journeys.minute_range
    mid = (lo + hi) / 2
    times: dict[str, list[float]] = {CPU: [], COMPACTING: [], PLAIN: [], "auto": []}
    trial = []

    def draw(i: int, gpu: Any) -> float:
        t0 = time.perf_counter()
        gloo.set_clear_color(premultiplied((247, 247, 244, 255)))
        gloo.clear(color=True)
        canvas.context.flush_commands()
        if gpu is None:
            scene.frame_into(mid / 1440 + i, pair.back)
            layer.upload(pair.swap())
            layer.draw(vp, radius_px=1.5, target=(W, H))
            canvas.context.flush_commands()
            gloo.gl.glFinish()
        else:
            gpu.draw(mid + i * 1440.0, vp, radius_px=1.5, target=(W, H))
            gpu.finish()
        return time.perf_counter() - t0

    with fbo:
        gloo.set_viewport(0, 0, W, H)
        for i in itertools.count():
            times[CPU].append(draw(i, None))
            for path in (COMPACTING, PLAIN):
                fixed.compacting = path == COMPACTING
                times[path].append(draw(i, fixed))
            timing = auto.timing
            picked, gpu = auto.pick()
            took = draw(i, gpu)
            auto.record(picked, took)
            (trial if timing else times["auto"]).append(took)
            if len(times["auto"]) == frames:
                break
    out = {p: statistics.median(t[1:] if p != "auto" else t) for p, t in times.items()}
    out.update(chosen=auto.trial.chosen, trial_frames=len(trial), trial_s=sum(trial))
    auto.close()
    fixed.close()
    return out


def bench_export(scene: Any, size: str, frames: int, canvas: Any) -> dict[str, float]:
    """The GL exporter's dots at ``size`` to PNG-ready pixels (``render_gl``: drawn, read
    back, straight alpha), the GPU frame and the engine's path at the same moments."""
    from carevis.gl import render_gl

    w, h = (int(v) for v in size.lower().split("x"))
    lo, hi = scene.journeys.minute_range
    res = {}
    for path in ("gpu", "cpu"):
        times = []
        for i in range(frames + 1):
            t0 = time.perf_counter()
            render_gl(scene, (lo + hi) / 2 / 1440 + i, w, h, dot_radius_px=1.5, path=path)
            if i:
                times.append(time.perf_counter() - t0)
        res[path] = statistics.median(times)
    canvas.set_current()  # the exporter's context was current
    return res


def bench_markers(frame: Frame, frames: int, canvas: object, fbo: object) -> float:
    """VisPy's Markers visual given the same dots (those shown: Markers cannot skip the
    transparent ones), same size and colours: set_data + draw per frame."""
    from vispy import gloo, visuals

    vp = Viewport.fit(W, H, margin=0.04)
    keep = frame.rgba[:, 3] > 0
    pos = np.stack([frame.x[keep] * vp.sx + vp.tx, frame.y[keep] * vp.sy + vp.ty], 1)
    pos = pos.astype(np.float32)
    colour = frame.rgba[keep].astype(np.float32) / 255.0
    m = visuals.MarkersVisual()
    m.transforms.configure(canvas=canvas, viewport=(0, 0, W, H))
    times = []
    with fbo:  # type: ignore[attr-defined]
        gloo.set_viewport(0, 0, W, H)
        for i in range(frames + 1):
            t0 = time.perf_counter()
            m.set_data(pos + 0.01 * i, face_color=colour, edge_width=0, size=3.0)
            gloo.clear(color=True)
            m.draw()
            canvas.context.flush_commands()  # type: ignore[attr-defined]
            gloo.gl.glFinish()
            if i:
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100000,1000000,10000000")
    p.add_argument("--frames", type=int, default=10)
    p.add_argument("--random", action="store_true", help="random dots instead of a Scene")
    p.add_argument("--peer-max", type=int, default=1_000_000)
    p.add_argument("--app", default="egl", help="egl (offscreen) or glfw (a window)")
    p.add_argument("--export", default="", help="also time the GL exporter at WxH")
    p.add_argument("--export-at", type=int, default=10_000_000, help="dots for --export")
    p.add_argument("--no-gpu", action="store_true", help="skip the GPU frame")
    a = p.parse_args(argv)
    canvas, fbo = context(a.app)
    from vispy import gloo

    print(
        f"GL: {gloo.gl.glGetParameter(gloo.gl.GL_RENDERER)} ({a.app}); {W}x{H}, radius 1.5 px; "
        f"medians of {a.frames} frames; dots from "
        f"{'random arrays' if a.random else 'a Scene over generated journeys'}"
    )
    print(
        f"{'dots':>10} {'fps':>7} {'frame ms':>9} {'engine':>15} {'upload':>15} "
        f"{'draw':>15} {'shown':>9}  {'Markers ms':>10} {'ratio':>6}"
    )
    sizes = [int(s) for s in a.sizes.split(",")]
    gpu_rows = []
    for n in sizes:
        frames = a.frames if n <= 1_000_000 else max(3, a.frames // 3)
        r = bench(n, frames, a.random, canvas, fbo)
        tot = r["total"]

        def part(k: str, r: dict[str, Any] = r, tot: float = tot) -> str:
            return f"{r[k] * 1e3:7.1f} ({r[k] / tot:4.0%})"

        peer = ""
        if n <= a.peer_max:
            pm = bench_markers(r["frame"], frames, canvas, fbo)
            peer = f"{pm * 1e3:10.1f} {ratio(pm, tot):>6}"
        print(
            f"{n:>10,} {1 / tot:7.1f} {tot * 1e3:9.1f} {part('engine')} {part('upload')} "
            f"{part('draw')} {int(r['shown']):>9,}  {peer}",
            flush=True,
        )
        if r["scene"] is not None and not a.no_gpu:
            g = bench_gpu(r["scene"], a.frames, canvas, fbo)
            gpu_rows.append((n, tot, g))
            print(
                f"{'':>10} GPU frame: {1 / g['total']:7.1f} frames/s, {g['total'] * 1e3:.2f} ms "
                f"({ratio(tot, g['total'])} today's path); {g['per_frame_upload']} bytes "
                f"uploaded by the frames; tables {g['gpu_bytes'] / 2**20:,.0f} MiB "
                f"(budget {g['budget'] / 2**20:,.0f} MiB); built in {g['build']:.2f} s; "
                f"vertex stage alone "
                f"{g['vertex'] * 1e3:.2f} ms, unblended {g['unblended'] * 1e3:.2f} ms, every dot "
                f"submitted (no compaction) {g['uncompacted'] * 1e3:.2f} ms",
                flush=True,
            )
        if r["scene"] is not None and not a.no_gpu:
            au = bench_auto(r["scene"], a.frames, canvas, fbo)
            fastest = min(au["cpu"], au["gpu-compacting"], au["gpu-plain"])
            print(
                f"{'':>10} by turns, ms/frame: today's path {au['cpu'] * 1e3:.1f}, GPU frame "
                f"compacting {au['gpu-compacting'] * 1e3:.1f}, every dot submitted "
                f"{au['gpu-plain'] * 1e3:.1f}, auto {au['auto'] * 1e3:.1f} (chose "
                f"{au['chosen']} after {au['trial_frames']} frames, {au['trial_s']:.2f} s): "
                f"auto {au['auto'] / fastest:.2f}x the fastest",
                flush=True,
            )
        if a.export and n == a.export_at and r["scene"] is not None:
            e = bench_export(r["scene"], a.export, 3 if n > 1_000_000 else a.frames, canvas)
            print(
                f"{'':>10} GL export {a.export}: GPU frame {1 / e['gpu']:.1f} frames/s "
                f"({e['gpu'] * 1e3:.0f} ms), engine's path {1 / e['cpu']:.1f} frames/s "
                f"({e['cpu'] * 1e3:.0f} ms): {ratio(e['cpu'], e['gpu'])}",
                flush=True,
            )
        del r


if __name__ == "__main__":
    main()
