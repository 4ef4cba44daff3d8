"""``read_ssda903``, the top stage of SSDA903: return files -> journey table, with the
validation report and (if asked) the rejected rows written out."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc

from ...privacy import REDACTED, is_identifying, warn_raw_ids
from .._paths import PathsArg, expand_paths
from .._rows import Rows
from .._years import YearOverride
from ..report import SOURCE, IngestResult, ValidationReport, require_rows, write_csv_atomic
from ..schema import load_mapping
from .files import read_903_files
from .journeys import build_journeys

__all__ = ["read_ssda903", "write_rejects"]


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
    index: bool = True,
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
    index: index the journeys (for ``result.journeys()``) while the table is made, in a
        thread beside it; False when only the table is wanted.
    """
    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    if hash_key is None and not keep_ids:
        warn_raw_ids()
    paths = expand_paths(paths_or_dirs)
    tables, _failed = read_903_files(paths, report, la=la, year=year)
    mp = load_mapping(mapping)
    table, rows, journeys = build_journeys(
        tables,
        report,
        mp,
        include_short_breaks=include_short_breaks,
        hash_key=hash_key,
        keep_ids=keep_ids,
        keep_birth_date=keep_birth_date,
        exit_dwell_days=exit_dwell_days,
        index_source=SOURCE if index else None,
    )
    report.check_strict()
    res = IngestResult(table, report, files=report.files, files_failed=len(report.failed_files))
    res.prebuilt(journeys)
    require_rows(res, "SSDA903")  # an empty result is an error, and nothing is written
    if rejects is not None:
        write_rejects(rows, report, rejects, keep_ids)
    return res


def write_rejects(
    rows: list[Rows], report: ValidationReport, path: str | os.PathLike[str], keep_ids: bool
) -> None:
    """The rejected source rows of every table as one CSV (identifying values redacted
    unless keep_ids), written atomically."""
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
