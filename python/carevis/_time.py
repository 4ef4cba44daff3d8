"""Conversions between the times users give and the engine's clock (minutes since 1970)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .errors import ConfigError

TimeLike = dt.date | dt.datetime | np.datetime64 | float | int | str

EPOCH = dt.datetime(1970, 1, 1)
MINUTES_PER_DAY = 1440
#: The one "still open" marker: the end (whole minutes) of a spell that has not ended,
#: as the engine stores it (``i32::MAX`` in rust/src/time.rs).
OPEN = 2**31 - 1
#: The engine's earliest whole minute (an unknown time, e.g. a birth date not given).
UNKNOWN = -(2**31)
#: The clock's range: the datetimes Python can show (years 1 to 9999).
MIN_MINUTES = (dt.datetime.min - EPOCH).total_seconds() / 60.0
MAX_MINUTES = (dt.datetime.max - EPOCH).total_seconds() / 60.0


def check_minutes(minutes: float, given: object = None) -> float:
    """``minutes`` when finite and within years 1 to 9999; a ConfigError otherwise."""
    if not (np.isfinite(minutes) and MIN_MINUTES <= minutes <= MAX_MINUTES):
        what = minutes if given is None else given
        raise ConfigError(f"time {what!r} is not a finite time within the years 1 to 9999")
    return float(minutes)


def to_minutes(t: TimeLike) -> float:
    """Minutes since 1970-01-01 of a date, datetime, ISO string, numpy datetime64 or a
    number of (fractional) days since 1970-01-01."""
    if isinstance(t, bool):
        raise ConfigError(f"time {t!r} is not a date, datetime or number of days")
    if isinstance(t, (int, float, np.integer, np.floating)):
        return check_minutes(float(t) * MINUTES_PER_DAY, t)
    if isinstance(t, str):
        try:
            t = dt.datetime.fromisoformat(t)
        except ValueError as e:
            raise ConfigError(f"time {t!r} is not an ISO date (YYYY-MM-DD)") from e
    if isinstance(t, np.datetime64):
        if np.isnat(t):
            raise ConfigError("time is NaT")
        return float(t.astype("datetime64[s]").astype(np.int64)) / 60.0
    if isinstance(t, dt.datetime):
        if t.tzinfo is not None:
            t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return (t - EPOCH).total_seconds() / 60.0
    if isinstance(t, dt.date):
        return float((t - EPOCH.date()).days * MINUTES_PER_DAY)
    raise ConfigError(f"time {t!r} is not a date, datetime or number of days")


def to_days(minutes: float) -> float:
    """Days since 1970 of a minute count (for labels and user-facing figures only)."""
    return float(minutes) / MINUTES_PER_DAY


def from_days(days: float) -> float:
    """Minutes of a number of days (user input given in days: speeds, transit, fades)."""
    return float(days) * MINUTES_PER_DAY


def is_open(end_minutes: int | float) -> bool:
    """Whether a spell end (whole minutes, as the engine gives it) means "still open"."""
    return end_minutes >= OPEN


def to_datetime(minutes: float) -> dt.datetime:
    """The datetime of a minute count."""
    return EPOCH + dt.timedelta(minutes=float(minutes))


def to_date(minutes: float) -> dt.date:
    return to_datetime(minutes).date()
