"""``read_journeys``: SSDA903 and CIN census together, one journey per child from
referral into care (front-door spells clipped at the start of care)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..privacy import warn_raw_ids
from ._dates import NULL_DAY, arrow_to_days, days_to_arrow
from ._paths import PathsArg, expand_paths
from ._years import YearOverride
from .cin.spells import cin_spells, front_door_table
from .report import IngestResult, ValidationReport, require_rows
from .schema import load_mapping
from .ssda903.files import read_903_files
from .ssda903.journeys import build_journeys

__all__ = ["read_journeys"]


def read_journeys(
    *,
    ssda903: PathsArg | None = None,
    cin: PathsArg | None = None,
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
    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    if hash_key is None and not keep_ids:
        warn_raw_ids()
    care = None
    if ssda903 is not None:
        tables, _ = read_903_files(expand_paths(ssda903), report, la=la, year=year)
        care, _rows, _ = build_journeys(
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
        sp = cin_spells(
            expand_paths(cin),
            report,
            la=la,
            year=year,
            hash_key=hash_key,
            exit_dwell_days=exit_dwell_days,
        )
        fd = front_door_table(sp, keep_birth_date)
    report.check_strict()
    if care is None or fd is None or fd.num_rows == 0 or care.num_rows == 0:
        t = care if fd is None else fd if care is None else pa.concat_tables([care, fd])
        if t is None:
            t = pa.table({})
        res = IngestResult(t, report, files=report.files, files_failed=len(report.failed_files))
        return require_rows(res, "SSDA903 and CIN census")
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
