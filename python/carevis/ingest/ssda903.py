"""read_ssda903: SSDA903 returns (many years, many councils) -> the journey table.

Pipeline, all vectorised (numpy / pyarrow, no per-row Python):
1. parse files (``_files``), one string table per 903 table;
2. validate rows: reject what cannot be used, repair what can, report both;
3. stitch episodes per child: drop duplicates and superseded rows, close open
   episodes, clip overlaps, close X1 gaps (``_stitch``);
4. map episodes to states through the mapping table, add exit spells, join
   per-child attributes (header, then UASC) and build the canonical table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..privacy import warn_raw_ids
from . import _stitch
from ._dates import (
    NULL_DAY,
    civil_from_days,
    days_from_civil,
    days_to_arrow,
    parse_dates,
)
from ._dfe import check_dfe
from ._files import expand_paths, read_903_files
from ._rows import Codes, Rows
from ._years import YearOverride
from .ids import UNKNOWN_LA, child_keys_parts
from .report import IngestResult, ValidationReport, write_csv_atomic
from .schema import LOST, Mapping, load_codes, load_mapping, make_journey_table, state_labels

__all__ = ["build_journeys", "read_ssda903"]

PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def read_ssda903(
    paths_or_dirs: PathsArg,
    *,
    mapping: str | os.PathLike[str] | None = None,
    include_short_breaks: bool = False,
    hash_key: str | bytes | None = None,
    keep_ids: bool = False,
    keep_birth_date: bool = False,
    strict: bool = False,
    rejects: str | os.PathLike[str] | None = None,
    exit_dwell_days: int = 28,
    la: str | None = None,
    year: YearOverride = None,
) -> IngestResult:
    """Read SSDA903 returns (CSV or XML files, or folders of them) into journeys.

    Parameters
    ----------
    paths_or_dirs: files and/or folders (searched recursively for .csv/.xml).
    mapping: a CSV replacing ``carevis/data/ssda903_map.csv`` (field, code, state).
    include_short_breaks: keep episodes with LS V3/V4 (excluded by default).
    hash_key: secret for HMAC-SHA256 child ids; without it ids are ``LA-CHILD``.
    keep_ids: let raw ids into the report and add a ``source_child`` column.
    keep_birth_date: add a ``birth_date`` column (``birth_month`` is always there).
    strict: raise DataError at the first error instead of rejecting/repairing.
    rejects: write the rejected source rows (ids redacted unless keep_ids) here.
    exit_dwell_days: how long exit spells last (cut short by a re-entry).
    la: council code for files whose columns and names do not say.
    year: collection year (the March it ends in) for every file, or {file: year};
        by default each return's dates decide it, its name is a hint, and the
        report says for every file which year was used and why.
    """
    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    if hash_key is None and not keep_ids:
        warn_raw_ids()
    paths = expand_paths(paths_or_dirs)
    tables, _failed = read_903_files(paths, report, la=la, year=year)
    mp = load_mapping(mapping)
    table, rows = build_journeys(
        tables,
        report,
        mp,
        include_short_breaks=include_short_breaks,
        hash_key=hash_key,
        keep_ids=keep_ids,
        keep_birth_date=keep_birth_date,
        exit_dwell_days=exit_dwell_days,
    )
    report.check_strict()
    if rejects is not None:
        write_rejects(rows, report, rejects, keep_ids)
    return IngestResult(table, report, files=report.files, files_failed=len(report.failed_files))


def write_rejects(
    rows: list[Rows], report: ValidationReport, path: str | os.PathLike[str], keep_ids: bool
) -> None:
    from ..privacy import REDACTED, is_identifying

    parts = [t for r in rows if (t := r.rejected_table(report.files)) is not None]
    cols = ["table", "file", "line", "rule"]
    if parts:
        allc = list(
            dict.fromkeys(
                c for t in parts for c in t.column_names if not c.startswith("_") and c not in cols
            )
        )
        norm = []
        for t in parts:
            for c in allc:
                if c not in t.column_names:
                    t = t.append_column(c, pa.nulls(t.num_rows, pa.string()))
            norm.append(t.select(cols + allc))
        out = pa.concat_tables(norm)
        if not keep_ids:
            for c in out.column_names:
                if is_identifying(c):
                    i = out.column_names.index(c)
                    out = out.set_column(
                        i, c, pc.if_else(pc.is_null(out.column(c)), None, pa.scalar(REDACTED))
                    )
    else:
        out = pa.table({c: pa.array([], pa.string()) for c in cols})
    write_csv_atomic(out, path)


def _fill_la(r: Rows) -> pa.Array:
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
    return ye[y - lo].astype(np.int64)


def _date_col(r: Rows, name: str, *, required: bool, reject_invalid: bool) -> np.ndarray:
    raw = r.t.column(name).combine_chunks()
    if not pa.types.is_dictionary(raw.type):
        raw = pc.dictionary_encode(raw)  # a few thousand distinct dates: parse those
    p = parse_dates(raw)
    if required:
        r.reject(p.blank, "missing_value", name)
    if reject_invalid:
        r.reject(p.invalid, "invalid_date", name, raw)
    else:
        r.repair(p.invalid, "invalid_date", name, raw, detail="set to blank")
    r.repair(p.two_digit_year, "two_digit_year", name, raw)
    return p.days.astype(np.int64)


def _check(
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


def build_journeys(
    tables: dict[str, pa.Table],
    report: ValidationReport,
    mp: Mapping,
    *,
    include_short_breaks: bool,
    hash_key: str | bytes | None,
    keep_ids: bool,
    keep_birth_date: bool,
    exit_dwell_days: int,
) -> tuple[pa.Table, list[Rows]]:
    codes = load_codes()
    ep_t = tables.get("episodes")
    if ep_t is None:
        from ._files import SPEC

        ep_t = (
            pa.table({c: pa.array([], pa.string()) for c in SPEC["episodes"].keep})
            .append_column("_file", pa.array([], pa.int32()))
            .append_column("_line", pa.array([], pa.int64()))
            .append_column("_la", pa.array([], pa.string()).dictionary_encode())
            .append_column("_year", pa.array([], pa.int32()))
        )
    ep = Rows("episodes", ep_t, report)
    others = {k: Rows(k, v, report) for k, v in tables.items() if k != "episodes"}

    # -- ids for every table at once, so codes agree across tables ----------
    ep_la = _fill_la(ep)
    others_la = {k: _fill_la(r) for k, r in others.items()}
    child = ep.t.column("CHILD").combine_chunks()
    uniq_ids, keys, all_blank = child_keys_parts(
        [(ep_la, child)]
        + [(others_la[k], r.t.column("CHILD").combine_chunks()) for k, r in others.items()],
        hash_key,
    )
    ep_key = keys[: ep.n]
    child_blank = all_blank[: ep.n]

    # -- episodes: row rules ------------------------------------------------
    ep.reject(child_blank, "missing_value", "CHILD")
    ls = Codes(ep.t.column("LS"))
    place = Codes(ep.t.column("PLACE"))
    rec = Codes(ep.t.column("REC"))
    rec_idx0 = rec.idx.copy()  # before late DECs blank some
    rne = Codes(ep.t.column("RNE"))
    cin = Codes(ep.t.column("CIN"))
    prov = Codes(ep.t.column("PLACE_PROVIDER"))

    decom = _date_col(ep, "DECOM", required=True, reject_invalid=True)
    dec = _date_col(ep, "DEC", required=False, reject_invalid=True)
    raw_dec_a = ep.t.column("DEC").combine_chunks()
    ep.reject(
        (dec != NULL_DAY) & (decom != NULL_DAY) & (dec < decom),
        "end_before_start",
        "DEC",
        raw_dec_a,
    )
    year = np.asarray(ep.t.column("_year").to_numpy(), dtype=np.int64).copy()
    ye = _year_end(year)
    h_off = ep.n
    for k, r in others.items():
        if k == "header":
            break
        h_off += r.n
    check_dfe(
        ep,
        key=ep_key,
        child_blank=child_blank,
        year=year,
        year_end=ye,
        decom=decom,
        dec=dec,
        codes={"RNE": rne, "LS": ls, "PLACE": place, "REC": rec},
        header=others.get("header"),
        header_key=keys[h_off : h_off + others["header"].n] if "header" in others else None,
    )
    ep.reject(
        (decom > ye) & (year > 0),
        "start_after_year_end",
        "DECOM",
        ep.t.column("DECOM").combine_chunks(),
    )
    late = ep.repair(
        (dec != NULL_DAY) & (dec > ye) & (year > 0), "end_after_year_end", "DEC", raw_dec_a
    )
    dec = np.where(late, NULL_DAY, dec)
    rec_blank_orig = rec.null & ~late
    if late.any():
        rec.set_null(late)
    if not include_short_breaks and mp.short_break_ls:
        ep.reject(ls.isin(mp.short_break_ls), "short_break", "LS", ls.raw)
    ls, _ = _check(ep, "LS", codes.get("LS", frozenset()) | mp.short_break_ls, codes=ls)
    rne, _ = _check(ep, "RNE", codes.get("RNE", frozenset()), codes=rne)
    cin, _ = _check(ep, "CIN", codes.get("CIN", frozenset()), codes=cin)
    ep.repair(place.null, "missing_value", "PLACE", detail="placed in 'Other placement'")
    place, _ = _check(
        ep, "PLACE", mp.place.keys(), detail="placed in 'Other placement'", codes=place
    )
    rec_late = rec.idx.copy()
    rec.idx = rec_idx0
    rec, rec_bad = _check(
        ep, "REC", mp.rec.keys(), detail="reason unknown: 'Other exit'", codes=rec
    )
    rec.set_null(rec_late < 0)

    # -- stitch ---------------------------------------------------------------
    la_codes = Codes(ep_la, upper=False).idx
    la_max = np.full(max(int(la_codes.max()) + 1, 1) if ep.n else 1, -1, dtype=np.int64)
    if ep.n:
        np.maximum.at(la_max, la_codes, year)
    st = _stitch.stitch(
        ep,
        key=ep_key,
        decom=decom,
        dec=dec,
        year=year,
        year_end=ye,
        la_max_year=la_max[la_codes] if ep.n else year,
        rec_is_x1=rec.equals("X1"),
        rec_known=~rec.null,
        rec_blank=rec_blank_orig & ~rec_bad,
        content=[dec, ls.idx, place.idx, rec.idx, rne.idx, cin.idx, prov.idx],
        raw_dec=raw_dec_a,
    )
    idx = st.idx  # kept episode rows in (child, start) order

    # -- states ---------------------------------------------------------------
    labels = state_labels()
    other_place = labels.index("Other placement")
    other_exit = labels.index("Other exit")
    lost_state = labels.index(LOST)
    care_state = place.map_to({c: labels.index(s) for c, s in mp.place.items()}, other_place)[
        idx
    ].astype(np.int32)
    rec_table = {c: labels.index(s) for c, s in mp.rec.items() if s}
    exit_state = np.where(
        st.lost,
        lost_state,
        np.where(st.rec_unknown, other_exit, rec.map_to(rec_table, other_exit)[idx]),
    ).astype(np.int32)
    report.lost_to_follow_up += len(np.unique(ep_key[idx[st.lost]]))
    # REC of each kept episode as codes into rec.values + ["X1"] (-1 = none).
    rec_vals = pa.concat_arrays([rec.values.cast(pa.string()), pa.array(["X1"])])
    rec_k = np.where(
        st.rec_x1, len(rec.values), np.where(st.rec_unknown | st.lost, -1, rec.idx[idx])
    )

    has_exit = (st.dec != NULL_DAY) & ~st.rec_x1
    exit_end = st.dec + exit_dwell_days
    exit_end = np.where(st.has_next, np.minimum(exit_end, st.next_decom), exit_end)
    m = len(idx)
    n_exit = int(has_exit.sum())
    pos_care = np.arange(m) + np.cumsum(has_exit) - has_exit
    pos_exit = (pos_care + 1)[has_exit]
    total = m + n_exit
    src = np.empty(total, dtype=np.int64)  # the episode row of each spell
    src[pos_care] = idx
    src[pos_exit] = idx[has_exit]
    is_exit = np.zeros(total, dtype=bool)
    is_exit[pos_exit] = True
    state = np.empty(total, dtype=np.int32)
    state[pos_care] = care_state
    state[pos_exit] = exit_state[has_exit]
    start = np.empty(total, dtype=np.int64)
    start[pos_care] = st.decom
    start[pos_exit] = st.dec[has_exit]
    end = np.empty(total, dtype=np.int64)
    end[pos_care] = st.dec
    end[pos_exit] = exit_end[has_exit]
    ep_pos = np.empty(total, dtype=np.int64)  # position among kept episodes
    ep_pos[pos_care] = np.arange(m)
    ep_pos[pos_exit] = np.flatnonzero(has_exit)

    src_a = pa.array(src)
    spell_key = ep_key[src]

    # -- per-child attributes ---------------------------------------------------
    nkeys = int(keys.max()) + 1 if len(keys) else 0
    has_ep = np.zeros(nkeys + 1, dtype=bool)
    has_ep[ep_key[idx]] = True
    kept_children = np.flatnonzero(has_ep)
    attr_row = np.full(nkeys, -1, dtype=np.int64)  # row in the concatenated attribute arrays
    sex_parts: list[np.ndarray] = []
    eth_parts: list[tuple[pa.Array, np.ndarray]] = []  # (values, codes) per table
    dob_parts: list[np.ndarray] = []
    base = 0
    start_off = ep.n
    for name, r in others.items():
        rkey = keys[start_off : start_off + r.n]
        r.reject(all_blank[start_off : start_off + r.n], "missing_value", "CHILD")
        start_off += r.n
        if name == "placed_for_adoption":
            _date_col(r, "DATE_PLACED", required=True, reject_invalid=True)
            r.reject(~has_ep[rkey], "child_without_episodes", "CHILD", r.t.column("CHILD"))
            continue
        sex_i = _sex(r)
        dob = _date_col(r, "DOB", required=False, reject_invalid=False)
        if name == "header":
            eth_c, _ = _check(r, "ETHNIC", codes.get("ETHNIC", frozenset()))
            eth = (eth_c.values.cast(pa.string()), eth_c.idx)
            ryear = np.asarray(r.t.column("_year").to_numpy(), dtype=np.int64)
            lead = _dedup_header(r, rkey, ryear, [sex_i, dob, eth_c.idx])
        else:
            eth = (pa.array([], pa.string()), np.full(r.n, -1, dtype=np.int64))
            lead = r.alive.copy()
        r.reject(~has_ep[rkey], "child_without_episodes", "CHILD", r.t.column("CHILD"))
        use = np.flatnonzero(lead & r.alive)
        use = use[attr_row[rkey[use]] < 0]  # header first, UASC only fills gaps
        _, first = np.unique(rkey[use], return_index=True)
        use = use[first]
        attr_row[rkey[use]] = base + use
        sex_parts.append(sex_i)
        eth_parts.append(eth)
        dob_parts.append(dob)
        base += r.n
    no_hdr = kept_children[attr_row[kept_children] < 0] if nkeys else kept_children
    if len(no_hdr):
        kk = ep_key[idx]
        first_rows = idx[np.r_[True, kk[1:] != kk[:-1]]]
        fr = first_rows[np.isin(ep_key[first_rows], no_hdr)]
        ep.repair_idx(fr, "missing_header", "CHILD", detail="sex 'U', birth month blank")

    arow = attr_row[spell_key] if nkeys else np.full(total, -1, dtype=np.int64)
    has_attr = arow >= 0
    arow0 = np.maximum(arow, 0)
    if sex_parts:
        sex_s = np.where(has_attr, np.concatenate(sex_parts)[arow0], 2)  # 2 = "U"
        eth_vals, eth_idx = _concat_codes(eth_parts)
        eth_s = np.where(has_attr, eth_idx[arow0], -1)
        dob_s = np.where(has_attr, np.concatenate(dob_parts)[arow0], NULL_DAY)
    else:
        sex_s = np.full(total, 2, dtype=np.int64)
        eth_vals, eth_s = pa.array([], pa.string()), np.full(total, -1, dtype=np.int64)
        dob_s = np.full(total, NULL_DAY, dtype=np.int64)
    bm = _month_start(dob_s)
    open_spell = end >= NULL_DAY
    reason = np.where(open_spell, -1, rec_k[ep_pos])

    cols: dict[str, pa.Array] = {
        "child_id": _dict(uniq_ids, spell_key),
        "state": pa.DictionaryArray.from_arrays(pa.array(state, pa.int32()), pa.array(labels)),
        "start": days_to_arrow(start.astype(np.int32)),
        "end": days_to_arrow(np.where(open_spell, NULL_DAY, end).astype(np.int32)),
        "la": _dict(ep_la.dictionary, ep_la.indices.to_numpy(zero_copy_only=False)[src]),
        "sex": _dict(pa.array(["M", "F", "U"]), sex_s),
        "birth_month": days_to_arrow(bm.astype(np.int32)),
        "ethnicity": _dict(eth_vals, eth_s),
        "placement": _dict(place.values, np.where(is_exit, -1, place.idx[src])),
        "legal_status": _dict(ls.values, np.where(is_exit, -1, ls.idx[src])),
        "category_of_need": _dict(cin.values, np.where(is_exit, -1, cin.idx[src])),
        "reason_ceased": _dict(rec_vals, reason),
    }
    extra: dict[str, pa.Array] = {}
    if keep_birth_date:
        extra["birth_date"] = days_to_arrow(dob_s.astype(np.int32))
    if keep_ids:
        extra["source_child"] = pc.utf8_trim_whitespace(child.take(src_a).cast(pa.string()))
    rows = [ep, *others.values()]
    return make_journey_table(cols, extra), rows


def _dict(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """Strings by code into `values` (-1 = null): built as a dictionary array whose last
    entry is null, so the one gather of text happens in the cast to the contract's
    string type and no validity mask is built."""
    codes = np.asarray(codes)
    n = len(values)
    if not n:
        return pa.nulls(len(codes), pa.string())
    idx = np.where(codes < 0, n, codes).astype(np.int32)
    vals = pa.concat_arrays([values.cast(pa.string()), pa.nulls(1, pa.string())])
    return pa.DictionaryArray.from_arrays(pa.array(idx), vals)


def _concat_codes(parts: list[tuple[pa.Array, np.ndarray]]) -> tuple[pa.Array, np.ndarray]:
    """(values, codes) of several tables as one: values appended, codes shifted."""
    vals, idx, base = [], [], 0
    for v, c in parts:
        vals.append(v)
        idx.append(np.where(c >= 0, c + base, -1))
        base += len(v)
    return pa.concat_arrays(vals), np.concatenate(idx)


def _month_start(days: np.ndarray) -> np.ndarray:
    """The first of the month of each day number (NULL_DAY stays NULL_DAY), through a
    table over the days' range (birth dates span decades, not millions of days)."""
    days = np.asarray(days, dtype=np.int64)
    ok = days != NULL_DAY
    if not ok.any():
        return np.array(days, copy=True)
    lo, hi = int(days[ok].min()), int(days[ok].max())
    span = np.arange(lo, hi + 1, dtype=np.int64)
    _, _, dd = civil_from_days(span)
    table = span - (dd - 1)
    return np.where(ok, table[np.where(ok, days, lo) - lo], NULL_DAY)


