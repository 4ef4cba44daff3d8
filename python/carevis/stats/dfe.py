"""DfE-shaped statistics: the national tables of "Children looked after in England" and
"Characteristics of children in need", in their layout (one row per year, breakdown and
category, with ``number`` and ``percentage``).

- ``cla_31_march``: children looked after at 31 March (in care at the *end* of that day)
  by placement, placement group, age, sex, legal status and UASC;
- ``cla_started`` / ``cla_ceased``: children who started / ceased to be looked after in
  the year to 31 March, each child once a year (the first start, the last cessation), by
  age and sex, and ceased by reason (the state entered as care ends);
- ``adoption_scorecard``: A1 and A2 per year and as 3-year averages (as published);
- ``cin_31_march``: children in need and child protection plans at 31 March;
- ``cin_in_year``: referrals, re-referrals within 12 months, assessments, section 47
  enquiries and child protection plans started in the year.

Counting runs in the Rust core (``stats_stock``, ``stats_care_flows``, ``stats_flows``,
``stats_repeats``); this module takes attributes by row and lays the tables out.

>>> tables = carevis.stats.dfe_tables(journeys)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _native, rules
from .._time import MINUTES_PER_DAY
from ..journeys import Journeys
from .base import LEFT, Roles
from .care import adoption_scorecard, observed_from

#: DfE age bands (age in whole years at the date counted): see :mod:`carevis.rules`.
DFE_AGE_BANDS = rules.DFE_AGE_BANDS
#: Per-spell columns tabulated for children looked after at 31 March, when present.
CLA_BREAKDOWNS = ("placement", "legal_status", "sex", "uasc")
#: Front-door states that are not "in need" at a date (the case is closed).
NOT_IN_NEED = frozenset({"No further action"})
TOTAL = "Total"


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _date(days: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days))


def years_covered(journeys: Journeys) -> tuple[list[int], list[int]]:
    """(snapshot years, flow years): the years whose 31 March lies within the data's
    observed range, and the years to 31 March lying wholly within it. The range runs
    from :func:`carevis.stats.observed_from` (the first complete day) to the last day any
    spell starts or ends."""
    rng = journeys.minute_range
    first = observed_from(journeys)
    if rng is None or first is None:
        return [], []
    last = _date(rng[1] // MINUTES_PER_DAY)
    # The stock at 31 March Y is the state at the instant 1 April Y begins.
    snaps = [
        y
        for y in range(first.year - 1, last.year + 1)
        if first <= dt.date(y, 4, 1) and dt.date(y, 3, 31) <= last
    ]
    flows = [
        y
        for y in range(first.year, last.year + 1)
        if first <= dt.date(y - 1, 4, 1) and dt.date(y, 3, 31) <= last
    ]
    return snaps, flows


#: per row a category number, and the categories (labels) the numbers index
Coded = tuple[np.ndarray, list[str]]


def _age_bands(table: pa.Table, rows: pa.Array, at: np.ndarray) -> Coded | None:
    """The DfE age band of each row's child on day ``at``; None without a birth column."""
    col = rules.birth_column(table.column_names)
    if col is None:
        return None
    births = rules.birth_days(table.column(col).take(rows), col)
    codes = np.asarray(rules.age_band(births, at), dtype=np.int64)
    k = int(codes.max()) + 1 if len(codes) else 0
    return codes, [str(x) for x in rules.band_labels(np.arange(k), dfe=True)]


