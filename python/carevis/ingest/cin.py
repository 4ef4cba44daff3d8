"""CIN census XML <-> front-door journey spells, and joining them onto care.

Each ``CINdetails`` (an episode of need) becomes a run of front-door spells:
the referral, then every assessment, section 47, initial conference, CIN plan
and protection plan start in date order; each spell lasts until the next step
(same-day steps are zero-length spells, start == end) and the last one until
the closure date (closure = leaving the front door). A referral closed with no
further action (``ReferralNFA`` true, or ``ReasonForClosure`` RC8) ends with a
"No further action" spell from the closure date lasting ``exit_dwell_days``.
The same CINdetails in several years' census keeps the latest year's version.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carevis.errors import DataError

from .._progress import progress
from ..privacy import warn_raw_ids
from ._dates import (
    NULL_DAY,
    arrow_to_days,
    civil_from_days,
    days_from_civil,
    days_to_arrow,
    parse_dates,
)
from ._files import expand_paths, la_from_path, read_return
from ._xml import Node, XMLDoctypeError, XMLParseError, parse_xml
from ._years import (
    NameYear,
    YearOverride,
    content_year,
    decide,
    end_votes,
    fy_label,
    name_year,
    override_for,
)
from .ids import UNKNOWN_LA, child_ids
from .report import IngestResult, ValidationReport
from .schema import DATA_DIR, FRONT_DOOR_STATES, load_mapping, make_journey_table, state_labels

__all__ = ["read_cin_census", "read_journeys", "write_cin_census"]


# (element, state, order): the order breaks same-day ties
def _load_events() -> tuple[tuple[str, str, int], ...]:
    """(element, state, same-day order) from carevis/data/cin_map.csv."""
    import csv

    with open(DATA_DIR / "cin_map.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["event"] != "ReferralNFA"]
    return tuple((r["event"].upper(), r["state"], int(r["order"])) for r in rows)


# (element, state, order): the order breaks same-day ties
_EVENTS = _load_events()
_NFA = "No further action"


@dataclass
class _Episode:
    fi: int
    line: int
    la: str | None
    year: int
    child: str | None
    dob: str | None
    sex: str | None
    eth: str | None
    ref: str | None
    nfa: bool
    closure: str | None
    reason: str | None
    need: str | None
    events: list[tuple[str, str, int]] = field(default_factory=list)  # (date text, state, order)


def _text(n: Node | None, key: str) -> str | None:
    return None if n is None else n.leaf_text(key)


def _first_deep(n: Node, key: str) -> str | None:
    for m in n.findall_deep(key):
        if m.is_leaf() and m.text.strip():
            return m.text.strip()
    return None


def _parse_cin_file(
    path: Path, fi: int, report: ValidationReport, la: str | None, year: YearOverride
) -> list[_Episode]:
    try:
        data = read_return(path)  # refuses a file above the size cap
    except OSError as e:
        report.failed_files.add(fi)
        report.add("unreadable_file", "rejected", file_idx=fi, line=None, rows=0, detail=str(e))
        return []
    if not data.strip():
        report.failed_files.add(fi)
        report.add("empty_file", "rejected", file_idx=fi, line=None, rows=0, detail="no XML")
        return []
    try:
        root = parse_xml(data)
    except XMLDoctypeError as e:
        raise DataError(f"{path}, line {e.line}: {e}") from e
    except XMLParseError as e:
        report.failed_files.add(fi)
        report.add("unreadable_file", "rejected", file_idx=fi, line=e.line, rows=0, detail=str(e))
        return []
    children = [n for n in root.iter() if n.key == "CHILD" and not n.is_leaf()]
    if not children and not root.findall_deep("CINDETAILS"):
        report.failed_files.add(fi)
        report.add(
            "unknown_table",
            "rejected",
            file_idx=fi,
            line=root.line,
            rows=0,
            detail=f"<{root.tag}> is not a CIN census",
        )
        return []
    hdr = root.find("Header")
    f_la = la or (_first_deep(hdr, "LEA") if hdr is not None else None) or la_from_path(path)
    hint = name_year(path)
    if hdr is not None:  # the census header's <Year> / <ReferenceDate> (content, not name)
        y = _first_deep(hdr, "Year")
        ref = _first_deep(hdr, "ReferenceDate")
        if y and y[:4].isdigit():
            hint = NameYear((int(y[:4]),), f"<Year>{y}</Year>")
        elif ref and ref[:4].isdigit():
            hint = NameYear((int(ref[:4]),), f"<ReferenceDate>{ref}</ReferenceDate>")
    f_year = -1
    out: list[_Episode] = []
    for c in children:
        ids = c.find("ChildIdentifiers") or c
        chars = c.find("ChildCharacteristics") or c
        child = _text(ids, "LAchildID")
        dob = _text(ids, "PersonBirthDate")
        sex = _text(ids, "GenderCurrent")
        eth = _text(chars, "Ethnicity")
        for d in c.children:
            if d.key != "CINDETAILS":
                continue
            nfa = (_text(d, "ReferralNFA") or "").lower() in ("true", "1", "y", "yes")
            ep = _Episode(
                fi,
                d.line,
                f_la,
                f_year,
                child,
                dob,
                sex,
                eth,
                _text(d, "CINreferralDate"),
                nfa,
                _text(d, "CINclosureDate"),
                _text(d, "ReasonForClosure"),
                _text(d, "PrimaryNeedCode"),
            )
            seen: set[tuple[str, str]] = set()
            for key, state, order in _EVENTS:
                for m in d.findall_deep(key):
                    t = m.text.strip()
                    if m.is_leaf() and t and (t, state) not in seen:
                        seen.add((t, state))
                        ep.events.append((t, state, order))
            out.append(ep)
    _census_year(out, fi, report, override_for(path, year), hint)
    return out


def _census_year(
    eps: list[_Episode], fi: int, report: ValidationReport, given: int | None, hint: NameYear | None
) -> None:
    """The census's collection year from its dates (its header or name as a hint)."""
    texts = [[e.ref, e.closure, *(t for t, _, _ in e.events)] for e in eps]
    flat = pa.array([t for ts in texts for t in ts], pa.string())
    days = parse_dates(flat).days.astype(np.int64) if len(flat) else np.zeros(0, np.int64)
    sizes = np.array([len(ts) for ts in texts], dtype=np.int64)
    latest = np.full(len(eps), NULL_DAY, dtype=np.int64)
    if len(days):
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        valid = np.where(days == NULL_DAY, -(1 << 40), days)
        mx = np.maximum.reduceat(valid, starts)
        latest = np.where(mx < 0, NULL_DAY, mx)
    closures = parse_dates(pa.array([e.closure for e in eps], pa.string())).days
    c = decide(given, hint, end_votes(closures), content_year(latest))
    for e in eps:
        e.year = c.year
    report.file_years[fi] = (c.year, c.why)
    report.add(
        "collection_year",
        "repaired" if c.mismatch else "info",
        file_idx=fi,
        line=None,
        field="YEAR",
        value=fy_label(c.year),
        rows=0,
        detail=c.why,
    )
    if c.mismatch:
        report.add(
            "year_mismatch",
            "repaired",
            file_idx=fi,
            line=None,
            field="YEAR",
            value=fy_label(c.year),
            rows=0,
            detail=c.why,
        )


