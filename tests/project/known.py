"""Journeys built so that a projection's answer is known."""

from __future__ import annotations

import datetime as dt

import carevis
import numpy as np
import pyarrow as pa

EPOCH = dt.date(1970, 1, 1)
START = dt.date(2015, 4, 1)


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def steady(
    per_day: int = 20, days: int = 1500, stay: int = 60, to_b: float = 0.25, trend: float = 0.0
) -> carevis.Journeys:
    """``per_day`` children arrive each day in "A" (half aged 3, half 12), stay ``stay`` days,
    then a share ``to_b`` move to "B" and the rest to "C" (each for 30 days, then out).
    ``trend``: the share to B changes by this much a year (-0.2: x exp(-0.2) a year)
    from ``to_b`` at the start."""
    rng = np.random.default_rng(7)
    n = per_day * days
    k = np.arange(n)
    a = day(START) + k // per_day
    age = np.where(k % 2 == 0, 3, 12)
    birth = a - age * 365 - 100
    share = to_b * np.exp(trend * (k // per_day) / 365.25)
    b_next = rng.random(n) < share
    ids = np.repeat(k + 1, 2)
    state = np.empty(2 * n, dtype=object)
    state[0::2] = "A"
    state[1::2] = np.where(b_next, "B", "C")
    start = np.empty(2 * n, np.int64)
    end = np.empty(2 * n, np.int64)
    start[0::2] = a
    end[0::2] = a + stay
    start[1::2] = a + stay
    end[1::2] = a + stay + 30
    births = np.repeat(birth, 2)
    table = pa.table(
        {
            "child_id": pa.array(ids, pa.int64()),
            "state": pa.array(state.tolist(), pa.string()),
            "start": pa.array(start.astype(np.int32), pa.int32()).cast(pa.date32()),
            "end": pa.array(end.astype(np.int32), pa.int32()).cast(pa.date32()),
            "birth_month": pa.array(births.astype(np.int32), pa.int32()).cast(pa.date32()),
            "la": pa.array(np.where(np.repeat(k, 2) % 3 == 0, "E1", "E2").tolist()),
        }
    )
    return carevis.Journeys.from_arrow(table, states=["A", "B", "C"])


def long_stayers(per_day: int = 4, days: int = 1500) -> carevis.Journeys:
    """``per_day`` children arrive each day in "A" and stay 30 days (every other child) or
    500; then "B" for 100 days if they came into care under a year before, else 200; then
    out. Everyone aged 5 at arrival (and under 10 to the end: one age band)."""
    n = per_day * days
    k = np.arange(n)
    a = day(START) + k // per_day
    first = np.where(k % 2 == 0, 30, 500)
    then = np.where(first < 365, 100, 200)
    ids = np.repeat(k + 1, 2)
    start = np.empty(2 * n, np.int64)
    end = np.empty(2 * n, np.int64)
    start[0::2], end[0::2] = a, a + first
    start[1::2], end[1::2] = a + first, a + first + then
    births = np.repeat(a - 5 * 365 - 100, 2)
    table = pa.table(
        {
            "child_id": pa.array(ids, pa.int64()),
            "state": pa.array(["A", "B"] * n, pa.string()),
            "start": pa.array(start.astype(np.int32), pa.int32()).cast(pa.date32()),
            "end": pa.array(end.astype(np.int32), pa.int32()).cast(pa.date32()),
            "birth_month": pa.array(births.astype(np.int32), pa.int32()).cast(pa.date32()),
        }
    )
    return carevis.Journeys.from_arrow(table, states=["A", "B"])


def moves_by_age(per_day: int = 4, days: int = 1500) -> carevis.Journeys:
    """``per_day`` children arrive each day in "A" aged 15 (born on the 1st of a month, so
    the month of birth is exact), stay 100 days (every other child) or 500, then "B" if 16
    or over on leaving, "C" if not (30 days there, then out). Half the 100-day stays and all
    the 500-day ones end at 16 or over."""
    rng = np.random.default_rng(11)
    n = per_day * days
    k = np.arange(n)
    a = day(START) + k // per_day
    stay = np.where(k % 2 == 0, 100, 500)
    # Born 15 years and 0-11 months before arriving, on the 1st of the month.
    births, b16 = [], []
    for ak, months in zip(a.tolist(), rng.integers(0, 12, n).tolist(), strict=True):
        d = EPOCH + dt.timedelta(days=ak)
        m = d.year * 12 + d.month - 1 - 15 * 12 - months
        b = dt.date(m // 12, m % 12 + 1, 1)
        births.append(day(b))
        b16.append(day(b.replace(year=b.year + 16)))
    e = a + stay
    ids = np.repeat(k + 1, 2)
    state = np.empty(2 * n, dtype=object)
    state[0::2] = "A"
    state[1::2] = np.where(e >= np.array(b16), "B", "C")
    start = np.empty(2 * n, np.int64)
    end = np.empty(2 * n, np.int64)
    start[0::2], end[0::2] = a, e
    start[1::2], end[1::2] = e, e + 30
    table = pa.table(
        {
            "child_id": pa.array(ids, pa.int64()),
            "state": pa.array(state.tolist(), pa.string()),
            "start": pa.array(start.astype(np.int32), pa.int32()).cast(pa.date32()),
            "end": pa.array(end.astype(np.int32), pa.int32()).cast(pa.date32()),
            "birth_month": pa.array(np.repeat(births, 2).astype(np.int32)).cast(pa.date32()),
        }
    )
    return carevis.Journeys.from_arrow(table, states=["A", "B", "C"])


def growing(per_day: float = 20.0, days: int = 1500, growth: float = 0.0) -> carevis.Journeys:
    """Children arrive in "A" (every other one aged 3, the rest 12) at ``per_day`` a day
    times ``exp(growth x years since START)`` (on average: whole children, the remainders
    carried), stay 60 days, then "B" for 30 days, then out."""
    rate = per_day * np.exp(growth * np.arange(days) / 365.25)
    cumulative = np.floor(np.cumsum(rate)).astype(np.int64)
    per = np.diff(cumulative, prepend=0)
    a = day(START) + np.repeat(np.arange(days), per)
    n = len(a)
    k = np.arange(n)
    birth = a - np.where(k % 2 == 0, 3, 12) * 365 - 100
    start = np.stack([a, a + 60], axis=1).ravel()
    end = np.stack([a + 60, a + 90], axis=1).ravel()
    table = pa.table(
        {
            "child_id": pa.array(np.repeat(k + 1, 2), pa.int64()),
            "state": pa.array(["A", "B"] * n, pa.string()),
            "start": pa.array(start.astype(np.int32), pa.int32()).cast(pa.date32()),
            "end": pa.array(end.astype(np.int32), pa.int32()).cast(pa.date32()),
            "birth_month": pa.array(np.repeat(birth, 2).astype(np.int32)).cast(pa.date32()),
        }
    )
    return carevis.Journeys.from_arrow(table, states=["A", "B"])
