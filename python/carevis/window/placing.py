"""Where the window's texts go: the clusters' labels and the group headings placed by the
pictures' placement (:func:`carevis.render.layout_text.place`) off the HUD, the legend,
the timeline and each other, each kept where it was in the frame before while it can
be; and the boxes of the HUD and the legend that they keep off (logical pixels)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..render.fonts import Line, block
from ..render.layout_text import Box, TextLayout, box_meets_disc, overlaps, place
from ..scene.labels import Labels, LegendEntries
from ..viewport import Viewport
from .state import HUD_TOP, CanvasState

#: The window's label size in pixels (vispy's 9 pt text) for measuring, and the text
#: unit its labels are placed with (logical pixels).
LABEL_PX, LABEL_UNIT = 12, 8.0
#: Space around a text's ink that other texts keep off (logical pixels).
PAD = 2.0


@dataclass(frozen=True)
class Texts:
    """Texts of one visual and where each goes (logical pixels: top centre); "" for a
    text left out (it fits nowhere)."""

    texts: list[str]
    pos: list[tuple[float, float]]


class Placing(CanvasState):
    """The placement of the window's labels and group headings."""

    label_boxes: list[Box]
    #: Where the group headings drawn stand (physical pixels).
    group_boxes: list[Box]
    #: Where the last frame's texts went: the next frame keeps them there if it can.
    label_layout: TextLayout | None

    def _place_labels(self, model: Labels, vp: Viewport) -> tuple[Texts, Texts]:
        """The clusters' labels and the group headings (bold, over their groups, as in
        the pictures) and where; a text that fits nowhere (a small window) is left out
        ("") rather than drawn over another: hovering names its cluster. While playing,
        each keeps its place in the frame before where it can."""
        s = self.pixel_scale
        lw, lh = self.size
        logical = Viewport(int(lw), int(lh), vp.sx / s, vp.sy / s, vp.tx / s, vp.ty / s)
        blocks = [block((Line(t, LABEL_PX),), "mb", PAD) for t in model.texts()]
        heads = [block((Line(g.text, LABEL_PX, True),), "mb", PAD) for g in model.groups]
        fixed = {k: _clip(b, lw, lh) for k, b in self._fixed_boxes(model).items()}
        at = place(
            model,
            logical,
            LABEL_UNIT,
            fixed,
            [(b.width, b.height) for b in heads],
            [(b.width, b.height) for b in blocks],
            previous=self.label_layout,
        )
        self.label_layout = at
        labels = _texts(model.texts(), at.clusters)
        groups = _texts([g.text for g in model.groups], at.groups)
        #: Where the texts drawn (and their halo) cover the dots, in physical pixels.
        self.label_boxes = [_scaled(b, s) for b in at.clusters if b is not None]
        self.group_boxes = [_scaled(b, s) for b in at.groups if b is not None]
        return labels, groups

    def _hud_lines(self, model: Labels) -> list[str]:
        """The HUD's lines: date, playback (and filters), caption, the last message."""
        state = "playing" if self.playing else "paused"
        flt = ", ".join(f"{k}={v}" for k, v in self.filters.items() if v is not None)
        hud = [model.date, f"{state}, {self.speed:g} days/s" + (f"   {flt}" if flt else "")]
        return hud + [t for t in (model.caption, self.message) if t]

    def _legend_shown(self, model: Labels) -> LegendEntries | None:
        """The legend as drawn: whole where it fits right of the HUD's text and above
        the timeline, else without its note, else None (left out); without its note too
        where the whole one would hide a cluster's children and that one would not."""
        lw, _ = self.size
        lines = self._hud_lines(model)
        hud = block(tuple(Line(t, HUD_PX, True) for t in lines), "la", 2.0)
        hud_box = (0.0, 0.0, HUD_LEFT + hud.width, HUD_TOP + 20.0 * len(lines))
        timeline = self._fixed_boxes(model, None)["timeline"]
        fitting = [
            lg
            for lg in (model.legend, replace(model.legend, note=()))
            if (box := _legend_box(lg, lw))[0] >= 0
            and not overlaps(box, hud_box)
            and not overlaps(box, timeline)
        ]
        # the whole legend where it hides no cluster with children, else without its
        # note where that hides none (a small window), else as it fits
        clear = [lg for lg in fitting if not self._covers_a_cluster(model, _legend_box(lg, lw))]
        return next(iter(clear + fitting), None)

    def _covers_a_cluster(self, model: Labels, box: Box) -> bool:
        """Whether ``box`` (logical pixels) lies over a cluster with children."""
        vp, s = self.viewport, self.pixel_scale
        discs = [
            (
                (c.centre[0] * vp.sx + vp.tx) / s,
                (c.centre[1] * vp.sy + vp.ty) / s,
                c.radius * vp.sx / s,
            )
            for c in model.clusters
            if c.count > 0
        ]
        return any(box_meets_disc(box, d) for d in discs)

    def _fixed_boxes(self, model: Labels, legend: Any = True) -> dict[str, Box]:
        """The HUD, the legend as drawn (``legend``: True, the one shown; None: none) and
        the timeline, logical pixels: what cluster labels keep off."""
        lw, _ = self.size
        x0, y0, x1, y1 = self._timeline_box()
        lines = 2 + bool(model.caption) + bool(self.message)
        out: dict[str, Box] = {
            "hud": (0.0, 0.0, 260.0, HUD_TOP + 20.0 * lines),
            "timeline": (x0 - 6, y0 - 8, x1 + 6, y1 + 8),
        }
        lg = self._legend_shown(model) if legend is True else legend
        if lg is not None:
            out["legend"] = _legend_box(lg, lw)
        return out


#: Offsets (logical pixels) at which the halo repeats each label.
HALO = ((-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0))


def _clip(b: Box, w: float, h: float) -> Box:
    return max(b[0], 0.0), max(b[1], 0.0), min(b[2], w), min(b[3], h)


#: The step from one column of legend categories to the next (logical pixels).
LEGEND_COLUMN = 190.0
#: Height of a line of the legend's note in the window (logical pixels).
NOTE_LINE = 14.0


#: The HUD's text size in pixels (vispy's 12 pt) for measuring, and its left margin.
HUD_PX, HUD_LEFT = 16, 14.0


def _legend_box(lg: LegendEntries, width: float) -> Box:
    """The window's legend (logical pixels) as :meth:`_paint_legend` draws it."""
    return (width - 240.0 - LEGEND_COLUMN * (lg.columns - 1), 0.0, width, _legend_bottom(lg))


def _legend_bottom(lg: LegendEntries) -> float:
    """The bottom of the window's legend (logical pixels), as :meth:`_paint_legend` draws it."""
    note = NOTE_LINE * len(lg.note)
    if lg.kind == "continuous":
        return 14.0 + 38 + 12 + note
    return 14.0 + 18 + 14 * (lg.rows + (lg.more > 0)) + 8 + note


def _texts(texts: list[str], boxes: tuple[Box | None, ...]) -> Texts:
    """Texts at their boxes: VisPy hangs "bottom"-anchored text below its position in
    the window's y-down pixels, so the position is the box's top centre."""
    out = Texts([], [])
    for text, box in zip(texts, boxes, strict=True):
        out.texts.append("" if box is None else text)
        out.pos.append((0.0, 0.0) if box is None else ((box[0] + box[2]) / 2, box[1] + PAD))
    return out


def _scaled(b: Box, s: float) -> Box:
    return s * b[0], s * b[1], s * b[2], s * b[3]
