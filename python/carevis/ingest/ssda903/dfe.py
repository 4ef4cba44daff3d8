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
from functools import lru_cache

import numpy as np
import pyarrow as pa

from carevis import _native

from .._arrow import dict_indices
from .._dates import NULL_DAY, days_from_civil, parse_dates
from .._rows import Codes, Rows
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
    return np.asarray(rows[(y < first) | (y > last)])


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
    idx = dict_indices(col)
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
    RNE, LS, PLACE and REC as read (before any repair). The rules on consecutive
    episodes (and 302) run in the Rust core (``rust/src/ingest/dfe.rs``)."""
    out = _row_rules(ep, year, year_end, decom, dec, codes)
    use_header = header is not None and header_key is not None and header.t.num_rows > 0
    hy = (
        np.asarray(header.t.column("_year").to_numpy(), dtype=np.int64)
        if use_header and header is not None
        else np.zeros(0, np.int64)
    )
    hk = header_key if use_header and header_key is not None else np.zeros(0, np.int64)
    n = len(key)
    ymin = int(min(year.min() if n else 0, hy.min() if len(hy) else 0))
    kspan = int(max(key.max() if n else 0, hk.max() if len(hk) else 0)) + 1
    dob = np.zeros(0, np.int64)
    if use_header and header is not None:
        dob, _ = _days(header.t.column("DOB"))
        _flag(header, np.flatnonzero((dob != NULL_DAY) & (dob > _march_31(hy))), "301")
    got = _native.dfe_sequence_rules(
        _i64((year - ymin) * kspan + key),
        _i64(decom),
        _i64(dec),
        _flags(codes, child_blank),
        NULL_DAY,
        _i64((hy - ymin) * kspan + hk),
        _i64(dob),
    )
    if use_header and header is not None:
        _flag(header, np.asarray(got.pop("302_header")), "302")
    else:
        got.pop("302")
    got.pop("302_header", None)
    out.update({k: np.asarray(v) for k, v in got.items()})
    for code in sorted(out):
        _flag(ep, out[code], code)
    return out


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _march_31(years: np.ndarray) -> np.ndarray:
    """31 March of each collection year (NULL_DAY for an unknown year), per distinct year."""
    if not len(years):
        return np.zeros(0, np.int64)
    y0 = int(years.min())
    yrs = np.arange(y0, int(years.max()) + 1)
    tab = np.where(
        yrs > 0, days_from_civil(yrs, np.full_like(yrs, 3), np.full_like(yrs, 31)), NULL_DAY
    )
    return np.asarray(tab[years - y0], dtype=np.int64)


# bits of each row's flags for the Rust rules (rust/src/ingest/dfe.rs)
_RNE_S, _RNE_CONT, _REC_LEFT, _REC_E2_E15, _REC_X1, _REC_KNOWN, _CHILD_BLANK = (
    1,
    2,
    4,
    8,
    16,
    32,
    64,
)


def _flags(codes: dict[str, Codes], child_blank: np.ndarray) -> np.ndarray:
    """Per row: RNE S / continuing, REC left care / E2 or E15 / X1 / not blank, CHILD
    blank, as bits; worked out per dictionary value, then gathered."""
    rne, rec = codes["RNE"], codes["REC"]
    rne_bits = _lut(rne, ["S"]) * _RNE_S | _lut(rne, _CONTINUING) * _RNE_CONT
    known = np.r_[np.ones(len(rec.values), bool), False]
    rec_bits = (
        _lut(rec, _LEFT_CARE) * _REC_LEFT
        | _lut(rec, ["E2", "E15"]) * _REC_E2_E15
        | _lut(rec, ["X1"]) * _REC_X1
        | known * _REC_KNOWN
    )
    f = rne_bits.astype(np.uint8)[rne.idx] | rec_bits.astype(np.uint8)[rec.idx]
    return np.ascontiguousarray(f | (np.asarray(child_blank, bool) * np.uint8(_CHILD_BLANK)))


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
