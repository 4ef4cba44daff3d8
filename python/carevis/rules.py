"""The shared rules, one home each: the standard states and their groups, birth dates and
age bands (whole calendar years, as the DfE counts them; display and DfE labels are two
views of the same bands), and the statistical calendar (weeks from Monday, quarters and
years from April: the statistical year to 31 March).

Times are minutes since 1970 (the engine's clock); dates are whole days since 1970.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._time import MINUTES_PER_DAY, OPEN, to_date
from ._time import UNKNOWN as UNKNOWN_TIME
from .errors import ConfigError, SchemaError

# --- the standard states --------------------------------------------------------------------


#: What a standard state is for the child in it (``kind`` in ``data/states.csv``):
#: ``wait`` a step the child waits in for a decision or an order (referral, assessment,
#: section 47, a conference, placed for adoption awaiting the order): where a crowd means
#: delay, the only states congestion is looked for in; ``service`` a plan or support that
#: lasts by design (child in need, protection plan); ``placement`` where a looked-after
#: child lives (foster care...: a long stay is stability, never a wait); ``outcome`` an end.
STATE_KINDS = ("wait", "service", "placement", "outcome")


@dataclass(frozen=True)
class StandardState:
    label: str
    group: str
    column: int
    row: int
    kind: str = "outcome"


def standard_states() -> list[StandardState]:
    """The standard journey states, in engine order, from ``data/states.csv``."""
    text = resources.files("carevis").joinpath("data/states.csv").read_text(encoding="utf-8")
    out = [
        StandardState(r["state"], r["group"], int(r["column"]), int(r["row"]), r["kind"])
        for r in csv.DictReader(text.splitlines())
    ]
    bad = [s for s in out if s.kind not in STATE_KINDS]
    if bad:
        raise ConfigError(f"data/states.csv: {bad[0].label!r} has kind {bad[0].kind!r}")
    return out


def waiting_states() -> frozenset[str]:
    """The standard states children wait in (kind ``wait``): where congestion is looked for."""
    return frozenset(s.label for s in standard_states() if s.kind == "wait")


def standard_labels() -> list[str]:
    return [s.label for s in standard_states()]


def states_in_group(group: str) -> frozenset[str]:
    """The standard states of one group (``Front door``, ``Looked after``, ``Exit``...)."""
    return frozenset(s.label for s in standard_states() if s.group == group)


# --- birth dates and age bands --------------------------------------------------------------
#: Per-child columns that hold a birth date, in the order they are looked for.
BIRTH_COLUMNS = ("birth_month", "birth_date", "dob")
#: Birth time unknown, in minutes (the engine's unknown time).
NO_BIRTH = UNKNOWN_TIME
#: Age bands, as shown in pictures and statistics tables...
AGE_BANDS = ("Under 1", "1-4", "5-9", "10-15", "16+")
#: ...and the same bands as the DfE's tables name them.
DFE_AGE_BANDS = (
    "Under 1 year",
    "1 to 4 years",
    "5 to 9 years",
    "10 to 15 years",
    "16 years and over",
)
#: The lowest whole years of age of each band.
AGE_BAND_FROM = (0, 1, 5, 10, 16)
#: The band of a child whose birth date is unknown (its code is ``len(AGE_BANDS)``).
UNKNOWN = "Unknown"


def birth_column(names: Iterable[str]) -> str | None:
    """The first of :data:`BIRTH_COLUMNS` among ``names``, or None."""
    have = set(names)
    return next((c for c in BIRTH_COLUMNS if c in have), None)


def birth_days(values: pa.Array | pa.ChunkedArray, column: str = "birth date") -> np.ndarray:
    """Days since 1970 (float64; NaN where unknown) of birth dates given as dates,
    timestamps, ``YYYY-MM-DD`` text or ``YYYY-MM`` months (the first of the month). A
    column that is none of these is a SchemaError naming it."""
    try:
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            text = pc.utf8_slice_codeunits(values, 0, 10)
            text = pc.if_else(
                pc.equal(pc.utf8_length(text), 7),
                pc.binary_join_element_wise(text, "-01", ""),
                text,
            )
            values = pc.strptime(text, format="%Y-%m-%d", unit="s")
        days = pc.cast(pc.cast(values, pa.date32()), pa.int32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise SchemaError(f"column {column!r} is not a date (type {values.type}): {e}") from None
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype=np.float64)


def birth_minutes(days: np.ndarray) -> np.ndarray:
    """Birth days (NaN unknown) as the Rust core takes them: int32 minutes, unknown =
    :data:`NO_BIRTH`, times beyond int32 clipped."""
    known = ~np.isnan(days)
    out = np.where(known, days, 0).astype(np.int64) * MINUTES_PER_DAY
    out = np.clip(out, NO_BIRTH + 1, OPEN)
    out[~known] = NO_BIRTH
    return np.ascontiguousarray(out, dtype=np.int32)


def age_years(birth: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whole calendar years of age on day ``at`` of a child born on day ``birth`` (days
    since 1970; float64, NaN where the birth is unknown). A birthday counts from its day;
    a child born on 29 February is a year older on 1 March in other years."""
    birth = np.asarray(birth, dtype=np.float64)
    known = ~np.isnan(birth)
    b = np.where(known, birth, 0).astype(np.int64).astype("datetime64[D]")
    a = np.broadcast_to(np.asarray(at, dtype=np.int64), birth.shape).astype("datetime64[D]")
    bm, am = b.astype("datetime64[M]"), a.astype("datetime64[M]")
    # whole months, less one when the day of the month is not reached yet
    months = (am - bm).astype(np.int64) - ((a - am) < (b - bm))
    return np.where(known, np.floor_divide(months, 12).astype(np.float64), np.nan)


