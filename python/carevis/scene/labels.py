"""The label model: what text goes where over a picture of a scene, with which suppression.

Both painters read this and decide nothing themselves: the PIL overlay of exported
pictures (:mod:`carevis.render.overlay`) and the GL window (:mod:`carevis.window`). Per
cluster: the state's name, its count as shown (small counts suppressed as ``"<N"`` or
left out; or its share of the children in the picture, or both: ``label_values``), its
anchor (centre and radius in world units at the moment), its group (the pathway layout's
headings) and any congestion mark; and for the picture: the date, the
title, the caption (with the synthetic-data note, which cannot be left off) and the
legend's entries. Counts are of the children the picture shows (a filter's hidden
children are not counted)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._check import choice, whole
from .._time import to_datetime
from ..journeys import SYNTHETIC_NOTE
from ..layout import standard_states
from .colour import Legend
from .congestion import Congested, CongestionSettings, scene_congestion, shown
from .core import Scene, projected_from
from .frame import Frame

#: How a suppressed count reads: ``"<N"`` (e.g. "<5") or ``"hide"`` (left out).
SUPPRESS_STYLES = ("<N", "hide")
#: What a cluster's label says: the number of children, their share of the children in
#: the picture ("12%"), or both ("1,234 (12%)").
LABEL_VALUES = ("count", "percent", "both")
#: Legend categories in one column; more go in further columns, up to
#: :data:`LEGEND_COLUMNS`, then "and N more".
LEGEND_ROWS = 12
#: Columns of legend categories: every category of a colouring with up to 24 is shown.
LEGEND_COLUMNS = 2


def check_suppression(
    suppress_below: int, suppress_style: str, label_values: str = "count"
) -> None:
    """The one check of the suppression settings and what labels say (a ConfigError
    naming the bad one)."""
    whole("suppress_below", suppress_below, 0, 1_000_000_000)
    choice("suppress_style", suppress_style, SUPPRESS_STYLES)
    choice("label_values", label_values, LABEL_VALUES)


def format_count(n: int, suppress_below: int = 0, suppress_style: str = "<N") -> str | None:
    """A count as a label shows it: ``"1,234"``; below ``suppress_below`` (and above 0)
    ``"<N"``, or None where the style is ``"hide"``."""
    if suppress_below and 0 < n < suppress_below:
        return None if suppress_style == "hide" else f"<{suppress_below}"
    return f"{n:,}"


def format_percent(n: int, base: int) -> str:
    """``n`` as a share of ``base``: whole percent from 10%, one decimal below ("2.5%"),
    "<0.1%" for a share above 0 that would round to 0. Halves round up, by the same
    float steps as the HTML page's ``percentText``, so both read the same."""
    if base <= 0 or n <= 0:
        return "0%"
    p = 100.0 * n / base
    tenths = math.floor(p * 10 + 0.5)
    if tenths >= 100:
        return f"{math.floor(p + 0.5)}%"
    return f"{tenths / 10:.1f}%" if tenths >= 1 else "<0.1%"


def percent_base(counts: np.ndarray, suppress_below: int = 0) -> int:
    """What percentages are of: the children in the picture, less those in states whose
    count is suppressed (so a percentage and the counts shown never give a suppressed
    count away: every share is of a total the shown counts add up to)."""
    c = np.asarray(counts, np.int64)
    if suppress_below:
        c = c[(c == 0) | (c >= suppress_below)]
    return int(c.sum())


def format_value(
    n: int,
    base: int,
    suppress_below: int = 0,
    suppress_style: str = "<N",
    label_values: str = "count",
) -> str | None:
    """A cluster's figure as ``label_values`` asks: ``"1,234"``, ``"12%"`` (of ``base``:
    :func:`percent_base`) or ``"1,234 (12%)"``. A suppressed count shows as
    :func:`format_count` says, with no percentage."""
    count = format_count(n, suppress_below, suppress_style)
    if label_values == "count" or (suppress_below and 0 < n < suppress_below):
        return count
    share = format_percent(n, base)
    return share if label_values == "percent" else f"{count} ({share})"


