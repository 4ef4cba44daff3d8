"""The GL dot renderer, shared by the window and the offscreen exporter.

One gloo program draws every dot as a point sprite. Its coverage is the CPU
rasteriser's rule: a dot of radius ``r`` pixels centred at pixel coordinates
``(px, py)`` covers a pixel whose centre is at distance ``d`` by
``clamp(r + 0.5 - d, 0, 1)``; straight-alpha colours are composited premultiplied
"over", in dot order (blend ``ONE, ONE_MINUS_SRC_ALPHA``).

Pixel coordinates come from :class:`carevis.viewport.Viewport` (``px = x * sx + tx``,
row 0 at the top); the vertex shader turns them into clip space from uniforms, so zoom
and pan change uniforms only. Positions (``x``, ``y``: two float32 buffers, exactly the
engine's arrays) are uploaded every frame; colours (``rgba`` uint8) only when the caller
says they changed. gloo uploads lazily (at the next draw), so the arrays the engine
rewrites in place are double-buffered (:class:`FramePair`).

VisPy is imported here, never by ``import carevis``.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np

from ._time import TimeLike, to_minutes
from .errors import ConfigError
from .scene import Frame, Scene
from .viewport import Viewport

#: Largest point sprite most drivers draw (llvmpipe: 255); radii are clamped below it.
MAX_RADIUS_PX = 100.0
DEFAULT_BACKGROUND = (247, 247, 244, 255)
GL_VERTEX_PROGRAM_POINT_SIZE = 0x8642
GL_POINT_SPRITE = 0x8861

VERT = """
uniform vec4 u_map;    // sx, sy, tx, ty: world -> pixels of the target (row 0 at top)
uniform vec2 u_size;   // target width, height (pixels)
uniform float u_radius;
attribute float a_x;
attribute float a_y;
attribute vec4 a_rgba; // 0..255 (unnormalised unsigned bytes)
varying vec4 v_rgba;
varying vec2 v_centre;
void main() {
    vec2 p = vec2(a_x, a_y) * u_map.xy + u_map.zw;
    v_centre = p;
    v_rgba = a_rgba / 255.0;
    if (a_rgba.a <= 0.0) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);   // outside the clip box: not drawn
        gl_PointSize = 1.0;
        return;
    }
    gl_Position = vec4(p.x * 2.0 / u_size.x - 1.0, 1.0 - p.y * 2.0 / u_size.y, 0.0, 1.0);
    gl_PointSize = 2.0 * u_radius + 3.0;
}
"""

FRAG = """
uniform vec2 u_size;
uniform float u_radius;
varying vec4 v_rgba;
varying vec2 v_centre;
void main() {
    vec2 c = vec2(gl_FragCoord.x, u_size.y - gl_FragCoord.y);   // pixel centre, top-down
    float cov = clamp(u_radius + 0.5 - distance(c, v_centre), 0.0, 1.0);
    if (cov <= 0.0) discard;
    float a = v_rgba.a * cov;
    gl_FragColor = vec4(v_rgba.rgb * a, a);
}
"""


def _gloo() -> Any:
    from vispy import gloo

    return gloo


class FramePair:
    """Two sets of frame buffers: the engine writes the back one while the front one may
    still be waiting in gloo's queue to be uploaded."""

    def __init__(self, n: int) -> None:
        self._frames = [Frame.empty(n), Frame.empty(n)]
        self._front = 0

    @property
    def n(self) -> int:
        return len(self._frames[0].x)

    @property
    def front(self) -> Frame:
        return self._frames[self._front]

    @property
    def back(self) -> Frame:
        return self._frames[1 - self._front]

    def swap(self) -> Frame:
        """Makes the back buffer the front one and returns it."""
        self._front = 1 - self._front
        return self.front