def age_band(birth: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The age band code (uint16; ``len(AGE_BANDS)`` = unknown) of each child on day ``at``.
    A birth after ``at`` counts as under 1, as in the Rust core's strata."""
    age = age_years(birth, at)
    code = np.searchsorted(np.asarray(AGE_BAND_FROM[1:]), np.nan_to_num(age), side="right")
    return np.where(np.isnan(age), len(AGE_BANDS), code).astype(np.uint16)


def band_labels(codes: np.ndarray, dfe: bool = False) -> np.ndarray:
    """The labels (object array) of age band codes: display labels, or the DfE's."""
    names = np.array([*(DFE_AGE_BANDS if dfe else AGE_BANDS), UNKNOWN], dtype=object)
    out: np.ndarray = names[np.asarray(codes, dtype=np.int64)]
    return out


# --- the statistical calendar ---------------------------------------------------------------
Freq = Literal["day", "week", "month", "quarter", "year"]
FREQS: tuple[Freq, ...] = ("day", "week", "month", "quarter", "year")


def check_freq(freq: object, what: str = "freq") -> Freq:
    if freq not in FREQS:
        raise ConfigError(f"{what} must be day, week, month, quarter or year, not {freq!r}")
    return freq


def _anchor(freq: str, year_start_month: int) -> tuple[int, int]:
    """(months per period, month of 1970 that starts a period) for month-based periods."""
    if isinstance(year_start_month, bool) or year_start_month not in range(1, 13):
        raise ConfigError(f"year_start_month must be 1..12, not {year_start_month!r}")
    step = {"month": 1, "quarter": 3, "year": 12}[freq]
    return step, (year_start_month - 1) % step


def period_index(minutes: np.ndarray, freq: Freq, year_start_month: int = 4) -> np.ndarray:
    """The number (int64, counted from 1970) of the period holding each time. Weeks start
    on Monday; quarters and years on the first of ``year_start_month`` (and every third
    month from it): years from 1 April are the statistical years to 31 March."""
    days: np.ndarray = np.floor_divide(np.asarray(minutes), MINUTES_PER_DAY).astype(np.int64)
    if check_freq(freq) == "day":
        return days
    if freq == "week":
        weeks: np.ndarray = np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday
        return weeks
    step, anchor = _anchor(freq, year_start_month)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    out: np.ndarray = np.floor_divide(months - anchor, step)
    return out


def period_start(index: np.ndarray, freq: Freq, year_start_month: int = 4) -> np.ndarray:
    """The first minute (int64) of each numbered period (see :func:`period_index`)."""
    index = np.asarray(index, dtype=np.int64)
    if check_freq(freq) == "day":
        days = index
    elif freq == "week":
        days = index * 7 - 3
    else:
        step, anchor = _anchor(freq, year_start_month)
        months = index * step + anchor
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    out: np.ndarray = days * MINUTES_PER_DAY
    return out


def period_bounds(lo: float, hi: float, freq: Freq, year_start_month: int = 4) -> np.ndarray:
    """Boundaries (int32 minutes) of the periods holding ``lo`` to ``hi``: the start of
    the first, then each next start up to the end of the last."""
    if hi < lo:
        raise ConfigError("end is before start")
    first, last = period_index(np.array([lo, hi]), freq, year_start_month)
    return period_start(np.arange(first, last + 2), freq, year_start_month).astype(np.int32)


# --- the moment a picture opens at ------------------------------------------------------------


def opening_minutes(minute_range: tuple[float, float] | None) -> float:
    """The moment a picture of data spanning ``minute_range`` (minutes since 1970) opens
    at when no moment is given: the latest 31 March whose whole statistical year (1 April
    to the end of 31 March) lies within the range, else the range's last moment (0 with
    no data). The window, ``carevis render`` and the page open there, not at the data's
    warm-up edge, where children only begin to appear."""
    if minute_range is None:
        return 0.0
    lo, hi = float(minute_range[0]), float(minute_range[1])
    year = to_date(hi).year
    if _april_1(year) * MINUTES_PER_DAY > hi:  # this year's 31 March has not ended by hi
        year -= 1
    if year > 1 and lo <= _april_1(year - 1) * MINUTES_PER_DAY:
        return float((_april_1(year) - 1) * MINUTES_PER_DAY)  # 31 March, as J jumps to it
    return hi


def _april_1(year: int) -> int:
    """1 April of ``year``, days since 1970."""
    return (dt.date(year, 4, 1) - dt.date(1970, 1, 1)).days


__all__ = [
    "AGE_BANDS",
    "AGE_BAND_FROM",
    "BIRTH_COLUMNS",
    "DFE_AGE_BANDS",
    "FREQS",
    "NO_BIRTH",
    "UNKNOWN",
    "Freq",
    "StandardState",
    "age_band",
    "age_years",
    "band_labels",
    "birth_column",
    "birth_days",
    "birth_minutes",
    "check_freq",
    "opening_minutes",
    "period_bounds",
    "period_index",
    "period_start",
    "standard_labels",
    "standard_states",
    "states_in_group",
]
