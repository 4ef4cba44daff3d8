"""Dots into pixels: the CPU rasteriser (Rust), in tiles for images beyond
:data:`~carevis.render.settings.MAX_SIDE`, or OpenGL offscreen (:mod:`carevis.gl`)."""

from __future__ import annotations

import threading

import numpy as np

from .. import _native
from ..gl import render_frame_gl
from ..scene import Frame, Scene
from .settings import MAX_SIDE, RenderSettings

_local = threading.local()


def _rasteriser() -> _native.Rasteriser:
    r = getattr(_local, "rasteriser", None)
    if r is None:
        r = _local.rasteriser = _native.Rasteriser()
    return r


def rasterise(
    frame: Frame, s: RenderSettings, out: np.ndarray | None = None, scene: Scene | None = None
) -> np.ndarray:
    """Dots only (no overlay), H x W x 4 uint8. With the GL renderer and the ``scene`` the
    frame came from, the scene's GPU frame may draw it (see :mod:`carevis.gl`)."""
    vp = s.viewport()
    if out is None:
        out = np.empty((s.height, s.width, 4), np.uint8)
    if s.renderer == "gl":
        out[...] = render_frame_gl(
            frame, vp, dot_radius_px=s.radius(), background=s.background, scene=scene
        )
        return out
    r = _rasteriser()
    bg = s.background
    tile = MAX_SIDE // 2
    for y0 in range(0, s.height, tile):
        for x0 in range(0, s.width, tile):
            h, w = min(tile, s.height - y0), min(tile, s.width - x0)
            single = (h, w) == (s.height, s.width)
            target = out if single else np.empty((h, w, 4), np.uint8)
            r.render(
                frame.x,
                frame.y,
                frame.rgba,
                target,
                radius_px=s.radius(),
                sx=vp.sx,
                sy=vp.sy,
                tx=vp.tx,
                ty=vp.ty,
                background=(int(bg[0]), int(bg[1]), int(bg[2]), int(bg[3])),
                region=(x0, y0),
                full=(s.width, s.height),
            )
            if not single:
                out[y0 : y0 + h, x0 : x0 + w] = target
    return out
