"""Text and legend drawn over a rendered frame: state labels with live counts, the date, a
title, the colour legend and a caption. Sizes scale with the image, so it reads the same
at 720p and on a print poster. Fonts (DejaVu Sans) ship with the package."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import _check as check
from ._check import show
from .errors import ConfigError
from .journeys import SYNTHETIC_NOTE
from .layout import standard_states
from .scene import Legend, Scene
from .scene.congestion import CongestionSettings, scene_congestion
from .viewport import Viewport


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
    check.whole("suppress_below", style.suppress_below, 0, 1_000_000_000)
    check.choice("suppress_style", style.suppress_style, ("<N", "hide"))
    check.rgb("text colour", style.text, (3,))
    check.rgb("muted colour", style.muted, (3,))
    if style.congestion is not None and not isinstance(style.congestion, CongestionSettings):
        raise ConfigError(f"congestion must be CongestionSettings or None, not {show(style)}")


@lru_cache(maxsize=1)
def _groups() -> dict[str, str]:
    return {s.label: s.group for s in standard_states()}


def format_count(n: int, style: OverlayStyle) -> str | None:
    if style.suppress_below and 0 < n < style.suppress_below:
        return None if style.suppress_style == "hide" else f"<{style.suppress_below}"
    return f"{n:,}"


def _text_colour(
    background: tuple[int, int, int, int], style: OverlayStyle
) -> tuple[int, int, int]:
    luma = 0.3 * background[0] + 0.59 * background[1] + 0.11 * background[2]
    return style.text if luma > 128 else (235, 235, 240)


def legend_size(legend: Legend, unit: float) -> tuple[int, int]:
    """Width and height of the legend block in pixels."""
    title = font(round(1.5 * unit), bold=True).getlength(legend.title)
    if legend.kind == "continuous":
        return round(max(22 * unit, title)), round(5.2 * unit)
    small = font(round(1.25 * unit))
    widest = max((small.getlength(c) for c in legend.categories[:12]), default=0.0)
    rows = min(len(legend.categories), 12) + (len(legend.categories) > 12)
    return round(max(title, widest + 2 * unit)), round((2.3 + 1.7 * rows) * unit)


def _legend(
    draw: ImageDraw.ImageDraw,
    legend: Legend,
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
    else:
        r = round(0.55 * unit)
        shown = zip(legend.categories[:12], legend.colours[:12], strict=False)
        for i, (label, c) in enumerate(shown):
            cy = y + i * round(1.7 * unit) + r
            draw.ellipse([x, cy - r, x + 2 * r, cy + r], fill=tuple(int(v) for v in c[:3]))
            draw.text((x + 3 * r, cy), label, font=f_small, fill=ink, anchor="lm")
        if len(legend.categories) > 12:
            cy = y + 12 * round(1.7 * unit) + r
            draw.text(
                (x, cy),
                f"and {len(legend.categories) - 12} more",
                font=f_small,
                fill=ink,
                anchor="lm",
            )


def full_caption(scene: Scene, caption: str | None) -> str | None:
    """The caption drawn: the one given, led by "Synthetic data, not real children" when
    the scene's children are invented (that cannot be left off)."""
    if not scene.journeys.synthetic or (caption and SYNTHETIC_NOTE.lower() in caption.lower()):
        return caption
    return f"{SYNTHETIC_NOTE}. {caption}" if caption else SYNTHETIC_NOTE


def draw_congestion(
    draw: ImageDraw.ImageDraw,
    scene: Scene,
    minutes: float,
    radii: np.ndarray,
    vp: Viewport,
    settings: CongestionSettings,
    unit: float,
    offset: tuple[int, int] = (0, 0),
) -> list[str]:
    """Draws a halo around each congested state's cluster and its figure above it
    ("+18% in 6 months", "median wait 210 days"). Returns the labels drawn."""
    ox, oy = offset
    colour = settings.halo
    f = font(round(1.25 * unit), True)
    drawn = []
    for c in scene_congestion(scene, minutes, settings):
        k = c.index
        cx, cy = vp.to_pixels(float(scene.centres[k, 0]), float(scene.centres[k, 1]))
        r = max(float(radii[k]) * vp.sx, unit) + 0.6 * unit
        width = max(2, round(0.35 * unit))
        box = [ox + cx - r, oy + cy - r, ox + cx + r, oy + cy + r]
        draw.ellipse(box, outline=colour, width=width)
        at = (ox + cx, oy + cy - r - 0.4 * unit)
        draw.text(at, c.label, font=f, fill=colour[:3], anchor="md")
        drawn.append(c.label)
    return drawn


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
    """Draws the overlay onto ``image`` (H x W x 4 uint8, modified in place and returned).
    ``region`` is the image's top-left within the full ``vp`` picture (tiled renders)."""
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
    if style.title:
        draw.text(
            (ox + round(2 * unit), oy + round(1.6 * unit)),
            style.title,
            font=font(round(2.2 * unit), True),
            fill=ink,
        )
    if style.date:
        when = dt.datetime(1970, 1, 1) + dt.timedelta(minutes=float(minutes))
        draw.text(
            (ox + vp.width - round(2 * unit), oy + round(1.2 * unit)),
            f"{when.day} {when:%B %Y}",
            font=font(round(3.0 * unit), True),
            fill=ink,
            anchor="ra",
        )
    if style.labels:
        f_label = font(round(1.2 * unit))
        f_count = font(round(1.45 * unit), True)
        groups: dict[str, list[tuple[float, float]]] = {}
        std = _groups()
        for i, label in enumerate(scene.states):
            cx, cy = vp.to_pixels(float(scene.centres[i, 0]), float(scene.centres[i, 1]))
            r = float(radii[i]) * vp.sx
            ty = cy + r + 0.5 * unit
            draw.text((ox + cx, oy + ty), label, font=f_label, fill=muted, anchor="ma")
            shown = format_count(int(counts[i]), style)
            if shown is not None:
                draw.text(
                    (ox + cx, oy + ty + 1.35 * unit), shown, font=f_count, fill=ink, anchor="ma"
                )
            if label in std:
                groups.setdefault(std[label], []).append((cx, cy))
        if scene.layout in ("auto", "pathway") and groups:
            f_group = font(round(1.3 * unit), True)
            top = min(cy for pts in groups.values() for _, cy in pts) - 4.2 * unit
            for name, pts in groups.items():
                gx = sum(p[0] for p in pts) / len(pts)
                draw.text((ox + gx, oy + top), name.upper(), font=f_group, fill=muted, anchor="ma")
    if style.congestion is not None:
        draw_congestion(draw, scene, minutes, radii, vp, style.congestion, unit, (ox, oy))
    if style.legend:
        lw, lh = legend_size(scene.legend, unit)
        _legend(
            draw,
            scene.legend,
            ox + vp.width - round(2 * unit) - lw,
            oy + vp.height - round(3.2 * unit) - lh,
            unit,
            ink,
        )
    caption = full_caption(scene, style.caption)
    if caption:
        draw.text(
            (ox + vp.width - round(2 * unit), oy + vp.height - round(1.5 * unit)),
            caption,
            font=font(round(1.1 * unit)),
            fill=muted,
            anchor="rd",
        )
    if not shared:
        image[...] = np.asarray(pil)
    return image
