"""`Scene`: journeys with a layout and a colour scheme, as a value; gives a frame at any
moment. Changing a setting (``replace``) or the emphasis (``with_filter``) makes a new
scene; the engine's scene underneath never changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _native
from .._check import suggest, unknown
from .._time import TimeLike, from_days, to_minutes
from ..errors import ConfigError, UnknownColumnError
from ..journeys import Journeys
from ..layout import LayoutSpec, centres
from ..privacy import is_identifying
from .colour import CONTINUOUS, Legend, age_bands, resolve
from .councils import same_council
from .frame import Frame
from .palettes import COUNCIL_COLUMNS
from .settings import Emphasis, EmptyFilterWarning, Settings, make_emphasis

#: The table's own columns, never an attribute to colour or filter by.
_CORE = ("child_id", "state", "start", "end")


def filter_names(journeys: Journeys) -> list[str]:
    """The names a scene can filter or colour by category: ``age_band`` (from a birth
    column) and the per-child columns that do not identify children."""
    cols = [c for c in journeys.column_names if c not in _CORE and not is_identifying(c)]
    return ["age_band", *cols]


def colour_names(journeys: Journeys) -> list[str]:
    """The colourings a scene of ``journeys`` can have by name: the engine's continuous
    ones, then :func:`filter_names`."""
    return [*CONTINUOUS, *filter_names(journeys)]


def _warn_absent(name: str, values: list[str], col: pa.Array) -> None:
    """Warns (:class:`EmptyFilterWarning`) of each value asked for that no child has,
    with the closest one a child has (not for a column that identifies children)."""
    have = [v for v in pc.unique(col).to_pylist() if v is not None]
    for v in values:
        if v not in have:
            hint = "" if is_identifying(name) else suggest(v, have)
            warnings.warn(
                f"no child has {name} {v!r}{': ' + hint if hint else ''}",
                EmptyFilterWarning,
                stacklevel=3,
            )


#: Opacity factor of projected dots (a `carevis.project` table, after its date): lighter
#: than the data's, in every frame (CPU, GL, window).
PROJECTED_ALPHA = 0.45


def projected_from(journeys: Journeys) -> int | None:
    """The minute from which a projected table's dots are projections (the start of the
    day after its date), or None for data."""
    if journeys.projection is None:
        return None
    return int(to_minutes(journeys.projection + dt.timedelta(days=1)))


_ENGINE = ("layout", "colour", "colourmap", "colour_range", "transit_days", "fade_days",
           "base_radius", "dot_spacing", "alpha", "seed", "label_gap")  # fmt: skip


class Scene:
    """Journeys laid out and coloured: ``scene.frame(t)`` says where every dot is.

    A scene is a value: ``scene.replace(colour="la")`` gives a new scene with every other
    setting kept; ``scene.with_filter(mask, highlight=...)`` gives one showing only some
    dots (sharing the index and the engine's scene).

    Parameters
    ----------
    journeys: the indexed journeys.
    layout, colour and the keyword options: see :class:`carevis.scene.Settings`.
    """

    __slots__ = ("_native", "centres", "emphasis", "journeys", "legend", "settings")

    journeys: Journeys
    settings: Settings
    centres: np.ndarray
    legend: Legend
    emphasis: Emphasis | None
    _native: Any

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
        base_radius: float = 0.005,
        dot_spacing: float = 0.004,
        alpha: float = 0.85,
        seed: int = 0xC0FFEE,
        label_gap: float = 0.06,
    ) -> None:
        if not isinstance(journeys, Journeys):
            raise ConfigError(f"Scene needs a carevis.Journeys, not {type(journeys).__name__}")
        settings = Settings(
            layout=layout,
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
        self._build(journeys, settings, None)

    @classmethod
    def from_settings(
        cls, journeys: Journeys, settings: Settings, emphasis: Emphasis | None = None
    ) -> Scene:
        """The scene of ``journeys`` drawn with ``settings`` (and ``emphasis``)."""
        if not isinstance(settings, Settings):
            raise ConfigError(f"settings must be carevis.scene.Settings, not {type(settings)}")
        if not isinstance(journeys, Journeys):
            raise ConfigError(f"Scene needs a carevis.Journeys, not {type(journeys).__name__}")
        scene = cls.__new__(cls)
        scene._build(journeys, settings, emphasis)
        return scene

    def _build(self, journeys: Journeys, s: Settings, emphasis: Emphasis | None) -> None:
        points = centres(journeys.states, s.layout)
        if s.colour not in colour_names(journeys) and s.colour not in journeys.column_names:
            raise unknown("colour", s.colour, colour_names(journeys))
        c = resolve(journeys, s.colour, s.colourmap, s.colour_range)
        native = _native.Scene(
            journeys._native,
            np.ascontiguousarray(points, dtype=np.float32),
            base_radius=float(s.base_radius),
            dot_spacing=float(s.dot_spacing),
            transit_minutes=from_days(s.transit_days),
            fade_minutes=from_days(s.fade_days),
            colour=c.mode,
            lo=float(c.lo),
            hi=float(c.hi),
            lut=np.ascontiguousarray(c.lut, dtype=np.uint8),
            categories=c.categories,
            alpha=round(s.alpha * 255),
            seed=int(s.seed),
            gap=float(s.label_gap),
            projected_from=projected_from(journeys),
            projected_alpha=PROJECTED_ALPHA if journeys.projection else 1.0,
        )
        points.flags.writeable = False
        for name, value in (
            ("journeys", journeys),
            ("settings", s),
            ("centres", points),
            ("legend", c.legend),
            ("emphasis", emphasis),
            ("_native", native),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"a Scene is a value: use scene.replace({name}=...) or scene.with_filter(...)"
        )

    # --- new scenes from this one --------------------------------------------------------
    def replace(self, **changes: Any) -> Scene:
        """A new scene with ``changes`` to the settings and every other setting (and the
        emphasis) kept."""
        wrong = sorted(set(changes) - set(_ENGINE))
        if wrong:
            raise unknown("scene setting", wrong[0], _ENGINE)
        settings = dataclasses.replace(self.settings, **changes)
        return Scene.from_settings(self.journeys, settings, self.emphasis)

    def with_filter(
        self,
        visible: np.ndarray | None = None,
        highlight: str | int | None = None,
        dim: float = 0.2,
    ) -> Scene:
        """A scene showing only dots where ``visible`` is true (None: all) and, with
        ``highlight``, dimming every dot not in that state. It shares this scene's index
        and engine; this scene is unchanged."""
        em = make_emphasis(self.n_dots, self.states, visible, highlight, dim)
        out = Scene.__new__(Scene)
        for name in self.__slots__:
            object.__setattr__(out, name, getattr(self, name))
        object.__setattr__(out, "emphasis", em)
        return out

    def filter_mask(self, **equals: Sequence[str] | str) -> np.ndarray:
        """A per-dot mask where each named attribute is one of the given values."""
        mask = np.ones(self.n_dots, dtype=bool)
        for name, wanted in equals.items():
            if name != "age_band" and name not in self.journeys.column_names:
                raise unknown(
                    "filter column", name, filter_names(self.journeys), error=UnknownColumnError
                )
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            col = age_bands(self.journeys) if name == "age_band" else self.journeys.attribute(name)
            col = pc.cast(col, pa.string())
            asked = values
            if name.lower() in COUNCIL_COLUMNS:  # a council by any of its codes or its name
                found = same_council(values, [v for v in pc.unique(col).to_pylist() if v])
                values = [v for vs in found.values() for v in vs] or values
                asked = [v for v, vs in found.items() if not vs]
            hits = np.asarray(
                pc.is_in(col, pa.array(values, pa.string())).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            mask &= hits
            if asked != values or len(values) > 1 or not hits.any():  # else it is there
                _warn_absent(name, asked, col)
        return mask

    # --- settings, for old callers ---------------------------------------------------------
    @property
    def layout(self) -> LayoutSpec:
        return self.settings.layout

    @property
    def colour(self) -> str:
        return self.settings.colour

    @property
    def transit_days(self) -> float:
        return float(self.settings.transit_days)

    @property
    def fade_days(self) -> float:
        return float(self.settings.fade_days)

    @property
    def colour_range(self) -> tuple[float, float] | None:
        return self.settings.colour_range

    @property
    def options(self) -> dict[str, Any]:
        """The settings beyond layout, colour, transit and fade, by name (a copy)."""
        d = self.settings.as_dict()
        for k in ("layout", "colour", "transit_days", "fade_days"):
            d.pop(k)
        return d

    # --- frames --------------------------------------------------------------------------
    @property
    def states(self) -> list[str]:
        return self.journeys.states

    @property
    def n_dots(self) -> int:
        return self.journeys.n_children

    @property
    def min_cluster_children(self) -> int:
        """Cluster area is proportional to the children in it, down to a visible minimum
        (``base_radius``): clusters of fewer children than this are drawn at its size."""
        return int(self._native.min_cluster_children)

    def buffers(self) -> Frame:
        """Preallocated frame buffers for :meth:`frame_into`."""
        return Frame.empty(self.n_dots)

    def frame(self, t: TimeLike) -> Frame:
        """The frame at ``t`` (a date, datetime, ISO string, or fractional days since 1970)."""
        return self.frame_into(t, self.buffers())

    def frame_into(self, t: TimeLike, buffers: Frame | Mapping[str, np.ndarray]) -> Frame:
        """Writes the frame at ``t`` into preallocated arrays (no allocation per frame)."""
        return self.frame_at_minutes(to_minutes(t), buffers)

    def frame_at_minutes(self, minutes: float, buffers: Frame | Mapping[str, np.ndarray]) -> Frame:
        """:meth:`frame_into` with the time as minutes since 1970 (the engine's clock)."""
        if isinstance(buffers, Mapping):
            buffers = Frame(buffers["x"], buffers["y"], buffers["rgba"], buffers["state"])
        em = self.emphasis
        if em is None:
            self._native.frame_into(
                float(minutes), buffers.x, buffers.y, buffers.rgba, buffers.state
            )
        else:
            self._native.frame_into(
                float(minutes),
                buffers.x,
                buffers.y,
                buffers.rgba,
                buffers.state,
                **em.native_args(),
            )
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

    def __repr__(self) -> str:
        extra = "" if self.emphasis is None else ", filtered"
        return (
            f"<carevis.Scene: {self.n_dots:,} dots, {len(self.states)} states, "
            f"colour={self.colour!r}{extra}>"
        )
