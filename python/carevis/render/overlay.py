"""The overlay of exported pictures: the label model (:mod:`carevis.scene.labels`: state
labels with counts, group headings, congestion marks, the date, the title, the legend and
the caption) painted with PIL over a rendered frame. Sizes scale with the image, so it
reads the same at 720p and on a print poster. Fonts (DejaVu Sans) ship with the package.
What text is drawn, and which counts are suppressed, is the model's to say, not this
module's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from .. import _check as check
from .._check import show
from ..errors import ConfigError
from ..scene import Scene
from ..scene.congestion import Congested, CongestionSettings
from ..scene.labels import Labels, LegendEntries, check_suppression, full_caption, labels
from ..scene.labels import format_count as _format_count
from ..viewport import Viewport
from .fonts import font
from .layout_text import TextLayout
from .text_masks import draw_text
from .text_plan import Placed, TextPlan, legend_column, legend_size, plan

__all__ = [
    "OverlayStyle",
    "check_style",
    "draw_overlay",
    "font",
    "format_count",
    "full_caption",
    "legend_size",
    "overlay_frame",
    "overlay_labels",
    "overlay_plan",
    "paint_labels",
]


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
    #: What a cluster's label says: "count", "percent" (of the children in the picture)
    #: or "both" (a suppressed count shows no percentage).
    label_values: str = "count"
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
    check_suppression(style.suppress_below, style.suppress_style, style.label_values)
    check.rgb("text colour", style.text, (3,))
    check.rgb("muted colour", style.muted, (3,))
    if style.congestion is not None and not isinstance(style.congestion, CongestionSettings):
        raise ConfigError(f"congestion must be CongestionSettings or None, not {show(style)}")


def format_count(n: int, style: OverlayStyle) -> str | None:
    """A count as ``style`` shows it (:func:`carevis.scene.labels.format_count`)."""
    return _format_count(n, style.suppress_below, style.suppress_style)


def overlay_labels(
    scene: Scene,
    minutes: float,
    counts: np.ndarray,
    radii: np.ndarray,
    style: OverlayStyle,
    congested: list[Congested] | None = None,
) -> Labels:
    """The label model that ``style`` asks for (its title, caption, suppression and
    congestion) of ``scene`` at ``minutes``; ``congested``: the congested states at that
    moment where already found (a video finds them for many frames at once)."""
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
        label_values=style.label_values,
        congested=congested if style.congestion is not None else None,
    )


def _text_colour(
    background: tuple[int, int, int, int], style: OverlayStyle
) -> tuple[int, int, int]:
    luma = 0.3 * background[0] + 0.59 * background[1] + 0.11 * background[2]
    return style.text if luma > 128 else (235, 235, 240)


Ink = tuple[int, int, int]


@lru_cache(maxsize=16)
def _ramp(rgb: bytes, w: int, h: int) -> Image.Image:
    """The continuous legend's colour ramp, ``w`` columns of ``h + 1`` pixels, each the
    ramp colour (``rgb``: n x 3 bytes) nearest its position, opaque."""
    colours = np.frombuffer(rgb, np.uint8).reshape(-1, 3)
    n = len(colours)
    pick = [min(n - 1, round(i / max(w - 1, 1) * (n - 1))) for i in range(w)]
    out = np.full((h + 1, w, 4), 255, np.uint8)
    out[:, :, :3] = colours[pick][None]
    return Image.fromarray(out, "RGBA")


def _legend(
    picture: Image.Image,
    draw: ImageDraw.ImageDraw,
    legend: LegendEntries,
    x: int,
    y: int,
    unit: float,
    ink: Ink,
) -> None:
    title, small = round(1.5 * unit), round(1.25 * unit)
    draw_text(draw, (x, y), legend.title, title, True, "la", ink)
    y += round(2.3 * unit)
    if legend.kind == "continuous":
        w, h = round(20 * unit), round(1.1 * unit)
        rgb = np.ascontiguousarray(np.asarray(legend.colours)[:, :3], dtype=np.uint8)
        picture.paste(_ramp(rgb.tobytes(), w, h), (x, y))
        for pos, label in legend.ticks:
            px = x + round(pos * (w - 1))
            draw.line([(px, y + h), (px, y + h + round(0.4 * unit))], fill=ink)
            draw_text(draw, (px, y + h + round(0.5 * unit)), label, small, False, "ma", ink)
        return
    r = round(0.55 * unit)
    step = legend_column(legend, unit)
    for i, (label, c) in enumerate(zip(legend.categories, legend.colours, strict=False)):
        col, row = legend.cell(i)
        cx, cy = x + col * step, y + row * round(1.7 * unit) + r
        draw.ellipse([cx, cy - r, cx + 2 * r, cy + r], fill=tuple(int(v) for v in c[:3]))
        draw_text(draw, (cx + 3 * r, cy), label, small, False, "lm", ink)
    if legend.more:
        cy = y + legend.rows * round(1.7 * unit) + r
        draw_text(draw, (x, cy), f"and {legend.more} more", small, False, "lm", ink)


def _text(
    draw: ImageDraw.ImageDraw,
    placed: Placed | None,
    offset: tuple[int, int],
    fills: tuple[Ink, ...],
    halo: tuple[int, Ink],
) -> None:
    """Draws a placed block (nothing where it was left out), each line in its fill
    (the last fill for lines beyond), over a halo in the background colour."""
    if placed is None or placed.box is None:
        return
    b = placed.block
    ax, ay = b.anchor_in(placed.box)
    for i, ln in enumerate(b.lines):
        where = (offset[0] + ax, offset[1] + ay + ln.dy)
        fill = fills[min(i, len(fills) - 1)]
        draw_text(draw, where, ln.text, ln.size, ln.bold, b.anchor, fill, halo)


def _rings(
    draw: ImageDraw.ImageDraw,
    model: Labels,
    vp: Viewport,
    settings: CongestionSettings,
    unit: float,
    offset: tuple[int, int],
) -> None:
    """A ring around each congested state's cluster (its figure is placed as a text)."""
    ox, oy = offset
    for c in model.congested:
        k = model.clusters[c.index]
        cx, cy = vp.to_pixels(k.centre[0], k.centre[1])
        r = max(k.radius * vp.sx, unit) + 0.6 * unit
        width = max(2, round(0.35 * unit))
        box = [ox + cx - r, oy + cy - r, ox + cx + r, oy + cy + r]
        draw.ellipse(box, outline=settings.halo, width=width)


