"""Collection years: what a return's name suggests, what its dates say, and which wins.

A collection year is named by the March it ends in (2018 = 1 April 2017 to 31 March
2018). Councils name files both ways: ``2017`` may mean 2016-17 or 2017-18, while
``1718``, ``2017-18`` and ``FY2018`` each mean 2017-18. Nothing in a return can be
after its 31 March, so a return's own dates bound its year from below, and its
ended episodes (every episode in a return overlaps its year) fix it. The name is only a
hint; where the two disagree the dates win and the report says so. An explicit
override (``year=`` / ``--year FILE=2018``) beats both.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import _native
from ._arrow import dict_indices
from ._dates import (
    NULL_DAY,
    collection_year,
    days_from_civil,
    parse_dates,
)
from .report import ValidationReport

__all__ = [
    "FileHint",
    "NameYear",
    "YearChoice",
    "YearOverride",
    "content_year",
    "decide",
    "end_votes",
    "fy_label",
    "name_year",
    "override_for",
    "resolve_903",
]

#: year=: one year for every file, or file (path or name) -> year.
YearOverride = int | Mapping[str, int] | None

# 2017-18, 2017_18, 2017/18, 201718 (second part = first + 1)
_PAIR = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_/ ]?(\d{2})(?!\d)")
# FY2018, FY18, FY 2018 (the financial year ending in March of that year)
_FY = re.compile(r"(?i)(?<![a-z])fy[-_ ]?((?:19|20)?\d{2})(?!\d)")
# 1718 (two two-digit years in a row)
_SHORT_PAIR = re.compile(r"(?<!\d)(\d{2})(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True)
class NameYear:
    """The years a file's name (or folder) allows, and the text they came from."""

    years: tuple[int, ...]  # one (unambiguous) or two (a bare "2017")
    text: str


@dataclass(frozen=True)
class YearChoice:
    year: int  # -1 = unknown
    why: str
    name: NameYear | None
    dates: int | None  # the year the dates give (-1/None = no dates)
    mismatch: bool  # the name allows no year the dates allow


def fy_label(year: int) -> str:
    """2018 -> '2017-18'."""
    return f"{year - 1}-{year % 100:02d}" if year > 0 else "unknown"


@lru_cache(maxsize=1024)
def _name_year_of(part: str) -> NameYear | None:
    m = _FY.search(part)
    if m:
        y = int(m.group(1))
        return NameYear((y + 2000 if y < 100 else y,), m.group(0))
    m = _PAIR.search(part)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        return NameYear((int(m.group(1)) + 1,), m.group(0))
    m = _YEAR.search(part)
    if m:
        y = int(m.group(1))
        return NameYear((y, y + 1), m.group(0))
    for m in _SHORT_PAIR.finditer(part):
        a, b = int(m.group(1)), int(m.group(2))
        if (a + 1) % 100 == b and 0 <= a <= 69:
            return NameYear((2000 + b,), m.group(0))
    return None


def name_year(path: Path) -> NameYear | None:
    """The years the file name allows, else its folders' (nearest first)."""
    y = _name_year_of(path.stem)
    if y is not None:
        return y
    for q in list(path.parents)[:3]:
        y = _name_year_of(q.name)
        if y is not None:
            return y
    return None


def override_for(path: Path, year: YearOverride) -> int | None:
    """The explicit year for a file: an int for all, or the entry naming it."""
    if year is None:
        return None
    if isinstance(year, int):
        return year
    for k, v in year.items():
        kp = Path(k)
        if kp == path or os.path.abspath(kp) == os.path.abspath(path) or k == path.name:
            return int(v)
    return None


def _today() -> int:
    t = dt.date.today()
    return int(days_from_civil(np.array([t.year]), np.array([t.month]), np.array([t.day]))[0])


def content_year(latest: np.ndarray, *, tolerance: float = 0.005) -> int | None:
    """A lower bound on a return's year from its dates: the earliest year whose 31 March
    is on or after all but a few (``tolerance``: a typo or two in a large file) of its
    latest dates (one per row; NULL_DAY = none). Dates after today are typos."""
    d = np.asarray(latest, dtype=np.int64)
    d = d[(d != NULL_DAY) & (d <= _today())]
    if not len(d):
        return None
    fy = np.sort(collection_year(d))
    allowed = int(tolerance * len(fy))
    return int(fy[len(fy) - 1 - allowed])


def end_votes(ends: np.ndarray) -> dict[int, int]:
    """Collection year -> how many episode end dates fall in it. Every episode a return
    holds overlaps its year, and one that ended after the year end would be open in it,
    so a clean return's end dates all fall in its own year."""
    d = np.asarray(ends, dtype=np.int64)
    d = d[(d != NULL_DAY) & (d <= _today())]
    if not len(d):
        return {}
    y, c = np.unique(collection_year(d), return_counts=True)
    return {int(a): int(b) for a, b in zip(y, c, strict=True)}