def _cin_spells(
    paths: list[Path],
    report: ValidationReport,
    *,
    la: str | None,
    year: YearOverride,
    hash_key: str | bytes | None,
    exit_dwell_days: int,
) -> dict[str, Any]:
    eps: list[_Episode] = []
    for p in progress(paths, "reading CIN census", unit="file"):
        eps.extend(_parse_cin_file(p, report.file_index(p), report, la, year))
    n = len(eps)
    report.count("cin_details", n, n)
    fi = np.array([e.fi for e in eps], dtype=np.int64)
    ln = np.array([e.line for e in eps], dtype=np.int64)
    alive = np.ones(n, dtype=bool)

    def reject(
        mask: np.ndarray, rule: str, fld: str, values: list[str | None] | None = None
    ) -> None:
        m = mask & alive
        if m.any():
            alive[m] = False
            report.reject_rows("cin_details", int(m.sum()))
            val = None if values is None else [v for v, k in zip(values, m, strict=False) if k]
            report.add(rule, "rejected", file_idx=fi[m], line=ln[m], field=fld, value=val)

    la_list = [e.la for e in eps]
    if any(v is None for v in la_list):
        files = np.unique(fi[[v is None for v in la_list]])
        report.add(
            "la_unknown",
            "repaired",
            file_idx=files,
            line=None,
            field="LA",
            value=UNKNOWN_LA,
            rows=0,
        )
    child = [e.child for e in eps]
    reject(np.array([c is None for c in child], dtype=bool), "missing_value", "LAchildID")
    refs = pa.array([e.ref for e in eps], pa.string())
    pref = parse_dates(refs)
    reject(pref.blank, "missing_value", "CINreferralDate")
    reject(pref.invalid, "invalid_date", "CINreferralDate", refs.to_pylist())
    clos = pa.array([e.closure for e in eps], pa.string())
    pclo = parse_dates(clos)
    reject(pclo.invalid, "invalid_date", "CINclosureDate", clos.to_pylist())
    ref_d = pref.days.astype(np.int64)
    clo_d = pclo.days.astype(np.int64)
    reject(
        (clo_d != NULL_DAY) & (clo_d < ref_d),
        "end_before_start",
        "CINclosureDate",
        clos.to_pylist(),
    )
    ids, keys = child_ids(
        pa.array([v if v is not None else UNKNOWN_LA for v in la_list], pa.string()),
        pa.array([c or "" for c in child], pa.string()),
        hash_key,
    )
    yr = np.array([e.year for e in eps], dtype=np.int64)
    # the same episode of need in several censuses: keep the latest year
    idx = np.flatnonzero(alive)
    order = idx[np.lexsort((ln[idx], fi[idx], yr[idx], ref_d[idx], keys[idx]))]
    k, r = keys[order], ref_d[order]
    last = np.r_[(k[1:] != k[:-1]) | (r[1:] != r[:-1]), True] if len(order) else np.zeros(0, bool)
    drop = order[~last]
    if len(drop):
        lead = order[np.flatnonzero(last)[np.cumsum(np.r_[False, last[:-1]])]][~last]
        same_year = yr[drop] == yr[lead]
        m1 = np.zeros(n, bool)
        m1[drop[same_year]] = True
        m2 = np.zeros(n, bool)
        m2[drop[~same_year]] = True
        reject(m1, "duplicate_start", "CINreferralDate", refs.to_pylist())
        reject(m2, "superseded_episode", "CINreferralDate", refs.to_pylist())
    kept = order[last]
    labels = state_labels()
    out: dict[str, list[Any]] = {
        k2: [] for k2 in ("row", "state", "start", "end", "need", "reason")
    }
    for j, i in enumerate(kept):
        e = eps[i]
        has_next = j + 1 < len(kept) and keys[kept[j + 1]] == keys[i]
        next_ref = ref_d[kept[j + 1]] if has_next else NULL_DAY
        ev_days = parse_dates(pa.array([t for t, _, _ in e.events], pa.string())).days.astype(
            np.int64
        )
        evs = sorted(
            (int(d), o, s)
            for d, (_, s, o) in zip(ev_days, e.events, strict=False)
            if d != NULL_DAY and d >= ref_d[i] and (clo_d[i] == NULL_DAY or d <= clo_d[i])
        )
        if not evs or evs[0][2] != "Referral":
            evs.insert(0, (int(ref_d[i]), 0, "Referral"))
        end_all = int(clo_d[i])
        if has_next and (end_all == NULL_DAY or end_all > next_ref):
            report.add(
                "cin_overlap_clipped",
                "repaired",
                file_idx=fi[i],
                line=ln[i],
                field="CINclosureDate",
                value=e.closure,
                detail="closed at the next referral",
            )
            end_all = int(next_ref)
            evs = [v for v in evs if v[0] <= end_all]
        for q, (d, _, s) in enumerate(evs):
            nd = evs[q + 1][0] if q + 1 < len(evs) else end_all
            out["row"].append(i)
            out["state"].append(labels.index(s))
            out["start"].append(d)
            out["end"].append(nd)
            out["need"].append(e.need)
            out["reason"].append(e.reason if q + 1 == len(evs) and end_all != NULL_DAY else None)
        nfa = e.nfa or (e.reason or "").upper() == "RC8"
        if nfa and end_all != NULL_DAY:
            ne = end_all + exit_dwell_days
            if has_next:
                ne = min(ne, int(next_ref))
            out["row"].append(i)
            out["state"].append(labels.index(_NFA))
            out["start"].append(end_all)
            out["end"].append(ne)
            out["need"].append(e.need)
            out["reason"].append(e.reason or "RC8")
    rows = np.array(out["row"], dtype=np.int64)
    sex_raw = [e.sex for e in eps]
    sex_map = {"1": "M", "2": "F", "M": "M", "F": "F", "0": "U", "9": "U", "U": "U"}
    sex = [sex_map.get((s or "").strip().upper(), "U") for s in sex_raw]
    dob = parse_dates(pa.array([e.dob for e in eps], pa.string())).days.astype(np.int64)
    return {
        "rows": rows,
        "child_id": ids,
        "keys": keys,
        "la": [v if v is not None else UNKNOWN_LA for v in la_list],
        "sex": sex,
        "dob": dob,
        "eth": [e.eth for e in eps],
        "state": np.array(out["state"], dtype=np.int32),
        "start": np.array(out["start"], dtype=np.int64),
        "end": np.array(out["end"], dtype=np.int64),
        "need": out["need"],
        "reason": out["reason"],
        "fi": fi,
        "ln": ln,
    }