def shown_counts(scene: Scene, frame: Frame) -> np.ndarray:
    """Children in each state in ``frame``: those the picture shows (the scene's filter
    applied), what the labels count."""
    visible = None if scene.emphasis is None else scene.emphasis.visible
    return frame.counts(len(scene.states), visible=visible)


def projection_note(scene: Scene) -> str | None:
    """ "Projection from 31 March 2019" for a projected table (`carevis.project`)."""
    when = scene.journeys.projection
    return None if when is None else f"Projection from {when.day} {when:%B %Y}"


def full_caption(scene: Scene, caption: str | None) -> str | None:
    """The caption drawn: the one given, led by "Synthetic data, not real children" when
    the scene's children are invented, and by "Projection from <date>" for a projection
    (neither can be left off)."""
    note = projection_note(scene)
    if note is not None and not (caption and note.lower() in caption.lower()):
        caption = f"{note}. {caption}" if caption else note
    if not scene.journeys.synthetic or (caption and SYNTHETIC_NOTE.lower() in caption.lower()):
        return caption
    return f"{SYNTHETIC_NOTE}. {caption}" if caption else SYNTHETIC_NOTE


def shown_date(scene: Scene, minutes: float) -> str:
    """The date line: the date, and "(projected)" past a projection's date."""
    text = date_text(minutes)
    since = projected_from(scene.journeys)
    return text if since is None or minutes < since else f"{text} (projected)"


def date_text(minutes: float) -> str:
    """The date as the picture shows it: "30 June 2018"."""
    when: dt.datetime = to_datetime(minutes)
    return f"{when.day} {when:%B %Y}"


@lru_cache(maxsize=1)
def _groups() -> dict[str, str]:
    return {s.label: s.group for s in standard_states()}


@dataclass(frozen=True)
class ClusterLabel:
    """The text of one state's cluster: its name, its count as shown (None: suppressed
    and hidden), and where (centre and radius in world units at the moment)."""

    index: int
    state: str
    count: int
    count_text: str | None
    centre: tuple[float, float]
    radius: float
    group: str | None
    #: The congestion figure ("+18% in 6 months") where the state is congested.
    congestion: str | None = None

    @property
    def text(self) -> str:
        """Name and count on one line (the window's label), with any congestion mark."""
        out = self.state if self.count_text is None else f"{self.state} {self.count_text}"
        return out if self.congestion is None else f"{out} ({self.congestion})"


@dataclass(frozen=True)
class GroupHeading:
    """A heading above the clusters of one group of states (the pathway layout)."""

    text: str
    members: tuple[int, ...]


