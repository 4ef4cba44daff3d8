"""Turning a frame into pixels: the CPU rasteriser (Rust, tiled) or OpenGL offscreen
(:mod:`carevis.gl`), then the overlay painting the label model
(:mod:`carevis.scene.labels`). :func:`image` is the picture of a scene at a moment; the
exporters call :func:`render`.

Inside the package, modules import downward: fonts -> layout_text (the one placement of
every text, also the window's) -> text_plan -> overlay -> settings -> raster -> picture."""

from __future__ import annotations

from .overlay import (
    OverlayStyle,
    check_style,
    draw_overlay,
    font,
    format_count,
    full_caption,
    legend_size,
)
from .picture import image, render
from .raster import rasterise
from .settings import (
    BACKGROUND,
    MAX_SIDE,
    MAX_TILED_SIDE,
    RENDERERS,
    RenderSettings,
    check_settings,
)

__all__ = [
    "BACKGROUND",
    "MAX_SIDE",
    "MAX_TILED_SIDE",
    "RENDERERS",
    "OverlayStyle",
    "RenderSettings",
    "check_settings",
    "check_style",
    "draw_overlay",
    "font",
    "format_count",
    "full_caption",
    "image",
    "legend_size",
    "rasterise",
    "render",
]
