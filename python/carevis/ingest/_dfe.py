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
from typing import TYPE_CHECKING

import numpy as np

from ._dates import NULL_DAY, days_from_civil, parse_dates
from .schema import DATA_DIR

if TYPE_CHECKING:
    from ._rows import Codes, Rows

__all__ = ["DFE_RULES", "check_dfe", "code_years"]

#: DfE number -> (fields, the DfE's message)
DFE_RULES: dict[str, tuple[str, str]] = {
    "143": ("RNE", "The reason for new episode code is not a valid code."),
    "144": ("LS", "The legal status code is not a valid code."),
    "146": ("PLACE", "Placement type code is not a valid code."),
    "149": ("REC", "Reason episode ceased code is not valid."),
    "142": ("DEC", "A new episode has started, but the previous episode has not ended."),
    "148": (
        "DEC",
        "Date episode ceased and reason episode ceased must both be coded, or both left blank.",
    ),
    "301": ("DOB", "Date of birth falls after the year ended."),
    "302": ("DOB", "First episode starts before child was born."),
    "354": (
        "DECOM",
        "Date episode started must be on or before the end of the current collection year.",
    ),
    "356": ("DEC", "The date the episode ceased is before the date the same episode started."),
    "385": (
        "DEC",
        "Date episode ceased must be on or before the end of the current collection year.",
    ),
    "388": (
        "REC",
        "Reason episode ceased is coded new episode begins, but there is no continuation episode.",
    ),
    "431": (
        "RNE",
        "The reason for new episode is started to be looked after, but the "
        "previous episode ended on the same day.",
    ),
    "432": (
        "RNE",
        "The child ceased to be looked after at the end of the previous episode "
        "but the reason for the new episode is not started to be looked after.",
    ),
    "433": (
        "RNE",
        "The reason for new episode suggests that this is a continuation episode, "
        "but the episode does not start on the same day as the last episode finished.",
    ),
    "437": (
        "REC",
        "Reason episode ceased is child has died or is aged 18 or over but there "
        "are further episodes.",
    ),
    "445": ("LS", "D1 is not a valid code for episodes starting after December 2005."),
    "446": ("LS", "E1 is not a valid code for episodes starting before December 2005."),
    "501": ("DECOM", "A new episode has started before the end date of the previous episode."),
}

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


def valid_in_year(c: Codes, field: str, year: np.ndarray) -> np.ndarray:
    """Per row: the code is in the field's list for the row's collection year (or blank)."""
    table = code_years().get(field, {})
    vals = c.values.to_pylist()
    first = np.array([table.get(v, (1, 0))[0] for v in vals] + [0], dtype=np.int64)
    last = np.array([table.get(v, (1, 0))[1] for v in vals] + [9999], dtype=np.int64)
    i = np.where(c.idx < 0, len(vals), c.idx)
    return np.asarray((first[i] <= year) & (year <= last[i]), dtype=bool)


def _flag(rows: Rows, mask: np.ndarray, code: str) -> int:
    idx = np.flatnonzero(mask)
    if len(idx):
        rows.report.add(
            f"dfe_{code}",
            "flagged",
            file_idx=rows.fi[idx],
            line=rows.ln[idx],
            field=DFE_RULES[code][0],
            rows=0,
            detail=DFE_RULES[code][1],
        )
    return len(idx)


def _shift(a: np.ndarray, k: int, fill: int) -> np.ndarray:
    out = np.full_like(a, fill)
    if k > 0:
        out[k:] = a[:-k]
    else:
        out[:k] = a[-k:]
    return out


