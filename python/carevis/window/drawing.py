"""Drawing a frame of the window: the background, the dots (the GPU frame or the engine's
frame uploaded), then the overlay: the label model (:mod:`carevis.scene.labels`) painted
as text visuals above the clusters (with the group headings over them, as in the
pictures; placed by :mod:`.placing`), the legend, the date and caption (the HUD), the
timeline, rings, the trail of the child followed, the hover and journey panels, the
menu."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from vispy import gloo

from .._time import MINUTES_PER_DAY, to_date
from ..gl import premultiplied
from ..scene.labels import Labels
from ..viewport import Viewport
from .placing import HALO, LEGEND_COLUMN, NOTE_LINE, Placing, _legend_bottom
from .shapes import Shapes, rgba01
from .state import HUD_TOP


class Drawing(Placing):
    """``on_draw`` and the overlay it builds."""

    overlay: Shapes
    menu_overlay: Shapes
    labels: Any
    label_halo: Any
    group_text: Any
    group_halo: Any
    hud: Any
    legend_text: Any
    panel_text: Any
    menu_text: Any
    year_text: Any
    year_labels: list[tuple[float, float]]
    show_overlay: bool
    background: tuple[int, int, int, int]
    dot_radius_px: float
    _texts: list[Any]
    _counts_text: list[str]

    def on_resize(self, event: Any) -> None:
        if not getattr(self, "_ready", False):  # the backend resizes during __init__
            return
        self._configure_texts()
        self.update()

    def _configure_texts(self) -> None:
        w, h = self.physical_size
        for v in self._texts:
            v.transforms.configure(canvas=self, viewport=(0, 0, w, h))

    def on_draw(self, event: Any) -> None:
        if not getattr(self, "_ready", False):
            return
        w, h = self.physical_size
        gloo.set_viewport(0, 0, w, h)
        gloo.set_clear_color(premultiplied(self.background))
        gloo.clear(color=True, depth=True)
        vp = self.viewport
        a = time.perf_counter()
        radius = self.dot_radius_px * self.pixel_scale * self.zoom**0.5
        self._build_overlay(vp)
        self._draw_dots(vp, radius, (w, h))
        if self.show_overlay:
            self.label_halo.draw()
            self.labels.draw()
            self.group_halo.draw()
            self.group_text.draw()
            self.overlay.draw((w, h))
            for v in (self.year_text, self.hud, self.legend_text, self.panel_text):
                v.draw()
            self.menu_overlay.draw((w, h))
            self.menu_text.draw()
        self.context.flush_commands()
        self.timings["draw"].append(time.perf_counter() - a)
        self._drawn = True
        if self._pending is None and self._threaded and self._pending_t != self.frame.minutes:
            self._submit()

    def _build_overlay(self, vp: Viewport) -> None:
        ov, s = self.overlay, self.pixel_scale
        ov.clear()
        model = self.current_labels()
        self.label_model = model
        self._paint_clusters(model, vp)
        self._paint_timeline()
        self._paint_legend(model)
        # trail of the child followed
        if self.followed is not None and len(self.trail) >= 2:
            tr = np.asarray(self.trail, np.float32)
            ov.polyline(
                np.stack([tr[:, 0] * vp.sx + vp.tx, tr[:, 1] * vp.sy + vp.ty], 1),
                (0.85, 0.15, 0.1, 0.9),
            )
        self._paint_hud(model)
        menu, menu_pos, menu_colours = self._build_menu(self.menu_overlay, s)
        self.menu_text.text = menu
        self.menu_text.pos = menu_pos
        self.menu_text.color = menu_colours
        self._paint_panels()

    def _paint_clusters(self, model: Labels, vp: Viewport) -> None:
        """The clusters' labels above them (text visuals), congestion and highlight rings."""
        ov, s = self.overlay, self.pixel_scale
        centres = np.array([c.centre for c in model.clusters], np.float32).reshape(-1, 2)
        cx = centres[:, 0] * vp.sx + vp.tx
        cy = centres[:, 1] * vp.sy + vp.ty
        r = np.array([c.radius for c in model.clusters], np.float32) * vp.sx
        if self.congestion is not None:
            for c in model.congested:
                k = c.index
                ov.ring(cx[k], cy[k], r[k] + 7 * s, rgba01(self.congestion.halo))
        placed, heads = self._place_labels(model, vp)
        texts, pos = placed.texts, placed.pos
        if texts != self._counts_text:
            self._counts_text = texts
            self.labels.text = texts
            self.label_halo.text = [t for t in texts for _ in HALO]
        self.labels.pos = pos
        self.label_halo.pos = [(x + dx, y + dy) for x, y in pos for dx, dy in HALO]
        self.group_text.text = heads.texts or [""]
        self.group_text.pos = heads.pos or [(0.0, 0.0)]
        self.group_halo.text = [t for t in heads.texts for _ in HALO] or [""]
        self.group_halo.pos = [(x + dx, y + dy) for x, y in heads.pos for dx, dy in HALO] or [
            (0.0, 0.0)
        ]
        if self.highlight is not None:
            k = self.highlight
            ov.ring(cx[k], cy[k], r[k] + 4 * s, (0.1, 0.1, 0.1, 0.8))

    def _paint_timeline(self) -> None:
        """The timeline: track, progress, year ticks and labels, knob (and a red mark
        while recording)."""
        ov, s = self.overlay, self.pixel_scale
        x0, y0, x1, y1 = self._timeline_box()
        lo, hi = self.t_range
        frac = (self.frame.minutes - lo) / (hi - lo) if hi > lo else 0.0
        ov.rect(x0 * s, y0 * s, x1 * s, y1 * s, TRACK)
        xk = x0 + frac * (x1 - x0)
        ov.rect(x0 * s, y0 * s, xk * s, y1 * s, PROGRESS)
        texts, pos, colours = [], [], []
        for x, year, labelled in year_ticks(lo, hi, x0, x1):
            # ink that reads on either side of the knob: dark on the track, light on
            # the progress bar
            ink = TICK_ON_PROGRESS if x < xk else TICK_ON_TRACK
            top = y0 if labelled else (y0 + y1) / 2
            ov.rect((x - 0.5) * s, top * s, (x + 0.5) * s, y1 * s, ink)
            if labelled:
                texts.append(str(year))
                pos.append((x + YEAR_PAD, (y0 + y1) / 2))
                colours.append(ink)
        self.year_text.text = texts or [""]
        self.year_text.pos = pos or [(0.0, 0.0)]
        self.year_text.color = colours or [TICK_ON_TRACK]
        self.year_labels = [(p[0], year_width(t)) for t, p in zip(texts, pos, strict=True)]
        ov.rect((xk - 3) * s, (y0 - 4) * s, (xk + 3) * s, (y1 + 4) * s, (0.1, 0.1, 0.1, 1.0))
        if self.recording is not None:
            ov.rect(12 * s, (y0 - 2) * s, 24 * s, (y1 + 2) * s, (0.85, 0.1, 0.1, 1.0))

    def _paint_legend(self, model: Labels) -> None:
        """The legend (top right): the model's entries, with a ramp or swatches."""
        ov, s = self.overlay, self.pixel_scale
        lg = self._legend_shown(model)
        if lg is None:  # no room beside the HUD or above the timeline: left out
            self.legend_text.text, self.legend_text.pos = [""], [(0.0, 0.0)]
            return
        lx0, ly0 = self.size[0] - 230.0 - LEGEND_COLUMN * (lg.columns - 1), 14.0
        items: list[str] = [lg.title]
        pos: list[tuple[float, float]] = [(lx0, ly0 + 6)]
        if lg.kind == "continuous":
            ramp = lg.colours[np.linspace(0, len(lg.colours) - 1, 65).astype(int)]
            seg = 200.0 / 64
            for i in range(64):
                x0, x1 = (lx0 + i * seg) * s, (lx0 + (i + 1) * seg) * s
                ov.rect(
                    x0, (ly0 + 16) * s, x1, (ly0 + 28) * s, rgba01(ramp[i]), rgba01(ramp[i + 1])
                )
            for at, text in lg.ticks:
                items.append(text)
                pos.append((lx0 + at * 200.0 - 6, ly0 + 38))
        else:
            for i, (cat, col) in enumerate(zip(lg.categories, lg.colours, strict=False)):
                column, row = lg.cell(i)
                xx, yy = lx0 + column * LEGEND_COLUMN, ly0 + 18 + row * 14
                ov.rect(xx * s, yy * s, (xx + 10) * s, (yy + 10) * s, rgba01(col))
                items.append(cat)
                pos.append((xx + 16, yy + 5))
            if lg.more:
                items.append(f"and {lg.more} more")
                pos.append((lx0, ly0 + 18 + lg.rows * 14 + 5))
        below = _legend_bottom(lg) - NOTE_LINE * len(lg.note)
        for i, line in enumerate(lg.note):  # what a dot and a cluster's size mean
            items.append(line)
            pos.append((lx0, below + NOTE_LINE * i + NOTE_LINE / 2))
        self.legend_text.text = items
        self.legend_text.pos = pos

    def _paint_hud(self, model: Labels) -> None:
        """Date, speed, filters, caption and the last message (top left)."""
        hud = self._hud_lines(model)
        self.hud.text = hud
        self.hud.pos = [(14, HUD_TOP + 20 * i) for i in range(len(hud))]

    def _paint_panels(self) -> None:
        """The hover panel (a cluster's name, count, median time) and the journey panel."""
        ov, s = self.overlay, self.pixel_scale
        lw, lh = self.size
        panel: list[str] = []
        panel_pos: list[tuple[float, float]] = []
        if self.hover is not None:
            hx, hy = self.hover["pos"]
            md = self.hover["median_days"]
            lines = [self.hover["state"], f"{self.hover['count']:,} children now"]
            if np.isfinite(md):
                lines.append(f"median {md:,.0f} days in it")
            bx, by = min(hx + 14, lw - 200), max(hy - 10, 0)
            ov.rect(bx * s, by * s, (bx + 190) * s, (by + 16 * len(lines) + 8) * s, (1, 1, 1, 0.9))
            panel += lines
            panel_pos += [(bx + 6, by + 12 + 16 * i) for i in range(len(lines))]
        if self.followed is not None:
            jr = self.journey(self.followed)[-12:]
            lines = ["Journey so far"] + [
                f"{st}: {a:%d %b %Y} \u2013 {e:%d %b %Y}" if e else f"{st}: since {a:%d %b %Y}"
                for st, a, e in jr
            ]
            by = lh - 40 - 16 * len(lines)
            ov.rect(8 * s, (by - 4) * s, 330 * s, (by + 16 * len(lines) + 4) * s, (1, 1, 1, 0.9))
            panel += lines
            panel_pos += [(14, by + 8 + 16 * i) for i in range(len(lines))]
        self.panel_text.text = panel or [""]
        self.panel_text.pos = panel_pos or [(0, 0)]


