"""Fitting a projection model from journeys, and saving and loading it."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _native, rules
from .._time import MINUTES_PER_DAY, TimeLike, to_minutes
from ..atomic import atomic
from ..errors import ConfigError
from ..journeys import Journeys
from ..privacy import check_group
from .scenario import BANDS

EPOCH = dt.date(1970, 1, 1)
#: Years before the date whose spells the times in state are fitted from (spells begun
#: earlier enter the fit late: Kaplan-Meier with delayed entry).
WINDOW_YEARS = 1.5
#: Most statistical years before the date over which each move's trend is fitted (fewer
#: where the data begin later; under 3, no trend); 0 turns trends off.
TREND_YEARS = 5
#: Each year after the date a trend keeps this share of the year before's change.
TREND_DAMPING = 0.9
#: Edges (years) of the care bands that times in state are split by: the time from the
#: start of the child's run of linked spells (each begun within a day of the last one's
#: end) to the start of the spell (docs/projections.md says why these).
CARE_BANDS = (1.0, 3.0)
#: Whether arrivals get a trend by default: off, because on the synthetic England's
#: backtest it changed nothing on balance (docs/projections.md, "Arrivals with a trend").
ARRIVAL_TREND = False


def day_of(when: TimeLike) -> int:
    """Whole days since 1970 of a date (text ``YYYY-MM-DD``, date, datetime)."""
    if isinstance(when, str):
        try:
            when = dt.date.fromisoformat(when)
        except ValueError:
            raise ConfigError(f"date {when!r} is not YYYY-MM-DD") from None
    return int(to_minutes(when) // MINUTES_PER_DAY)


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def _births(journeys: Journeys) -> np.ndarray | None:
    col = rules.birth_column(journeys.to_arrow().column_names)
    if col is None:
        return None
    return rules.birth_minutes(rules.birth_days(journeys.attribute(col), col))


def _groups(journeys: Journeys, name: str) -> tuple[list[str], np.ndarray]:
    if name not in journeys.to_arrow().column_names:
        raise ConfigError(f"by_council needs a {name!r} column (the council of each child)")
    check_group(name, None, "project by")
    values = pc.fill_null(pc.cast(journeys.attribute(name), pa.string()), rules.UNKNOWN)
    encoded = pc.dictionary_encode(values)
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    if len(labels) > 65535:
        raise ConfigError(f"{name!r} has {len(labels):,} values; at most 65,535 councils")
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.uint16)
    return labels, np.ascontiguousarray(codes)


class ProjectionModel:
    """A journey model fitted at a date: time in each state (by the age band the child is
    in, time in care at the spell's start, and council if asked) by Kaplan-Meier, next states by
    Aalen-Johansen, arrivals by month, entry state, age and council; and the children in a
    state at the date.

    Keeps the journeys it was fitted from (not saved): a projection from a loaded model
    has, as history, only the spells open at the date."""

    def __init__(
        self,
        native: Any,
        journeys: Journeys | None = None,
        births: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        council: str | None = None,
    ) -> None:
        self._native = native
        self.journeys = journeys
        self._births = births
        self._groups = groups
        #: The per-child column the model is split by (None: not by council).
        self.council = council if native.groups else None

    @property
    def as_of(self) -> dt.date:
        return date_of(self._native.as_of_day)

    @property
    def as_of_day(self) -> int:
        return int(self._native.as_of_day)

    @property
    def states(self) -> list[str]:
        return list(self._native.states)

    @property
    def councils(self) -> list[str]:
        return list(self._native.groups)

    @property
    def by_age(self) -> bool:
        return bool(self._native.by_age)

    @property
    def care_bands(self) -> tuple[float, ...]:
        """Edges (years, to the hundredth; fitted in whole days) of the care bands (time in
        care at a spell's start); (): none."""
        return tuple(round(d / 365.2425, 2) for d in self._native.care_edges)

    @property
    def trends(self) -> dict[tuple[str, str], float]:
        """The fitted trend of each move's rate (from state, next state or "left"), as its
        change per year (-0.1: 10% fewer a year, before damping); moves without one left
        out."""
        states = self.states
        to = [*states, "left"]
        slopes = list(self._native.trend)
        return {
            (states[k // len(to)], to[k % len(to)]): float(np.expm1(b))
            for k, b in enumerate(slopes)
            if b != 0.0
        }

    @property
    def arrival_trends(self) -> dict[tuple[str, str], float]:
        """The fitted trend of the arrivals by (entry state, age band at arrival), as the
        change per year (before damping); those without one left out, all of them where the
        model holds arrivals at the last year's level."""
        states, bands = self.states, BANDS
        slopes = list(self._native.arrival_trend)
        return {
            (states[k // len(bands)], bands[k % len(bands)]): float(np.expm1(b))
            for k, b in enumerate(slopes)
            if b != 0.0
        }

    @property
    def n_open(self) -> int:
        """Children in a state at the date (they continue in a projection)."""
        return int(self._native.n_open)

    @property
    def arrivals_per_year(self) -> float:
        return float(self._native.arrivals_per_year)

    def known_arrivals(self, journeys: Journeys, until: dt.date) -> tuple[np.ndarray, ...]:
        """The arrivals in ``journeys`` after the model's date up to ``until`` (every
        child's first spell and every return after a gap, as the fit counts them): entry
        state, day, birth day and council code arrays, as :func:`project` takes them."""
        if not isinstance(journeys, Journeys):
            raise ConfigError(f"arrivals must be carevis Journeys, not {type(journeys).__name__}")
        if journeys.states != self.states:
            raise ConfigError("the arrivals' journeys must have the model's states, in order")
        births = _births(journeys) if self.by_age else None
        groups = None
        if self.council is not None:
            labels, codes = _groups(journeys, self.council)
            where = {c: k for k, c in enumerate(self.councils)}
            missing = sorted(set(labels) - set(where))
            if missing:
                raise ConfigError(f"the arrivals have councils the model has not: {missing[:3]}")
            remap = np.array([where[c] for c in labels], dtype=np.uint16)
            groups = np.ascontiguousarray(remap[codes])
        return tuple(
            np.asarray(a)
            for a in _native.project_arrivals(
                journeys._native, self.as_of_day, day_of(until), births=births, groups=groups
            )
        )

    def history(self) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
        """The fitted journeys' native index with its births and councils (or Nones)."""
        native = self.journeys._native if self.journeys is not None else None
        return native, self._births, self._groups

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the model (not the journeys) to ``path``, atomically."""
        data = self._native.to_bytes()
        with atomic(Path(path)) as tmp:
            Path(tmp).write_bytes(data)

    def __repr__(self) -> str:
        by = (
            ["state"]
            + (["age band"] if self.by_age else [])
            + (["time in care"] if self.care_bands else [])
            + (["council"] if self.council else [])
        )
        return (
            f"<carevis.project.ProjectionModel at {self.as_of}: by {' x '.join(by)}, "
            f"{self.n_open:,} children open, {self.arrivals_per_year:,.0f} arrivals a year>"
        )


def fit(
    journeys: Journeys,
    as_of: TimeLike = "2019-03-31",
    *,
    by_age: bool = True,
    by_council: bool = False,
    council: str = "la",
    window_years: float = WINDOW_YEARS,
    trend_years: int = TREND_YEARS,
    trend_damping: float = TREND_DAMPING,
    care_bands: Sequence[float] = CARE_BANDS,
    arrival_trend: bool = ARRIVAL_TREND,
) -> ProjectionModel:
    """Fits a projection model from ``journeys`` as known at the end of ``as_of``.

    ``by_age``: times in state and next states by the age band the child is in (a stay
    that crosses a band's edge counts in each band it passes through; when the journeys
    have a birth column; otherwise not). ``by_council``: and by the ``council`` column (cells with
    fewer than 20 ended spells fall back to England's). ``window_years``: the years before
    ``as_of`` the times in state are fitted from. ``trend_years``: the most yearly
    sub-windows before ``as_of`` over which each move's rate (from a state to the next) is
    fitted a log-linear trend, shrunk toward none by its noise (0: no trends);
    ``trend_damping``: the share of a year's trend that the next year keeps (1: straight
    on, 0: held at the date's level). ``care_bands``: edges (years, increasing) of the bands
    of time in care at a spell's start (from the start of the child's run of linked spells)
    that times in state and next states are also split by (cells with fewer than 20 ended
    spells fall back to the same age band over all care bands), and each move's trend
    standardised over; () turns it off (the model without them, exactly). ``arrival_trend``:
    arrivals by entry state and age band get a trend too, fitted over the same years as
    the moves' (each entry state's from where its arrivals begin), shrunk and damped the
    same way; False (the default), or ``trend_years=0``: held at the last year's level."""
    if not isinstance(journeys, Journeys):
        raise ConfigError(f"fit needs carevis Journeys, not {type(journeys).__name__}")
    if not (isinstance(window_years, (int, float)) and 0 < window_years <= 100):
        raise ConfigError(f"window_years must be in (0, 100], not {window_years!r}")
    if (
        isinstance(trend_years, bool)
        or not isinstance(trend_years, int)
        or not 0 <= trend_years <= 50
    ):
        raise ConfigError(f"trend_years must be a whole number in [0, 50], not {trend_years!r}")
    if not (isinstance(trend_damping, (int, float)) and 0 <= trend_damping <= 1):
        raise ConfigError(f"trend_damping must be in [0, 1], not {trend_damping!r}")
    if not isinstance(arrival_trend, bool):
        raise ConfigError(f"arrival_trend must be True or False, not {arrival_trend!r}")
    edges = _care_edges(care_bands)
    day = day_of(as_of)
    births = _births(journeys) if by_age else None
    labels, groups = _groups(journeys, council) if by_council else ([], None)
    native = _native.project_fit(
        journeys._native,
        day * MINUTES_PER_DAY,
        round(window_years * 365.2425),
        groups=groups,
        group_labels=labels,
        births=births,
        trend_years=trend_years,
        trend_damping=float(trend_damping),
        care_edges=edges,
        arrival_trend=arrival_trend,
    )
    return ProjectionModel(native, journeys, births, groups, council if by_council else None)


def _care_edges(care_bands: Sequence[float]) -> list[int]:
    """The care bands' edges in days, checked."""
    bad = ConfigError(
        f"care_bands must be increasing years over 0 (at most 15), not {care_bands!r}"
    )
    if isinstance(care_bands, (str, bytes)) or not isinstance(care_bands, Sequence):
        raise bad
    if len(care_bands) > 15 or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= 100 for x in care_bands
    ):
        raise bad
    edges = [round(float(x) * 365.2425) for x in care_bands]
    if any(b <= a for a, b in itertools.pairwise(edges)) or any(e < 1 for e in edges):
        raise bad
    return edges


def load(path: str | os.PathLike[str]) -> ProjectionModel:
    """A model written by :meth:`ProjectionModel.save`."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read the model {os.fspath(path)!r}: {e}") from None
    try:
        native = _native.ProjectionModel.from_bytes(data)
    except ConfigError as e:
        raise ConfigError(f"{os.fspath(path)}: {e}") from None
    return ProjectionModel(native, council="la" if native.groups else None)
