"""Drawing offscreen: a hidden EGL canvas with its dot layer and framebuffer, kept between
calls (:func:`render_frame_gl` draws a computed frame, tiled beyond the GL's largest
renderbuffer; :func:`render_gl` the scene at a moment, by the GPU frame where that path is
the faster here). Headless under ``EGL_PLATFORM=surfaceless``."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .._time import TimeLike, to_minutes
from ..errors import ConfigError
from ..scene import Frame, Scene
from ..viewport import Viewport
from .choose import choose_path, measured_draws, path_without_measuring
from .dots import (
    DEFAULT_BACKGROUND,
    MAX_RADIUS_PX,
    DotLayer,
    FramePair,
    premultiplied,
    unpremultiply,
)
from .gpu_frame import GpuFrame


class _Offscreen:
    """A hidden EGL canvas, its dot program and a framebuffer, kept between calls; and the
    GPU frame of the last scene drawn, with the path chosen for it."""

    def __init__(self) -> None:
        os.environ.setdefault("EGL_PLATFORM", "surfaceless")
        from vispy import app, gloo

        # A private Application: the default app (the window's) stays free for the user.
        self.app = app.Application("egl")
        self.canvas = app.Canvas(app=self.app, size=(16, 16), show=False)
        self.canvas.set_current()
        self.max_size = int(gloo.gl.glGetParameter(gloo.gl.GL_MAX_RENDERBUFFER_SIZE))
        self.layer = DotLayer()
        self.fbo_shape = (0, 0)
        self.fbo: Any = None
        self.buffers: FramePair | None = None
        self._gpu: tuple[Any, Any, str] | None = None  # (scene's engine, GpuFrame, path)

    def framebuffer(self, w: int, h: int) -> Any:
        from vispy import gloo

        if self.fbo is None or w > self.fbo_shape[1] or h > self.fbo_shape[0]:
            shape = (max(h, self.fbo_shape[0]), max(w, self.fbo_shape[1]))
            if self.fbo is None:
                self.fbo = gloo.FrameBuffer(color=gloo.RenderBuffer((*shape, 4), format="color"))
            else:
                self.fbo.resize(shape)
            self.fbo_shape = shape
        return self.fbo

    def gpu_frame(self, scene: Scene, path: str | None = None) -> Any:
        """The scene's GPU frame (built on first use, emphasis kept in step), or None
        where the engine's path is the one to take (``path``, else measured once per
        scene: :func:`carevis.gl.choose.choose_path`)."""
        if self._gpu is None or self._gpu[0] is not scene._native:
            if self._gpu is not None:
                if self._gpu[1] is not None:
                    self._gpu[1].close()
                self._gpu = None
            if (path or path_without_measuring()) == "cpu":
                # no tables on the GPU for a scene drawn from the engine's frames
                self._gpu = (scene._native, None, "cpu")
                return None
            try:
                gpu = GpuFrame(scene)
            except ConfigError:
                if path == "gpu":
                    raise
                return None
            fbo = self.framebuffer(1920, 1080)
            chosen = path or choose_path(
                scene, *measured_draws(scene, gpu, self.layer, self.canvas, fbo), gpu=gpu
            )
            self._gpu = (scene._native, gpu, chosen)
        gpu = self._gpu[1]
        if (path or self._gpu[2]) != "gpu":
            return None
        if gpu is None:  # told "cpu" before, so no tables yet: build them now
            self._gpu = None
            return self.gpu_frame(scene, "gpu")
        gpu.sync_emphasis(scene.emphasis)
        return gpu


_OFFSCREEN: _Offscreen | None = None


def _offscreen() -> _Offscreen:
    global _OFFSCREEN
    if _OFFSCREEN is None:
        _OFFSCREEN = _Offscreen()
    _OFFSCREEN.canvas.set_current()
    return _OFFSCREEN


def release_context() -> None:
    """Leaves the offscreen context current in no thread (EGL lets a context be current in
    one thread at a time: a thread that drew offscreen calls this when done, so that
    another may draw next)."""
    if _OFFSCREEN is None:
        return
    from vispy.app.backends import _egl
    from vispy.ext import egl

    none = egl.EGL_NO_SURFACE
    egl.eglMakeCurrent(_egl._EGL_DISPLAY, none, none, egl.EGL_NO_CONTEXT)


def max_tile_size() -> int:
    """The GL implementation's largest renderbuffer side (pixels)."""
    return _offscreen().max_size