EPOCH_DAY = dt.date(1970, 1, 1)
#: The timeline's colours: track, progress, and year ticks on each.
TRACK = (0.82, 0.82, 0.80, 1.0)
PROGRESS = (0.35, 0.35, 0.38, 1.0)
TICK_ON_TRACK = (0.25, 0.25, 0.27, 1.0)
TICK_ON_PROGRESS = (0.95, 0.95, 0.93, 1.0)
#: Year labels' size (points, as vispy takes it) and pixels (for measuring); the gap
#: from a tick to its label and the least gap between labels (logical pixels).
YEAR_PT, YEAR_PX, YEAR_PAD, YEAR_GAP = 7, 9.5, 3.0, 8.0
#: Years between labelled ticks, the fewest that keep labels apart.
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def year_width(text: str) -> float:
    """The width (logical pixels) of a year label: DejaVu's digits are 0.636 em wide."""
    return len(text) * 0.636 * YEAR_PX


def year_ticks(lo: float, hi: float, x0: float, x1: float) -> list[tuple[float, int, bool]]:
    """(x, year, labelled) of each 1 January between minutes ``lo`` and ``hi`` on a
    timeline from ``x0`` to ``x1`` (logical pixels): a tick each year, a label every
    1, 2, 5, 10... years, the fewest that keep labels from meeting (none past ``x1``)."""
    if not hi > lo or not x1 > x0:
        return []
    first, last = to_date(lo).year + 1, to_date(hi).year
    years = np.arange(first, last + 1)
    if not len(years):
        return []
    days = np.array([(dt.date(int(y), 1, 1) - EPOCH_DAY).days for y in years], np.float64)
    xs = x0 + (days * MINUTES_PER_DAY - lo) / (hi - lo) * (x1 - x0)
    per_year = (x1 - x0) * 365.25 * MINUTES_PER_DAY / (hi - lo)
    room = year_width("0000") + YEAR_PAD + YEAR_GAP
    step = next((k for k in YEAR_STEPS if k * per_year >= room), 0)
    out = []
    for x, y in zip(xs.tolist(), years.tolist(), strict=True):
        labelled = bool(step) and y % step == 0
        labelled = labelled and x + YEAR_PAD + year_width(str(y)) <= x1
        out.append((float(x), int(y), labelled))
    return out