def decide(
    override: int | None,
    name: NameYear | None,
    votes: dict[int, int],
    lower: int | None,
) -> YearChoice:
    """The year to use and why: an override, else the year most of the return's end
    dates fall in (ties go to the name's reading), else the name when the latest dates
    allow it, else the dates' lower bound."""
    if override is not None:
        return YearChoice(override, "given (year=)", name, None, False)
    if votes:
        top = max(votes.values())
        tops = [y for y, v in votes.items() if v == top]
        in_name = [y for y in (name.years if name else ()) if y in tops]
        dates = in_name[0] if in_name else max(tops)
        exact = True
    elif lower is not None:
        dates, exact = lower, False
    else:
        if name is None:
            return YearChoice(-1, "unknown: no dates and no year in the name", None, None, False)
        amb = len(name.years) > 1
        why = f"from the name {name.text!r}" + (
            f" (read as {fy_label(name.years[0])}; no dates to tell)" if amb else ""
        )
        return YearChoice(name.years[0], why, name, None, False)
    if name is None:
        return YearChoice(dates, "from its dates (no year in the name)", None, dates, False)
    fits = [y for y in name.years if (y == dates if exact else y >= dates)]
    if fits:
        y = fits[0]
        amb = len(name.years) > 1
        why = (
            f"from the name {name.text!r}, read as {fy_label(y)} by its dates"
            if amb
            else f"from the name {name.text!r}, confirmed by its dates"
        )
        return YearChoice(y, why, name, dates, False)
    names = " or ".join(fy_label(y) for y in name.years)
    why = f"from its dates: the name {name.text!r} says {names}, the dates say {fy_label(dates)}"
    return YearChoice(dates, why, name, dates, True)


@dataclass(frozen=True)
class FileHint:
    """What a file's path and the caller say about its year."""

    path: Path
    name: NameYear | None
    override: int | None

    @property
    def group(self) -> tuple[str, str]:
        """Files of one return: same folder and same year text in the name."""
        return (str(self.path.parent), self.name.text if self.name else "")


