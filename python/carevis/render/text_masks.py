"""Text drawn from cached glyph masks: the same pixels as PIL's ``ImageDraw.text`` (with
a halo, PIL's ``stroke_width``), without asking FreeType to render and stroke the same
string again every frame of a video.

PIL renders a string into a mask (mode "L") that depends on the string, the font, the
anchor, the stroke width and only on where, within one pixel, the text starts: its pen
is placed at ``round((k + start) * 64)`` in 26.6 fixed point, and the mask is one pixel
larger when the start is not 0. Each glyph is then drawn at a whole pixel, so a mask
depends on the horizontal start only through that rounding (65 classes and "exactly 0")
and on the vertical start only through which whole pixel the baseline rounds to (three
classes: exactly 0, up to 32/64, from 33/64). A mask is rendered once per class and
blended into the picture with the same call PIL makes (``draw_bitmap``). Starts within a
hair of a rounding edge (where PIL's single-precision sums could round either way), and
negative ones (tiles), are left to PIL itself. ``tests/render/test_text_masks.py`` checks
that the pixels are PIL's own, bit for bit."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from PIL import ImageDraw

from .fonts import font

#: A start this close (in 1/64 pixel) to a rounding edge is drawn by PIL itself.
_EDGE = 1 / 256
#: A start below this (in 1/64 pixel) but not 0 is drawn by PIL itself: single-precision
#: sums may lose it.
_TINY = 1 / 64

Ink = tuple[int, int, int]


def _x_class(frac: float) -> int | None:
    """The horizontal class of a start (its fractional part): -1 for exactly 0, else
    PIL's pen offset in 1/64 pixel (0 to 64); None near an edge or below 0."""
    if frac == 0.0:
        return -1
    v = frac * 64
    if v < _TINY or abs(v - math.floor(v) - 0.5) < _EDGE:
        return None
    return math.floor(v + 0.5)


def _y_class(frac: float) -> int | None:
    """The vertical class of a start: 0 for exactly 0, 1 up to 32/64, 2 from 33/64;
    None near an edge or below 0."""
    if frac == 0.0:
        return 0
    v = frac * 64
    if v < _TINY or abs(v - 32.5) < _EDGE:
        return None
    return 1 if v < 32.5 else 2


def _x_start(c: int) -> float:
    return 0.0 if c < 0 else (c + 0.25) / 64 if c < 64 else (c - 0.25) / 64


_Y_START = (0.0, 0.25, 0.75)


@lru_cache(maxsize=8192)
def _mask(
    text: str, size: int, bold: bool, anchor: str, stroke: int, xc: int, yc: int
) -> tuple[Any, tuple[int, int]]:
    """PIL's mask of ``text`` (and its offset from the drawing point) for a start class."""
    start = (_x_start(xc), _Y_START[yc])
    f = font(size, bold)
    return f.getmask2(text, "L", None, None, None, stroke, anchor, 0, start, stroke_filled=True)


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    bold: bool,
    anchor: str,
    fill: Ink,
    halo: tuple[int, Ink] = (0, (0, 0, 0)),
) -> None:
    """``draw.text(xy, text, font=font(size, bold), fill=fill, anchor=anchor,
    stroke_width=halo[0], stroke_fill=halo[1])``, pixel for pixel, from cached masks."""
    x, y = float(xy[0]), float(xy[1])
    xc, yc = _x_class(math.modf(x)[0]), _y_class(math.modf(y)[0])
    if xc is None or yc is None or "\n" in text or draw.fontmode != "L":
        draw.text(
            (x, y),
            text,
            font=font(size, bold),
            fill=fill,
            anchor=anchor,
            stroke_width=halo[0],
            stroke_fill=halo[1] if halo[0] else None,
        )
        return
    ink = draw.draw.draw_ink(fill)
    passes = [(ink, 0)]
    if halo[0]:
        halo_ink = draw.draw.draw_ink(halo[1])
        passes = [(halo_ink, halo[0])] + ([(ink, 0)] if ink != halo_ink else [])
    for colour, stroke in passes:
        mask, (ox, oy) = _mask(text, size, bold, anchor, stroke, xc, yc)
        draw.draw.draw_bitmap((int(x) + ox, int(y) + oy), mask, colour)