def _front_door_table(sp: dict[str, Any], keep_birth_date: bool) -> pa.Table:
    rows = sp["rows"]
    ra = pa.array(rows, pa.int64())
    dob = sp["dob"][rows] if len(rows) else np.zeros(0, np.int64)
    y, m, _ = civil_from_days(np.where(dob == NULL_DAY, 0, dob))
    bm = np.where(dob == NULL_DAY, NULL_DAY, days_from_civil(y, m, np.ones_like(m)))
    cols = {
        "child_id": sp["child_id"].take(ra),
        "state": pa.DictionaryArray.from_arrays(
            pa.array(sp["state"], pa.int32()), pa.array(state_labels())
        ),
        "start": days_to_arrow(sp["start"].astype(np.int32)),
        "end": days_to_arrow(np.where(sp["end"] >= NULL_DAY, NULL_DAY, sp["end"]).astype(np.int32)),
        "la": pa.array(sp["la"], pa.string()).take(ra),
        "sex": pa.array(sp["sex"], pa.string()).take(ra),
        "birth_month": days_to_arrow(bm.astype(np.int32)),
        "ethnicity": pa.array(sp["eth"], pa.string()).take(ra),
        "category_of_need": pa.array(sp["need"], pa.string()),
        "reason_ceased": pa.array(sp["reason"], pa.string()),
    }
    extra = {"birth_date": days_to_arrow(dob.astype(np.int32))} if keep_birth_date else None
    return make_journey_table(cols, extra)