def _sex(r: Rows) -> np.ndarray:
    """SEX as 0 = M, 1 = F, 2 = U: 1/2 (to 2023-24) and M/F/U (from 2024-25) both read."""
    c = Codes(r.t.column("SEX"))
    v = c.map_to({"1": 0, "M": 0, "2": 1, "F": 1, "U": 2}, -1)
    bad = (v < 0) & ~c.null
    r.repair(bad, "invalid_code", "SEX", c.raw, detail="set to 'U'")
    return np.where(v < 0, 2, v)


def _dedup_header(
    r: Rows, key: np.ndarray, year: np.ndarray, content: list[np.ndarray]
) -> np.ndarray:
    """Keep one header row per child (latest year, then last line); report the rest."""
    alive = np.flatnonzero(r.alive)
    if not len(alive):
        return np.array(r.alive, dtype=bool)
    order, last, dup, sup, conf = _stitch.latest_in_groups(alive, [key], year, content)
    lead = np.zeros(r.n, bool)
    lead[order[last]] = True
    r.supersede(dup, "duplicate_header", "CHILD", r.t.column("CHILD").combine_chunks())
    r.supersede(sup, "superseded_header", "CHILD", r.t.column("CHILD").combine_chunks())
    r.reject(
        conf,
        "conflicting_header",
        "CHILD",
        r.t.column("CHILD").combine_chunks(),
        detail="kept the last row",
    )
    return lead


def argsort_stable(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")``, in parallel in the Rust core when built."""
    try:
        from carevis._native import argsort_stable as native
    except ImportError:
        return np.argsort(keys, kind="stable")
    return np.asarray(native(np.ascontiguousarray(keys, dtype=np.int64)))


def _pack(*cols: np.ndarray) -> np.ndarray:
    """One int64 sort key from small non-negative-ish int columns (lexicographic)."""
    out = np.zeros(len(cols[0]), dtype=np.int64)
    for c in cols:
        c = np.asarray(c, dtype=np.int64)
        lo = int(c.min()) if len(c) else 0
        span = (int(c.max()) - lo + 1) if len(c) else 1
        out = out * span + (c - lo)
    return out
