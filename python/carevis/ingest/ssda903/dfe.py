"""The DfE's SSDA903 validation rules that bear on journeys, numbered as the DfE numbers them.

Each rule is checked per return (council and collection year), on the rows as the
return holds them (before carevis repairs or sets any aside), the way the DfE
validator (data-to-insight/csc-validator-be-903) checks one return: an analyst can lay
carevis's report beside the DfE's. A breach is reported as ``dfe_<number>`` with action
"flagged": carevis's own rules still decide what it repairs or sets aside.

Code lists are year-aware data (``data/ssda903_codes.csv`` and ``ssda903_map.csv``:
valid from / to collection year), so a code is checked against the list of the return's
own year.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from .._dates import NULL_DAY, days_from_civil, parse_dates
from .._rows import Codes, Rows
from .._sort import argsort_stable, pack
from ..rules import DFE_RULES
from ..schema import DATA_DIR

__all__ = ["check_dfe", "code_years"]


# REC codes that end a period of care (DfE 432)
_LEFT_CARE = [
    "E2",
    "E3",
    "E4A",
    "E4B",
    "E5",
    "E6",
    "E7",
    "E8",
    "E9",
    "E11",
    "E12",
    "E13",
    "E14",
    "E15",
    "E16",
    "E17",
    "E41",
    "E45",
    "E46",
    "E47",
    "E48",
]
_CONTINUING = ("P", "L", "T", "U", "B")
_DEC_2005_END = int(days_from_civil(np.array([2005]), np.array([12]), np.array([31]))[0])
_DEC_2005_START = int(days_from_civil(np.array([2005]), np.array([12]), np.array([1]))[0])


@lru_cache(maxsize=1)
def code_years() -> dict[str, dict[str, tuple[int, int]]]:
    """field -> code -> (first, last) collection year it is valid in (inclusive)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for name in ("ssda903_codes.csv", "ssda903_map.csv"):
        with open(DATA_DIR / name, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                a = int(r["first_year"]) if (r.get("first_year") or "").strip() else 0
                b = int(r["last_year"]) if (r.get("last_year") or "").strip() else 9999
                out.setdefault(r["field"].strip(), {})[r["code"].strip()] = (a, b)
    return out


def _bad_code_rows(c: Codes, field: str, year: np.ndarray) -> np.ndarray:
    """Rows whose code is not in the field's list for the row's collection year (blank
    is fine). Worked out per distinct code: only codes that are not valid in every year
    present are looked at row by row (usually none)."""
    table = code_years().get(field, {})
    vals = c.values.to_pylist()
    if not vals or not len(year):
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(year.min()), int(year.max())
    rng = [table.get(v, (1, 0)) for v in vals]
    doubtful = np.array([not (a <= lo and hi <= b) for a, b in rng] + [False], dtype=bool)
    rows = np.flatnonzero(doubtful[c.idx])  # idx -1 (blank) takes the last entry
    if not len(rows):
        return rows
    first = np.array([a for a, _ in rng], dtype=np.int64)[c.idx[rows]]
    last = np.array([b for _, b in rng], dtype=np.int64)[c.idx[rows]]
    y = year[rows]
    return rows[(y < first) | (y > last)]


def _lut(c: Codes, values: tuple[str, ...] | list[str]) -> np.ndarray:
    """A bool per dictionary entry (and False for blank, last): the value is in `values`."""
    vs = set(values)
    return np.array([v in vs for v in c.values.to_pylist()] + [False], dtype=bool)


def _dict_gather(
    col: pa.ChunkedArray | pa.Array, per_value: np.ndarray, blank: object
) -> np.ndarray:
    """Per row, `per_value` of its dictionary entry (`blank` for a null), in one gather."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    idx = np.asarray(col.indices.fill_null(-1).to_numpy(zero_copy_only=False))
    return np.asarray(np.r_[per_value, np.array([blank], dtype=per_value.dtype)][idx])


def _days(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(day numbers, blank) of a date column, parsed once per distinct value."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if not pa.types.is_dictionary(col.type):
        p = parse_dates(col)
        return p.days.astype(np.int64), p.blank
    p = parse_dates(col.dictionary)
    return (
        _dict_gather(col, p.days.astype(np.int64), NULL_DAY),
        _dict_gather(col, p.blank, True),
    )


def _flag(rows: Rows, idx: np.ndarray, code: str) -> None:
    if len(idx):
        idx = np.sort(idx)
        rows.report.add(
            f"dfe_{code}",
            "flagged",
            file_idx=rows.fi[idx],
            line=rows.ln[idx],
            field=DFE_RULES[code][0],
            rows=0,
            detail=DFE_RULES[code][1],
        )


def check_dfe(
    ep: Rows,
    *,
    key: np.ndarray,
    child_blank: np.ndarray,
    year: np.ndarray,
    year_end: np.ndarray,
    decom: np.ndarray,
    dec: np.ndarray,
    codes: dict[str, Codes],
    header: Rows | None = None,
    header_key: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Flag every DfE rule breach; returns rule -> flagged episode rows.

    `decom`, `dec`: day numbers (NULL_DAY = blank or not a date); `codes`: the episodes'
    RNE, LS, PLACE and REC as read (before any repair)."""
    out = _row_rules(ep, year, year_end, decom, dec, codes)
    hy = (
        np.asarray(header.t.column("_year").to_numpy(), dtype=np.int64)
        if header is not None and header_key is not None
        else np.zeros(0, np.int64)
    )
    hk = header_key if header_key is not None and len(hy) else np.zeros(0, np.int64)
    pairs = _Pairs.of(key, year, hy, hk, decom, dec)
    out.update(_pair_rules(pairs, codes, child_blank))
    out["433"] = _rule_433(pairs, codes["RNE"])
    out["388"] = _rule_388(pairs, codes["REC"])
    if header is not None and len(hy):
        out["302"] = _header_rules(header, pairs, hy, hk)
    for code in sorted(out):
        _flag(ep, out[code], code)
    return out


def _row_rules(
    ep: Rows,
    year: np.ndarray,
    year_end: np.ndarray,
    decom: np.ndarray,
    dec: np.ndarray,
    codes: dict[str, Codes],
) -> dict[str, np.ndarray]:
    """Rules on one episode row at a time: code lists, dates, LS D1/E1 around 2005."""
    out: dict[str, np.ndarray] = {}
    rne, ls, place, rec = codes["RNE"], codes["LS"], codes["PLACE"], codes["REC"]
    for code, c, fld in (("143", rne, "RNE"), ("144", ls, "LS"), ("146", place, "PLACE")):
        out[code] = _bad_code_rows(c, fld, year)
    out["149"] = _bad_code_rows(rec, "REC", year)
    nul = NULL_DAY
    has_decom = decom != nul
    has_dec = dec != nul
    col = ep.t.column("DEC")
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(col.type):  # a date that cannot be read is still there
        dec_blank = _dict_gather(col, parse_dates(col.dictionary).blank, True)
    else:
        dec_blank = parse_dates(col).blank
    rec_blank = rec.idx < 0
    out["148"] = np.flatnonzero(dec_blank != rec_blank)
    out["356"] = np.flatnonzero((dec < decom) & has_decom)  # a blank end is NULL_DAY (max)
    out["354"] = np.flatnonzero((decom > year_end) & has_decom)
    out["385"] = np.flatnonzero((dec > year_end) & has_dec)
    for code, value, cmp in (("445", "D1", 1), ("446", "E1", -1)):
        lut = _lut(ls, [value])
        rows = np.flatnonzero(lut[ls.idx]) if lut.any() else np.zeros(0, np.int64)
        d = decom[rows]
        out[code] = rows[(d != nul) & ((d > _DEC_2005_END) if cmp > 0 else (d < _DEC_2005_START))]
    return out


@dataclass
class _Pairs:
    """Episodes sorted by child in a return, then start (missing last), as pandas sorts
    them: a child in a return is (year, key) as one integer, packed the same way for the
    header; `sp` marks each pair (i - 1, i) of sorted rows of the same child."""

    n: int
    grp: np.ndarray
    ymin: int
    kspan: int
    lo: int
    decom: np.ndarray
    dec: np.ndarray
    s_last: np.ndarray
    order: np.ndarray
    g: np.ndarray
    sp: np.ndarray

    @classmethod
    def of(
        cls,
        key: np.ndarray,
        year: np.ndarray,
        hy: np.ndarray,
        hk: np.ndarray,
        decom: np.ndarray,
        dec: np.ndarray,
    ) -> _Pairs:
        n = len(key)
        has_decom = decom != NULL_DAY
        ymin = int(min(year.min() if n else 0, hy.min() if len(hy) else 0))
        kspan = int(max(key.max() if n else 0, hk.max() if len(hk) else 0)) + 1
        grp = (year - ymin) * kspan + key
        lo = int(decom[has_decom].min()) if has_decom.any() else 0
        hi = int(decom[has_decom].max()) if has_decom.any() else 0
        s_last = np.where(has_decom, decom, hi + 1)  # pandas sorts missing dates last
        order = argsort_stable(grp * (hi - lo + 2) + (s_last - lo)) if n else np.zeros(0, np.int64)
        g = grp[order]
        sp = g[1:] == g[:-1]
        return cls(n, grp, ymin, kspan, lo, decom, dec, s_last, order, g, sp)


def _pair_rules(
    p: _Pairs, codes: dict[str, Codes], child_blank: np.ndarray
) -> dict[str, np.ndarray]:
    """Rules on consecutive episodes of a child in one return: 142, 501, 431, 432, 437."""
    nul = NULL_DAY
    rne, rec = codes["RNE"], codes["REC"]
    order, sp = p.order, p.sp
    od, oe = p.decom[order], p.dec[order]
    r_rec = rec.idx[order]  # -1 = blank: the luts' last entry
    rne_s = _lut(rne, ["S"])[rne.idx[order]]
    left = _lut(rec, _LEFT_CARE)[r_rec]
    prev_end = oe[:-1]
    nxt_start = od[1:]
    pe_ok = prev_end != nul
    ns_ok = nxt_start != nul
    first = order[:-1]  # the earlier row of each pair
    second = order[1:]
    return {
        "142": first[
            sp & ((prev_end == nul) | (r_rec[:-1] < 0)) & ~child_blank[first] & (od[:-1] != nul)
        ],
        "501": second[sp & pe_ok & (nxt_start < prev_end)],
        "431": second[sp & rne_s[1:] & pe_ok & ns_ok & (nxt_start <= prev_end)],
        "432": second[sp & left[:-1] & ~rne_s[1:]],
        "437": first[sp & (od[:-1] != nul) & _lut(rec, ["E2", "E15"])[r_rec[:-1]]],
    }


def _rule_433(p: _Pairs, rne: Codes) -> np.ndarray:
    """433 sorts by DEC too (missing last) and compares with the previous row's DEC."""
    nul = NULL_DAY
    od = p.decom[p.order]
    ties = p.sp & (od[1:] == od[:-1])
    if ties.any():
        has_dec = p.dec != nul
        dhi = int(p.dec[has_dec].max()) if has_dec.any() else 0
        s_dec = np.where(has_dec, np.minimum(p.dec, dhi), dhi + 1)
        order2 = argsort_stable(pack(p.grp, p.s_last, s_dec))
        g2 = p.grp[order2]
        sp2, od2, oe2 = g2[1:] == g2[:-1], p.decom[order2], p.dec[order2]
    else:  # no child with two episodes starting the same day: the same order
        order2, sp2, od2, oe2 = p.order, p.sp, od, p.dec[p.order]
    cont = _lut(rne, _CONTINUING)[rne.idx[order2][1:]]
    mism = (oe2[:-1] != od2[1:]) | (oe2[:-1] == nul) | (od2[1:] == nul)
    return np.asarray(order2[1:][sp2 & cont & mism])


def _rule_388(p: _Pairs, rec: Codes) -> np.ndarray:
    """388 fills a missing DECOM with 1901 (sorted first) and looks at the next DECOM."""
    nul = NULL_DAY
    has_decom = p.decom != nul
    if has_decom.all():
        order3, sp3, od3 = p.order, p.sp, p.decom[p.order]
    else:
        s_first = np.where(has_decom, p.decom, p.lo - 1)
        order3 = argsort_stable(pack(p.grp, s_first))
        g3 = p.grp[order3]
        sp3, od3 = g3[1:] == g3[:-1], s_first[order3]
    oe3 = p.dec[order3]
    r_rec3 = rec.idx[order3]
    x1 = _lut(rec, ["X1"])[r_rec3]
    known = r_rec3 >= 0
    hd3 = oe3 != nul
    nx3 = np.r_[sp3, False]  # this row has a next one
    nd3 = np.r_[od3[1:], nul]
    case1 = nx3 & x1 & hd3 & (oe3 != nd3)
    case2 = nx3 & ~x1 & known & hd3 & (oe3 == nd3)
    case3 = ~nx3 & hd3 & x1
    return np.asarray(order3[case1 | case2 | case3])


def _header_rules(header: Rows, p: _Pairs, hy: np.ndarray, hk: np.ndarray) -> np.ndarray:
    """301 and 302 (flagged on the header); returns the episode rows 302 points at."""
    nul = NULL_DAY
    n = p.n
    yrs = np.arange(int(hy.min()), int(hy.max()) + 1)  # 31 March per distinct year
    tab = np.where(
        yrs > 0, days_from_civil(yrs, np.full_like(yrs, 3), np.full_like(yrs, 31)), NULL_DAY
    )
    hye = tab[hy - int(hy.min())]
    dob, _ = _days(header.t.column("DOB"))
    h_dob = dob != NULL_DAY
    _flag(header, np.flatnonzero(h_dob & (dob > hye)), "301")
    # 302: the child's first episode in the return (earliest start) starts before the
    # birth; `g` is sorted, so a search finds each header row's first episode
    od = p.decom[p.order]
    cand = np.flatnonzero(h_dob & (dob > p.lo)) if n else np.zeros(0, np.int64)
    hgrp = (hy[cand] - p.ymin) * p.kspan + hk[cand]
    pos = np.searchsorted(p.g, hgrp)
    pc_ = np.minimum(pos, max(n - 1, 0))
    found = (pos < n) & (p.g[pc_] == hgrp) & (od[pc_] != nul)
    bad = found & (dob[cand] > od[pc_])
    _flag(header, cand[bad], "302")
    return np.unique(p.order[pc_[bad]])