@dataclass(frozen=True)
class LegendEntries:
    """The legend's text: its title, then either ticks (position 0..1, text) under a
    ramp, or up to :data:`LEGEND_ROWS` x :data:`LEGEND_COLUMNS` categories with their
    colours (down each column in turn: :meth:`cell`) and how many more."""

    title: str
    kind: str
    ticks: tuple[tuple[float, str], ...]
    categories: tuple[str, ...]
    colours: np.ndarray
    more: int
    #: Lines under the colours saying what a dot and a cluster's size mean.
    note: tuple[str, ...] = ()

    @property
    def columns(self) -> int:
        """Columns of categories (1 for a ramp)."""
        return max(1, -(-len(self.categories) // LEGEND_ROWS))

    @property
    def rows(self) -> int:
        """Rows of categories in the tallest column (0 for a ramp)."""
        return min(len(self.categories), LEGEND_ROWS)

    @staticmethod
    def cell(i: int) -> tuple[int, int]:
        """Column and row of category ``i``."""
        return divmod(i, LEGEND_ROWS)

    @property
    def texts(self) -> list[str]:
        """Every text of the legend, in order (title, ticks or categories, "and N more",
        the note)."""
        rest = [t for _, t in self.ticks] if self.kind == "continuous" else list(self.categories)
        return [self.title, *rest, *([f"and {self.more} more"] if self.more else []), *self.note]


def size_note(min_children: int) -> tuple[str, ...]:
    """What size means, as the legend says it: one dot is one child; a cluster's area is
    in proportion to its children, clusters smaller than ``min_children`` drawn at that
    size (the visible minimum)."""
    return ("One dot, one child", f"Area shows how many (min. {min_children:,})")


def legend_entries(legend: Legend, note: tuple[str, ...] = ()) -> LegendEntries:
    most = LEGEND_ROWS * LEGEND_COLUMNS
    shown = legend.categories[:most]
    return LegendEntries(
        note=note,
        title=legend.title,
        kind=legend.kind,
        ticks=tuple((float(p), str(t)) for p, t in legend.ticks),
        categories=tuple(shown),
        colours=legend.colours if legend.kind == "continuous" else legend.colours[:most],
        more=max(len(legend.categories) - most, 0) if legend.kind != "continuous" else 0,
    )


@dataclass(frozen=True)
class Labels:
    """Every text over one picture of a scene at one moment."""

    clusters: tuple[ClusterLabel, ...]
    groups: tuple[GroupHeading, ...]
    congested: tuple[Congested, ...]
    date: str
    title: str | None
    caption: str | None
    legend: LegendEntries
    #: Legend as the scene gives it (colours, ramp) for painters that draw swatches.
    scene_legend: Legend

    def texts(self) -> list[str]:
        """The cluster labels' texts (name, count as shown, congestion), in state order:
        what two painters of the same picture must agree on."""
        return [c.text for c in self.clusters]


def labels(
    scene: Scene,
    minutes: float,
    counts: np.ndarray,
    radii: np.ndarray | None = None,
    *,
    title: str | None = None,
    caption: str | None = None,
    suppress_below: int = 0,
    suppress_style: str = "<N",
    congestion: CongestionSettings | None = None,
    congested: list[Congested] | None = None,
    label_values: str = "count",
) -> Labels:
    """The label model of ``scene`` at ``minutes`` given its ``counts`` per state (those
    shown: :func:`shown_counts`) and clusters' ``radii`` (world units; default: the
    scene's at ``minutes``). Congestion marks come from ``congestion`` settings (or the
    ``congested`` states already found); none is built on fewer children than
    ``suppress_below``. ``label_values``: what each label's figure is
    (:data:`LABEL_VALUES`, :func:`format_value`)."""
    if radii is None:
        radii = scene.radii_at_minutes(minutes)
    if congested is None and congestion is not None:
        congested = scene_congestion(scene, minutes, congestion)
    congested = shown(congested or (), suppress_below)
    marks = {c.index: c.label for c in congested or ()}
    std = _groups()
    base = percent_base(counts, suppress_below)
    clusters = []
    members: dict[str, list[int]] = {}
    for i, state in enumerate(scene.states):
        group = std.get(state)
        clusters.append(
            ClusterLabel(
                index=i,
                state=state,
                count=int(counts[i]),
                count_text=format_value(
                    int(counts[i]), base, suppress_below, suppress_style, label_values
                ),
                centre=(float(scene.centres[i, 0]), float(scene.centres[i, 1])),
                radius=float(radii[i]),
                group=group,
                congestion=marks.get(i),
            )
        )
        if group is not None:
            members.setdefault(group, []).append(i)
    headed = scene.layout in ("auto", "pathway")
    groups = tuple(GroupHeading(g.upper(), tuple(m)) for g, m in members.items()) if headed else ()
    return Labels(
        clusters=tuple(clusters),
        groups=groups,
        congested=tuple(congested or ()),
        date=shown_date(scene, minutes),
        title=title,
        caption=full_caption(scene, caption),
        legend=legend_entries(scene.legend, size_note(scene.min_cluster_children)),
        scene_legend=scene.legend,
    )
