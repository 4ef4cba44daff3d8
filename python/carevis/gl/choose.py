"""Which path draws a scene's frames here: the GPU frame (:mod:`.gpu_frame`) or the
engine's frame uploaded to a :class:`~carevis.gl.dots.DotLayer`. On a software GL the
engine's path, without measuring; elsewhere measured once (:func:`choose_path`);
``CAREVIS_GL_FRAME=gpu|cpu`` overrides it."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from .._time import MINUTES_PER_DAY
from ..errors import ConfigError
from ..scene import Scene
from ..viewport import Viewport
from .api import is_software_gl
from .dots import DotLayer, FramePair
from .gpu_frame import GpuFrame


def measured_draws(
    scene: Scene, gpu: Any, layer: DotLayer, canvas: Any, fbo: Any = None
) -> tuple[Any, Any]:
    """What :func:`choose_path` weighs: one moment drawn at 1920 x 1080
    each way into ``fbo`` (default: the canvas's own framebuffer), waiting for the GL:
    by the GPU frame, and by the engine's frame uploaded to ``layer`` and drawn."""
    from vispy import gloo

    vp = Viewport.fit(1920, 1080)
    pair = FramePair(scene.n_dots)
    bind = (lambda: fbo) if fbo is not None else contextlib.nullcontext

    def on_gpu(minutes: float) -> None:
        with bind():
            gloo.set_viewport(0, 0, 1920, 1080)
            canvas.context.flush_commands()
            gpu.draw(minutes, vp, radius_px=1.5, target=(1920, 1080))
            gpu.finish()

    def on_cpu(minutes: float) -> None:
        with bind():
            gloo.set_viewport(0, 0, 1920, 1080)
            layer.upload(scene.frame_at_minutes(minutes, pair.swap()))
            layer.draw(vp, radius_px=1.5, target=(1920, 1080))
            canvas.context.flush_commands()
            gloo.gl.glFinish()

    return on_gpu, on_cpu


def path_without_measuring(software: bool | None = None) -> str | None:
    """The path :func:`choose_path` takes without measuring, or None: the one
    ``CAREVIS_GL_FRAME`` names, else ``"cpu"`` on a software GL (``software``; default:
    :func:`is_software_gl`)."""
    forced = os.environ.get("CAREVIS_GL_FRAME", "").strip().lower()
    if forced in ("gpu", "cpu"):
        return forced
    if forced not in ("", "auto"):
        raise ConfigError(f"CAREVIS_GL_FRAME must be gpu, cpu or auto, not {forced!r}")
    if software is None:
        software = is_software_gl()
    return "cpu" if software else None


def choose_path(
    scene: Scene,
    draw_gpu: Any,
    draw_cpu: Any,
    *,
    frames: int = 3,
    gpu: GpuFrame | None = None,
    software: bool | None = None,
) -> str:
    """``"gpu"`` or ``"cpu"``: whichever draws ``scene`` faster here, by a quick
    measurement (the median of ``frames`` frames each, after one to warm up;
    ``draw_gpu(minutes)`` and
    ``draw_cpu(minutes)`` draw one moment and wait for the GL). ``CAREVIS_GL_FRAME=gpu``
    or ``cpu`` decides without measuring. Given the ``gpu`` frame that ``draw_gpu`` draws
    with, its compaction pass is first kept or switched off, whichever is faster (on a
    software GL, compute shaders are slow). On a software GL (``software``; default: GL's
    renderer is Mesa's llvmpipe, softpipe or swrast, or SwiftShader) the engine's path is
    chosen without measuring: there the GPU frame was never faster at 1M dots, and
    measuring takes seconds."""
    known = path_without_measuring(software)
    if known is not None:
        return known
    lo, hi = scene.journeys.minute_range or (0, MINUTES_PER_DAY)
    moments = [lo + (hi - lo) * (k + 1) / (frames + 1) for k in range(frames)]

    def timed(draw: Any) -> float:
        """The median of the frames' times (one frame slowed by other work does not
        decide)."""
        draw(moments[0])
        times = []
        for t in moments:
            a = time.perf_counter()
            draw(t)
            times.append(time.perf_counter() - a)
        return sorted(times)[len(times) // 2]

    t_gpu = timed(draw_gpu)
    if gpu is not None and gpu.compaction is not None:
        gpu.compacting = False
        t_plain = timed(draw_gpu)
        gpu.compacting = t_gpu <= t_plain
        t_gpu = min(t_gpu, t_plain)
    return "gpu" if t_gpu <= timed(draw_cpu) else "cpu"