def paint_labels(
    image: np.ndarray,
    model: Labels,
    vp: Viewport,
    style: OverlayStyle,
    background: tuple[int, int, int, int],
    region: tuple[int, int] = (0, 0),
    plan: TextPlan | None = None,
) -> np.ndarray:
    """Paints the label ``model`` onto ``image`` (H x W x 4 uint8, modified in place and
    returned), placed by :func:`carevis.render.text_plan.plan` so that no text overlaps
    another (or as ``plan`` places it, where given); ``style`` says which parts and in
    what colours. ``region`` is the image's top-left within the full ``vp`` picture
    (tiled renders)."""
    h, w = image.shape[:2]
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
    off = (-region[0], -region[1])
    p = plan if plan is not None else overlay_plan(model, vp, style)
    halo = (p.halo, (int(background[0]), int(background[1]), int(background[2])))
    if style.congestion is not None:
        _rings(draw, model, vp, style.congestion, p.unit, off)
    _text(draw, p.title, off, (ink,), halo)
    _text(draw, p.date, off, (ink,), halo)
    for g in p.groups:
        _text(draw, g, off, (muted,), halo)
    for c in p.clusters:
        _text(draw, c, off, (muted, ink), halo)
    if style.congestion is not None:
        for k in p.congestion:
            _text(draw, k, off, (style.congestion.halo[:3],), halo)
    if p.legend_at is not None:
        _legend(
            pil, draw, model.legend, off[0] + p.legend_at[0], off[1] + p.legend_at[1], p.unit, ink
        )
    _text(draw, p.caption, off, (muted,), halo)
    _text(draw, p.note, off, (muted,), halo)
    if not shared:
        image[...] = np.asarray(pil)
    return image


def overlay_plan(
    model: Labels, vp: Viewport, style: OverlayStyle, previous: TextLayout | None = None
) -> TextPlan:
    """Where :func:`paint_labels` puts each text of ``model`` with ``style`` (keeping the
    places of the ``previous`` frame's layout where it can)."""
    return plan(
        model,
        vp,
        labels=style.labels,
        date=style.date,
        legend=style.legend,
        congestion=style.congestion is not None,
        previous=previous,
    )


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
    congested: list[Congested] | None = None,
) -> np.ndarray:
    """Draws the overlay of ``scene`` at ``minutes`` onto ``image``: the label model
    (:func:`overlay_labels`, from ``counts`` of the children shown, the clusters' ``radii``
    and any ``congested`` states already found) painted by :func:`paint_labels`."""
    model = overlay_labels(scene, minutes, counts, radii, style, congested)
    return paint_labels(image, model, vp, style, background, region)


def overlay_frame(
    image: np.ndarray,
    scene: Scene,
    minutes: float,
    counts: np.ndarray,
    radii: np.ndarray,
    vp: Viewport,
    style: OverlayStyle,
    background: tuple[int, int, int, int],
    congested: list[Congested] | None = None,
    previous: TextLayout | None = None,
) -> TextLayout:
    """Draws the overlay of one frame of a sequence onto ``image`` as :func:`draw_overlay`
    does, each text kept where it was in the ``previous`` frame's layout while it can
    stay there; returns this frame's layout (the next frame's ``previous``)."""
    model = overlay_labels(scene, minutes, counts, radii, style, congested)
    p = overlay_plan(model, vp, style, previous)
    paint_labels(image, model, vp, style, background, plan=p)
    return p.layout
