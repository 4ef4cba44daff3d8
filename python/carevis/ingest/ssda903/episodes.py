"""The row rules of SSDA903 episodes: what cannot be used is rejected, what can is
repaired, both reported against the row; the DfE's rules are flagged on the rows as
read. Also the helpers the other tables' rules share (dates, code lists, council)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._dates import NULL_DAY, ParsedDates, days_from_civil, parse_dates
from .._rows import Codes, DeferredReport, Rows
from ..ids import UNKNOWN_LA
from ..schema import Mapping
from .dfe import check_dfe

__all__ = [
    "EpisodeColumns",
    "Episodes",
    "check_codes",
    "date_col",
    "episode_columns",
    "episode_rules",
    "fill_la",
]


@dataclass
class Episodes:
    """The episodes' columns after the row rules: codes, day numbers, years."""

    ls: Codes
    place: Codes
    rec: Codes
    rne: Codes
    cin: Codes
    prov: Codes
    decom: np.ndarray
    dec: np.ndarray  # NULL_DAY = open (an end after the year end is open too)
    year: np.ndarray
    year_end: np.ndarray
    rec_blank: np.ndarray  # REC blank as read, DEC kept, REC not invalid
    raw_dec: pa.Array


@dataclass
class EpisodeColumns:
    """The episodes' code and date columns as read, before any rule: made without
    touching the report, so it can be made while the child keys are worked out."""

    ls: Codes
    place: Codes
    rec: Codes
    rne: Codes
    cin: Codes
    prov: Codes
    decom: tuple[pa.Array, ParsedDates]
    dec: tuple[pa.Array, ParsedDates]


def episode_columns(ep: Rows) -> EpisodeColumns:
    """The episodes' columns as read (see :class:`EpisodeColumns`)."""
    ls, place, rec, rne, cin, prov = (
        Codes(ep.t.column(c)) for c in ("LS", "PLACE", "REC", "RNE", "CIN", "PLACE_PROVIDER")
    )
    return EpisodeColumns(
        ls, place, rec, rne, cin, prov, decom=_dates(ep, "DECOM"), dec=_dates(ep, "DEC")
    )


def _dates(r: Rows, name: str) -> tuple[pa.Array, ParsedDates]:
    raw = r.t.column(name).combine_chunks()
    if not pa.types.is_dictionary(raw.type):
        raw = pc.dictionary_encode(raw)  # a few thousand distinct dates: parse those
    return raw, parse_dates(raw)


