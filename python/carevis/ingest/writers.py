"""write_ssda903: a journey table back out as councils submit SSDA903 returns.

One header and one episodes CSV per council per collection year
(``<out>/<LA>/SSDA903_<LA>_<YEAR>_episodes.csv``), dates dd/mm/yyyy, episodes
still open at the year end written with blank DEC/REC and repeated in the next
year's return, SEX written 1/2 up to 2023-24 and M/F/U from 2024-25, broad ethnic groups
("White", "Mixed", ...) written as their group's "any other" code (WOTH, MOTH, ...).
Reading the files back gives the same journeys (state, start, end per child).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carevis.errors import SchemaError

from .._progress import progress
from ._dates import NULL_DAY, arrow_to_days, civil_from_days, days_from_civil, format_ddmmyyyy
from ._dfe import code_years
from .schema import EXIT_STATES, load_mapping, state_labels

__all__ = ["canonical_states", "child_codes_for_files", "collection_year", "write_ssda903"]

# Broad ethnic groups (as the synthetic England and the published tables give them) written
# as the group's "any other" SSDA903 code, so that the returns hold valid codes.
ETHNIC_GROUP_CODES = {
    "white": "WOTH",
    "mixed": "MOTH",
    "asian": "AOTH",
    "black": "BOTH",
    "other": "OOTH",
}
LOOKED_AFTER = (
    "Foster care (relative/friend)",
    "Foster care (other)",
    "Children's home & secure",
    "Supported / independent",
    "Placed with parents",
    "Placed for adoption",
    "Other placement",
)


def canonical_states(table: pa.Table) -> np.ndarray:
    """State column as indices into state_labels(), whatever its dictionary."""
    if "state" not in table.column_names:
        raise SchemaError("journey table has no 'state' column")
    s = table.column("state").cast(pa.string())
    idx = pc.index_in(s, value_set=pa.array(state_labels()))
    if idx.null_count:
        bad = pc.filter(s, pc.is_null(idx))[0].as_py()
        raise SchemaError(f"column 'state': {bad!r} is not a standard state")
    return np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64)


def collection_year(days: np.ndarray) -> np.ndarray:
    """Collection year (the March it ends in) of day numbers."""
    y, m, _ = civil_from_days(days)
    return (y + (m >= 4)).astype(np.int64)


def child_codes_for_files(child_id: pa.Array, la: pa.Array) -> pa.Array:
    """CHILD as written in a council's file: child_id without its 'LA-' prefix."""
    out = child_id
    la_np = np.asarray(la.to_numpy(zero_copy_only=False), dtype=object)
    for a in np.unique(la_np):
        prefix = f"{a}-"
        m = pa.array(la_np == a)
        strip = pc.and_(m, pc.starts_with(child_id, pattern=prefix))
        out = pc.if_else(strip, pc.utf8_slice_codeunits(child_id, len(prefix)), out)
    return out


