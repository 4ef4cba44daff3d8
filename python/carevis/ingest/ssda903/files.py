"""The read stage of SSDA903: return files (CSV and XML, many councils and years) into
one string table per 903 table.

Every file is classified by its columns (the file name is only a hint), gets its
council and collection year from columns, arguments or its path, and is parsed into an
Arrow table of strings with ``_file`` (index into the report's file list), ``_line``
(1-based, header = 1), ``_la`` and ``_year`` columns. Files that share a header are
parsed in one parallel pass; a file that breaks it is re-read on its own. A file that
cannot be used gets one file-level report row, and the rest load.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .._paths import la_from_path, read_return, read_returns
from .._years import FileHint, YearOverride, name_year, override_for, resolve_903
from ..report import ValidationReport
from .parse_csv import parse_groups
from .sniff import XML_START, SourceFile, fail, sniff_csv
from .tables import SPEC
from .xml_rows import xml_tables

__all__ = ["read_903_files"]

_DICT = pa.dictionary(pa.int32(), pa.string())


def read_903_files(
    paths: list[Path],
    report: ValidationReport,
    *,
    la: str | None = None,
    year: YearOverride = None,
) -> tuple[dict[str, pa.Table], int]:
    """Parse every file; returns table name -> concatenated table, and files failed.

    Every kept column is ``dictionary<int32, string>`` of the raw field text. Rows get
    ``_year`` from a YEAR column, an explicit ``year``, or their return's dates with the
    file name as a hint (``_years``); the report says which for every file.
    """
    hints: dict[int, FileHint] = {}
    groups: dict[tuple[str, tuple[str, ...]], list[SourceFile]] = {}
    xml_parts: list[tuple[str, pa.Table]] = []
    pre = read_returns(paths)
    for p, data in zip(paths, pre, strict=True):
        given = override_for(p, year)
        f = SourceFile(p, report.file_index(p), la if la is not None else la_from_path(p), given)
        hints[f.idx] = FileHint(p, name_year(p), given)
        try:
            f.data = data if data is not None else read_return(p)
        except OSError as e:
            fail(report, f, "unreadable_file", f"{type(e).__name__}: {e.strerror or e}")
            continue
        if p.suffix.lower() == ".xml" or XML_START.match(f.data):
            xml_parts.extend(xml_tables(f, report))
            continue
        if not sniff_csv(f, report):
            continue
        assert f.spec is not None
        groups.setdefault((f.spec.name, tuple(f.names)), []).append(f)
    parts: dict[str, list[pa.Table]] = {}
    for (name, _), ts in zip(groups, parse_groups(list(groups.values()), report), strict=True):
        for t in ts:
            parts.setdefault(name, []).append(t)
    for name, t in xml_parts:
        parts.setdefault(name, []).append(t)
    out: dict[str, pa.Table] = {}
    for name, ts in parts.items():
        spec = SPEC[name]
        norm = []
        for t in ts:
            if not pa.types.is_dictionary(t.schema.field("_la").type):
                la_col = pc.dictionary_encode(t.column("_la").cast(pa.string()))
                t = t.set_column(t.column_names.index("_la"), "_la", la_col)
            for c in spec.keep:
                if c not in t.column_names:
                    t = t.append_column(c, pa.nulls(t.num_rows, pa.string()))
                if t.column(c).type != _DICT:
                    col = pc.dictionary_encode(t.column(c).cast(pa.string()))
                    t = t.set_column(t.column_names.index(c), c, col)
            norm.append(t.select([*spec.keep, "_file", "_line", "_la", "_year"]))
        out[name] = pa.concat_tables(norm).combine_chunks() if len(norm) > 1 else norm[0]
    out = resolve_903(out, report, hints)
    return out, len(report.failed_files)
