"""A scene's settings (one frozen value, checked once) and its emphasis (which dots a frame
shows and which state stands out)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import _check as check
from .. import _native
from ..errors import ConfigError
from ..layout import LayoutSpec

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
    if isinstance(colourmap, str):
        check.name("colourmap", colourmap, list(_native.COLOUR_MAPS))
    elif colourmap is not None and not isinstance(colourmap, np.ndarray):
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


def _frozen_layout(layout: Any) -> Any:
    """A layout mapping copied into a read-only one (a name stays a name)."""
    if isinstance(layout, Mapping):
        return MappingProxyType({k: tuple(v) if _is_seq(v) else v for k, v in layout.items()})
    return layout


def _is_seq(v: Any) -> bool:
    try:
        iter(v)
    except TypeError:
        return False
    return not isinstance(v, (str, bytes))


def _frozen_array(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        a = a.copy()
        a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Settings:
    """Everything a :class:`~carevis.Scene` is drawn with beyond its journeys.

    layout: ``"auto"``, ``"pathway"``, ``"circle"`` or ``{state: (x, y)}``.
    colour: ``"time_in_care"``, ``"time_in_state"``, ``"entries"``, ``"age_band"`` or a
        per-child attribute column (categorical).
    colourmap: a map name (``"viridis"``, ``"cividis"``, ``"reds"``) or an (n, 4) uint8 table.
    colour_range: (lo, hi) of the continuous value (days, or entries).
    transit_days, fade_days: travel between clusters, fade in and out (data time, days).
    base_radius, dot_spacing, label_gap: cluster geometry (world units). A cluster of ``n``
        children has radius ``dot_spacing * sqrt(n)`` (its area proportional to ``n``; the
        spacing shrunk so that clusters never overlap), never less than ``base_radius``, the
        visible minimum (also of an empty cluster).
    alpha: opacity of a settled dot; seed: where each dot sits in its crowd.
    """

    layout: LayoutSpec = "auto"
    colour: str = "time_in_care"
    colourmap: str | np.ndarray | None = None
    colour_range: tuple[float, float] | None = None
    transit_days: float = 7.0
    fade_days: float = 14.0
    base_radius: float = 0.005
    dot_spacing: float = 0.004
    alpha: float = 0.85
    seed: int = 0xC0FFEE
    label_gap: float = 0.06

    def __post_init__(self) -> None:
        check_options(**{f.name: getattr(self, f.name) for f in fields(self)[1:]})
        object.__setattr__(self, "layout", _frozen_layout(self.layout))
        object.__setattr__(self, "colourmap", _frozen_array(self.colourmap))
        if self.colour_range is not None:
            lo, hi = self.colour_range
            object.__setattr__(self, "colour_range", (float(lo), float(hi)))

    def as_dict(self) -> dict[str, Any]:
        """The settings by name (the layout mapping as a plain dict)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(out["layout"], Mapping):
            out["layout"] = dict(out["layout"])
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        a, b = self.as_dict(), other.as_dict()
        ca, cb = a.pop("colourmap"), b.pop("colourmap")
        same_map = (
            np.array_equal(ca, cb)
            if isinstance(ca, np.ndarray) or isinstance(cb, np.ndarray)
            else ca == cb
        )
        return bool(same_map and a == b)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Emphasis:
    """Which dots a frame shows (``visible``: one flag per dot, read-only, or None for all)
    and which state stands out (``highlight``: a state number; the others are dimmed to
    ``dim`` of their opacity)."""

    visible: np.ndarray | None = None
    highlight: int | None = None
    dim: float = 0.2

    @property
    def plain(self) -> bool:
        """Nothing filtered, nothing highlighted."""
        return self.visible is None and self.highlight is None

    def native_args(self) -> dict[str, Any]:
        """The keyword arguments of the engine's frame call."""
        return {"visible": self.visible, "highlight": self.highlight, "dim": float(self.dim)}


class EmptyFilterWarning(UserWarning):
    """A filter that shows no child: the picture would be empty of dots."""


def make_emphasis(
    n_dots: int,
    states: list[str],
    visible: Any = None,
    highlight: str | int | None = None,
    dim: float = 0.2,
) -> Emphasis | None:
    """A checked :class:`Emphasis` for a scene of ``n_dots`` over ``states`` (None when it
    would change nothing)."""
    h: int | None
    if isinstance(highlight, str):
        h = states.index(check.name("state to highlight", highlight, states))
    elif highlight is None:
        h = None
    else:
        h = check.whole("highlight", highlight, 0, len(states) - 1)
    dim = check.number("dim", dim, 0.0, 1.0)
    vis = None
    if visible is not None:
        try:
            vis = np.array(visible, dtype=bool, copy=True, order="C")
        except (TypeError, ValueError):
            raise ConfigError("visible must be an array of one flag per dot") from None
        if vis.shape != (n_dots,):
            raise ConfigError(
                f"visible must hold one flag per dot ({n_dots:,}), not shape {vis.shape}"
            )
        vis.flags.writeable = False
        if n_dots and not vis.any():
            warnings.warn(
                f"the filter matches none of the {n_dots:,} children: the picture shows no dots",
                EmptyFilterWarning,
                stacklevel=3,
            )
    if vis is None and h is None:
        return None
    return Emphasis(vis, h, float(dim))
