"""Drawing offscreen: a hidden EGL canvas with its dot layer and framebuffer, kept between
calls (:func:`render_frame_gl` draws a computed frame, tiled beyond the GL's largest
renderbuffer; :func:`render_gl` the scene at a moment, by the GPU frame where that path is
the faster here). Headless under ``EGL_PLATFORM=surfaceless``."""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

from .._time import TimeLike, to_minutes
from ..scene import Frame, Scene
from ..viewport import Viewport
from .choose import FramePath
from .dots import (
    DEFAULT_BACKGROUND,
    MAX_RADIUS_PX,
    DotLayer,
    FramePair,
    premultiplied,
    unpremultiply,
)


class _Offscreen:
    """A hidden EGL canvas, its dot program and a framebuffer, kept between calls; and how
    the last scene drawn is drawn (its GPU frame, the path chosen for it)."""

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
        self._path: FramePath | None = None

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

    def frame_path(self, scene: Scene) -> FramePath:
        """How ``scene``'s frames are drawn here (:class:`~carevis.gl.choose.FramePath`:
        timed over the first frames of each scene; its emphasis kept in step)."""
        if self._path is None or self._path.scene._native is not scene._native:
            if self._path is not None:
                self._path.close()
            self._path = FramePath(scene)
        else:
            self._path.sync(scene)
        return self._path

    def pick(self, scene: Scene | None, path: str | None) -> tuple[str | None, Any]:
        """The path the trial times for this picture (None: not timed) and the GPU frame
        to draw it with (None: the engine's frame), ``path`` deciding where given."""
        if scene is None or path == "cpu":
            return None, None
        fp = self.frame_path(scene)
        if path == "gpu":
            return None, fp.gpu_frame(need=True)
        return fp.pick()

    def record(self, picked: str | None, seconds: float) -> None:
        if picked is not None and self._path is not None:
            self._path.record(picked, seconds)


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

    Given the ``scene`` the frame came from, the moment (``frame.minutes``) may be drawn
    by the scene's GPU frame instead, without uploading the frame: the same picture (within
    GL's rounding). Which path draws is timed over the scene's first pictures, each path
    in turn, and the fastest kept (:class:`carevis.gl.choose.FramePath`); ``path``
    (``"gpu"`` or ``"cpu"``) decides instead."""
    off = _offscreen()
    picked, gpu = off.pick(scene, path)
    a = time.perf_counter()
    out = _draw(off, frame, viewport, dot_radius_px, background, max_tile, gpu)
    off.record(picked, time.perf_counter() - a)
    return out


def _draw(
    off: _Offscreen,
    frame: Frame,
    viewport: Viewport,
    dot_radius_px: float,
    background: tuple[int, int, int, int] | tuple[int, int, int],
    max_tile: int | None,
    gpu: Any,
) -> np.ndarray:
    """:func:`render_frame_gl`'s picture, drawn by ``gpu`` (a GPU frame) or, where None,
    from ``frame``."""
    from vispy import gloo

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
    ``"cpu"``; default: timed over the scene's first pictures, as for
    :func:`render_frame_gl`) chooses between the GPU frame and the engine's frame (the
    engine's computed here, and timed with the drawing).
    """
    if viewport is None:
        viewport = Viewport.fit(int(width), int(height))
    elif (viewport.width, viewport.height) != (int(width), int(height)):
        raise ValueError(
            f"viewport is {viewport.width} x {viewport.height}, the image {width} x {height}"
        )
    off = _offscreen()
    minutes = to_minutes(t)
    picked, gpu = off.pick(scene, path)
    a = time.perf_counter()
    if gpu is not None:
        # the GPU computes the frame: nothing to compute or upload here
        frame = Frame.empty(0)
        frame.minutes = minutes
    else:
        if off.buffers is None or off.buffers.n != scene.n_dots:
            off.buffers = FramePair(scene.n_dots)
        frame = scene.frame_at_minutes(minutes, off.buffers.swap())
    out = _draw(off, frame, viewport, dot_radius_px, background, max_tile, gpu)
    off.record(picked, time.perf_counter() - a)
    return out
