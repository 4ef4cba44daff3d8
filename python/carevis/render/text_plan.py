"""The texts of an exported picture measured in its fonts and placed
(:func:`carevis.render.layout_text.place`): what the PIL overlay paints, and what the
layout tests check for overlaps at any size without drawing a pixel."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..scene import Legend
from ..scene.labels import Labels, LegendEntries, legend_entries
from ..viewport import Viewport
from .fonts import Block, Line, block, font, halo_width
from .layout_text import Box, TextLayout, box_meets_disc, inside, overlaps, place


def text_unit(vp: Viewport) -> float:
    """One text unit in pixels: ~17 px at 1080p; every size of text is a multiple."""
    return min(vp.width, vp.height * 16 / 9) / 110


def legend_size(legend: Legend | LegendEntries, unit: float) -> tuple[int, int]:
    """Width and height of the legend block in pixels."""
    entries = legend if isinstance(legend, LegendEntries) else legend_entries(legend)
    title = font(round(1.5 * unit), bold=True).getlength(entries.title)
    if entries.kind == "continuous":
        return round(max(22 * unit, title)), round(5.2 * unit)
    column = legend_column(entries, unit)
    rows = entries.rows + (entries.more > 0)
    width = entries.columns * column - round(1.5 * unit)
    return round(max(title, width)), round((2.3 + 1.7 * rows) * unit)


def legend_column(entries: LegendEntries, unit: float) -> int:
    """The step from one column of legend categories to the next, in pixels."""
    small = font(round(1.25 * unit))
    widest = max((small.getlength(c) for c in entries.categories), default=0.0)
    return round(widest + 2 * unit) + round(1.5 * unit)


@dataclass(frozen=True)
class Placed:
    """A measured block of text and the box it was given (None: left out)."""

    block: Block
    box: Box | None


@dataclass(frozen=True)
class TextPlan:
    """Every text of one picture, measured and placed."""

    unit: float
    halo: int
    layout: TextLayout
    title: Placed | None
    date: Placed | None
    caption: Placed | None
    #: The legend's size key ("One dot, one child", the minimum), bottom left.
    note: Placed | None
    legend_at: tuple[int, int] | None
    groups: tuple[Placed, ...]
    clusters: tuple[Placed | None, ...]
    congestion: tuple[Placed | None, ...]


def _fixed(
    model: Labels,
    vp: Viewport,
    unit: float,
    pad: float,
    date: bool,
    legend: bool,
    previous: TextLayout | None = None,
) -> tuple[dict[str, Placed], dict[str, Box], tuple[int, int] | None]:
    """The title (top left), date (top right; under the title where they would meet),
    legend (bottom right, or the nearest place clear of the clusters: :func:`_legend_at`)
    and caption (bottom right)."""
    placed: dict[str, Placed] = {}
    w, h = vp.width, vp.height
    if date:
        b = block((Line(model.date, round(3.0 * unit), True),), "ra", pad)
        placed["date"] = Placed(b, b.box_at(w - round(2 * unit), round(1.2 * unit)))
    if model.title:
        placed.update(_title_and_date(model.title, placed.get("date"), unit, pad))
    if model.caption:
        b = block((Line(model.caption, round(1.1 * unit)),), "rd", pad)
        placed["caption"] = Placed(b, b.box_at(w - round(2 * unit), h - round(1.5 * unit)))
    if legend and model.legend.note:
        placed["note"] = _note(model, w, h, unit, pad, placed.get("caption"))
    boxes = {k: p.box for k, p in placed.items() if p.box is not None}
    at = None
    if legend:
        lw, lh = legend_size(model.legend, unit)
        m = 0.3 * unit
        bottom = h - round(3.2 * unit)
        if "caption" in boxes:  # small pictures: fonts have a least size, keep above it
            bottom = min(bottom, int(boxes["caption"][1] - m))
        at = _legend_at(model, vp, unit, (lw, lh, m), bottom, boxes, previous)
        boxes["legend"] = (at[0] - m, at[1] - m, at[0] + lw + m, at[1] + lh + m)
    kept = _clear_of_each_other(boxes, w, h)
    placed = {k: v for k, v in placed.items() if k in kept}
    return placed, kept, at if "legend" in kept else None


def _legend_at(
    model: Labels,
    vp: Viewport,
    unit: float,
    size: tuple[int, int, float],
    bottom: int,
    fixed: dict[str, Box],
    previous: TextLayout | None,
) -> tuple[int, int]:
    """Where the legend's top left goes: bottom right, unless a cluster with children
    would lie under it. Then the first place clear of every such cluster's disc and of
    the other fixed texts: up the right edge, then up the left edge above the size key,
    in steps of half a text unit. The previous frame's place is kept while it is clear,
    so the legend does not hop in a video; where no place is clear it stays bottom right."""
    lw, lh, m = size
    w = vp.width
    discs = [
        (*vp.to_pixels(*c.centre), c.radius * vp.sx + 0.5 * unit)
        for c in model.clusters
        if c.count > 0
    ]

    def box(at: tuple[int, int]) -> Box:
        return (at[0] - m, at[1] - m, at[0] + lw + m, at[1] + lh + m)

    def clear(at: tuple[int, int]) -> bool:
        b = box(at)
        return (
            inside(b, vp.width, vp.height)
            and not any(overlaps(b, o) for o in fixed.values())
            and not any(box_meets_disc(b, d) for d in discs)
        )

    default = (w - round(2 * unit) - lw, bottom - lh)
    tried: list[tuple[int, int]] = []
    if previous is not None and "legend" in previous.fixed:
        b = previous.fixed["legend"]
        tried.append((round(b[0] + m), round(b[1] + m)))
    step = max(1, round(0.5 * unit))
    top = round(max((b[3] for b in fixed.values() if b[1] < vp.height / 2), default=0.0) + m)
    low_left = [b[1] for b in fixed.values() if b[0] < w / 2 and b[1] > vp.height / 2]
    left_bottom = round(min(low_left, default=bottom) - m)
    tried += [(default[0], y) for y in range(default[1], top - 1, -step)]
    tried += [(round(2 * unit), y) for y in range(left_bottom - lh, top - 1, -step)]
    return next((at for at in tried if clear(at)), default)


#: The fixed texts by rank: in a picture too small for all, one that would overlap a
#: higher-ranked one or leave the picture is left out (the caption, which carries the
#: synthetic-data note, never is).
FIXED_RANK = ("caption", "date", "title", "legend", "note")


def _clear_of_each_other(boxes: dict[str, Box], w: int, h: int) -> dict[str, Box]:
    """The fixed texts kept, by :data:`FIXED_RANK` (all of them wherever they fit, as
    they do from 640x360 up)."""
    kept: dict[str, Box] = {}
    for name in FIXED_RANK:
        b = boxes.get(name)
        if b is None:
            continue
        fits = inside(b, w, h) and not any(overlaps(b, o) for o in kept.values())
        if name == "caption" or fits:
            kept[name] = b
    return kept


#: Least space between the title and the date: side by side (text units) and one under
#: the other (as a fraction of a unit).
TITLE_GAP = 1.5
TITLE_UNDER = 0.4
#: Title sizes tried, largest first (text units), on one line and then on two.
TITLE_SIZES = (2.2, 2.0, 1.8)


def _title_lines(title: str, size: int) -> list[tuple[Line, ...]]:
    """The title on one line, then split in two at each space, the most even first."""
    one = (Line(title, size, True),)
    words = title.split(" ")
    cuts = sorted(
        range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) * 2 - len(title))
    )
    two = [
        (Line(" ".join(words[:k]), size, True), Line(" ".join(words[k:]), size, True, 1.2 * size))
        for k in cuts
    ]
    return [one, *two]


def _title_and_date(title: str, date: Placed | None, unit: float, pad: float) -> dict[str, Placed]:
    """The title at the top left, with at least :data:`TITLE_GAP` units before the date
    (top right): at its full size if it fits, else smaller, else on two lines; where none
    fits, at full size with the date moved under it (:data:`TITLE_UNDER` units apart)."""
    x, y = round(2 * unit), round(1.6 * unit)
    first = block((Line(title, round(TITLE_SIZES[0] * unit), True),), "la", pad)
    if date is None or date.box is None:
        return {"title": Placed(first, first.box_at(x, y))}
    room = date.box[0] - TITLE_GAP * unit
    for lines in (ln for k in TITLE_SIZES for ln in _title_lines(title, round(k * unit))[:1]):
        b = block(lines, "la", pad)
        if b.box_at(x, y)[2] <= room:
            return {"title": Placed(b, b.box_at(x, y))}
    for lines in _title_lines(title, round(TITLE_SIZES[-1] * unit))[1:]:
        b = block(lines, "la", pad)
        if b.box_at(x, y)[2] <= room:
            return {"title": Placed(b, b.box_at(x, y))}
    box = first.box_at(x, y)
    d, top = date.box, box[3] + TITLE_UNDER * unit
    if d[1] >= top or box[2] + TITLE_GAP * unit <= d[0]:
        return {"title": Placed(first, box)}
    return {
        "title": Placed(first, box),
        "date": Placed(date.block, (d[0], top, d[2], top + date.block.height)),
    }


def _note(model: Labels, w: int, h: int, unit: float, pad: float, caption: Placed | None) -> Placed:
    """The legend's size key, one line under the other at the bottom left (above the
    caption where a long caption reaches it)."""
    size = round(1.1 * unit)
    lines = tuple(Line(t, size, False, 1.45 * size * i) for i, t in enumerate(model.legend.note))
    b = block(lines, "la", pad)
    bottom = h - round(1.2 * unit)
    box = b.box_at(round(2 * unit), bottom - b.height + b.origin[1])
    if caption is not None and caption.box is not None and overlaps(box, caption.box):
        box = b.box_at(round(2 * unit), caption.box[1] - b.height + b.origin[1])
    return Placed(b, box)


def plan(
    model: Labels,
    vp: Viewport,
    *,
    labels: bool = True,
    date: bool = True,
    legend: bool = True,
    congestion: bool = False,
    previous: TextLayout | None = None,
) -> TextPlan:
    """Measures and places the texts of ``model`` over a ``vp`` picture: the parts asked
    for (cluster labels and group headings with ``labels``, the date, the legend,
    congestion figures), the title and caption where the model has them. ``previous``:
    the layout of the frame before, whose places are kept where they still can be."""
    unit = text_unit(vp)
    halo = halo_width(unit)
    pad = halo + 0.1 * unit
    placed, fixed, legend_at = _fixed(model, vp, unit, pad, date, legend, previous)
    groups = [
        block((Line(g.text, round(1.3 * unit), True),), "ma", pad)
        for g in (model.groups if labels else ())
    ]
    clusters: list[Block | None] = []
    for c in model.clusters:
        lines = [Line(c.state, round(1.2 * unit))]
        if c.count_text is not None:
            lines.append(Line(c.count_text, round(1.45 * unit), True, 1.35 * unit))
        clusters.append(block(tuple(lines), "ma", pad) if labels else None)
    marks = {c.index: c.label for c in model.congested} if congestion else {}
    cong = [
        block((Line(marks[i], round(1.25 * unit), True),), "ma", pad) if i in marks else None
        for i in range(len(model.clusters))
    ]
    layout = place(
        model if labels else _no_groups(model),
        vp,
        unit,
        fixed,
        [(b.width, b.height) for b in groups],
        [None if b is None else (b.width, b.height) for b in clusters],
        [None if b is None else (b.width, b.height) for b in cong],
        previous=previous,
    )
    return TextPlan(
        unit=unit,
        halo=halo,
        layout=layout,
        title=placed.get("title"),
        date=placed.get("date"),
        caption=placed.get("caption"),
        note=placed.get("note"),
        legend_at=legend_at,
        groups=tuple(Placed(b, x) for b, x in zip(groups, layout.groups, strict=True)),
        clusters=tuple(_pair(b, x) for b, x in zip(clusters, layout.clusters, strict=True)),
        congestion=tuple(_pair(b, x) for b, x in zip(cong, layout.congestion, strict=True)),
    )


def _pair(b: Block | None, box: Box | None) -> Placed | None:
    return None if b is None else Placed(b, box)


def _no_groups(model: Labels) -> Labels:
    return replace(model, groups=())
