"""The overlay of exported pictures: the label model (:mod:`carevis.scene.labels`: state
labels with counts, group headings, congestion marks, the date, the title, the legend and
the caption) painted with PIL over a rendered frame. Sizes scale with the image, so it
reads the same at 720p and on a print poster. Fonts (DejaVu Sans) ship with the package.
What text is drawn, and which counts are suppressed, is the model's to say, not this
module's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .. import _check as check
from .._check import show
from ..errors import ConfigError
from ..scene import Legend, Scene
from ..scene.congestion import CongestionSettings
from ..scene.labels import (
    Labels,
    LegendEntries,
    check_suppression,
    full_caption,
    labels,
    legend_entries,
)
from ..scene.labels import format_count as _format_count
from ..viewport import Viewport

__all__ = [
    "OverlayStyle",
    "check_style",
    "draw_overlay",
    "font",
    "format_count",
    "full_caption",
    "legend_size",
    "overlay_labels",
    "paint_labels",
]


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = resources.files("carevis").joinpath(f"fonts/{name}")
    with resources.as_file(path) as p:
        return ImageFont.truetype(str(p), size=max(6, int(size)))


@dataclass
class OverlayStyle:
    title: str | None = "Children's journeys through social care"
    caption: str | None = None
    labels: bool = True
    date: bool = True
    legend: bool = True
    #: Counts below this are suppressed in labels (0: show all).
    suppress_below: int = 0
    #: "<N" shows e.g. "<5"; "hide" leaves the count out.
    suppress_style: str = "<N"
    text: tuple[int, int, int] = (40, 40, 48)
    muted: tuple[int, int, int] = (110, 110, 120)
    #: Mark congested states with a halo and a short label (None: off).
    congestion: CongestionSettings | None = None


def check_style(style: OverlayStyle) -> None:
    """The one check of an overlay's options: a ConfigError naming the first bad one."""
    if not isinstance(style, OverlayStyle):
        raise ConfigError(f"overlay must be an OverlayStyle, True or None, not {show(style)}")
    check.text("title", style.title)
    check.text("caption", style.caption)
    for name in ("labels", "date", "legend"):
        check.flag(name, getattr(style, name))
    check_suppression(style.suppress_below, style.suppress_style)
    check.rgb("text colour", style.text, (3,))
    check.rgb("muted colour", style.muted, (3,))
    if style.congestion is not None and not isinstance(style.congestion, CongestionSettings):
        raise ConfigError(f"congestion must be CongestionSettings or None, not {show(style)}")


def format_count(n: int, style: OverlayStyle) -> str | None:
    """A count as ``style`` shows it (:func:`carevis.scene.labels.format_count`)."""
    return _format_count(n, style.suppress_below, style.suppress_style)


def overlay_labels(
    scene: Scene, minutes: float, counts: np.ndarray, radii: np.ndarray, style: OverlayStyle
) -> Labels:
    """The label model that ``style`` asks for (its title, caption, suppression and
    congestion) of ``scene`` at ``minutes``."""
    return labels(
        scene,
        minutes,
        counts,
        radii,
        title=style.title,
        caption=style.caption,
        suppress_below=style.suppress_below,
        suppress_style=style.suppress_style,
        congestion=style.congestion,
    )


def _text_colour(
    background: tuple[int, int, int, int], style: OverlayStyle
) -> tuple[int, int, int]:
    luma = 0.3 * background[0] + 0.59 * background[1] + 0.11 * background[2]
    return style.text if luma > 128 else (235, 235, 240)


def legend_size(legend: Legend | LegendEntries, unit: float) -> tuple[int, int]:
    """Width and height of the legend block in pixels."""
    entries = legend if isinstance(legend, LegendEntries) else legend_entries(legend)
    title = font(round(1.5 * unit), bold=True).getlength(entries.title)
    if entries.kind == "continuous":
        return round(max(22 * unit, title)), round(5.2 * unit)
    small = font(round(1.25 * unit))
    widest = max((small.getlength(c) for c in entries.categories), default=0.0)
    rows = len(entries.categories) + (entries.more > 0)
    return round(max(title, widest + 2 * unit)), round((2.3 + 1.7 * rows) * unit)


def _legend(
    draw: ImageDraw.ImageDraw,
    legend: LegendEntries,
    x: int,
    y: int,
    unit: float,
    ink: tuple[int, int, int],
) -> None:
    f_title = font(round(1.5 * unit), bold=True)
    f_small = font(round(1.25 * unit))
    draw.text((x, y), legend.title, font=f_title, fill=ink)
    y += round(2.3 * unit)
    if legend.kind == "continuous":
        w, h = round(20 * unit), round(1.1 * unit)
        ramp = legend.colours
        for i in range(w):
            c = ramp[min(len(ramp) - 1, round(i / max(w - 1, 1) * (len(ramp) - 1)))]
            draw.line([(x + i, y), (x + i, y + h)], fill=tuple(int(v) for v in c[:3]))
        for pos, label in legend.ticks:
            px = x + round(pos * (w - 1))
            draw.line([(px, y + h), (px, y + h + round(0.4 * unit))], fill=ink)
            draw.text((px, y + h + round(0.5 * unit)), label, font=f_small, fill=ink, anchor="ma")
        return
    r = round(0.55 * unit)
    for i, (label, c) in enumerate(zip(legend.categories, legend.colours, strict=False)):
        cy = y + i * round(1.7 * unit) + r
        draw.ellipse([x, cy - r, x + 2 * r, cy + r], fill=tuple(int(v) for v in c[:3]))
        draw.text((x + 3 * r, cy), label, font=f_small, fill=ink, anchor="lm")
    if legend.more:
        cy = y + len(legend.categories) * round(1.7 * unit) + r
        draw.text((x, cy), f"and {legend.more} more", font=f_small, fill=ink, anchor="lm")


