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

from ..._progress import progress
from ...atomic import atomic
from ...errors import SchemaError
from .._dates import (
    NULL_DAY,
    arrow_to_days,
    collection_year,
    days_from_civil,
    format_ddmmyyyy,
    year_end_day,
    year_start_day,
)
from ..ids import child_codes_for_files
from ..schema import EXIT_STATES, Mapping, canonical_states, load_mapping, state_labels
from .dfe import code_years

__all__ = ["write_ssda903"]

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


def _write_csv(t: pa.Table, path: Path) -> None:
    """CSV as councils write it: unquoted header and values (written atomically)."""
    with atomic(path) as tmp, open(tmp, "wb") as f:
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
    for c in ("child_id", "start", "end"):
        if c not in table.column_names:
            raise SchemaError(f"journey table has no {c!r} column")
    ep = _episode_rows(table, mp)
    if ep is None:
        return []
    c_start, c_end = ep["DECOM"], ep["DEC"]
    y_first = collection_year(c_start)
    data_end = max(int(c_start.max()), int(np.where(c_end == NULL_DAY, -1, c_end).max()))
    y_last_all = int(collection_year(np.array([data_end]))[0])
    yrs = (
        sorted(set(years)) if years is not None else list(range(int(y_first.min()), y_last_all + 1))
    )
    text = {
        "DEC": format_ddmmyyyy(np.where(c_end == NULL_DAY, NULL_DAY, c_end)),
        "DECOM": format_ddmmyyyy(c_start),
        "DOB": format_ddmmyyyy(ep["bm"]),
    }
    la_c = ep["LA"]
    la_rows = {str(a): np.flatnonzero(la_c == a) for a in np.unique(la_c)}
    written: list[Path] = []
    out = Path(out_dir)
    for y in progress(yrs, "writing SSDA903 returns", unit="year"):
        ys, ye = year_start_day(y), year_end_day(y)
        in_year = (c_start <= ye) & ((c_end == NULL_DAY) | (c_end >= ys))
        open_at_ye = (c_end == NULL_DAY) | (c_end > ye)
        for a, r_all in la_rows.items():
            r = r_all[in_year[r_all]]
            if len(r):
                written += _write_return(out / a, a, y, r, open_at_ye[r], ep, text)
    return written


def _write_return(
    d: Path,
    a: str,
    y: int,
    r: np.ndarray,
    op: np.ndarray,
    ep: dict[str, np.ndarray],
    text: dict[str, np.ndarray],
) -> list[Path]:
    """One council's return for year y: its episodes (rows r) and header files."""
    d.mkdir(parents=True, exist_ok=True)
    blank = pa.array([""] * len(r))
    t = pa.table(
        {
            "CHILD": pa.array(ep["CHILD"][r], pa.string()),
            "DECOM": pa.array(text["DECOM"][r]),
            "RNE": pa.array(ep["RNE"][r]),
            "LS": pa.array(ep["LS"][r], pa.string()),
            "CIN": pa.array(ep["CIN"][r], pa.string()),
            "PLACE": pa.array(_codes_of_year(ep["PLACE"][r], "PLACE", y), pa.string()),
            "PLACE_PROVIDER": pa.array(ep["PLACE_PROVIDER"][r]),
            "DEC": pa.array(np.where(op, "", text["DEC"][r])),
            "REC": pa.array(np.where(op, "", _codes_of_year(ep["REC"][r], "REC", y)).astype(str)),
            "REASON_PLACE_CHANGE": blank,
            "HOME_POST": blank,
            "PL_POST": blank,
            "URN": blank,
        }
    )
    p_ep = d / f"SSDA903_{a}_{y}_episodes.csv"
    _write_csv(t, p_ep)
    _kids, first_i = np.unique(ep["CHILD"][r], return_index=True)
    hr = r[first_i]
    sex = ep["SEX"][hr]
    if y <= 2024:
        sex = np.where(sex == "M", "1", np.where(sex == "F", "2", sex))
    hblank = pa.array([""] * len(hr))
    hd = pa.table(
        {
            "CHILD": pa.array(ep["CHILD"][hr], pa.string()),
            "SEX": pa.array(sex.astype(str)),
            "DOB": pa.array(text["DOB"][hr]),
            "ETHNIC": pa.array(ep["ETHNIC"][hr], pa.string()),
            "UPN": hblank,
            "MOTHER": hblank,
            "MC_DOB": hblank,
        }
    )
    p_hd = d / f"SSDA903_{a}_{y}_header.csv"
    _write_csv(hd, p_hd)
    return [p_ep, p_hd]


