"""Periods of care (consecutive care spells without a gap) and the measures read off
them: time to exit, the adoption scorecard, re-entry; re-referrals and placement
stability. Periods of care, repeats and moves are found by the Rust core."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _native
from .._time import MINUTES_PER_DAY, OPEN, TimeLike, to_minutes
from ..journeys import Journeys
from ..rules import Freq
from .base import (
    LEFT,
    Roles,
    days_of,
    label,
    period_bounds,
    period_columns,
    strata,
    which_period,
)
from .base import as_of as as_of_minutes

A1_THRESHOLD_DAYS = 426
A2_THRESHOLD_DAYS = 121
A3_WINDOW_DAYS = 426


def _state_index(journeys: Journeys, label: str | None) -> int | None:
    return journeys.states.index(label) if label is not None and label in journeys.states else None


def _placement_order_rows(journeys: Journeys) -> np.ndarray | None:
    table = journeys.to_arrow()
    if "legal_status" not in table.column_names:
        return None
    flags = pc.fill_null(pc.equal(pc.cast(table.column("legal_status"), pa.string()), "E1"), False)
    return np.ascontiguousarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


def care_periods(
    journeys: Journeys, roles: Roles | None = None, *, by: str | None = None, age: bool = False
) -> pa.Table:
    """One row per period of care (consecutive care spells with no gap), no identifiers:
    ``entry``, ``end`` (null while in care), ``exit_state`` (the state entered as care ends,
    ``"(left)"`` when none, null while in care), ``placed_for_adoption`` and
    ``placement_order`` (first such start), ``moves``, ``previous_end`` (the child's previous
    period), as dates; plus the group / age band at entry."""
    roles = roles or Roles.standard()
    b = strata(journeys, by, age)
    care = [s in roles.care for s in journeys.states]
    raw = _native.stats_care_periods(
        journeys._native,
        care,
        _state_index(journeys, roles.placed_for_adoption),
        placement_order=_placement_order_rows(journeys),
        **b.kwargs(),
    )
    names = [*journeys.states, LEFT]
    cols: dict[str, pa.Array] = {}
    t = label(raw.drop(["exit_state"]), journeys, b)
    for name in t.column_names:
        c = t.column(name)
        if name in ("entry", "end", "placed_for_adoption", "placement_order", "previous_end"):
            c = pc.cast(pc.divide(c, MINUTES_PER_DAY), pa.int32()).cast(pa.date32())
        cols[name] = c
    ex = raw.column("exit_state").to_pylist()
    cols["exit_state"] = pa.array([None if e is None else names[e] for e in ex], pa.string())
    return pa.table(cols)


def time_to_exit(
    journeys: Journeys,
    freq: Freq = "year",
    roles: Roles | None = None,
    periods: pa.Table | None = None,
) -> pa.Table:
    """Days from entering care to each kind of exit, for periods of care ending in each
    period: ``n``, ``mean_days``, ``median_days``."""
    cp = periods if periods is not None else care_periods(journeys, roles)
    bounds = period_bounds(journeys, freq)
    end, entry = days_of(cp.column("end")), days_of(cp.column("entry"))
    exit_state = np.array(cp.column("exit_state").to_pylist(), dtype=object)
    k = which_period(end, bounds)
    pf = period_columns(bounds)
    rows: list[tuple[int, str, int, float, float]] = []
    ok = k >= 0
    for state in sorted({s for s in exit_state[ok] if s is not None}):
        sel = ok & (exit_state == state)
        for p in np.unique(k[sel]):
            d = (end - entry)[sel & (k == p)]
            rows.append((int(p), str(state), len(d), float(d.mean()), float(np.median(d))))
    rows.sort(key=lambda r: (r[0], r[1]))
    idx = np.array([r[0] for r in rows], dtype=np.int64)
    return pa.table(
        {
            "period_start": pf["period_start"].take(pa.array(idx)),
            "period_end": pf["period_end"].take(pa.array(idx)),
            "exit_state": pa.array([r[1] for r in rows], pa.string()),
            "n": pa.array([r[2] for r in rows], pa.int64()),
            "mean_days": pa.array([r[3] for r in rows], pa.float64()),
            "median_days": pa.array([r[4] for r in rows], pa.float64()),
        }
    )


def observed_from(journeys: Journeys) -> dt.date | None:
    """The first day the data can be taken as complete: the earliest end of any spell.

    Returns and extracts hold no spell that ended before their first year, so a period of
    care that began before this day may have lost its earlier spells: its first spell in
    the data is not the day the child came into care (it is left-truncated). None when no
    spell has ended."""
    end = journeys.spells()["end"]
    done = end[end < OPEN]
    if not len(done):
        return None
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(done.min()) // MINUTES_PER_DAY)


def adoption_scorecard(
    journeys: Journeys,
    freq: Freq = "year",
    roles: Roles | None = None,
    periods: pa.Table | None = None,
    observed: TimeLike | Literal["auto"] | None = "auto",
) -> pa.Table:
    """The adoption scorecard for children adopted in each period (periods of care that end
    in the adopted state, with a placement for adoption): A1 mean days from entering care
    to moving in with the adoptive family (threshold 426), A2 mean days from the placement
    order (legal status E1) to the placement, where the data has ``legal_status`` (threshold
    121; a placement before the order counts 0 days), A3 share placed within 426 days.

    Periods of care that began before ``observed`` (by default :func:`observed_from`: the
    data's first complete day) have no reliable entry date, and would make A1 too short:
    they are left out of A1, A2 and A3 and counted in ``left_truncated``. ``observed=None``
    keeps every period (for data that holds each child's whole history)."""
    roles = roles or Roles.standard()
    cp = periods if periods is not None else care_periods(journeys, roles)
    bounds = period_bounds(journeys, freq)
    end, entry = days_of(cp.column("end")), days_of(cp.column("entry"))
    pfa, order = days_of(cp.column("placed_for_adoption")), days_of(cp.column("placement_order"))
    exit_state = np.array(cp.column("exit_state").to_pylist(), dtype=object)
    adopted = (exit_state == roles.adopted) if roles.adopted else ~np.isnan(end)
    sel = adopted & ~np.isnan(pfa)
    if isinstance(observed, str) and observed == "auto":
        first = observed_from(journeys)
        first_day = -np.inf if first is None else float((first - dt.date(1970, 1, 1)).days)
    elif observed is None:
        first_day = -np.inf
    else:
        first_day = float(to_minutes(observed) // MINUTES_PER_DAY)
    truncated = sel & (entry < first_day)
    sel &= ~truncated
    k = which_period(end, bounds)
    pf = period_columns(bounds)
    n_p = len(bounds) - 1
    n, a1, a3, n2, a2 = (np.zeros(n_p) for _ in range(5))
    n_trunc = np.zeros(n_p)
    for p in range(n_p):
        s = sel & (k == p)
        n_trunc[p] = (truncated & (k == p)).sum()
        n[p] = s.sum()
        if n[p]:
            a1[p] = (pfa - entry)[s].mean()
            a3[p] = ((pfa - entry)[s] <= A3_WINDOW_DAYS).mean()
        s2 = s & ~np.isnan(order)
        n2[p] = s2.sum()
        if n2[p]:
            a2[p] = np.maximum(pfa - order, 0)[s2].mean()
    has_ls = cp.column("placement_order").null_count < cp.num_rows
    return pa.table(
        {
            **pf,
            "adopted": pa.array(n.astype(np.int64)),
            "left_truncated": pa.array(n_trunc.astype(np.int64)),
            "a1_mean_days": pa.array(np.where(n > 0, a1, np.nan), from_pandas=True),
            "a1_threshold_days": pa.array(np.full(n_p, A1_THRESHOLD_DAYS)),
            "a2_n": pa.array(n2.astype(np.int64)),
            "a2_mean_days": pa.array(np.where((n2 > 0) & has_ls, a2, np.nan), from_pandas=True),
            "a2_threshold_days": pa.array(np.full(n_p, A2_THRESHOLD_DAYS)),
            "a3_share_within_426_days": pa.array(np.where(n > 0, a3, np.nan), from_pandas=True),
        }
    )


def re_entry(
    journeys: Journeys,
    freq: Freq = "year",
    window_days: float = 365,
    roles: Roles | None = None,
    periods: pa.Table | None = None,
) -> pa.Table:
    """Entries to care per period and re-entries (a previous period of care ended within
    ``window_days``): ``entries``, ``re_entries``, ``rate``."""
    cp = periods if periods is not None else care_periods(journeys, roles)
    bounds = period_bounds(journeys, freq)
    entry, prev = days_of(cp.column("entry")), days_of(cp.column("previous_end"))
    k = which_period(entry, bounds)
    re = ~np.isnan(prev) & (entry - prev <= window_days)
    n_p = len(bounds) - 1
    ent = np.bincount(k[k >= 0], minlength=n_p)[:n_p]
    rep = np.bincount(k[(k >= 0) & re], minlength=n_p)[:n_p]
    return pa.table(
        {
            **period_columns(bounds),
            "entries": pa.array(ent.astype(np.int64)),
            "re_entries": pa.array(rep.astype(np.int64)),
            "rate": pa.array(np.where(ent > 0, rep / np.maximum(ent, 1), np.nan), from_pandas=True),
        }
    )


def re_referrals(
    journeys: Journeys,
    freq: Freq = "year",
    window_days: float = 365,
    roles: Roles | None = None,
    *,
    by: str | None = None,
    age: bool = False,
) -> pa.Table:
    """Referrals per period and re-referrals (within ``window_days`` of the child's previous
    referral): ``referrals``, ``re_referrals``, ``rate``."""
    roles = roles or Roles.standard()
    mask = [s == roles.referral for s in journeys.states]
    bounds = period_bounds(journeys, freq)
    b = strata(journeys, by, age)
    raw = _native.stats_repeats(
        journeys._native, mask, int(window_days * MINUTES_PER_DAY), bounds, **b.kwargs()
    )
    t = label(raw, journeys, b, bounds).rename_columns(
        {"entries": "referrals", "repeats": "re_referrals"}
    )
    rate = pc.divide(
        pc.cast(t.column("re_referrals"), pa.float64()),
        pc.cast(t.column("referrals"), pa.float64()),
    )
    return t.append_column("rate", pc.if_else(pc.equal(t.column("referrals"), 0), None, rate))


def stability(
    journeys: Journeys,
    freq: Freq = "year",
    roles: Roles | None = None,
    *,
    by: str | None = None,
    age: bool = False,
    as_of: TimeLike | None = None,
) -> pa.Table:
    """Placement moves (a new care spell starting as the previous care spell ends) per
    period, years in care in the period, and ``moves_per_child_year``."""
    roles = roles or Roles.standard()
    care = [s in roles.care for s in journeys.states]
    bounds = period_bounds(journeys, freq)
    b = strata(journeys, by, age)
    raw = _native.stats_stability(
        journeys._native, care, bounds, as_of_minutes(journeys, as_of), **b.kwargs()
    )
    t = label(raw, journeys, b, bounds)
    years = pc.divide(pc.cast(t.column("care_minutes"), pa.float64()), MINUTES_PER_DAY * 365.25)
    t = t.drop(["care_minutes"]).append_column("child_years", years)
    rate = pc.divide(pc.cast(t.column("moves"), pa.float64()), years)
    return t.append_column("moves_per_child_year", pc.if_else(pc.equal(years, 0.0), None, rate))