def _labels(table: pa.Table, name: str, rows: pa.Array) -> Coded:
    v = pc.fill_null(pc.cast(table.column(name).take(rows), pa.string()), "Unknown")
    d = pc.dictionary_encode(v)
    d = d.combine_chunks() if isinstance(d, pa.ChunkedArray) else d
    idx = np.asarray(d.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return idx, [str(x) for x in d.dictionary.to_pylist()]


def _named(codes: np.ndarray, names: Sequence[str]) -> Coded:
    return np.asarray(codes, dtype=np.int64), [str(x) for x in names]


def _counts(years: int, which: np.ndarray, coded: Coded) -> tuple[list[str], np.ndarray]:
    """(categories in the tables' order, counts per year and category): counted per
    category number, then merged per label; sorted, "Unknown" last."""
    codes, cats = coded
    m = np.bincount(which * len(cats) + codes, minlength=years * len(cats))
    m = m.reshape(years, len(cats)) if len(cats) else np.zeros((years, 0), np.int64)
    labels = sorted(set(cats), key=lambda c: (c == "Unknown", c))
    col = {c: i for i, c in enumerate(labels)}
    merged = np.zeros((years, len(labels)), dtype=np.int64)
    for i, c in enumerate(cats):
        merged[:, col[c]] += m[:, i]
    return labels, merged


def _long(years: Sequence[int], which: np.ndarray, breakdowns: dict[str, Coded | None]) -> pa.Table:
    """Counts per (year, breakdown, category), with the share of the year's total. The
    total row comes first; categories follow in sorted order ("Unknown" last)."""
    ny = len(years)
    per = [(name, *_counts(ny, which, c)) for name, c in breakdowns.items() if c is not None]
    totals = np.bincount(which, minlength=ny)
    rows: list[tuple[int, str, str, int, float | None]] = []
    for k, year in enumerate(years):
        total = int(totals[k])
        found = [(TOTAL, TOTAL, total)]
        for name, labels, m in per:
            found += [(name, lab, int(m[k, i])) for i, lab in enumerate(labels) if m[k, i]]
        rows += [(year, b, c, n, 100.0 * n / total if total else None) for b, c, n in found]
    return pa.table(
        {
            "time_period": pa.array([r[0] for r in rows], pa.int32()),
            "breakdown": pa.array([r[1] for r in rows], pa.string()),
            "category": pa.array([r[2] for r in rows], pa.string()),
            "number": pa.array([r[3] for r in rows], pa.int64()),
            "percentage": pa.array([r[4] for r in rows], pa.float64()),
        }
    )


def _mask(journeys: Journeys, states: frozenset[str]) -> list[bool]:
    return [s in states for s in journeys.states]


def _ends(years: Sequence[int]) -> np.ndarray:
    """The instant each 31 March ends (1 April begins), minutes since 1970."""
    return np.array([_day(dt.date(y, 4, 1)) * MINUTES_PER_DAY for y in years], dtype=np.int32)


def cla_at_31_march(journeys: Journeys, years: Sequence[int], roles: Roles) -> pa.Table:
    """Children looked after at 31 March of each year (in care at the end of the day)."""
    hits = _native.stats_stock(journeys._native, _mask(journeys, roles.care), _ends(years))
    table = journeys.to_arrow()
    rows = hits.column("row").combine_chunks() if hits.num_rows else pa.array([], pa.uint32())
    which = np.asarray(hits.column("which").to_numpy(), dtype=np.int64)
    breakdowns: dict[str, Coded | None] = {
        "placement_group": _named(hits.column("state").to_numpy(), journeys.states)
    }
    at = (
        np.array([_day(dt.date(y, 3, 31)) for y in years], dtype=np.int64)[which]
        if len(years)
        else which
    )
    breakdowns["age"] = _age_bands(table, rows, at)
    for name in CLA_BREAKDOWNS:
        if name in table.column_names:
            breakdowns[name] = _labels(table, name, rows)
    return _long(years, which, breakdowns)


def _flow_table(
    journeys: Journeys, hits: pa.Table, years: Sequence[int], bounds: np.ndarray, reason: bool
) -> pa.Table:
    table = journeys.to_arrow()
    rows = hits.column("row").combine_chunks() if hits.num_rows else pa.array([], pa.uint32())
    which = np.asarray(hits.column("which").to_numpy(), dtype=np.int64)
    breakdowns: dict[str, Coded | None] = {}
    if reason:
        breakdowns["reason"] = _named(hits.column("state").to_numpy(), [*journeys.states, LEFT])
    when = pc.cast(
        pc.cast(table.column("end" if reason else "start").take(rows), pa.date32()), pa.int32()
    )
    at = np.asarray(when.to_numpy(zero_copy_only=False), dtype=np.float64)
    breakdowns["age"] = _age_bands(table, rows, np.nan_to_num(at, nan=0).astype(np.int64))
    if "sex" in table.column_names:
        breakdowns["sex"] = _labels(table, "sex", rows)
    return _long(years, which, breakdowns)


def _year_bounds(years: Sequence[int]) -> np.ndarray:
    return np.array(
        [_day(dt.date(y - 1, 4, 1)) * MINUTES_PER_DAY for y in years]
        + [_day(dt.date(years[-1], 4, 1)) * MINUTES_PER_DAY],
        dtype=np.int32,
    )


def cla_flows(journeys: Journeys, years: Sequence[int], roles: Roles) -> tuple[pa.Table, pa.Table]:
    """(started, ceased) in each year to 31 March, each child once a year."""
    bounds = _year_bounds(years)
    started, ceased = _native.stats_care_flows(
        journeys._native, _mask(journeys, roles.care), bounds
    )
    return (
        _flow_table(journeys, started, years, bounds, reason=False),
        _flow_table(journeys, ceased, years, bounds, reason=True),
    )


def scorecard_3yr(journeys: Journeys, years: Sequence[int], roles: Roles) -> pa.Table:
    """A1 and A2 per year to 31 March and as 3-year averages (weighted by children; null
    until three years are covered), as the adoption scorecard publishes them."""
    sc = adoption_scorecard(journeys, "year", roles)
    ps = sc.column("period_start").to_pylist()
    years = [y for y in years if dt.date(y - 1, 4, 1) in ps]
    keep = [ps.index(dt.date(y - 1, 4, 1)) for y in years]
    sc = sc.take(pa.array(keep, pa.int64()))
    n = sc.column("adopted").to_numpy().astype(float)
    n2 = sc.column("a2_n").to_numpy().astype(float)
    a1 = np.nan_to_num(sc.column("a1_mean_days").to_numpy(zero_copy_only=False).astype(float))
    a2 = np.nan_to_num(sc.column("a2_mean_days").to_numpy(zero_copy_only=False).astype(float))
    has_a2 = sc.column("a2_mean_days").null_count < sc.num_rows

    def rolling(v: np.ndarray, w: np.ndarray) -> list[float | None]:
        out: list[float | None] = []
        for k in range(len(v)):
            if k < 2 or w[k - 2 : k + 1].sum() == 0:
                out.append(None)
            else:
                out.append(
                    float((v[k - 2 : k + 1] * w[k - 2 : k + 1]).sum() / w[k - 2 : k + 1].sum())
                )
        return out

    a1_3 = rolling(a1, n)
    a2_3 = rolling(a2, n2) if has_a2 else [None] * len(n2)
    return pa.table(
        {
            "time_period": pa.array(years, pa.int32()),
            "adopted": sc.column("adopted"),
            "left_truncated": sc.column("left_truncated"),
            "a1_mean_days": sc.column("a1_mean_days"),
            "a1_3yr_mean_days": pa.array(a1_3, pa.float64()),
            "a1_threshold_days": sc.column("a1_threshold_days"),
            "a2_n": sc.column("a2_n"),
            "a2_mean_days": sc.column("a2_mean_days"),
            "a2_3yr_mean_days": pa.array(a2_3, pa.float64()),
            "a2_threshold_days": sc.column("a2_threshold_days"),
        }
    )


def _measure_table(years: Sequence[int], measures: dict[str, np.ndarray]) -> pa.Table:
    cols: dict[str, list[object]] = {"time_period": [], "measure": [], "number": []}
    for k, y in enumerate(years):
        for m, v in measures.items():
            cols["time_period"].append(y)
            cols["measure"].append(m)
            cols["number"].append(int(v[k]))
    return pa.table(
        {
            "time_period": pa.array(cols["time_period"], pa.int32()),
            "measure": pa.array(cols["measure"], pa.string()),
            "number": pa.array(cols["number"], pa.int64()),
        }
    )


def cin_at_31_march(journeys: Journeys, years: Sequence[int], roles: Roles) -> pa.Table:
    """Children in need (a front-door state other than "No further action", or in care)
    and children on a child protection plan at the end of each 31 March."""
    front = rules.states_in_group("Front door") - NOT_IN_NEED
    ends = _ends(years)
    need = _native.stats_stock(journeys._native, _mask(journeys, front | roles.care), ends)
    cpp = _native.stats_stock(
        journeys._native, _mask(journeys, frozenset({"Child protection plan"})), ends
    )

    def per_year(h: pa.Table) -> np.ndarray:
        return np.bincount(
            np.asarray(h.column("which").to_numpy(), dtype=np.int64), minlength=len(years)
        )

    return _measure_table(
        years, {"children in need": per_year(need), "child protection plans": per_year(cpp)}
    )


def cin_in_year(journeys: Journeys, years: Sequence[int], roles: Roles) -> pa.Table:
    """Referrals (and re-referrals within 12 months of the previous one), assessments,
    section 47 enquiries and child protection plans started, per year to 31 March."""
    bounds = _year_bounds(years)
    flows = _native.stats_flows(journeys._native, bounds)
    period = np.asarray(flows.column("period").to_numpy(), dtype=np.int64)
    state = np.asarray(flows.column("state").to_numpy(), dtype=np.int64)
    entries = np.asarray(flows.column("entries").to_numpy(), dtype=np.int64)

    def started(label: str) -> np.ndarray:
        out = np.zeros(len(years), np.int64)
        if label in journeys.states:
            sel = state == journeys.states.index(label)
            np.add.at(out, period[sel], entries[sel])
        return out

    mask = [s == roles.referral for s in journeys.states]
    rep = _native.stats_repeats(journeys._native, mask, 365 * MINUTES_PER_DAY, bounds)
    referrals = np.asarray(rep.column("entries").to_numpy(), dtype=np.int64)
    repeats = np.asarray(rep.column("repeats").to_numpy(), dtype=np.int64)
    t = _measure_table(
        years,
        {
            "referrals": referrals,
            "re-referrals within 12 months": repeats,
            "assessments": started("Assessment"),
            "section 47 enquiries": started("Section 47"),
            "child protection plans started": started("Child protection plan"),
        },
    )
    m = t.column("measure").to_pylist()
    num = t.column("number").to_numpy()
    pct: list[float | None] = []
    for i, name in enumerate(m):
        k = i // 5
        pct.append(
            100.0 * float(num[i]) / float(referrals[k])
            if name == "re-referrals within 12 months" and referrals[k]
            else None
        )
    return t.append_column("percentage", pa.array(pct, pa.float64()))


def dfe_tables(journeys: Journeys, roles: Roles | None = None) -> dict[str, pa.Table]:
    """The DfE-shaped tables (unsuppressed; see :func:`carevis.stats.suppress`)."""
    roles = roles or Roles.standard()
    snaps, years = years_covered(journeys)
    out: dict[str, pa.Table] = {}
    out["cla_31_march"] = cla_at_31_march(journeys, snaps, roles)
    if years:
        out["cla_started"], out["cla_ceased"] = cla_flows(journeys, years, roles)
        out["adoption_scorecard"] = scorecard_3yr(journeys, years, roles)
    out["cin_31_march"] = cin_at_31_march(journeys, snaps, roles)
    if years:
        out["cin_in_year"] = cin_in_year(journeys, years, roles)
    return out


__all__ = ["DFE_AGE_BANDS", "dfe_tables", "years_covered"]