def _neighbours(table: pa.Table, st: np.ndarray) -> dict[str, np.ndarray]:
    """Spells sorted by child, start, care before exit (`order`), with per sorted row
    whether the next (previous) row is a contiguous care or exit spell of the child."""
    labels = state_labels()
    n = table.num_rows
    is_care = np.isin(st, np.array([labels.index(s) for s in LOOKED_AFTER]))
    is_exit = np.isin(st, np.array([labels.index(s) for s in EXIT_STATES]))
    start = arrow_to_days(table.column("start")).astype(np.int64)
    end = arrow_to_days(table.column("end")).astype(np.int64)
    ccode = np.asarray(
        pc.dictionary_encode(_str(table, "child_id", n)).indices.to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    order = np.lexsort((np.where(is_exit, 1, 0), start, ccode))
    k = ccode[order]
    same_next = np.r_[k[1:] == k[:-1], False]
    same_prev = np.r_[False, k[1:] == k[:-1]]
    o_care, o_exit = is_care[order], is_exit[order]
    o_start, o_end = start[order], end[order]
    meets_next = o_end == np.r_[o_start[1:], NULL_DAY]
    return {
        "order": order,
        "care": o_care,
        "start": o_start,
        "end": o_end,
        "state": st[order],
        "next_care": same_next & np.r_[o_care[1:], False] & meets_next,
        "next_exit": same_next & np.r_[o_exit[1:], False] & meets_next,
        "prev_care": same_prev
        & np.r_[False, o_care[:-1]]
        & (np.r_[NULL_DAY, o_end[:-1]] == o_start),
    }


def _episode_rows(table: pa.Table, mp: Mapping) -> dict[str, np.ndarray] | None:
    """Every care spell as an episode row (codes chosen so that reading back gives the
    same states), in child and start order; None when there is none."""
    n = table.num_rows
    nb = _neighbours(table, canonical_states(table))
    sel = np.flatnonzero(nb["care"])  # positions (in order) of care spells
    rows = nb["order"][sel]
    m = len(rows)
    ra = pa.array(rows)
    state_c = nb["state"][sel]
    c_start = nb["start"][sel]
    c_end = nb["end"][sel]
    place = _place_codes(_str(table, "placement", n).take(ra), state_c, mp)
    ls = np.asarray(
        pc.fill_null(_str(table, "legal_status", n).take(ra), "C2").to_numpy(zero_copy_only=False),
        dtype=object,
    )
    ls = np.where(np.isin(ls, list(mp.short_break_ls)), "C2", ls)
    # placement orders (E1) began in December 2005; before that the order was a freeing
    # order (D1), as DfE rules 445 and 446 say
    dec_2005 = int(days_from_civil(np.array([2005]), np.array([12]), np.array([1]))[0])
    ls = np.where((ls == "E1") & (c_start < dec_2005), "D1", ls)
    cin = _str(table, "category_of_need", n).take(ra)
    rec = _rec_codes(_str(table, "reason_ceased", n), nb, sel, mp)
    rec = np.where(nb["next_care"][sel], "X1", rec)
    rec = np.where(c_end == NULL_DAY, "", rec)
    la = pc.fill_null(_str(table, "la", n), "unknown")
    if m == 0:
        return None
    return {
        "CHILD": np.asarray(
            child_codes_for_files(_str(table, "child_id", n).take(ra), la.take(ra)).to_numpy(
                zero_copy_only=False
            ),
            dtype=object,
        ),
        "DECOM": c_start,
        "DEC": c_end,
        "RNE": _rne_codes(~nb["prev_care"][sel], place, ls),
        "LS": ls,
        "CIN": np.asarray(pc.fill_null(cin, "N1").to_numpy(zero_copy_only=False), dtype=object),
        "PLACE": place,
        "PLACE_PROVIDER": np.where(place == "P1", "PR0", "PR1"),
        "REC": rec,
        "LA": np.asarray(la.take(ra).to_numpy(zero_copy_only=False), dtype=object),
        **_header_fields(table, rows),
    }


def _header_fields(table: pa.Table, rows: np.ndarray) -> dict[str, np.ndarray]:
    """SEX, birth month and ETHNIC (broad groups as their 'any other' code) per row."""
    n = table.num_rows
    ra = pa.array(rows)
    sex = np.asarray(
        pc.fill_null(_str(table, "sex", n), "U").take(ra).to_numpy(zero_copy_only=False),
        dtype=object,
    )
    bm = (
        arrow_to_days(table.column("birth_month")).astype(np.int64)[rows]
        if "birth_month" in table.column_names
        else np.full(len(rows), NULL_DAY)
    )
    eth = np.asarray(
        _str(table, "ethnicity", n).take(ra).to_numpy(zero_copy_only=False), dtype=object
    )
    eth = np.array(
        [ETHNIC_GROUP_CODES.get(e.strip().lower(), e) if isinstance(e, str) else e for e in eth],
        dtype=object,
    )
    return {"SEX": sex, "bm": bm, "ETHNIC": eth}


def _place_codes(placement: pa.Array, state_c: np.ndarray, mp: Mapping) -> np.ndarray:
    """PLACE per care row: its own code where it maps to the spell's state (else reading
    back changes the state), else the state's default code."""
    labels = state_labels()
    place_default = np.array(
        [mp.place_default.get(labels[s], "Z1") for s in range(len(labels))], dtype=object
    )
    valid_place = pc.is_in(placement, value_set=pa.array(list(mp.place.keys())))
    pstate = pc.index_in(placement, value_set=pa.array(list(mp.place.keys())))
    pstate_np = np.asarray(pstate.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    map_states = np.array([labels.index(v) for v in mp.place.values()], dtype=np.int64)
    ok_place = np.asarray(valid_place.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    ok_place &= np.where(pstate_np >= 0, map_states[np.maximum(pstate_np, 0)], -1) == state_c
    return np.where(
        ok_place,
        np.asarray(placement.to_numpy(zero_copy_only=False), dtype=object),
        place_default[state_c],
    )


#: REC codes that record a fact a journey's exit state does not say (the child died, an age
#: assessment found the child 18 or over): DfE rule 437 allows no later episode after them,
#: so the writer uses them only where the table gives them, never as a state's default.
_FACT_RECS = frozenset({"E2", "E15"})


def _rec_defaults(mp: Mapping) -> dict[str, str]:
    """The REC written for an exit state when the table gives no code that maps to it:
    E8 ('ceased for any other reason') for the state E8 maps to, else the first code
    listed for the state that is not in ``_FACT_RECS``."""
    out: dict[str, str] = {}
    for c, s in mp.rec.items():
        if s and c not in _FACT_RECS:
            out.setdefault(s, c)
    if mp.rec.get("E8"):
        out[mp.rec["E8"]] = "E8"
    return {**mp.rec_default, **out}


def _rec_codes(
    reason: pa.Array, nb: dict[str, np.ndarray], sel: np.ndarray, mp: Mapping
) -> np.ndarray:
    """REC per care row (``reason``: the table's reason_ceased, every row): the care row's
    own code where it maps to the exit that follows (or 'Other exit' without one), else the
    exit spell's code where it maps to that exit (the synthetic England records the reason
    on the exit), else the exit state's default code (see :func:`_rec_defaults`)."""
    labels = state_labels()
    o_state = nb["state"]
    nxt = np.minimum(sel + 1, len(o_state) - 1)
    exit_label_idx = np.where(nb["next_exit"][sel], o_state[nxt], -1)
    defaults = _rec_defaults(mp)
    rec_default = np.array(
        [defaults.get(labels[s], "E8") for s in range(len(labels))] + ["E8"], dtype=object
    )
    rec_of_exit = rec_default[np.where(exit_label_idx >= 0, exit_label_idx, len(labels))]
    rec_codes = [c for c, v in mp.rec.items() if v]
    rec_state = np.array([labels.index(mp.rec[c]) for c in rec_codes] + [-2], dtype=np.int64)
    want = np.where(exit_label_idx >= 0, exit_label_idx, labels.index("Other exit"))

    def mapped(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        codes = reason.take(pa.array(nb["order"][rows]))
        ri = np.asarray(
            pc.index_in(codes, value_set=pa.array(rec_codes, pa.string()))
            .fill_null(len(rec_codes))
            .to_numpy(zero_copy_only=False),
            dtype=np.int64,
        )
        return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=object), rec_state[ri]

    own, own_state = mapped(sel)
    at_exit, exit_state = mapped(nxt)
    from_exit = (exit_label_idx >= 0) & (exit_state == want)
    return np.where(own_state == want, own, np.where(from_exit, at_exit, rec_of_exit))


def _rne_codes(first: np.ndarray, place: np.ndarray, ls: np.ndarray) -> np.ndarray:
    """RNE per care row: S after a gap (a contiguous previous care spell is the previous
    care row), L for a new legal status in the same placement, T for the same, else P."""
    prev_place = np.r_[np.array([None], dtype=object), place[:-1]]
    legal_prev = np.r_[np.array([None], dtype=object), ls[:-1]]
    same_place = (prev_place == place) & ~first
    return np.where(
        first, "S", np.where(same_place & (legal_prev != ls), "L", np.where(same_place, "T", "P"))
    )