def render_frame_gl(
    frame: Frame,
    viewport: Viewport,
    *,
    dot_radius_px: float = 1.5,
    background: tuple[int, int, int, int] | tuple[int, int, int] = DEFAULT_BACKGROUND,
    max_tile: int | None = None,
    scene: Scene | None = None,
    path: str | None = None,
) -> np.ndarray:
    """Draws an already computed frame offscreen: an ``H x W x 4`` uint8 (straight alpha)
    image of ``viewport``'s size. Images larger than ``max_tile`` (default: the GL
    maximum renderbuffer size, at most 8192) are drawn in tiles.

    Given the ``scene`` the frame came from, the moment (``frame.minutes``) is drawn by
    the scene's GPU frame instead, where that is the faster path here (``path``:
    ``"gpu"`` or ``"cpu"`` decides; see :mod:`carevis.gl.gpu_frame`): the same picture,
    without uploading the frame."""
    from vispy import gloo

    off = _offscreen()
    width, height = viewport.width, viewport.height
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, not {width} x {height}")
    radius = float(min(max(dot_radius_px, 0.0), MAX_RADIUS_PX))
    # Every tile is drawn with a margin as wide as a dot, so that dots centred just
    # outside it (whose sprites GL would clip whole) still reach its edge pixels.
    margin = math.ceil(radius + 2.0)
    limit = min(off.max_size, 8192) if max_tile is None else int(max_tile)
    step = limit - 2 * margin
    if step < 1:
        raise ValueError(f"tile size {limit} is too small for dots of radius {radius}")
    gpu = None if scene is None or path == "cpu" else off.gpu_frame(scene, path)
    if gpu is None:
        off.layer.upload(frame)
    out = np.empty((height, width, 4), np.uint8)
    clear = premultiplied(background)
    fbo = off.framebuffer(min(width, step) + 2 * margin, min(height, step) + 2 * margin)
    with fbo:
        for y0 in range(0, height, step):
            for x0 in range(0, width, step):
                tw, th = min(step, width - x0), min(step, height - y0)
                fw, fh = tw + 2 * margin, th + 2 * margin
                gloo.set_viewport(0, 0, fw, fh)
                gloo.set_clear_color(clear)
                gloo.clear(color=True)
                offset = (x0 - margin, y0 - margin)
                if gpu is not None:
                    # drawn with the image's first row at the bottom, so that the tile is
                    # read top-down straight into the image
                    off.canvas.context.flush_commands()
                    gpu.draw(
                        frame.minutes,
                        viewport,
                        radius_px=radius,
                        target=(fw, fh),
                        offset=offset,
                        top_up=True,
                    )
                    gpu.read_pixels(margin, margin, out[y0 : y0 + th, x0 : x0 + tw])
                    continue
                off.layer.draw(viewport, radius_px=radius, target=(fw, fh), offset=offset)
                # read_pixels gives rows top-down; the drawing maps row 0 of the image to
                # the top of the target, which GL keeps as the last row read: flip is done
                # by read_pixels, so the region is the bottom-left fw x fh block.
                tile = gloo.read_pixels((0, 0, fw, fh), alpha=True)
                out[y0 : y0 + th, x0 : x0 + tw] = tile[margin : margin + th, margin : margin + tw]
    return unpremultiply(out)


def render_gl(
    scene: Scene,
    t: TimeLike,
    width: int,
    height: int,
    *,
    dot_radius_px: float = 1.5,
    background: tuple[int, int, int, int] | tuple[int, int, int] = DEFAULT_BACKGROUND,
    viewport: Viewport | None = None,
    max_tile: int | None = None,
    path: str | None = None,
) -> np.ndarray:
    """The scene at ``t`` drawn offscreen with OpenGL (EGL; headless under
    ``EGL_PLATFORM=surfaceless``): an ``height x width x 4`` uint8 image, straight alpha.

    ``viewport`` (default: the world fitted to the image) maps world units to pixels, as
    for the CPU renderer; its size must be ``width x height``. ``path`` (``"gpu"``,
    ``"cpu"``, default: measured) chooses between the GPU frame and the engine's.
    """
    if viewport is None:
        viewport = Viewport.fit(int(width), int(height))
    elif (viewport.width, viewport.height) != (int(width), int(height)):
        raise ValueError(
            f"viewport is {viewport.width} x {viewport.height}, the image {width} x {height}"
        )
    off = _offscreen()
    minutes = to_minutes(t)
    if path != "cpu" and off.gpu_frame(scene, path) is not None:
        # the GPU computes the frame: nothing to compute or upload here
        frame = Frame.empty(0)
        frame.minutes = minutes
        path = "gpu"
    else:
        if off.buffers is None or off.buffers.n != scene.n_dots:
            off.buffers = FramePair(scene.n_dots)
        frame = scene.frame_at_minutes(minutes, off.buffers.swap())
        path = "cpu"
    return render_frame_gl(
        frame,
        viewport,
        dot_radius_px=dot_radius_px,
        background=background,
        max_tile=max_tile,
        scene=scene,
        path=path,
    )