def _clusters(
    draw: ImageDraw.ImageDraw,
    model: Labels,
    vp: Viewport,
    unit: float,
    offset: tuple[int, int],
    ink: tuple[int, int, int],
    muted: tuple[int, int, int],
) -> None:
    """Each cluster's name and count below it; the group headings above the clusters."""
    ox, oy = offset
    f_label = font(round(1.2 * unit))
    f_count = font(round(1.45 * unit), True)
    at: list[tuple[float, float]] = []
    for c in model.clusters:
        cx, cy = vp.to_pixels(c.centre[0], c.centre[1])
        at.append((cx, cy))
        ty = cy + c.radius * vp.sx + 0.5 * unit
        draw.text((ox + cx, oy + ty), c.state, font=f_label, fill=muted, anchor="ma")
        if c.count_text is not None:
            where = (ox + cx, oy + ty + 1.35 * unit)
            draw.text(where, c.count_text, font=f_count, fill=ink, anchor="ma")
    if not model.groups:
        return
    f_group = font(round(1.3 * unit), True)
    top = min(at[k][1] for g in model.groups for k in g.members) - 4.2 * unit
    for g in model.groups:
        gx = sum(at[k][0] for k in g.members) / len(g.members)
        draw.text((ox + gx, oy + top), g.text, font=f_group, fill=muted, anchor="ma")


def _congestion(
    draw: ImageDraw.ImageDraw,
    model: Labels,
    vp: Viewport,
    settings: CongestionSettings,
    unit: float,
    offset: tuple[int, int],
) -> list[str]:
    """A halo around each congested state's cluster and its figure above it ("+18% in 6
    months", "median wait 210 days"). Returns the labels drawn."""
    ox, oy = offset
    colour = settings.halo
    f = font(round(1.25 * unit), True)
    for c in model.congested:
        k = model.clusters[c.index]
        cx, cy = vp.to_pixels(k.centre[0], k.centre[1])
        r = max(k.radius * vp.sx, unit) + 0.6 * unit
        width = max(2, round(0.35 * unit))
        box = [ox + cx - r, oy + cy - r, ox + cx + r, oy + cy + r]
        draw.ellipse(box, outline=colour, width=width)
        at = (ox + cx, oy + cy - r - 0.4 * unit)
        draw.text(at, c.label, font=f, fill=colour[:3], anchor="md")
    return [c.label for c in model.congested]


def paint_labels(
    image: np.ndarray,
    model: Labels,
    vp: Viewport,
    style: OverlayStyle,
    background: tuple[int, int, int, int],
    region: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Paints the label ``model`` onto ``image`` (H x W x 4 uint8, modified in place and
    returned); ``style`` says which parts and in what colours. ``region`` is the image's
    top-left within the full ``vp`` picture (tiled renders)."""
    h, w = image.shape[:2]
    unit = min(vp.width, vp.height * 16 / 9) / 110  # one text unit: ~17 px at 1080p
    ink = _text_colour(background, style)
    muted = style.muted if ink == style.text else (170, 170, 180)
    if image.flags["C_CONTIGUOUS"] and image.flags["WRITEABLE"]:
        # Draw straight into the caller's array: no copy in and out.
        pil = Image.frombuffer("RGBA", (w, h), image, "raw", "RGBA", 0, 1)
        pil.readonly = False
        shared = True
    else:
        pil = Image.fromarray(image, "RGBA")
        shared = False
    draw = ImageDraw.Draw(pil)
    ox, oy = -region[0], -region[1]
    if model.title:
        where = (ox + round(2 * unit), oy + round(1.6 * unit))
        draw.text(where, model.title, font=font(round(2.2 * unit), True), fill=ink)
    if style.date:
        where = (ox + vp.width - round(2 * unit), oy + round(1.2 * unit))
        draw.text(where, model.date, font=font(round(3.0 * unit), True), fill=ink, anchor="ra")
    if style.labels:
        _clusters(draw, model, vp, unit, (ox, oy), ink, muted)
    if style.congestion is not None:
        _congestion(draw, model, vp, style.congestion, unit, (ox, oy))
    if style.legend:
        lw, lh = legend_size(model.legend, unit)
        x, y = ox + vp.width - round(2 * unit) - lw, oy + vp.height - round(3.2 * unit) - lh
        _legend(draw, model.legend, x, y, unit, ink)
    if model.caption:
        where = (ox + vp.width - round(2 * unit), oy + vp.height - round(1.5 * unit))
        draw.text(where, model.caption, font=font(round(1.1 * unit)), fill=muted, anchor="rd")
    if not shared:
        image[...] = np.asarray(pil)
    return image


def draw_overlay(
    image: np.ndarray,
    scene: Scene,
    minutes: float,
    counts: np.ndarray,
    radii: np.ndarray,
    vp: Viewport,
    style: OverlayStyle,
    background: tuple[int, int, int, int],
    region: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Draws the overlay of ``scene`` at ``minutes`` onto ``image``: the label model
    (:func:`overlay_labels`, from ``counts`` of the children shown and the clusters'
    ``radii``) painted by :func:`paint_labels`."""
    model = overlay_labels(scene, minutes, counts, radii, style)
    return paint_labels(image, model, vp, style, background, region)