def fy_column(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Collection year of each date of a column (-1: blank, invalid or after today),
    worked out once per distinct value when the column is dictionary-coded."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):
        fy = fy_column(col.dictionary)
        idx = dict_indices(col)
        return np.asarray(np.r_[fy, -1][np.where(idx >= 0, idx, len(fy))], dtype=np.int64)
    d = parse_dates(col).days.astype(np.int64)
    ok = (d != NULL_DAY) & (d <= _today())
    return np.where(ok, collection_year(np.where(ok, d, 0)), -1)


def _group_evidence(
    g: np.ndarray,
    fy_e: np.ndarray,
    fy_l: np.ndarray,
    ng: int,
    lower: list[int | None],
    votes: list[dict[int, int]],
) -> None:
    """Per group of files: how many end dates fall in each collection year (``end_votes``)
    and the year the latest dates bound it from below (``content_year``), for all groups
    at once through a (group, year) count matrix. fy_e, fy_l: the collection years of each
    row's end and latest date (-1 = none)."""
    ok_e = fy_e > 0
    ok_l = fy_l > 0
    if not (ok_e.any() or ok_l.any()):
        return
    both = np.r_[fy_e[ok_e], fy_l[ok_l]]
    y0, ny = int(both.min()), int(both.max() - both.min()) + 1
    m_e = np.bincount(g[ok_e] * ny + (fy_e[ok_e] - y0), minlength=ng * ny).reshape(ng, ny)
    m_l = np.bincount(g[ok_l] * ny + (fy_l[ok_l] - y0), minlength=ng * ny).reshape(ng, ny)
    _evidence(y0, m_e, m_l, lower, votes)


def _evidence(
    y0: int, m_e: np.ndarray, m_l: np.ndarray, lower: list[int | None], votes: list[dict[int, int]]
) -> None:
    """``lower`` and ``votes`` per group from the (group, year from y0) counts of end
    dates (m_e) and latest dates (m_l)."""
    ny = m_l.shape[1]
    if not ny:
        return
    n_l = m_l.sum(axis=1)
    allowed = (0.005 * n_l).astype(np.int64)
    above = np.cumsum(m_l[:, ::-1], axis=1)[:, ::-1]  # rows in this year or later
    has = above > allowed[:, None]
    top = ny - 1 - np.argmax(has[:, ::-1], axis=1)
    for i, t in zip(np.flatnonzero(n_l).tolist(), top[n_l > 0].tolist(), strict=True):
        lower[i] = y0 + t
    gi, yi = np.nonzero(m_e)  # row-major: each group's years in order
    for i, j, v in zip(gi.tolist(), yi.tolist(), m_e[gi, yi].tolist(), strict=True):
        votes[i][y0 + j] = v


def _dict_column(col: pa.ChunkedArray) -> pa.DictionaryArray | None:
    """The column as one dictionary<int32, string> array, or None if it is not one."""
    a = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    t = a.type
    ok = pa.types.is_dictionary(t) and pa.types.is_int32(t.index_type)
    return a if ok and pa.types.is_string(t.value_type) else None


def _i32(col: pa.ChunkedArray) -> np.ndarray:
    return np.ascontiguousarray(col.to_numpy(), dtype=np.int32)


def _episode_evidence(
    ep: pa.Table, gmap: np.ndarray, ng: int, lower: list[int | None], votes: list[dict[int, int]]
) -> None:
    """The year evidence of the episodes without a year, counted per group of files in
    one parallel pass of the Rust core (dictionary-coded dates, as read), else here."""
    fi = _i32(ep.column("_file"))
    yr = _i32(ep.column("_year"))
    dec, decom = _dict_column(ep.column("DEC")), _dict_column(ep.column("DECOM"))
    if dec is not None and decom is not None:
        fy_s, fy_e = fy_column(decom.dictionary), fy_column(dec.dictionary)
        y0, m_e, m_l = _native.year_counts(
            fi, yr, np.ascontiguousarray(gmap, np.int64), ng, decom, fy_s, dec, fy_e
        )
        ny = len(m_e) // ng if ng else 0
        _evidence(y0, m_e.reshape(ng, ny), m_l.reshape(ng, ny), lower, votes)
        return
    fy_decom = fy_column(ep.column("DECOM"))
    fy_dec = fy_column(ep.column("DEC"))
    fy_latest = np.maximum(fy_decom, fy_dec)  # the year of the later date
    g_row = gmap[np.minimum(fi.astype(np.int64), len(gmap) - 1)]
    todo = (yr <= 0) & (g_row >= 0)
    if todo.any():
        _group_evidence(g_row[todo], fy_dec[todo], fy_latest[todo], ng, lower, votes)


def resolve_903(
    tables: dict[str, pa.Table], report: ValidationReport, hints: dict[int, FileHint]
) -> dict[str, pa.Table]:
    """Give every row without a year (``_year`` <= 0) its return's year, and report the
    year used for every file and why."""
    ep = tables.get("episodes")
    group_ids: dict[tuple[str, str], int] = {}
    fgroup = {fi: group_ids.setdefault(h.group, len(group_ids)) for fi, h in hints.items()}
    ng = len(group_ids)
    lower: list[int | None] = [None] * ng
    votes: list[dict[int, int]] = [{} for _ in range(ng)]
    if ep is not None and ep.num_rows:
        gmap = np.full(max(hints, default=-1) + 2, -1, dtype=np.int64)
        for f, g in fgroup.items():
            gmap[f] = g
        _episode_evidence(ep, gmap, ng, lower, votes)
    nf = max(hints, default=-1) + 2
    col_max = np.full(nf, -1, dtype=np.int64)  # files whose rows carry a YEAR column
    for t in tables.values():
        if t.num_rows:
            fa = np.asarray(t.column("_file").to_numpy(), dtype=np.int64)
            ya = np.asarray(t.column("_year").to_numpy(), dtype=np.int64)
            pos = ya > 0
            if pos.any():
                np.maximum.at(col_max, np.minimum(fa[pos], nf - 1), ya[pos])
    col_years = {int(i): int(col_max[i]) for i in np.flatnonzero(col_max > 0)}
    year_of = np.full(nf, -1, dtype=np.int64)
    same: dict[tuple[int, str, bool], list[int]] = {}
    cache: dict[tuple[int | None, NameYear | None, int], YearChoice] = {}
    for f, h in hints.items():
        if f in report.failed_files:
            continue
        if f in col_years and h.override is None:
            c = YearChoice(col_years[f], "from its YEAR column", h.name, None, False)
        else:
            g = fgroup[f]
            ck = (h.override, h.name, g)  # the files of one return share their evidence
            if ck not in cache:
                cache[ck] = decide(h.override, h.name, votes[g], lower[g])
            c = cache[ck]
        year_of[f] = c.year
        report.file_years[f] = (c.year, c.why)
        same.setdefault((c.year, c.why, c.mismatch), []).append(f)
    for (y, why, mismatch), files in same.items():  # one report chunk per distinct reason
        for rule in ("collection_year", "year_mismatch") if mismatch else ("collection_year",):
            report.add(
                rule,
                "repaired" if mismatch else "info",
                file_idx=np.array(files, dtype=np.int64),
                line=None,
                field="YEAR",
                value=fy_label(y),
                rows=0,
                detail=why,
            )
    overridden = np.zeros(nf, dtype=bool)
    for f, h in hints.items():
        overridden[f] = h.override is not None
    out = {}
    for name, t in tables.items():
        y2 = _native.fill_years(
            _i32(t.column("_file")), _i32(t.column("_year")), year_of, overridden
        )
        out[name] = t.set_column(t.column_names.index("_year"), "_year", pa.array(y2, pa.int32()))
    return out