def read_cin_census(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    hash_key: str | bytes | None = None,
    keep_ids: bool = False,
    keep_birth_date: bool = False,
    strict: bool = False,
    exit_dwell_days: int = 28,
    la: str | None = None,
    year: YearOverride = None,
) -> IngestResult:
    """Read CIN census XML files (or folders) into front-door journey spells."""
    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    if hash_key is None and not keep_ids:
        warn_raw_ids()
    sp = _cin_spells(
        expand_paths(paths),
        report,
        la=la,
        year=year,
        hash_key=hash_key,
        exit_dwell_days=exit_dwell_days,
    )
    table = _front_door_table(sp, keep_birth_date)
    report.check_strict()
    return IngestResult(table, report, files=report.files, files_failed=len(report.failed_files))


def read_journeys(
    *,
    ssda903: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    cin: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    mapping: str | os.PathLike[str] | None = None,
    include_short_breaks: bool = False,
    hash_key: str | bytes | None = None,
    keep_ids: bool = False,
    keep_birth_date: bool = False,
    strict: bool = False,
    exit_dwell_days: int = 28,
    la: str | None = None,
    year: YearOverride = None,
) -> IngestResult:
    """SSDA903 and CIN census together: one journey per child from referral into care.

    Children are matched by id (council + CHILD / LAchildID). Front-door spells
    overlapping a care or exit spell are clipped at the care start, or dropped
    when they start inside care; per-child attributes come from the 903 header
    where there is one.
    """
    from ._files import read_903_files
    from .ssda903 import build_journeys

    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    if hash_key is None and not keep_ids:
        warn_raw_ids()
    care = None
    if ssda903 is not None:
        tables, _ = read_903_files(expand_paths(ssda903), report, la=la, year=year)
        care, _rows = build_journeys(
            tables,
            report,
            load_mapping(mapping),
            include_short_breaks=include_short_breaks,
            hash_key=hash_key,
            keep_ids=False,
            keep_birth_date=keep_birth_date,
            exit_dwell_days=exit_dwell_days,
        )
    fd = None
    sp = None
    if cin is not None:
        sp = _cin_spells(
            expand_paths(cin),
            report,
            la=la,
            year=year,
            hash_key=hash_key,
            exit_dwell_days=exit_dwell_days,
        )
        fd = _front_door_table(sp, keep_birth_date)
    report.check_strict()
    if care is None or fd is None or fd.num_rows == 0 or care.num_rows == 0:
        t = care if fd is None else fd if care is None else pa.concat_tables([care, fd])
        return IngestResult(t, report, files=report.files, files_failed=len(report.failed_files))
    assert sp is not None
    fd = _clip_front_door(fd, care, sp, report)
    # children known to 903: take their attributes from the header
    attrs = ["sex", "birth_month", "ethnicity"] + (["birth_date"] if keep_birth_date else [])
    first = care.group_by("child_id", use_threads=False).aggregate([(a, "first") for a in attrs])
    look = pc.index_in(fd.column("child_id"), value_set=first.column("child_id"))
    has = pc.is_valid(look)
    for a in attrs:
        col = first.column(f"{a}_first").take(pc.fill_null(look, 0))
        fd = fd.set_column(fd.column_names.index(a), a, pc.if_else(has, col, fd.column(a)))
    t = pa.concat_tables([care, fd])
    fd_flag = np.r_[np.zeros(care.num_rows, np.int8), np.ones(fd.num_rows, np.int8)]
    cc = np.asarray(
        pc.dictionary_encode(t.column("child_id"))
        .combine_chunks()
        .indices.to_numpy(zero_copy_only=False)
    )
    st = arrow_to_days(t.column("start"))
    order = np.lexsort((1 - fd_flag, st, cc))
    return IngestResult(
        t.take(pa.array(order)), report, files=report.files, files_failed=len(report.failed_files)
    )


