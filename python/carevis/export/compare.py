"""Two scenes side by side in one picture or video (a projection's baseline and a scenario):
each half drawn by the one frame pipeline, and a panel below with the difference in the
children in each state at the moment (right minus left)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .._progress import Progress
from .._time import TimeLike, to_minutes
from ..atomic import atomic
from ..errors import ConfigError
from ..render import BACKGROUND, fonts
from ..scene import Scene
from ..scene.labels import date_text, format_count, shown_counts
from .encoder import encode
from .options import render_settings
from .pipeline import pictures, still
from .videos import prepare_video
from .writers import write_png

#: Share of the height the difference panel takes.
PANEL = 0.16
INK = (40, 40, 40, 255)


def stock_difference(left: Scene, right: Scene, minutes: float) -> list[tuple[str, int, int]]:
    """(state, left count, right count) at ``minutes`` for every state either shows,
    largest difference first."""
    if left.states != right.states:
        raise ConfigError("side by side needs two scenes of the same states")
    a = shown_counts(left, left.frame_at_minutes(minutes, left.buffers()))
    b = shown_counts(right, right.frame_at_minutes(minutes, right.buffers()))
    rows = [(s, int(x), int(y)) for s, x, y in zip(left.states, a, b, strict=True) if x or y]
    return sorted(rows, key=lambda r: (-abs(r[2] - r[1]), r[0]))


def _panel(
    rows: list[tuple[str, int, int]], minutes: float, size: tuple[int, int], below: int
) -> np.ndarray:
    w, h = size
    img = Image.new("RGBA", (w, h), BACKGROUND)
    draw = ImageDraw.Draw(img)
    px = max(10, h // 7)
    head = fonts.font(px, bold=True)
    body = fonts.font(max(9, int(px * 0.85)))
    draw.text(
        (px, px // 2), f"Difference (right - left), {date_text(minutes)}", font=head, fill=INK
    )
    cols = max(1, w // (px * 22))
    lines = max(1, (h - 2 * px) // int(px * 1.15))
    for k, (state, x, y) in enumerate(rows[: cols * lines]):
        sx, sy = format_count(x, below), format_count(y, below)
        shown = (
            sx is not None and sy is not None and not sx.startswith("<") and not sy.startswith("<")
        )
        diff = f"{y - x:+,}" if shown else "suppressed"
        text = f"{state}: {diff} ({sx} -> {sy})"
        col, row = divmod(k, lines)
        draw.text(
            (px + col * (w // cols), int(px * 1.9) + row * int(px * 1.15)),
            text,
            font=body,
            fill=INK,
        )
    return np.asarray(img, dtype=np.uint8)


def _halves(width: int, height: int) -> tuple[int, int, int]:
    if width < 200 or height < 120:
        raise ConfigError(f"side by side needs at least 200 x 120 pixels, not {width} x {height}")
    half = (width // 2) // 2 * 2
    top = int(height * (1 - PANEL)) // 2 * 2
    return half, top, height - top


def _compose(a: np.ndarray, b: np.ndarray, panel: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((a.shape[0] + panel.shape[0], width, 4), np.uint8)
    out[:] = BACKGROUND
    out[: a.shape[0], : a.shape[1]] = a
    out[: b.shape[0], width - b.shape[1] :] = b
    out[a.shape[0] :] = panel
    return out


def side_by_side(
    left: Scene,
    right: Scene,
    t: TimeLike,
    width: int = 1920,
    height: int = 1080,
    *,
    titles: Sequence[str] = ("Baseline", "Scenario"),
    suppress_below: int = 0,
    **style: Any,
) -> np.ndarray:
    """One picture (H x W x 4): ``left`` and ``right`` at ``t``, each half titled, and the
    difference in children per state below."""
    half, top, panel_h = _halves(width, height)
    m = float(to_minutes(t))
    halves = [
        still(scene, m, render_settings(width=half, height=top, title=title,
                                        suppress_below=suppress_below, **style))
        for scene, title in zip((left, right), titles, strict=True)
    ]  # fmt: skip
    panel = _panel(stock_difference(left, right, m), m, (width, panel_h), suppress_below)
    return _compose(halves[0], halves[1], panel, width)


def side_by_side_png(
    left: Scene, right: Scene, t: TimeLike, path: str | os.PathLike[str], **options: Any
) -> Path:
    """:func:`side_by_side` written as a PNG (atomically)."""
    img = side_by_side(left, right, t, **options)
    target = Path(path)
    with atomic(target) as tmp:
        write_png(img, tmp, {"software": "carevis", "side_by_side": "true"})
    return target


def side_by_side_video(
    left: Scene,
    right: Scene,
    path: str | os.PathLike[str],
    *,
    width: int = 1920,
    height: int = 1080,
    titles: Sequence[str] = ("Baseline", "Scenario"),
    suppress_below: int = 0,
    **options: Any,
) -> Path:
    """A video of ``left`` and ``right`` side by side with the difference panel; the
    options (times, fps, quality, ...) are :func:`carevis.export.video`'s."""
    half, top, panel_h = _halves(width, height)
    jobs = [
        prepare_video(scene, path, width=half, height=top, title=title,
                      suppress_below=suppress_below, **options)
        for scene, title in zip((left, right), titles, strict=True)
    ]  # fmt: skip
    a, b = jobs
    if a.codec == "gif":
        raise ConfigError("side by side writes .mp4, .mov or .mkv")

    def images() -> Iterator[tuple[float, np.ndarray]]:
        for (m, x), (_, y) in zip(
            pictures(left, a.times, a.settings), pictures(right, a.times, b.settings), strict=True
        ):
            rows = stock_difference(left, right, m)
            yield m, _compose(x, y, _panel(rows, m, (width, panel_h), suppress_below), width)

    with atomic(a.target) as tmp:
        encode(
            images(), tmp, (width, height), a.fps, a.codec, a.meta,
            Progress(len(a.times), "video", enabled=a.progress),
        )  # fmt: skip
    return a.target
