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
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _stitch
from ._dates import NULL_DAY, civil_from_days, days_from_civil, days_to_arrow, parse_dates
from ._files import expand_paths, read_903_files
from ._rows import Rows, clean, codes_of
from .ids import UNKNOWN_LA, child_ids
from .report import IngestResult, ValidationReport, write_csv_atomic
from .schema import Mapping, load_codes, load_mapping, make_journey_table, state_index, state_labels

__all__ = ["read_ssda903", "Care"]

PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


@dataclass
class Care:
    """What read_journeys needs to join front-door spells onto care journeys."""

    table: pa.Table
    report: ValidationReport
    files: list[str]


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
    year: int | None = None,
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
    la, year: council code / collection year (ending March) for files whose
        columns and names do not say.
    """
    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    paths = expand_paths(paths_or_dirs)
    tables, failed = read_903_files(paths, report, la=la, year=year)
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


def write_rejects(rows: list[Rows], report: ValidationReport, path: str | os.PathLike[str], keep_ids: bool) -> None:
    from .report import REDACTED, REDACTED_FIELDS

    parts = [t for r in rows if (t := r.rejected_table(report.files)) is not None]
    cols = ["table", "file", "line", "rule"]
    if parts:
        allc = list(dict.fromkeys(c for t in parts for c in t.column_names if not c.startswith("_") and c not in cols))
        norm = []
        for t in parts:
            for c in allc:
                if c not in t.column_names:
                    t = t.append_column(c, pa.nulls(t.num_rows, pa.string()))
            norm.append(t.select(cols + allc))
        out = pa.concat_tables(norm)
        if not keep_ids:
            for c in out.column_names:
                if c in REDACTED_FIELDS:
                    i = out.column_names.index(c)
                    out = out.set_column(i, c, pc.if_else(pc.is_null(out.column(c)), None, pa.scalar(REDACTED)))
    else:
        out = pa.table({c: pa.array([], pa.string()) for c in cols})
    write_csv_atomic(out, path)


def _fill_la(r: Rows) -> pa.Array:
    la = r.t.column("_la").combine_chunks()
    null = np.asarray(la.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if null.any():
        files = np.unique(r.fi[null])
        r.report.add("la_unknown", "repaired", file_idx=files, line=None, field="LA", value=UNKNOWN_LA, rows=0,
                     detail="pass la= or name files SSDA903_<LA>_<YEAR>_<table>.csv")
        la = pc.fill_null(la, UNKNOWN_LA)
    return la


def _year_end(year: np.ndarray) -> np.ndarray:
    y = np.asarray(year, dtype=np.int64)
    return np.where(y > 0, days_from_civil(y, np.full_like(y, 3), np.full_like(y, 31)), NULL_DAY).astype(np.int64)


def _date_col(r: Rows, name: str, *, required: bool, reject_invalid: bool) -> np.ndarray:
    raw = r.t.column(name).combine_chunks()
    p = parse_dates(raw)
    if required:
        r.reject(p.blank, "missing_value", name)
    if reject_invalid:
        r.reject(p.invalid, "invalid_date", name, raw)
    else:
        r.repair(p.invalid, "invalid_date", name, raw, detail="set to blank")
    r.repair(p.two_digit_year, "two_digit_year", name, raw)
    return p.days.astype(np.int64)


def _check_codes(r: Rows, name: str, valid: Iterable[str], *, detail: str = "set to blank") -> tuple[pa.Array, np.ndarray]:
    c = r.col(name)
    bad = np.asarray(
        pc.and_(pc.is_valid(c), pc.invert(pc.is_in(c, value_set=pa.array(sorted(valid), pa.string())))).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    m = r.repair(bad, "invalid_code", name, r.t.column(name).combine_chunks(), detail=detail)
    if bad.any():
        c = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), c)
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

        ep_t = pa.table({c: pa.array([], pa.string()) for c in SPEC["episodes"].keep}).append_column(
            "_file", pa.array([], pa.int32())
        ).append_column("_line", pa.array([], pa.int64())).append_column("_la", pa.array([], pa.string())).append_column(
            "_year", pa.array([], pa.int32())
        )
    ep = Rows("episodes", ep_t, report)
    others = {k: Rows(k, v, report) for k, v in tables.items() if k != "episodes"}

    # -- episodes: row rules ------------------------------------------------
    ep_la = _fill_la(ep)
    child = ep.col("CHILD", upper=False)
    ep.reject(np.asarray(child.is_null().to_numpy(zero_copy_only=False), dtype=bool), "missing_value", "CHILD")
    decom = _date_col(ep, "DECOM", required=True, reject_invalid=True)
    dec = _date_col(ep, "DEC", required=False, reject_invalid=True)
    ep.reject((dec != NULL_DAY) & (decom != NULL_DAY) & (dec < decom), "end_before_start", "DEC", ep.t.column("DEC").combine_chunks())
    year = np.asarray(ep.t.column("_year").to_numpy(), dtype=np.int64).copy()
    if (year <= 0).any():
        _infer_years(ep, year, decom, dec)
    ye = _year_end(year)
    ep.reject((decom > ye) & (year > 0), "start_after_year_end", "DECOM", ep.t.column("DECOM").combine_chunks())
    rec = ep.col("REC")
    late = ep.repair((dec != NULL_DAY) & (dec > ye) & (year > 0), "end_after_year_end", "DEC", ep.t.column("DEC").combine_chunks())
    dec = np.where(late, NULL_DAY, dec)
    if late.any():
        rec = pc.if_else(pa.array(late), pa.scalar(None, pa.string()), rec)
    ls = ep.col("LS")
    if not include_short_breaks and mp.short_break_ls:
        sb = np.asarray(pc.is_in(ls, value_set=pa.array(sorted(mp.short_break_ls))).to_numpy(zero_copy_only=False), dtype=bool)
        ep.reject(sb, "short_break", "LS", ls)
    ls, _ = _check_codes(ep, "LS", codes.get("LS", frozenset()) | mp.short_break_ls)
    rne, _ = _check_codes(ep, "RNE", codes.get("RNE", frozenset()))
    cin, _ = _check_codes(ep, "CIN", codes.get("CIN", frozenset()))
    place = ep.col("PLACE")
    place_blank = np.asarray(place.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    ep.repair(place_blank, "missing_value", "PLACE", detail="placed in 'Other placement'")
    place, _ = _check_codes(ep, "PLACE", mp.place.keys(), detail="placed in 'Other placement'")
    rec_in = rec
    rec, rec_bad = _check_codes(ep, "REC", mp.rec.keys(), detail="reason unknown: 'Other exit'")
    rec_blank_orig = np.asarray(rec_in.is_null().to_numpy(zero_copy_only=False), dtype=bool) & ~late

    # -- ids for every table at once, so codes agree across tables ----------
    others_la = {k: _fill_la(r) for k, r in others.items()}
    all_la = pa.concat_arrays([ep_la] + [others_la[k] for k in others])
    all_child = pa.concat_arrays([child] + [r.col("CHILD", upper=False) for r in others.values()])
    ids, keys = child_ids(all_la, all_child, hash_key)
    ep_key = keys[: ep.n]

    # -- stitch ---------------------------------------------------------------
    la_codes = codes_of(ep_la)
    la_max = np.full(max(int(la_codes.max()) + 1, 1) if ep.n else 1, -1, dtype=np.int64)
    if ep.n:
        np.maximum.at(la_max, la_codes, year)
    content = [codes_of(a) for a in (ls, place, rec, rne, cin, ep.col("PLACE_PROVIDER"))]
    st = _stitch.stitch(
        ep,
        key=ep_key,
        decom=decom,
        dec=dec,
        year=year,
        year_end=ye,
        la_max_year=la_max[la_codes] if ep.n else year,
        rec_is_x1=np.asarray(pc.equal(rec, "X1").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool),
        rec_known=np.asarray(rec.is_valid().to_numpy(zero_copy_only=False), dtype=bool),
        rec_blank=rec_blank_orig & ~rec_bad,
        content=content,
        raw_dec=ep.t.column("DEC").combine_chunks(),
    )
    idx = st.idx  # kept episode rows in (child, start) order

    # -- states ---------------------------------------------------------------
    labels = state_labels()
    other_place = labels.index("Other placement")
    other_exit = labels.index("Other exit")
    place_codes = pa.array(list(mp.place.keys()), pa.string())
    place_states = np.array([labels.index(mp.place[c]) for c in mp.place], dtype=np.int32)
    pk = place.take(pa.array(idx))
    pi = np.asarray(pc.index_in(pk, value_set=place_codes).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    care_state = np.where(pi >= 0, place_states[np.maximum(pi, 0)], other_place).astype(np.int32)
    rec_codes = [c for c, s in mp.rec.items() if s]
    rec_states = np.array([labels.index(mp.rec[c]) for c in rec_codes], dtype=np.int32)
    rec_k = rec.take(pa.array(idx))
    rec_k = pc.if_else(pa.array(st.rec_x1), pa.scalar("X1"), pc.if_else(pa.array(st.rec_unknown), pa.scalar(None, pa.string()), rec_k))
    ri = np.asarray(pc.index_in(rec_k, value_set=pa.array(rec_codes, pa.string())).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    exit_state = np.where(ri >= 0, rec_states[np.maximum(ri, 0)], other_exit).astype(np.int32)

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
    not_exit = pa.array(~is_exit)
    none = pa.scalar(None, pa.string())
    spell_key = ep_key[src]

    # -- per-child attributes ---------------------------------------------------
    kept_children = np.unique(ep_key[idx])
    nkeys = int(keys.max()) + 1 if len(keys) else 0
    attr_row = np.full(nkeys, -1, dtype=np.int64)  # row in the concatenated attribute arrays
    sex_parts: list[pa.Array] = []
    eth_parts: list[pa.Array] = []
    dob_parts: list[np.ndarray] = []
    base = 0
    start_off = ep.n
    for name, r in others.items():
        rkey = keys[start_off : start_off + r.n]
        start_off += r.n
        r.reject(np.asarray(r.col("CHILD").is_null().to_numpy(zero_copy_only=False), dtype=bool), "missing_value", "CHILD")
        if name == "placed_for_adoption":
            _date_col(r, "DATE_PLACED", required=True, reject_invalid=True)
            r.reject(~np.isin(rkey, kept_children), "child_without_episodes", "CHILD", r.col("CHILD", upper=False))
            continue
        sex = _sex(r)
        dob = _date_col(r, "DOB", required=False, reject_invalid=False)
        if name == "header":
            eth, _ = _check_codes(r, "ETHNIC", codes.get("ETHNIC", frozenset()))
            ryear = np.asarray(r.t.column("_year").to_numpy(), dtype=np.int64)
            lead = _dedup_header(r, rkey, ryear, [codes_of(sex), dob, codes_of(eth)])
        else:
            eth = pa.nulls(r.n, pa.string())
            lead = r.alive.copy()
        r.reject(~np.isin(rkey, kept_children), "child_without_episodes", "CHILD", r.col("CHILD", upper=False))
        use = np.flatnonzero(lead & r.alive)
        use = use[attr_row[rkey[use]] < 0]  # header first, UASC only fills gaps
        _, first = np.unique(rkey[use], return_index=True)
        use = use[first]
        attr_row[rkey[use]] = base + use
        sex_parts.append(sex)
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
    arow_a = pa.array(np.maximum(arow, 0), mask=arow < 0)
    if sex_parts:
        sex_s = pc.fill_null(pa.concat_arrays(sex_parts).take(arow_a), "U")
        eth_s = pa.concat_arrays(eth_parts).take(arow_a)
        dob_s = np.where(arow >= 0, np.concatenate(dob_parts)[np.maximum(arow, 0)], NULL_DAY)
    else:
        sex_s = pa.array(np.full(total, "U", dtype=object), pa.string())
        eth_s = pa.nulls(total, pa.string())
        dob_s = np.full(total, NULL_DAY, dtype=np.int64)
    y, mo, _ = civil_from_days(np.where(dob_s == NULL_DAY, 0, dob_s))
    bm = np.where(dob_s == NULL_DAY, NULL_DAY, days_from_civil(y, mo, np.ones_like(mo)))
    open_spell = end >= NULL_DAY
    reason = rec_k.take(pa.array(ep_pos))
    reason = pc.if_else(pa.array(open_spell), none, reason)

    cols: dict[str, pa.Array] = {
        "child_id": ids.take(src_a),  # episode rows come first in the id array
        "state": pa.DictionaryArray.from_arrays(pa.array(state, pa.int32()), pa.array(labels)),
        "start": days_to_arrow(start.astype(np.int32)),
        "end": days_to_arrow(np.where(open_spell, NULL_DAY, end).astype(np.int32)),
        "la": ep_la.take(src_a),
        "sex": sex_s,
        "birth_month": days_to_arrow(bm.astype(np.int32)),
        "ethnicity": eth_s,
        "placement": pc.if_else(not_exit, place.take(src_a), none),
        "legal_status": pc.if_else(not_exit, ls.take(src_a), none),
        "category_of_need": pc.if_else(not_exit, cin.take(src_a), none),
        "reason_ceased": reason,
    }
    extra: dict[str, pa.Array] = {}
    if keep_birth_date:
        extra["birth_date"] = days_to_arrow(dob_s.astype(np.int32))
    if keep_ids:
        extra["source_child"] = child.take(src_a)
    rows = [ep, *others.values()]
    return make_journey_table(cols, extra), rows


def _sex(r: Rows) -> pa.Array:
    s = r.col("SEX")
    mapped = pc.if_else(pc.equal(s, "1"), "M", pc.if_else(pc.equal(s, "2"), "F", s))
    ok = pc.is_in(mapped, value_set=pa.array(["M", "F", "U"]))
    bad = np.asarray(pc.and_(pc.is_valid(s), pc.invert(ok)).fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    r.repair(bad, "invalid_code", "SEX", r.t.column("SEX").combine_chunks(), detail="set to 'U'")
    return pc.if_else(pc.fill_null(ok, False), mapped, pa.scalar("U"))


def _dedup_header(r: Rows, key: np.ndarray, year: np.ndarray, content: list[np.ndarray]) -> np.ndarray:
    """Keep one header row per child (latest year, then last line); report the rest."""
    alive = np.flatnonzero(r.alive)
    if not len(alive):
        return r.alive.copy()
    order = alive[np.lexsort((-r.ln[alive], -r.fi[alive], -year[alive], key[alive]))]
    k = key[order]
    first = np.r_[True, k[1:] != k[:-1]]
    leader = order[np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
    same = np.ones(len(order), dtype=bool)
    for c in content:
        same &= c[order] == c[leader]
    follower = ~first
    dup = np.zeros(r.n, bool)
    dup[order[follower & same]] = True
    sup = np.zeros(r.n, bool)
    sup[order[follower & ~same & (year[order] != year[leader])]] = True
    conf = np.zeros(r.n, bool)
    conf[order[follower & ~same & (year[order] == year[leader])]] = True
    r.reject(dup, "duplicate_header", "CHILD", r.col("CHILD", upper=False))
    r.reject(sup, "superseded_header", "CHILD", r.col("CHILD", upper=False))
    r.reject(conf, "conflicting_header", "CHILD", r.col("CHILD", upper=False), detail="kept the last row")
    lead = np.zeros(r.n, bool)
    lead[order[first]] = True
    return lead


def _infer_years(ep: Rows, year: np.ndarray, decom: np.ndarray, dec: np.ndarray) -> None:
    """Collection year of files with none: the March after their latest date."""
    unknown = year <= 0
    latest = np.where(dec != NULL_DAY, np.maximum(dec, decom), decom)
    latest = np.where((decom == NULL_DAY) | ~unknown, -1, latest)
    nf = int(ep.fi.max()) + 1
    mx = np.full(nf, -1, dtype=np.int64)
    np.maximum.at(mx, ep.fi, latest)
    y, m, _ = civil_from_days(np.maximum(mx, 0))
    fy = np.where(mx >= 0, y + (m >= 4), -1)
    files = np.unique(ep.fi[unknown])
    for f in files:
        ep.report.add("year_inferred", "repaired", file_idx=int(f), line=None, field="YEAR", value=str(int(fy[f])), rows=0)
    year[unknown] = fy[ep.fi[unknown]]
