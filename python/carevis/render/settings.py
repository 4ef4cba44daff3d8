"""How frames are drawn: :class:`RenderSettings` (size, renderer, dot radius, background,
zoom and pan, overlay style) and its one check, :func:`check_settings`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from .. import _check as check
from ..errors import ConfigError, ExportError
from ..layout import MAX_COORD
from ..viewport import Viewport
from .overlay import OverlayStyle, check_style

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
