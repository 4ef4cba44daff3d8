"""Flat shapes over the dots (timeline, legend swatches, panels, rings, the trail), drawn
by one small gloo program in physical pixels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vispy import gloo

VERT = """
uniform vec2 u_size;    // physical pixels
attribute vec2 a_pos;   // physical pixels, row 0 at the top
attribute vec4 a_rgba;  // straight alpha, 0..1
varying vec4 v_rgba;
void main() {
    gl_Position = vec4(a_pos.x * 2.0 / u_size.x - 1.0, 1.0 - a_pos.y * 2.0 / u_size.y, 0.0, 1.0);
    v_rgba = a_rgba;
}
"""
FRAG = """
varying vec4 v_rgba;
void main() { gl_FragColor = vec4(v_rgba.rgb * v_rgba.a, v_rgba.a); }
"""


def rgba01(c: Sequence[int]) -> tuple[float, float, float, float]:
    """A uint8 colour (RGB or RGBA) as 0..1 floats."""
    return (c[0] / 255.0, c[1] / 255.0, c[2] / 255.0, (c[3] if len(c) > 3 else 255) / 255.0)


class Shapes:
    """Rectangles and polylines in physical pixels, collected, then drawn at once."""

    def __init__(self) -> None:
        self.program = gloo.Program(VERT, FRAG)
        self.tris: list[np.ndarray] = []
        self.tri_rgba: list[np.ndarray] = []
        self.lines: list[tuple[np.ndarray, np.ndarray]] = []

    def clear(self) -> None:
        self.tris.clear()
        self.tri_rgba.clear()
        self.lines.clear()

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, rgba: Any, rgba2: Any = None
    ) -> None:
        """A rectangle; with ``rgba2`` a horizontal gradient from ``rgba`` to it."""
        c0 = np.asarray(rgba, np.float32)
        c1 = c0 if rgba2 is None else np.asarray(rgba2, np.float32)
        self.tris.append(
            np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y0], [x1, y1], [x0, y1]], np.float32)
        )
        self.tri_rgba.append(np.array([c0, c1, c1, c0, c1, c0], np.float32))

    def polyline(self, pts: np.ndarray, rgba: Any) -> None:
        if len(pts) >= 2:
            self.lines.append((np.asarray(pts, np.float32), np.asarray(rgba, np.float32)))

    def ring(self, cx: float, cy: float, r: float, rgba: Any) -> None:
        """A circle of radius ``r`` about (``cx``, ``cy``), as a polyline of 64 sides."""
        a = np.linspace(0, 2 * np.pi, 65)
        self.polyline(np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], 1), rgba)

    def draw(self, size: tuple[int, int]) -> None:
        p = self.program
        p["u_size"] = (float(size[0]), float(size[1]))
        gloo.set_state(blend=True, depth_test=False, cull_face=False)
        gloo.set_blend_func("one", "one_minus_src_alpha")
        if self.tris:
            p["a_pos"] = np.concatenate(self.tris)
            p["a_rgba"] = np.concatenate(self.tri_rgba)
            p.draw("triangles")
        for pts, rgba in self.lines:
            p["a_pos"] = pts
            p["a_rgba"] = np.repeat(rgba[None], len(pts), axis=0)
            p.draw("line_strip")
