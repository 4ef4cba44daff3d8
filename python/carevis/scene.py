"""`Scene`: journeys with a layout and a colour scheme; gives a frame at any moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _check as check
from . import _native
from ._time import MINUTES_PER_DAY, TimeLike, to_datetime, to_minutes
from .errors import ConfigError
from .journeys import Journeys
from .layout import LayoutSpec, centres
from .privacy import check_group

DAYS_PER_YEAR = 365.25

#: Colour modes computed by the engine: (engine mode, default range, default map, title).
CONTINUOUS: dict[str, tuple[str, tuple[float, float], str, str]] = {
    "time_in_care": (
        "time_in_care",
        (0.0, 5 * DAYS_PER_YEAR),
        "viridis",
        "Time since first involvement",
    ),
    "time_in_state": (
        "time_in_state",
        (0.0, 2 * DAYS_PER_YEAR),
        "viridis",
        "Time in current state",
    ),
    "entries": ("entries", (1.0, 5.0), "reds", "Times through the system"),
}

AGE_BANDS = ["Under 1", "1-4", "5-9", "10-15", "16+"]


@dataclass
class Legend:
    """What colour means, ready to draw: a title, and either a continuous ramp with ticks
    or a list of categories."""

    title: str
    kind: str  # "continuous" | "categorical"
    colours: np.ndarray  # (n, 4) uint8: the ramp (256) or one per category
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (position 0..1, label)
    categories: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "colours": self.colours.tolist(),
            "ticks": self.ticks,
            "categories": self.categories,
        }


@dataclass
class Frame:
    """One moment: per dot ``x``, ``y`` (float32, world units), ``rgba`` (uint8, N x 4) and
    ``state`` (int32 index into the scene's states, -1 when in no state)."""

    x: np.ndarray
    y: np.ndarray
    rgba: np.ndarray
    state: np.ndarray
    minutes: float = 0.0

    @property
    def t(self) -> dt.datetime:
        return to_datetime(self.minutes)

    def counts(self, n_states: int) -> np.ndarray:
        """Children in each state at this moment."""
        s = self.state
        return np.bincount(s[s >= 0], minlength=n_states)[:n_states]

    @classmethod
    def empty(cls, n: int) -> Frame:
        return cls(
            x=np.zeros(n, np.float32),
            y=np.zeros(n, np.float32),
            rgba=np.zeros((n, 4), np.uint8),
            state=np.zeros(n, np.int32),
        )


def _years_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    span_years = (hi - lo) / DAYS_PER_YEAR
    step = 1.0 if span_years <= 6 else 2.0
    ticks = []
    y = np.ceil(lo / DAYS_PER_YEAR / step) * step
    while y * DAYS_PER_YEAR <= hi + 1e-9:
        pos = (y * DAYS_PER_YEAR - lo) / (hi - lo) if hi > lo else 0.0
        label = f"{y:g} yr" if y != 1 else "1 yr"
        ticks.append((float(pos), label))
        y += step
    if ticks:
        last_pos, last = ticks[-1]
        if last_pos >= 0.999:
            ticks[-1] = (last_pos, last + "+")
    return ticks


#: Largest transit or fade time (days): a century.
MAX_DAYS = 36525.0


def check_options(
    *,
    colour: Any,
    colourmap: Any,
    colour_range: Any,
    transit_days: Any,
    fade_days: Any,
    base_radius: Any,
    dot_spacing: Any,
    alpha: Any,
    seed: Any,
    label_gap: Any,
) -> None:
    """The one check of a Scene's options (the layout is checked where centres are made):
    a ConfigError naming the first bad one, before any work."""
    check.text("colour", colour, optional=False, longest=200)
    if colourmap is not None and not isinstance(colourmap, (str, np.ndarray)):
        raise ConfigError(
            f"colourmap must be a map name or an (n, 4) uint8 array, not {check.show(colourmap)}"
        )
    if colour_range is not None:
        lo, hi = check.pair("colour_range", colour_range, -1e9, 1e9)
        if not lo < hi:
            raise ConfigError(f"colour_range must be (low, high) with low < high, not {(lo, hi)}")
    check.number("transit_days", transit_days, 0.0, MAX_DAYS)
    check.number("fade_days", fade_days, 0.0, MAX_DAYS)
    check.number("base_radius", base_radius, 0.0, 1.0, lo_open=True)
    check.number("dot_spacing", dot_spacing, 0.0, 1.0, lo_open=True)
    check.number("alpha", alpha, 0.0, 1.0)
    check.whole("seed", seed, 0, 2**64 - 1)
    check.number("label_gap", label_gap, 0.0, 1.0)


class Scene:
    """Journeys laid out and coloured: ``scene.frame(t)`` says where every dot is.

    Parameters
    ----------
    journeys: the indexed journeys.
    layout: ``"auto"`` (default), ``"pathway"``, ``"circle"`` or ``{state: (x, y)}``.
    colour: ``"time_in_care"`` (default), ``"time_in_state"``, ``"entries"``,
        ``"age_band"``, or the name of any per-child attribute column (categorical).
    colourmap: ``"viridis"``, ``"cividis"``, ``"reds"`` or an (n, 4) uint8 table.
    colour_range: (lo, hi) of the continuous value (days, or entries).
    transit_days: how long a dot takes to travel between clusters (data time).
    fade_days: how long a dot takes to fade in after entering and out after leaving.
    dot_spacing: spacing of dots in a crowd (world units; shrunk so clusters never overlap).
    label_gap: room kept between neighbouring clusters at their fullest, for labels.
    """

    def __init__(
        self,
        journeys: Journeys,
        layout: LayoutSpec = "auto",
        colour: str = "time_in_care",
        *,
        colourmap: str | np.ndarray | None = None,
        colour_range: tuple[float, float] | None = None,
        transit_days: float = 7.0,
        fade_days: float = 14.0,
        base_radius: float = 0.012,
        dot_spacing: float = 0.004,
        alpha: float = 0.85,
        seed: int = 0xC0FFEE,
        label_gap: float = 0.06,
    ) -> None:
        if not isinstance(journeys, Journeys):
            raise ConfigError(f"Scene needs a carevis.Journeys, not {type(journeys).__name__}")
        check_options(
            colour=colour,
            colourmap=colourmap,
            colour_range=colour_range,
            transit_days=transit_days,
            fade_days=fade_days,
            base_radius=base_radius,
            dot_spacing=dot_spacing,
            alpha=alpha,
            seed=seed,
            label_gap=label_gap,
        )
        self.journeys = journeys
        self.layout = layout
        self.centres = centres(journeys.states, layout)
        self.colour = colour
        self.transit_days = float(transit_days)
        self.fade_days = float(fade_days)
        self.colour_range = colour_range
        #: Every setting beyond journeys/layout/colour/transit/fade, so the scene can be
        #: rebuilt elsewhere (e.g. on a Dask worker) identically.
        self.options: dict[str, Any] = {
            "colourmap": colourmap,
            "colour_range": colour_range,
            "base_radius": base_radius,
            "dot_spacing": dot_spacing,
            "alpha": alpha,
            "seed": seed,
            "label_gap": label_gap,
        }
        #: The last `set_filter` arguments (visible, highlight, dim), or None.
        self.emphasis: tuple[Any, ...] | None = None
        categories: np.ndarray | None = None
        if colour in CONTINUOUS:
            mode, default_range, default_map, title = CONTINUOUS[colour]
            lo, hi = colour_range if colour_range is not None else default_range
            lut = self._lut(colourmap if colourmap is not None else default_map)
            ticks = (
                [(0.0, f"{lo:g}"), (1.0, f"{hi:g}+")] if mode == "entries" else _years_ticks(lo, hi)
            )
            self.legend = Legend(title, "continuous", lut, ticks=ticks)
        else:
            mode, lo, hi = "category", 0.0, 0.0
            labels, codes = self._categories(colour)
            categories = codes
            lut = (
                self._lut(colourmap)
                if isinstance(colourmap, np.ndarray)
                else np.asarray(_native.palette(len(labels)))
            )
            title = (
                "Age at entry" if colour == "age_band" else colour.replace("_", " ").capitalize()
            )
            self.legend = Legend(title, "categorical", lut[: len(labels)], categories=labels)
        self._native = _native.Scene(
            journeys._native,
            np.ascontiguousarray(self.centres, dtype=np.float32),
            base_radius=float(base_radius),
            dot_spacing=float(dot_spacing),
            transit_minutes=self.transit_days * MINUTES_PER_DAY,
            fade_minutes=self.fade_days * MINUTES_PER_DAY,
            colour=mode,
            lo=float(lo),
            hi=float(hi),
            lut=np.ascontiguousarray(lut, dtype=np.uint8),
            categories=categories,
            alpha=round(alpha * 255),
            seed=int(seed),
            gap=float(label_gap),
        )

    @staticmethod
    def _lut(colourmap: str | np.ndarray) -> np.ndarray:
        if isinstance(colourmap, str):
            return np.asarray(_native.colour_map(colourmap))
        lut = np.asarray(colourmap)
        if lut.ndim != 2 or lut.shape[1] != 4 or lut.shape[0] == 0 or lut.dtype != np.uint8:
            raise ConfigError("a colour table must be an (n, 4) uint8 array")
        return lut

    def _categories(self, name: str) -> tuple[list[str], np.ndarray]:
        """Category labels and a uint16 code per dot for a categorical colouring."""
        check_group(name, None, "colour by")  # by name first: nothing read
        if name == "age_band":
            values = self._age_bands()
        else:
            try:
                values = self.journeys.attribute(name)
            except Exception as e:
                raise ConfigError(
                    f"unknown colour {name!r}: use time_in_care, time_in_state, entries, "
                    f"age_band or a per-child column ({e})"
                ) from None
            check_group(name, values, "colour by")
        values = pc.cast(values, pa.string()) if not pa.types.is_dictionary(values.type) else values
        values = pc.fill_null(pc.cast(values, pa.string()), "Unknown")
        encoded = pc.dictionary_encode(values)
        labels = [str(v) for v in encoded.dictionary.to_pylist()]
        order = sorted(range(len(labels)), key=lambda i: (labels[i] == "Unknown", labels[i]))
        if name == "age_band":
            order = sorted(
                range(len(labels)), key=lambda i: ([*AGE_BANDS, "Unknown"]).index(labels[i])
            )
        remap = np.empty(len(labels), np.uint16)
        remap[order] = np.arange(len(labels), dtype=np.uint16)
        if len(labels) > 65535:
            raise ConfigError(f"{name!r} has {len(labels)} categories; at most 65535")
        codes = remap[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
        return [labels[i] for i in order], np.ascontiguousarray(codes, dtype=np.uint16)

    def _age_bands(self) -> pa.Array:
        table = self.journeys.to_arrow()
        col = next(
            (c for c in ("birth_month", "birth_date", "dob") if c in table.column_names), None
        )
        if col is None:
            raise ConfigError("age_band needs a birth_month or birth_date column")
        birth = pc.cast(self.journeys.attribute(col), pa.date32()).to_numpy(zero_copy_only=False)
        sp = self.journeys.spells()
        first = sp["start"][sp["offsets"][:-1]] // MINUTES_PER_DAY
        age = (first - birth.astype("datetime64[D]").astype(np.int64)) / DAYS_PER_YEAR
        bands = np.select(
            [age < 1, age < 5, age < 10, age < 16, age >= 16], AGE_BANDS, default="Unknown"
        )
        return pa.array(bands.astype(object))

    # --- frames ----------------------------------------------------------------------
    @property
    def states(self) -> list[str]:
        return self.journeys.states

    @property
    def n_dots(self) -> int:
        return self.journeys.n_children

    def buffers(self) -> Frame:
        """Preallocated frame buffers for :meth:`frame_into`."""
        return Frame.empty(self.n_dots)

    def frame(self, t: TimeLike) -> Frame:
        """The frame at ``t`` (a date, datetime, ISO string, or fractional days since 1970)."""
        out = self.buffers()
        return self.frame_into(t, out)

    def frame_into(self, t: TimeLike, buffers: Frame | Mapping[str, np.ndarray]) -> Frame:
        """Writes the frame at ``t`` into preallocated arrays (no allocation per frame)."""
        return self.frame_at_minutes(to_minutes(t), buffers)

    def frame_at_minutes(self, minutes: float, buffers: Frame | Mapping[str, np.ndarray]) -> Frame:
        """:meth:`frame_into` with the time as minutes since 1970 (the engine's clock)."""
        if isinstance(buffers, Mapping):
            buffers = Frame(buffers["x"], buffers["y"], buffers["rgba"], buffers["state"])
        self._native.frame_into(float(minutes), buffers.x, buffers.y, buffers.rgba, buffers.state)
        buffers.minutes = float(minutes)
        return buffers

    def radii(self, t: TimeLike) -> np.ndarray:
        """Each cluster's radius at ``t``."""
        return self.radii_at_minutes(to_minutes(t))

    def radii_at_minutes(self, minutes: float) -> np.ndarray:
        return np.asarray(self._native.radii(float(minutes)))

    def counts(self, t: TimeLike) -> np.ndarray:
        """Children in each state at ``t``."""
        return self.frame(t).counts(len(self.states))

    def time_range(self) -> tuple[dt.datetime, dt.datetime]:
        tr = self.journeys.time_range
        if tr is None:
            raise ConfigError("the scene has no dots")
        return tr

    # --- emphasis (filters and highlight) ----------------------------------------------
    def set_filter(
        self,
        visible: np.ndarray | None = None,
        highlight: str | int | None = None,
        dim: float = 0.2,
    ) -> None:
        """Shows only dots where ``visible`` is true (None: all) and, with ``highlight``,
        dims every dot not in that state."""
        h: int | None
        if isinstance(highlight, str):
            if highlight not in self.states:
                raise ConfigError(f"no state {check.show(highlight)} to highlight")
            h = self.states.index(highlight)
        elif highlight is None:
            h = None
        else:
            h = check.whole("highlight", highlight, 0, len(self.states) - 1)
        dim = check.number("dim", dim, 0.0, 1.0)
        vis = None
        if visible is not None:
            try:
                vis = np.ascontiguousarray(visible, dtype=bool)
            except (TypeError, ValueError):
                raise ConfigError("visible must be an array of one flag per dot") from None
            if vis.shape != (self.n_dots,):
                raise ConfigError(
                    f"visible must hold one flag per dot ({self.n_dots:,}), not shape {vis.shape}"
                )
        self._native.set_emphasis(vis, h, dim)
        self.emphasis = None if vis is None and h is None else (vis, h, dim)

    def filter_mask(self, **equals: Sequence[str] | str) -> np.ndarray:
        """A per-dot mask where each named attribute is one of the given values."""
        mask = np.ones(self.n_dots, dtype=bool)
        for name, wanted in equals.items():
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            col = self._age_bands() if name == "age_band" else self.journeys.attribute(name)
            col = pc.cast(col, pa.string())
            mask &= np.asarray(
                pc.is_in(col, pa.array(values, pa.string())).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
        return mask

    def render(
        self,
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
        background: tuple[int, int, int, int] = (247, 247, 244, 255),
    ) -> np.ndarray:
        """The picture at ``t`` as an H x W x 4 uint8 array (dots, labels with counts, the
        date, the title and the legend)."""
        from .overlay import OverlayStyle
        from .render import RenderSettings, render

        style = (
            OverlayStyle(title=title, caption=caption, suppress_below=suppress_below)
            if overlay
            else None
        )
        settings = RenderSettings(width, height, renderer, dot_radius, background, overlay=style)
        return render(self, t, settings)

    def __repr__(self) -> str:
        return (
            f"<carevis.Scene: {self.n_dots:,} dots, {len(self.states)} states, "
            f"colour={self.colour!r}>"
        )