class DotLayer:
    """The dots: one program, three vertex buffers (x, y, rgba). Needs a current GL context."""

    def __init__(self) -> None:
        gloo = _gloo()
        self.program = gloo.Program(VERT, FRAG)
        self._x = gloo.VertexBuffer(np.zeros(1, np.float32))
        self._y = gloo.VertexBuffer(np.zeros(1, np.float32))
        self._rgba = gloo.VertexBuffer(np.zeros((1, 4), np.uint8))
        self.program["a_x"] = self._x
        self.program["a_y"] = self._y
        self.program["a_rgba"] = self._rgba
        self.n = 0
        self.uploads = {"positions": 0, "colours": 0}

    def upload(self, frame: Frame, *, positions: bool = True, colours: bool = True) -> None:
        """Queues the frame's arrays for upload (gloo sends them at the next draw, reading
        the arrays then: do not rewrite them before drawing)."""
        n = len(frame.x)
        if n != self.n:
            positions = colours = True
            self.n = n
        if n == 0:
            return
        if positions:
            self._x.set_data(frame.x)
            self._y.set_data(frame.y)
            self.uploads["positions"] += 1
        if colours:
            self._rgba.set_data(frame.rgba)
            self.uploads["colours"] += 1

    def draw(
        self,
        viewport: Viewport,
        *,
        radius_px: float = 1.5,
        target: tuple[int, int] | None = None,
        offset: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """Draws the dots into the bound framebuffer (its GL viewport set to ``target``
        pixels, default the viewport's size), with pixel ``offset`` of that target's
        top-left corner in the viewport's pixel space (for tiles)."""
        if self.n == 0:
            return
        gloo = _gloo()
        w, h = target if target is not None else (viewport.width, viewport.height)
        r = float(min(max(radius_px, 0.0), MAX_RADIUS_PX))
        p = self.program
        p["u_map"] = (viewport.sx, viewport.sy, viewport.tx - offset[0], viewport.ty - offset[1])
        p["u_size"] = (float(w), float(h))
        p["u_radius"] = r
        gloo.set_state(blend=True, depth_test=False, cull_face=False)
        gloo.set_blend_func("one", "one_minus_src_alpha")
        # Sprite sizes come from the shader (desktop GL needs this switched on; gloo only
        # does so on some backends' first draw).
        gloo.gl.glEnable(GL_VERTEX_PROGRAM_POINT_SIZE)
        gloo.gl.glEnable(GL_POINT_SPRITE)
        self._bytes_as_colours()
        p.draw("points")

    def _bytes_as_colours(self) -> None:
        """Makes GL read ``a_rgba`` as 4 unsigned bytes (4 B per dot instead of 16).

        gloo derives an attribute's GL type from its GLSL type (vec4 -> GL_FLOAT) and
        cannot say "unsigned bytes". Once gloo's parser has set the attribute up, its
        pointer arguments are rewritten to ``(4, GL_UNSIGNED_BYTE, normalised=False)``;
        the shader divides by 255."""
        gloo = _gloo()
        context = gloo.get_current_canvas().context
        context.glir.associate(self.program.glir)
        context.flush_commands()
        glir_program = context.shared.parser.get_object(self.program.id)
        attrs = glir_program._attributes
        vbo, handle, func, args, divisor = attrs["a_rgba"]
        if args[1] != gloo.gl.GL_UNSIGNED_BYTE:
            attrs["a_rgba"] = (
                vbo,
                handle,
                func,
                (4, gloo.gl.GL_UNSIGNED_BYTE, gloo.gl.GL_FALSE, 4, 0),
                divisor,
            )


def premultiplied(
    background: tuple[int, int, int, int] | tuple[int, int, int],
) -> tuple[float, ...]:
    """The clear colour (0..1, premultiplied) of a straight-alpha uint8 background."""
    bg = tuple(background) + ((255,) if len(background) == 3 else ())
    a = bg[3] / 255.0
    return (bg[0] / 255.0 * a, bg[1] / 255.0 * a, bg[2] / 255.0 * a, a)


def unpremultiply(img: np.ndarray) -> np.ndarray:
    """Straight alpha from a premultiplied uint8 image (in place where alpha < 255)."""
    if img.flags.c_contiguous and img.dtype == np.uint8 and img.shape[-1] == 4:
        # one contiguous pass finds an opaque image (the usual one) unchanged: alpha is
        # the high byte of each pixel's little-endian word
        words = img.reshape(-1).view("<u4")
        if int(words.min() if sys.byteorder == "little" else 0) >= 0xFF000000:
            return img
    a = img[..., 3]
    part = (a > 0) & (a < 255)
    if part.any():
        rgb = img[..., :3][part].astype(np.float32) * (255.0 / a[part, None].astype(np.float32))
        img[..., :3][part] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return img


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
        scene: :func:`carevis.gl_frame.choose_path`)."""
        from . import gl_frame

        if self._gpu is None or self._gpu[0] is not scene._native:
            if self._gpu is not None:
                if self._gpu[1] is not None:
                    self._gpu[1].close()
                self._gpu = None
            if (path or gl_frame.path_without_measuring()) == "cpu":
                # no tables on the GPU for a scene drawn from the engine's frames
                self._gpu = (scene._native, None, "cpu")
                return None
            try:
                gpu = gl_frame.GpuFrame(scene)
            except ConfigError:
                if path == "gpu":
                    raise
                return None
            fbo = self.framebuffer(1920, 1080)
            chosen = path or gl_frame.choose_path(
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


def measured_draws(
    scene: Scene, gpu: Any, layer: DotLayer, canvas: Any, fbo: Any = None
) -> tuple[Any, Any]:
    """What :func:`carevis.gl_frame.choose_path` weighs: one moment drawn at 1920 x 1080
    each way into ``fbo`` (default: the canvas's own framebuffer), waiting for the GL:
    by the GPU frame, and by the engine's frame uploaded to ``layer`` and drawn."""
    import contextlib

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


_OFFSCREEN: _Offscreen | None = None


def _offscreen() -> _Offscreen:
    global _OFFSCREEN
    if _OFFSCREEN is None:
        _OFFSCREEN = _Offscreen()
    _OFFSCREEN.canvas.set_current()
    return _OFFSCREEN


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
    ``"gpu"`` or ``"cpu"`` decides; see :mod:`carevis.gl_frame`): the same picture,
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