def check_dfe(
    ep: Rows,
    *,
    key: np.ndarray,
    child_blank: np.ndarray,
    year: np.ndarray,
    year_end: np.ndarray,
    codes: dict[str, Codes],
    header: Rows | None = None,
    header_key: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Flag every DfE rule breach; returns rule -> flagged episode rows (for tests).

    `codes`: the episodes' RNE, LS, PLACE and REC as read (before any repair)."""
    from .ssda903 import _pack, argsort_stable

    out: dict[str, np.ndarray] = {}
    n = ep.n
    rne, ls, place, rec = codes["RNE"], codes["LS"], codes["PLACE"], codes["REC"]
    for code, c, fld in (("143", rne, "RNE"), ("144", ls, "LS"), ("146", place, "PLACE")):
        out[code] = ~valid_in_year(c, fld, year)
    out["149"] = ~valid_in_year(rec, "REC", year)
    pd_decom = parse_dates(ep.t.column("DECOM"))
    pd_dec = parse_dates(ep.t.column("DEC"))
    decom = pd_decom.days.astype(np.int64)
    dec = pd_dec.days.astype(np.int64)
    has_decom = decom != NULL_DAY
    has_dec = dec != NULL_DAY
    child_ok = ~child_blank
    out["148"] = (pd_dec.blank & ~rec.null) | (~pd_dec.blank & rec.null)
    out["356"] = has_dec & has_decom & (dec < decom)
    out["354"] = has_decom & (decom > year_end)
    out["385"] = has_dec & (dec > year_end)
    is_d1, is_e1 = ls.equals("D1"), ls.equals("E1")
    out["445"] = is_d1 & has_decom & (decom > _DEC_2005_END)
    out["446"] = is_e1 & has_decom & (decom < _DEC_2005_START)

    # -- rules on consecutive episodes of a child in one return ------------------------
    lo = int(decom[has_decom].min()) if has_decom.any() else 0
    hi = int(decom[has_decom].max()) if has_decom.any() else 0
    grp = _pack(year, key) if n else np.zeros(0, np.int64)
    s_last = np.where(has_decom, decom, hi + 1)  # pandas sorts missing dates last
    order = argsort_stable(_pack(grp, s_last)) if n else np.zeros(0, np.int64)
    g = grp[order]
    same_prev = np.r_[False, g[1:] == g[:-1]] if n else np.zeros(0, bool)
    same_next = np.r_[g[1:] == g[:-1], False] if n else np.zeros(0, bool)
    o_decom, o_dec = decom[order], dec[order]
    o_hdecom, o_hdec = has_decom[order], has_dec[order]
    p_dec = _shift(o_dec, 1, NULL_DAY)
    p_hdec = _shift(o_hdec.astype(np.int64), 1, 0).astype(bool)
    r_rec = rec.idx[order]
    rne_s = rne.equals("S")[order]
    rec_left = rec.isin(_LEFT_CARE)[order]
    p_left = _shift(rec_left.astype(np.int64), 1, 0).astype(bool)

    def back(mask_sorted: np.ndarray) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        m[order[mask_sorted]] = True
        return m

    out["142"] = back(same_next & (~o_hdec | (r_rec < 0)) & child_ok[order] & o_hdecom)
    out["501"] = back(same_prev & o_hdecom & p_hdec & (o_decom < p_dec))
    out["431"] = back(same_prev & rne_s & o_hdecom & p_hdec & (o_decom <= p_dec))
    out["432"] = back(same_prev & p_left & ~rne_s)
    out["437"] = back(same_next & o_hdecom & rec.isin(("E2", "E15"))[order])
    # 433 sorts by DEC too (missing last) and compares with the previous row's DEC
    dhi = int(dec[has_dec].max()) if has_dec.any() else 0
    s_dec = np.where(has_dec, np.minimum(dec, dhi), dhi + 1)
    ties = same_prev & (o_decom == _shift(o_decom, 1, NULL_DAY))
    # no child with two episodes starting the same day: the same order
    order2 = argsort_stable(_pack(grp, s_last, s_dec)) if ties.any() else order
    g2 = grp[order2]
    sp2 = np.r_[False, g2[1:] == g2[:-1]] if n else np.zeros(0, bool)
    pdec2 = _shift(dec[order2], 1, NULL_DAY)
    cont = rne.isin(_CONTINUING)[order2]
    mism = (pdec2 != decom[order2]) | (pdec2 == NULL_DAY) | ~has_decom[order2]
    m433 = np.zeros(n, dtype=bool)
    m433[order2[cont & sp2 & mism]] = True
    out["433"] = m433
    # 388 fills a missing DECOM with 1901 (sorted first) and looks at the next DECOM
    s_first = np.where(has_decom, decom, lo - 1)
    order3 = argsort_stable(_pack(grp, s_first)) if not has_decom.all() else order
    g3 = grp[order3]
    nx3 = np.r_[g3[1:] == g3[:-1], False] if n else np.zeros(0, bool)
    nd3 = _shift(s_first[order3], -1, NULL_DAY)
    d3, hd3 = dec[order3], has_dec[order3]
    x3 = rec.equals("X1")[order3]
    known3 = ~rec.null[order3]
    case1 = nx3 & x3 & hd3 & (d3 != nd3)
    case2 = nx3 & ~x3 & known3 & hd3 & (d3 == nd3)
    case3 = ~nx3 & hd3 & x3
    m388 = np.zeros(n, dtype=bool)
    m388[order3[case1 | case2 | case3]] = True
    out["388"] = m388

    # -- header rules ------------------------------------------------------------------
    if header is not None and header_key is not None and header.n:
        hy = np.asarray(header.t.column("_year").to_numpy(), dtype=np.int64)
        hye = np.where(
            hy > 0, days_from_civil(hy, np.full_like(hy, 3), np.full_like(hy, 31)), NULL_DAY
        )
        dob = parse_dates(header.t.column("DOB")).days.astype(np.int64)
        h_dob = dob != NULL_DAY
        _flag(header, h_dob & (dob > hye), "301")
        # 302: the first episode of each child (per return) starts before the birth
        first = np.zeros(n, dtype=bool)
        valid_sorted = o_hdecom
        start_grp = ~same_prev
        # the first row of each group holds the earliest DECOM when it has one
        first[order[start_grp & valid_sorted]] = True
        fdecom = decom[first]
        hgrp = _pack(hy, header_key) if len(hy) else np.zeros(0, np.int64)
        both = np.concatenate([grp, hgrp])
        u, inv = np.unique(both, return_inverse=True)
        e_code, h_code = inv[:n], inv[n:]
        first_decom = np.full(len(u), NULL_DAY, dtype=np.int64)
        first_decom[e_code[first]] = fdecom
        hd = first_decom[h_code]
        bad_h = h_dob & (hd != NULL_DAY) & (dob > hd)
        _flag(header, bad_h, "302")
        hdob_by = np.full(len(u), -1, dtype=np.int64)  # latest DOB of the child's headers
        if bad_h.any():
            np.maximum.at(hdob_by, h_code[bad_h], 1)
        out["302"] = first & (hdob_by[e_code] > 0)
    for code in sorted(out):
        _flag(ep, out[code], code)
    return out