def _write_csv(t: pa.Table, path: Path) -> None:
    """CSV as councils write it: unquoted header and values."""
    with open(path, "wb") as f:
        f.write((",".join(t.column_names) + "\n").encode())
        pacsv.write_csv(t, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _str(table: pa.Table, name: str, n: int) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(n, pa.string())
    c = table.column(name)
    c = c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
    return c.cast(pa.string())


#: The code that stands for another in a year where that one is not valid: the codes of
#: each pair map to the same journey state (code lists in data/ssda903_map.csv).
_SAME_IN_OTHER_YEARS = {
    "PLACE": {
        "Q1": "U3",
        "Q2": "U6",
        "U1": "Q1",
        "U2": "Q1",
        "U3": "Q1",
        "U4": "Q2",
        "U5": "Q2",
        "U6": "Q2",
        "K3": "H5",
        "H5": "K3",
        "P2": "K3",
        "Z1": "Z14",
        "Z11": "Z1",
        "Z12": "Z1",
        "Z13": "Z1",
        "Z14": "Z1",
    },
    "REC": {"E43": "E46", "E44": "E48", "E45": "E43", "E46": "E43", "E47": "E44", "E48": "E44"},
}


def _codes_of_year(codes: np.ndarray, field: str, year: int) -> np.ndarray:
    """``codes`` as a return for ``year`` writes them: a code outside its valid years is
    replaced by the code for the same thing in that year (an episode carried into a later
    return takes that return's code list, as councils recode them)."""
    valid = code_years().get(field, {})
    out: np.ndarray = codes.copy()
    for old, new in _SAME_IN_OTHER_YEARS[field].items():
        a, b = valid.get(old, (0, 9999))
        c, d = valid.get(new, (0, 9999))
        if not a <= year <= b and c <= year <= d:
            out[codes == old] = new
    return out


def write_ssda903(
    table: pa.Table,
    out_dir: str | os.PathLike[str],
    *,
    years: Iterable[int] | None = None,
    mapping: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write header and episodes CSVs per council per collection year; returns the paths."""
    mp = load_mapping(mapping)
    labels = state_labels()
    n = table.num_rows
    out = Path(out_dir)
    for c in ("child_id", "start", "end"):
        if c not in table.column_names:
            raise SchemaError(f"journey table has no {c!r} column")
    st = canonical_states(table)
    care_set = np.array([labels.index(s) for s in LOOKED_AFTER])
    exit_set = np.array([labels.index(s) for s in EXIT_STATES])
    is_care = np.isin(st, care_set)
    is_exit = np.isin(st, exit_set)
    child = _str(table, "child_id", n)
    la = pc.fill_null(_str(table, "la", n), "unknown")
    start = arrow_to_days(table.column("start")).astype(np.int64)
    end = arrow_to_days(table.column("end")).astype(np.int64)
    ccode = np.asarray(
        pc.dictionary_encode(child).indices.to_numpy(zero_copy_only=False), dtype=np.int64
    )
    order = np.lexsort((np.where(is_exit, 1, 0), start, ccode))
    # rows in order; neighbours are compared within a child
    k = ccode[order]
    same_next = np.r_[k[1:] == k[:-1], False]
    same_prev = np.r_[False, k[1:] == k[:-1]]
    o_care = is_care[order]
    o_exit = is_exit[order]
    o_start = start[order]
    o_end = end[order]
    o_state = st[order]
    next_care = same_next & np.r_[o_care[1:], False] & (o_end == np.r_[o_start[1:], NULL_DAY])
    next_exit = same_next & np.r_[o_exit[1:], False] & (o_end == np.r_[o_start[1:], NULL_DAY])
    prev_care = same_prev & np.r_[False, o_care[:-1]] & (np.r_[NULL_DAY, o_end[:-1]] == o_start)
    sel = np.flatnonzero(o_care)  # positions (in order) of care spells
    rows = order[sel]
    m = len(rows)
    placement = _str(table, "placement", n).take(pa.array(rows))
    legal = _str(table, "legal_status", n).take(pa.array(rows))
    cin = _str(table, "category_of_need", n).take(pa.array(rows))
    reason = _str(table, "reason_ceased", n).take(pa.array(rows))
    state_c = o_state[sel]
    place_default = np.array(
        [mp.place_default.get(labels[s], "Z1") for s in range(len(labels))], dtype=object
    )
    valid_place = pc.is_in(placement, value_set=pa.array(list(mp.place.keys())))
    # a placement code must map to the spell's state, or reading back changes the state
    pstate = pc.index_in(placement, value_set=pa.array(list(mp.place.keys())))
    pstate_np = np.asarray(pstate.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    map_states = np.array([labels.index(v) for v in mp.place.values()], dtype=np.int64)
    ok_place = np.asarray(valid_place.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    ok_place &= np.where(pstate_np >= 0, map_states[np.maximum(pstate_np, 0)], -1) == state_c
    place = np.where(
        ok_place,
        np.asarray(placement.to_numpy(zero_copy_only=False), dtype=object),
        place_default[state_c],
    )
    ls = np.asarray(pc.fill_null(legal, "C2").to_numpy(zero_copy_only=False), dtype=object)
    ls = np.where(np.isin(ls, list(mp.short_break_ls)), "C2", ls)
    # placement orders (E1) began in December 2005; before that the order was a freeing
    # order (D1), as DfE rules 445 and 446 say
    dec_2005 = int(days_from_civil(np.array([2005]), np.array([12]), np.array([1]))[0])
    c_start0 = o_start[sel]
    ls = np.where((ls == "E1") & (c_start0 < dec_2005), "D1", ls)
    cin_np = np.asarray(pc.fill_null(cin, "N1").to_numpy(zero_copy_only=False), dtype=object)
    # REC
    rec_np = np.asarray(reason.to_numpy(zero_copy_only=False), dtype=object)
    exit_label_idx = np.where(next_exit[sel], o_state[np.minimum(sel + 1, len(order) - 1)], -1)
    rec_default = np.array(
        [mp.rec_default.get(labels[s], "E8") for s in range(len(labels))] + ["E8"], dtype=object
    )
    rec_of_exit = rec_default[np.where(exit_label_idx >= 0, exit_label_idx, len(labels))]
    rec_codes = [c for c, v in mp.rec.items() if v]
    rec_state = np.array([labels.index(mp.rec[c]) for c in rec_codes] + [-2], dtype=np.int64)
    ri = np.asarray(
        pc.index_in(reason, value_set=pa.array(rec_codes, pa.string()))
        .fill_null(len(rec_codes))
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    want = np.where(exit_label_idx >= 0, exit_label_idx, labels.index("Other exit"))
    rec_valid = rec_state[ri] == want
    rec = np.where(rec_valid, rec_np, rec_of_exit)
    rec = np.where(next_care[sel], "X1", rec)
    c_start = o_start[sel]
    c_end = o_end[sel]
    rec = np.where(c_end == NULL_DAY, "", rec)
    # RNE
    first = ~prev_care[sel]  # a contiguous previous care spell is the previous care row
    prev_place = np.r_[np.array([None], dtype=object), place[:-1]]
    legal_prev = np.r_[np.array([None], dtype=object), ls[:-1]]
    same_place = (prev_place == place) & ~first
    rne = np.where(
        first, "S", np.where(same_place & (legal_prev != ls), "L", np.where(same_place, "T", "P"))
    )
    prov = np.where(place == "P1", "PR0", "PR1")
    la_c = np.asarray(la.take(pa.array(rows)).to_numpy(zero_copy_only=False), dtype=object)
    child_c = child.take(pa.array(rows))
    child_w = np.asarray(
        child_codes_for_files(child_c, la.take(pa.array(rows))).to_numpy(zero_copy_only=False),
        dtype=object,
    )
    # per-child attributes (first row of each child)
    sex_all = np.asarray(
        pc.fill_null(_str(table, "sex", n), "U")
        .take(pa.array(rows))
        .to_numpy(zero_copy_only=False),
        dtype=object,
    )
    bm = (
        arrow_to_days(table.column("birth_month")).astype(np.int64)[rows]
        if "birth_month" in table.column_names
        else np.full(m, NULL_DAY)
    )
    eth = np.asarray(
        _str(table, "ethnicity", n).take(pa.array(rows)).to_numpy(zero_copy_only=False),
        dtype=object,
    )
    eth = np.array(
        [ETHNIC_GROUP_CODES.get(e.strip().lower(), e) if isinstance(e, str) else e for e in eth],
        dtype=object,
    )

    if m == 0:
        return []
    y_first = collection_year(c_start)
    data_end = max(int(c_start.max()), int(np.where(c_end == NULL_DAY, -1, c_end).max()))
    y_last_all = int(collection_year(np.array([data_end]))[0])
    yrs = (
        sorted(set(years)) if years is not None else list(range(int(y_first.min()), y_last_all + 1))
    )
    written: list[Path] = []
    dec_s = format_ddmmyyyy(np.where(c_end == NULL_DAY, NULL_DAY, c_end))
    decom_s = format_ddmmyyyy(c_start)
    dob_s = format_ddmmyyyy(bm)
    las = np.unique(la_c)
    la_rows = {str(a): np.flatnonzero(la_c == a) for a in las}
    for y in progress(yrs, "writing SSDA903 returns", unit="year"):
        ys = int(days_from_civil(np.array([y - 1]), np.array([4]), np.array([1]))[0])
        ye = int(days_from_civil(np.array([y]), np.array([3]), np.array([31]))[0])
        in_year = (c_start <= ye) & ((c_end == NULL_DAY) | (c_end >= ys))
        open_at_ye = (c_end == NULL_DAY) | (c_end > ye)
        for a, r_all in la_rows.items():
            r = r_all[in_year[r_all]]
            if not len(r):
                continue
            d = out / a
            d.mkdir(parents=True, exist_ok=True)
            op = open_at_ye[r]
            ep = pa.table(
                {
                    "CHILD": pa.array(child_w[r], pa.string()),
                    "DECOM": pa.array(decom_s[r]),
                    "RNE": pa.array(rne[r]),
                    "LS": pa.array(ls[r], pa.string()),
                    "CIN": pa.array(cin_np[r], pa.string()),
                    "PLACE": pa.array(_codes_of_year(place[r], "PLACE", y), pa.string()),
                    "PLACE_PROVIDER": pa.array(prov[r]),
                    "DEC": pa.array(np.where(op, "", dec_s[r])),
                    "REC": pa.array(np.where(op, "", _codes_of_year(rec[r], "REC", y)).astype(str)),
                    "REASON_PLACE_CHANGE": pa.array([""] * len(r)),
                    "HOME_POST": pa.array([""] * len(r)),
                    "PL_POST": pa.array([""] * len(r)),
                    "URN": pa.array([""] * len(r)),
                }
            )
            p = d / f"SSDA903_{a}_{y}_episodes.csv"
            _write_csv(ep, p)
            written.append(p)
            _kids, first_i = np.unique(child_w[r], return_index=True)
            hr = r[first_i]
            sex = sex_all[hr]
            if y <= 2024:
                sex = np.where(sex == "M", "1", np.where(sex == "F", "2", sex))
            hd = pa.table(
                {
                    "CHILD": pa.array(child_w[hr], pa.string()),
                    "SEX": pa.array(sex.astype(str)),
                    "DOB": pa.array(dob_s[hr]),
                    "ETHNIC": pa.array(eth[hr], pa.string()),
                    "UPN": pa.array([""] * len(hr)),
                    "MOTHER": pa.array([""] * len(hr)),
                    "MC_DOB": pa.array([""] * len(hr)),
                }
            )
            p = d / f"SSDA903_{a}_{y}_header.csv"
            _write_csv(hd, p)
            written.append(p)
    return written
