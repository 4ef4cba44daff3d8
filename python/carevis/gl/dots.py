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

import sys
from typing import Any

import numpy as np

from ..scene import Frame
from ..viewport import Viewport

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
