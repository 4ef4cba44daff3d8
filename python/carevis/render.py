"""Turning a frame into pixels: the CPU rasteriser (Rust) or OpenGL (VisPy, offscreen), then
the overlay. :func:`image` is the picture of a scene at a moment; the exporters call
:func:`render`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from . import _check as check
from . import _native
from ._time import TimeLike, to_minutes
from .errors import ConfigError, ExportError
from .layout import MAX_COORD
from .overlay import OverlayStyle, check_style, draw_overlay
from .scene import Frame, Scene
from .viewport import Viewport

#: Largest side rendered in one piece; larger images are rendered in tiles.
MAX_SIDE = 16384
#: Largest side accepted at all (print posters by tiling).
MAX_TILED_SIDE = 65536
BACKGROUND = (247, 247, 244, 255)
RENDERERS = ("cpu", "gl")


@dataclass
class RenderSettings:
    """How frames are drawn (kept identical across a video's frames)."""

    width: int = 1920
    height: int = 1080
    renderer: str = "cpu"
    dot_radius: float | None = None  # pixels; default scales with the height
    background: tuple[int, int, int, int] = BACKGROUND
    zoom: float = 1.0
    centre: tuple[float, float] | None = None
    overlay: OverlayStyle | None = field(default_factory=OverlayStyle)

    def radius(self) -> float:
        if self.dot_radius is not None:
            return float(self.dot_radius)
        return max(0.6, 1.25 * self.height / 1080)

    def viewport(self) -> Viewport:
        return Viewport.fit(self.width, self.height, zoom=self.zoom, centre=self.centre)


def check_settings(s: RenderSettings) -> None:
    """The one check of render settings: refuses absurd ones before any work starts (a
    ConfigError, or an ExportError for a size or renderer that cannot be drawn). A 3-channel
    background gets an opaque alpha."""
    if not isinstance(s, RenderSettings):
        raise ConfigError(f"settings must be RenderSettings, not {check.show(s)}")
    s.background = cast(tuple[int, int, int, int], check.rgb("background", s.background))
    if len(s.background) == 3:
        s.background = (*s.background, 255)
    if s.dot_radius is not None:
        check.number("dot_radius", s.dot_radius, 0.0, lo_open=True)
    check.number("zoom", s.zoom, 0.0, 1e6, lo_open=True)
    if s.centre is not None:
        check.pair("centre", s.centre, -MAX_COORD, MAX_COORD)
    if s.overlay is not None:
        check_style(s.overlay)
    if not isinstance(s.renderer, str):
        raise ConfigError(f"renderer must be 'cpu' or 'gl', not {check.show(s.renderer)}")
    for name, v in (("width", s.width), ("height", s.height)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ExportError(f"{name} must be a whole number of pixels, not {v!r}")
        if v <= 0:
            raise ExportError(f"{name} must be positive, not {v}")
        if v > MAX_TILED_SIDE:
            raise ExportError(f"{name} {v} is beyond the largest supported side ({MAX_TILED_SIDE})")
    need = s.width * s.height * 4
    try:
        import os

        avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        avail = 1 << 40
    if need * 2 > avail:
        raise ExportError(
            f"a {s.width}x{s.height} image needs {need / 2**30:.1f} GiB twice over; "
            f"only {avail / 2**30:.1f} GiB of memory is free"
        )
    if s.renderer not in RENDERERS:
        raise ExportError(f"unknown renderer {s.renderer!r}: use 'cpu' or 'gl'")
    r = s.radius()
    if not (0.3 <= r <= 512):
        raise ExportError(f"dot radius {r} px is out of range 0.3..512")


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
    frame came from, the scene's GPU frame may draw it (see :mod:`carevis.gl_frame`)."""
    vp = s.viewport()
    if out is None:
        out = np.empty((s.height, s.width, 4), np.uint8)
    if s.renderer == "gl":
        from .gl import render_frame_gl

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


def render(
    scene: Scene,
    t: TimeLike,
    settings: RenderSettings | None = None,
    *,
    frame: Frame | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The picture of ``scene`` at ``t``: dots, then the overlay. H x W x 4 uint8."""
    s = settings or RenderSettings()
    check_settings(s)
    if scene.n_dots == 0:
        raise ExportError("the scene has no dots to draw")
    minutes = to_minutes(t)
    frame = scene.frame_at_minutes(minutes, frame if frame is not None else scene.buffers())
    image = rasterise(frame, s, out, scene)
    if s.overlay is not None:
        counts = frame.counts(len(scene.states))
        draw_overlay(
            image,
            scene,
            minutes,
            counts,
            scene.radii_at_minutes(minutes),
            s.viewport(),
            s.overlay,
            s.background,
        )
    return image


def image(
    scene: Scene,
    t: TimeLike,
    width: int = 1920,
    height: int = 1080,
    *,
    renderer: str = "cpu",
    dot_radius: float | None = None,
    overlay: bool = True,
    title: str | None = "Children's journeys through social care",
    caption: str | None = None,
    suppress_below: int = 0,
    background: tuple[int, int, int, int] = BACKGROUND,
) -> np.ndarray:
    """The picture of ``scene`` at ``t`` as an H x W x 4 uint8 array (dots, labels with
    counts, the date, the title and the legend)."""
    style = (
        OverlayStyle(title=title, caption=caption, suppress_below=suppress_below)
        if overlay
        else None
    )
    settings = RenderSettings(width, height, renderer, dot_radius, background, overlay=style)
    return render(scene, t, settings)