def _clip_front_door(
    fd: pa.Table, care: pa.Table, sp: dict[str, Any], report: ValidationReport
) -> pa.Table:
    """Clip front-door spells at the start of care; drop those that start inside care."""
    cid = care.column("child_id").to_pylist()
    cs = arrow_to_days(care.column("start")).astype(np.int64)
    ce = arrow_to_days(care.column("end")).astype(np.int64)
    periods: dict[str, list[list[int]]] = {}
    for c, s, e in zip(cid, cs, ce, strict=False):  # care spells are contiguous within a period
        ps = periods.setdefault(c, [])
        if ps and ps[-1][1] == s:
            ps[-1][1] = int(e)
        else:
            ps.append([int(s), int(e)])
    fid = fd.column("child_id").to_pylist()
    fs = arrow_to_days(fd.column("start")).astype(np.int64)
    fe = arrow_to_days(fd.column("end")).astype(np.int64)
    keep = np.ones(fd.num_rows, dtype=bool)
    new_end = fe.copy()
    for i, c in enumerate(fid):
        for s, e in periods.get(c, ()):
            inside = (s < fs[i] < e) or (fs[i] == s and (fe[i] > s)) or (fs[i] == s and fs[i] == e)
            if inside and fs[i] >= s:
                keep[i] = False
                break
            if fs[i] < s and (new_end[i] == NULL_DAY or new_end[i] > s):
                new_end[i] = s
    changed = (~keep) | (new_end != fe)
    if changed.any():
        src = sp["rows"][changed]
        report.add(
            "front_door_clipped",
            "repaired",
            file_idx=sp["fi"][src],
            line=sp["ln"][src],
            field="CINreferralDate",
            detail="clipped at the care start (or dropped inside care)",
        )
    fd = fd.set_column(
        fd.column_names.index("end"),
        "end",
        days_to_arrow(np.where(new_end >= NULL_DAY, NULL_DAY, new_end).astype(np.int32)),
    )
    return fd.filter(pa.array(keep))


