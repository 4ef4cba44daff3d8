"""The picture of a scene at a moment: dots (:mod:`.raster`), then the overlay painting
the label model (:mod:`.overlay`). :func:`image` is what a notebook calls; the exporters
call :func:`render`."""

from __future__ import annotations

import numpy as np

from .._time import TimeLike, to_minutes
from ..errors import ExportError
from ..scene import CongestionSettings, Frame, Scene
from ..scene.labels import shown_counts
from .overlay import OverlayStyle, draw_overlay
from .raster import rasterise
from .settings import BACKGROUND, RenderSettings, check_settings


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
        counts = shown_counts(scene, frame)
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
    label_values: str = "count",
    congestion: CongestionSettings | None = None,
) -> np.ndarray:
    """The picture of ``scene`` at ``t`` as an H x W x 4 uint8 array (dots, labels with
    counts, the date, the title and the legend). ``label_values``: "count", "percent"
    (of the children in the picture) or "both". With ``congestion``, the congested
    states are ringed with their figures."""
    style = (
        OverlayStyle(
            title=title,
            caption=caption,
            suppress_below=suppress_below,
            label_values=label_values,
            congestion=congestion,
        )
        if overlay
        else None
    )
    settings = RenderSettings(width, height, renderer, dot_radius, background, overlay=style)
    return render(scene, t, settings)
