"""Journey statistics: occupancy, entries and exits, transitions, time in state
(Kaplan-Meier, open spells censored), periods of care (time to exit, the adoption
scorecard, re-entry, placement stability), re-referrals and congestion.

Heavy counting runs in the Rust core; this module attaches labels and dates, derives
rates and suppresses small counts for publication.

>>> occ = carevis.stats.occupancy(journeys, freq="month", by="la", age=True)
>>> tis = carevis.stats.time_in_state(journeys)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._time import MINUTES_PER_DAY, TimeLike, to_minutes
from .errors import ConfigError, SchemaError
from .journeys import Journeys
from .privacy import check_group

Freq = Literal["day", "week", "month", "quarter", "year"]

#: Age bands at a spell's start (then "Unknown" when the birth date is missing).
AGE_BANDS = ["Under 1", "1-4", "5-9", "10-15", "16+", "Unknown"]
LEFT = "(left)"
NO_BIRTH = -(2**31)

A1_THRESHOLD_DAYS = 426
A2_THRESHOLD_DAYS = 121
A3_WINDOW_DAYS = 426


# --- state roles ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Roles:
    """What the states mean for the care measures. Defaults come from the state table's
    groups (``Looked after`` states are care placements, ``Exit`` states exits)."""

    care: frozenset[str]
    exits: frozenset[str] = frozenset()
    referral: str | None = "Referral"
    placed_for_adoption: str | None = "Placed for adoption"
    adopted: str | None = "Adopted"

    @classmethod
    def standard(cls) -> Roles:
        from .layout import standard_states

        std = standard_states()
        return cls(
            care=frozenset(s.label for s in std if s.group == "Looked after"),
            exits=frozenset(s.label for s in std if s.group == "Exit"),
        )


def _epoch_day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def period_bounds(
    journeys: Journeys,
    freq: Freq = "month",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    year_start_month: int = 4,
) -> np.ndarray:
    """Period boundaries (minutes since 1970, int32) covering ``[start, end]`` (the data's
    range by default). Weeks start on Monday; years on the first of ``year_start_month``
    (April: the statistical year to 31 March)."""
    if freq not in ("day", "week", "month", "quarter", "year"):
        raise ConfigError(f"freq must be day, week, month, quarter or year, not {freq!r}")
    rng = journeys.minute_range
    if rng is None:
        raise ConfigError("no spells: no periods")
    lo = to_minutes(start) if start is not None else rng[0]
    hi = to_minutes(end) if end is not None else rng[1]
    if hi < lo:
        raise ConfigError("end is before start")
    d0 = dt.date(1970, 1, 1) + dt.timedelta(days=int(lo // MINUTES_PER_DAY))
    d1 = dt.date(1970, 1, 1) + dt.timedelta(days=int(hi // MINUTES_PER_DAY))
    if freq == "day":
        days = np.arange(_epoch_day(d0), _epoch_day(d1) + 2)
    elif freq == "week":
        first = d0 - dt.timedelta(days=d0.weekday())
        days = np.arange(_epoch_day(first), _epoch_day(d1) + 8, 7)
    else:
        step = {"month": 1, "quarter": 3, "year": 12}[freq]
        anchor = year_start_month - 1 if freq != "month" else 0
        m = d0.year * 12 + d0.month - 1
        m -= (m - anchor) % step
        out = []
        while True:
            day = _epoch_day(dt.date(m // 12, m % 12 + 1, 1))
            out.append(day)
            if day > _epoch_day(d1):
                break
            m += step
        days = np.array(out)
    return (days * MINUTES_PER_DAY).astype(np.int32)


# --- strata -------------------------------------------------------------------------------------
@dataclass
class _By:
    name: str | None
    labels: list[str]
    codes: np.ndarray | None
    births: np.ndarray | None

    def kwargs(self) -> dict[str, Any]:
        return {"groups": self.codes, "n_groups": max(len(self.labels), 1), "births": self.births}


def births(journeys: Journeys) -> np.ndarray:
    """Birth time per dot (minutes, int32; unknown = -2**31) from birth_month / birth_date / dob."""
    table = journeys.to_arrow()
    col = next((c for c in ("birth_month", "birth_date", "dob") if c in table.column_names), None)
    if col is None:
        raise SchemaError("age bands need a birth_month, birth_date or dob column")
    values = journeys.attribute(col)
    try:
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            text = pc.utf8_slice_codeunits(values, 0, 10)
            text = pc.if_else(
                pc.equal(pc.utf8_length(text), 7),
                pc.binary_join_element_wise(text, "-01", ""),
                text,
            )
            values = pc.cast(pc.strptime(text, format="%Y-%m-%d", unit="s"), pa.date32())
        values = pc.cast(values, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise SchemaError(f"column {col!r} is not a date (type {values.type}): {e}") from None
    days = pc.cast(values, pa.int32()).to_numpy(zero_copy_only=False)
    mask = np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool)
    out = (
        np.where(mask, 0, np.nan_to_num(days.astype(np.float64))).astype(np.int64) * MINUTES_PER_DAY
    )
    out = np.clip(out, NO_BIRTH + 1, 2**31 - 1)
    out[mask] = NO_BIRTH
    return np.ascontiguousarray(out, dtype=np.int32)


def group_codes(journeys: Journeys, name: str) -> tuple[list[str], np.ndarray]:
    """Labels (sorted, "Unknown" last) and a uint16 code per dot for a per-child column."""
    check_group(name, None, "group by")
    values = journeys.attribute(name)
    check_group(name, values, "group by")
    values = pc.fill_null(pc.cast(values, pa.string()), "Unknown")
    encoded = pc.dictionary_encode(values)
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    if len(labels) > 65535:
        raise ConfigError(f"{name!r} has {len(labels)} values; at most 65535 groups")
    order = sorted(range(len(labels)), key=lambda i: (labels[i] == "Unknown", labels[i]))
    remap = np.empty(len(labels), np.uint16)
    remap[order] = np.arange(len(labels), dtype=np.uint16)
    codes = remap[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    return [labels[i] for i in order], np.ascontiguousarray(codes, dtype=np.uint16)


def _by(journeys: Journeys, by: str | None, age: bool) -> _By:
    labels, codes = group_codes(journeys, by) if by else ([], None)
    return _By(by, labels, codes, births(journeys) if age else None)


def _label(
    table: pa.Table, journeys: Journeys, by: _By, bounds: np.ndarray | None = None
) -> pa.Table:
    """Replaces code columns with labels: period -> period_start/period_end dates, state /
    from / to -> names, group -> the attribute's name, band -> age_band."""
    states = journeys.states
    cols: dict[str, pa.Array] = {}
    for name in table.column_names:
        c = (
            table.column(name).combine_chunks()
            if table.num_rows
            else pa.array([], table.schema.field(name).type)
        )
        if name == "period" and bounds is not None:
            days = (bounds // MINUTES_PER_DAY).astype(np.int32)
            idx = c.to_numpy(zero_copy_only=False).astype(np.int64)
            cols["period_start"] = pa.array(days[idx], pa.int32()).cast(pa.date32())
            cols["period_end"] = pa.array(days[idx + 1] - 1, pa.int32()).cast(pa.date32())
        elif name in ("state", "from", "to"):
            names = pa.array([*states, LEFT], pa.string())
            cols[{"state": "state", "from": "from_state", "to": "to_state"}[name]] = names.take(c)
        elif name == "group":
            if by.name:
                cols[by.name] = pa.array(by.labels, pa.string()).take(c)
        elif name == "band":
            if by.births is not None:
                cols["age_band"] = pa.array(AGE_BANDS, pa.string()).take(c)
        else:
            cols[name] = c
    return pa.table(cols)


def _as_of(journeys: Journeys, as_of: TimeLike | None) -> int:
    if as_of is not None:
        return int(to_minutes(as_of))
    rng = journeys.minute_range
    return int(rng[1]) if rng else 0


def _keys(by: _By) -> list[str]:
    return ([by.name] if by.name else []) + (["age_band"] if by.births is not None else [])


# --- occupancy and flows ------------------------------------------------------------------
def occupancy(
    journeys: Journeys,
    freq: Freq = "month",
    *,
    by: str | None = None,
    age: bool = False,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pa.Table:
    """Per period and state (and group / age band at spell start): ``occupancy`` (children
    in the state at the end of the period's last day: for years to 31 March, the stock at
    31 March), ``entries`` (spells starting in the period) and
    ``exits`` (spells ending in it). Rows where all three are zero are left out."""
    bounds = period_bounds(journeys, freq, start, end)
    b = _by(journeys, by, age)
    raw = _native.stats_flows(journeys._native, bounds, **b.kwargs())
    return _label(raw, journeys, b, bounds)


def transitions(
    journeys: Journeys,
    freq: Freq = "year",
    *,
    by: str | None = None,
    age: bool = False,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pa.Table:
    """Moves from each state to the child's next spell (``"(left)"`` when no spell starts
    as this one ends: a gap counts as leaving, then re-entering), counted in the period the
    spell ends: ``count`` and ``probability`` (share of the from-state's ends)."""
    bounds = period_bounds(journeys, freq, start, end)
    b = _by(journeys, by, age)
    raw = _native.stats_transitions(journeys._native, bounds, **b.kwargs())
    t = _label(raw, journeys, b, bounds)
    keys = ["period_start", *_keys(b), "from_state"]
    if t.num_rows == 0:
        return t.append_column("probability", pa.array([], pa.float64()))
    totals = t.group_by(keys).aggregate([("count", "sum")])
    t = t.join(totals, keys, join_type="left outer")
    prob = pc.divide(
        pc.cast(t.column("count"), pa.float64()), pc.cast(t.column("count_sum"), pa.float64())
    )
    t = t.drop(["count_sum"]).append_column("probability", prob)
    return t.sort_by([(k, "ascending") for k in keys] + [("to_state", "ascending")])


# --- time in state --------------------------------------------------------------------------
def _drop_exits(table: pa.Table) -> pa.Table:
    """Leaves out the standard exit states: their spells are the picture's linger after a
    child leaves (``synthetic.DWELL_DAYS``), not time the data records."""
    exits = Roles.standard().exits
    if "state" not in table.column_names or not exits:
        return table
    keep = pc.invert(pc.is_in(table.column("state"), pa.array(sorted(exits), pa.string())))
    return table.filter(keep)


def time_in_state(
    journeys: Journeys,
    *,
    by: str | None = None,
    age: bool = False,
    as_of: TimeLike | None = None,
    curves: bool = False,
) -> pa.Table | tuple[pa.Table, pa.Table]:
    """Kaplan-Meier time in each state (days; exit states have none and are left out):
    ``n``, ``events``, ``censored`` (spells still
    open at ``as_of``, the data's end by default), ``p25``, ``median``, ``p75``, ``p90``
    (null where the curve never falls that far). With ``curves=True`` also the survival
    curve (``time_days``, ``survival``, ``at_risk``; last point per day)."""
    b = _by(journeys, by, age)
    summary, curve = _native.stats_time_in_state(
        journeys._native,
        _as_of(journeys, as_of),
        curve_step=MINUTES_PER_DAY if curves else 0,
        **b.kwargs(),
    )
    s = _drop_exits(_label(summary, journeys, b))
    for q in ("p25", "median", "p75", "p90"):
        i = s.schema.get_field_index(q)
        s = s.set_column(
            i, q, pc.divide(pc.cast(s.column(q), pa.float64()), float(MINUTES_PER_DAY))
        )
    if not curves:
        return s
    c = _drop_exits(_label(curve, journeys, b))
    i = c.schema.get_field_index("time")
    c = c.set_column(
        i, "time_days", pc.divide(pc.cast(c.column("time"), pa.float64()), float(MINUTES_PER_DAY))
    )
    return s, c


def waits(journeys: Journeys, t: TimeLike, *, by: str | None = None, age: bool = False) -> pa.Table:
    """The children in each state at ``t`` and the median of their time there so far (days)."""
    b = _by(journeys, by, age)
    raw = _native.stats_waits(journeys._native, int(to_minutes(t)), **b.kwargs())
    w = _drop_exits(_label(raw, journeys, b))
    i = w.schema.get_field_index("median")
    return w.set_column(
        i,
        "median_days",
        pc.divide(pc.cast(w.column("median"), pa.float64()), float(MINUTES_PER_DAY)),
    )


# --- periods of care ----------------------------------------------------------------------------
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
    b = _by(journeys, by, age)
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
    t = _label(raw.drop(["exit_state"]), journeys, b)
    for name in t.column_names:
        c = t.column(name)
        if name in ("entry", "end", "placed_for_adoption", "placement_order", "previous_end"):
            c = pc.cast(pc.divide(c, MINUTES_PER_DAY), pa.int32()).cast(pa.date32())
        cols[name] = c
    ex = raw.column("exit_state").to_pylist()
    cols["exit_state"] = pa.array([None if e is None else names[e] for e in ex], pa.string())
    return pa.table(cols)


def _days(col: pa.ChunkedArray) -> np.ndarray:
    """Days since 1970 as float (NaN for null)."""
    a = pc.cast(col, pa.int32()).to_numpy(zero_copy_only=False)
    return np.asarray(a, dtype=np.float64)


def _period_index(days: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    bd = bounds // MINUTES_PER_DAY
    k = np.searchsorted(bd, np.nan_to_num(days, nan=-1e18), side="right") - 1
    k[(k < 0) | (k >= len(bd) - 1) | np.isnan(days)] = -1
    out: np.ndarray = np.asarray(k, dtype=np.int64)
    return out


def _period_frame(bounds: np.ndarray) -> dict[str, pa.Array]:
    days = (bounds // MINUTES_PER_DAY).astype(np.int32)
    return {
        "period_start": pa.array(days[:-1], pa.int32()).cast(pa.date32()),
        "period_end": pa.array(days[1:] - 1, pa.int32()).cast(pa.date32()),
    }


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
    end, entry = _days(cp.column("end")), _days(cp.column("entry"))
    exit_state = np.array(cp.column("exit_state").to_pylist(), dtype=object)
    k = _period_index(end, bounds)
    pf = _period_frame(bounds)
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
    done = end[end < np.iinfo(np.int32).max]
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
    end, entry = _days(cp.column("end")), _days(cp.column("entry"))
    pfa, order = _days(cp.column("placed_for_adoption")), _days(cp.column("placement_order"))
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
    k = _period_index(end, bounds)
    pf = _period_frame(bounds)
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
    entry, prev = _days(cp.column("entry")), _days(cp.column("previous_end"))
    k = _period_index(entry, bounds)
    re = ~np.isnan(prev) & (entry - prev <= window_days)
    n_p = len(bounds) - 1
    ent = np.bincount(k[k >= 0], minlength=n_p)[:n_p]
    rep = np.bincount(k[(k >= 0) & re], minlength=n_p)[:n_p]
    return pa.table(
        {
            **_period_frame(bounds),
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
    b = _by(journeys, by, age)
    raw = _native.stats_repeats(
        journeys._native, mask, int(window_days * MINUTES_PER_DAY), bounds, **b.kwargs()
    )
    t = _label(raw, journeys, b, bounds).rename_columns(
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
    b = _by(journeys, by, age)
    raw = _native.stats_stability(
        journeys._native, care, bounds, _as_of(journeys, as_of), **b.kwargs()
    )
    t = _label(raw, journeys, b, bounds)
    years = pc.divide(pc.cast(t.column("care_minutes"), pa.float64()), MINUTES_PER_DAY * 365.25)
    t = t.drop(["care_minutes"]).append_column("child_years", years)
    rate = pc.divide(pc.cast(t.column("moves"), pa.float64()), years)
    return t.append_column("moves_per_child_year", pc.if_else(pc.equal(years, 0.0), None, rate))


def dfe_tables(journeys: Journeys, roles: Roles | None = None) -> dict[str, pa.Table]:
    """The tables of "Children looked after in England" and "Characteristics of children in
    need" in their layout: see :mod:`carevis.stats_dfe`."""
    from .stats_dfe import dfe_tables as run

    return run(journeys, roles)


def main_stats(argv: Sequence[str] | None = None) -> int:
    """``carevis stats``: see :mod:`carevis.stats_report`."""
    from .stats_report import main_stats as run

    return run(argv)


__all__ = [
    "AGE_BANDS",
    "Roles",
    "adoption_scorecard",
    "care_periods",
    "dfe_tables",
    "main_stats",
    "observed_from",
    "occupancy",
    "period_bounds",
    "re_entry",
    "re_referrals",
    "stability",
    "time_in_state",
    "time_to_exit",
    "transitions",
    "waits",
]