# -- writer ------------------------------------------------------------------


def write_cin_census(
    table: pa.Table, out_dir: str | os.PathLike[str], *, years: Iterable[int] | None = None
) -> list[Path]:
    """Write front-door spells as CIN census XML, one file per council per year."""
    from .writers import canonical_states, child_codes_for_files, collection_year

    labels = state_labels()
    st = canonical_states(table)
    fd_set = np.array([labels.index(s) for s in FRONT_DOOR_STATES])
    sel = np.flatnonzero(np.isin(st, fd_set))
    t = table.take(pa.array(sel))
    st = st[sel]
    n = t.num_rows
    if n == 0:
        return []
    la = (
        pc.fill_null(t.column("la").combine_chunks().cast(pa.string()), "unknown")
        if "la" in t.column_names
        else pa.array(["unknown"] * n)
    )
    child = child_codes_for_files(
        t.column("child_id").combine_chunks().cast(pa.string()), la
    ).to_pylist()
    la_l = la.to_pylist()
    s = arrow_to_days(t.column("start")).astype(np.int64)
    e = arrow_to_days(t.column("end")).astype(np.int64)

    def col(name: str) -> list[Any]:
        return t.column(name).to_pylist() if name in t.column_names else [None] * n

    sex, bm, eth, need, reason = (
        col("sex"),
        col("birth_month"),
        col("ethnicity"),
        col("category_of_need"),
        col("reason_ceased"),
    )
    order = sorted(range(n), key=lambda i: (la_l[i], child[i], s[i], st[i] == labels.index(_NFA)))
    # split into episodes of need: a new one at each Referral
    episodes: list[dict[str, Any]] = []
    for i in progress(order, "CIN episodes", unit="row"):
        lab = labels[st[i]]
        cur = episodes[-1] if episodes else None
        if (
            cur is None
            or lab == "Referral"
            or cur["child"] != child[i]
            or cur["la"] != la_l[i]
            or cur["closed"]
        ):
            cur = {
                "la": la_l[i],
                "child": child[i],
                "sex": sex[i],
                "bm": bm[i],
                "eth": eth[i],
                "need": need[i],
                "ref": int(s[i]),
                "events": [],
                "end": int(e[i]),
                "nfa": None,
                "closed": False,
                "reason": None,
            }
            episodes.append(cur)
        if lab == _NFA:
            cur["nfa"] = int(s[i])
            cur["closed"] = True
            cur["reason"] = reason[i] if (reason[i] or "").startswith("RC") else "RC8"
            continue
        cur["events"].append((lab, int(s[i])))
        cur["end"] = int(e[i])
        if reason[i] and str(reason[i]).startswith("RC"):
            cur["reason"] = reason[i]
    for ep in episodes:
        if ep["nfa"] is not None:
            ep["closure"] = ep["nfa"]
        else:
            ep["closure"] = None if ep["end"] == NULL_DAY else ep["end"]
            if ep["closure"] is not None and not ep["reason"]:
                ep["reason"] = "RC1"
    all_days = [ep["ref"] for ep in episodes] + [
        ep["closure"] for ep in episodes if ep["closure"] is not None
    ]
    cy = collection_year(np.array(all_days, dtype=np.int64))
    yrs = sorted(set(years)) if years is not None else list(range(int(cy.min()), int(cy.max()) + 1))
    out = Path(out_dir)
    written: list[Path] = []
    for y in progress(yrs, "writing CIN census", unit="year"):
        ys = int(days_from_civil(np.array([y - 1]), np.array([4]), np.array([1]))[0])
        ye = int(days_from_civil(np.array([y]), np.array([3]), np.array([31]))[0])
        by_la: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for ep in episodes:
            if ep["ref"] <= ye and (ep["closure"] is None or ep["closure"] >= ys):
                by_la.setdefault(ep["la"], {}).setdefault(ep["child"], []).append(ep)
        for a, kids in by_la.items():
            d = out / a
            d.mkdir(parents=True, exist_ok=True)
            p = d / f"CIN_{a}_{y}.xml"
            p.write_text(_cin_xml(a, y, ye, kids), encoding="utf-8")
            written.append(p)
    return written