def fill_la(r: Rows) -> pa.Array:
    """The rows' council codes, UNKNOWN_LA (reported once per file) where none is known."""
    la = r.t.column("_la").combine_chunks()
    if la.null_count == 0:
        return la
    null = np.asarray(la.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if null.any():
        files = np.unique(r.fi[null])
        r.report.add(
            "la_unknown",
            "repaired",
            file_idx=files,
            line=None,
            field="LA",
            value=UNKNOWN_LA,
            rows=0,
            detail="pass la= or name files SSDA903_<LA>_<YEAR>_<table>.csv",
        )
        la = pc.fill_null(la, UNKNOWN_LA)
    return la


def _year_end(year: np.ndarray) -> np.ndarray:
    """31 March of each collection year (NULL_DAY where unknown), via the distinct years."""
    y = np.asarray(year, dtype=np.int64)
    if not len(y):
        return y
    lo, hi = int(y.min()), int(y.max())
    u = np.arange(lo, hi + 1)
    ye = np.where(u > 0, days_from_civil(u, np.full_like(u, 3), np.full_like(u, 31)), NULL_DAY)
    return ye[y - lo].astype(np.int64, copy=False)


def date_col(
    r: Rows,
    name: str,
    *,
    required: bool,
    reject_invalid: bool,
    parsed: tuple[pa.Array, ParsedDates] | None = None,
) -> np.ndarray:
    """Day numbers of a date column (or `parsed`, already read from it); blank (if
    required) and invalid dates reported."""
    raw, p = _dates(r, name) if parsed is None else parsed
    if required:
        r.reject(p.blank, "missing_value", name)
    if reject_invalid:
        r.reject(p.invalid, "invalid_date", name, raw)
    else:
        r.repair(p.invalid, "invalid_date", name, raw, detail="set to blank")
    r.repair(p.two_digit_year, "two_digit_year", name, raw)
    return p.days.astype(np.int64)


def check_codes(
    r: Rows,
    name: str,
    valid: Iterable[str],
    *,
    detail: str = "set to blank",
    codes: Codes | None = None,
) -> tuple[Codes, np.ndarray]:
    """Codes of a column (or `codes`, already made from it); values not in `valid` are
    reported and set to null."""
    c = Codes(r.t.column(name)) if codes is None else codes
    bad = ~c.null & ~c.isin(valid)
    m = r.repair(bad, "invalid_code", name, c.raw, detail=detail)
    if bad.any():
        c.set_null(bad)
    return c, m


def episode_rules(
    ep: Rows,
    *,
    cols: EpisodeColumns,
    key: np.ndarray,
    child_blank: np.ndarray,
    header: Rows | None,
    header_key: np.ndarray | None,
    mp: Mapping,
    code_lists: dict[str, frozenset[str]],
    include_short_breaks: bool,
    pool: Executor | None = None,
) -> tuple[Episodes, Callable[[], None]]:
    """Every row rule on the episodes (`cols`, from :func:`episode_columns`), in order;
    the DfE's rules flagged on the rows as read (before carevis repairs or sets any
    aside). With a `pool`, the DfE's rules run there, beside the rest: the function
    returned waits for them and puts their lines in the report where they belong (call
    it before reading the report); without, it does nothing."""
    ep.reject(child_blank, "missing_value", "CHILD")
    ls, place, rec, rne, cin, prov = cols.ls, cols.place, cols.rec, cols.rne, cols.cin, cols.prov
    rec_idx0 = rec.idx.copy()  # before late DECs blank some
    decom = date_col(ep, "DECOM", required=True, reject_invalid=True, parsed=cols.decom)
    dec = date_col(ep, "DEC", required=False, reject_invalid=True, parsed=cols.dec)
    raw_dec = ep.t.column("DEC").combine_chunks()
    ep.reject(
        (dec != NULL_DAY) & (decom != NULL_DAY) & (dec < decom), "end_before_start", "DEC", raw_dec
    )
    year = np.array(ep.t.column("_year").to_numpy(), dtype=np.int64)  # a writable copy
    ye = _year_end(year)
    finish_dfe = _dfe_beside(
        pool,
        ep,
        header,
        key=key,
        child_blank=child_blank,
        year=year,
        year_end=ye,
        decom=decom,
        dec=dec,
        # as read: later rules set codes to null on the originals (never in place)
        codes={
            "RNE": copy.copy(rne),
            "LS": copy.copy(ls),
            "PLACE": copy.copy(place),
            "REC": copy.copy(rec),
        },
        header_key=header_key,
    )
    ep.reject(
        (decom > ye) & (year > 0),
        "start_after_year_end",
        "DECOM",
        ep.t.column("DECOM").combine_chunks(),
    )
    late = ep.repair(
        (dec != NULL_DAY) & (dec > ye) & (year > 0), "end_after_year_end", "DEC", raw_dec
    )
    dec = np.where(late, NULL_DAY, dec)
    rec_blank_orig = rec.null & ~late
    if late.any():
        rec.set_null(late)
    if not include_short_breaks and mp.short_break_ls:
        ep.reject(ls.isin(mp.short_break_ls), "short_break", "LS", ls.raw)
    ls, _ = check_codes(ep, "LS", code_lists.get("LS", frozenset()) | mp.short_break_ls, codes=ls)
    rne, _ = check_codes(ep, "RNE", code_lists.get("RNE", frozenset()), codes=rne)
    cin, _ = check_codes(ep, "CIN", code_lists.get("CIN", frozenset()), codes=cin)
    other = "placed in 'Other placement'"
    ep.repair(place.null, "missing_value", "PLACE", detail=other)
    place, _ = check_codes(ep, "PLACE", mp.place.keys(), detail=other, codes=place)
    rec_late = rec.idx.copy()
    rec.idx = rec_idx0
    rec, rec_bad = check_codes(
        ep, "REC", mp.rec.keys(), detail="reason unknown: 'Other exit'", codes=rec
    )
    rec.set_null(rec_late < 0)
    e = Episodes(
        ls, place, rec, rne, cin, prov, decom, dec, year, ye, rec_blank_orig & ~rec_bad, raw_dec
    )
    return e, finish_dfe


def _dfe_beside(
    pool: Executor | None, ep: Rows, header: Rows | None, **kw: Any
) -> Callable[[], None]:
    """:func:`check_dfe` now, or in `pool` with its report lines recorded; the function
    returned waits for it and writes them at the place in the report it was called."""
    if pool is None:
        check_dfe(ep, header=header, **kw)
        return lambda: None
    report = ep.report
    deferred = DeferredReport(report)
    mark = report.mark()
    ep_view = copy.copy(ep)
    ep_view.report = deferred  # type: ignore[assignment]
    header_view = None
    if header is not None:
        header_view = copy.copy(header)
        header_view.report = deferred  # type: ignore[assignment]
    running = pool.submit(check_dfe, ep_view, header=header_view, **kw)

    def finish() -> None:
        running.result()
        deferred.replay(at=mark)

    return finish