def _iso(day: int) -> str:
    y, m, d = civil_from_days(np.array([day]))
    return f"{int(y[0]):04d}-{int(m[0]):02d}-{int(d[0]):02d}"


def _cin_xml(la: str, year: int, ye: int, kids: dict[str, list[dict[str, Any]]]) -> str:
    x = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<Message>",
        "<Header>",
        "<CollectionDetails>",
        "<Collection>CIN</Collection>",
        f"<Year>{year}</Year>",
        f"<ReferenceDate>{_iso(ye)}</ReferenceDate>",
        "</CollectionDetails>",
        f"<Source><LEA>{escape(la)}</LEA></Source>",
        "</Header>",
        "<Children>",
    ]
    tag = {
        "Assessment": ("Assessments", "AssessmentActualStartDate"),
        "Section 47": ("Section47", "S47ActualStartDate"),
        "Child protection conference": (None, "DateOfInitialCPC"),
        "Child in need": ("CINPlanDates", "CINPlanStartDate"),
        "Child protection plan": ("ChildProtectionPlans", "CPPstartDate"),
    }
    for child, eps in kids.items():
        e0 = eps[0]
        g = {"M": "1", "F": "2"}.get(e0["sex"] or "", "0")
        x.append("<Child><ChildIdentifiers>")
        x.append(f"<LAchildID>{escape(child)}</LAchildID>")
        if e0["bm"] is not None:
            x.append(f"<PersonBirthDate>{e0['bm'].isoformat()}</PersonBirthDate>")
        x.append(f"<GenderCurrent>{g}</GenderCurrent></ChildIdentifiers>")
        if e0["eth"]:
            x.append(
                f"<ChildCharacteristics><Ethnicity>{escape(e0['eth'])}</Ethnicity></ChildCharacteristics>"
            )
        for ep in eps:
            x.append("<CINdetails>")
            x.append(f"<CINreferralDate>{_iso(ep['ref'])}</CINreferralDate>")
            if ep["need"]:
                x.append(f"<PrimaryNeedCode>{escape(ep['need'])}</PrimaryNeedCode>")
            only_ref = len(ep["events"]) == 1
            x.append(
                "<ReferralNFA>"
                + ("true" if ep["nfa"] is not None and only_ref else "false")
                + "</ReferralNFA>"
            )
            if ep["closure"] is not None and ep["closure"] <= ye:
                x.append(f"<CINclosureDate>{_iso(ep['closure'])}</CINclosureDate>")
                x.append(f"<ReasonForClosure>{escape(ep['reason'] or 'RC1')}</ReasonForClosure>")
            for lab, day in (
                ep["events"][1:]
                if ep["events"] and ep["events"][0][0] == "Referral"
                else ep["events"]
            ):
                if day > ye:
                    continue
                wrap, el = tag[lab]
                inner = f"<{el}>{_iso(day)}</{el}>"
                x.append(f"<{wrap}>{inner}</{wrap}>" if wrap else inner)
            x.append("</CINdetails>")
        x.append("</Child>")
    x += ["</Children>", "</Message>", ""]
    return "\n".join(x)
