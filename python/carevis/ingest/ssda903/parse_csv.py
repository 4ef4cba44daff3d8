"""Parsing SSDA903 CSV files into string tables: files that share a header in one
parallel pass of the Rust reader, and a file it hands back (a malformed row, a quoted
line break, ...) on its own with pyarrow, its bad rows reported. Every table gets
``_file``, ``_line`` (1-based, header = 1), ``_la`` and ``_year`` columns."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carevis import _native

from ...privacy import safe_arrow_message
from ..report import ValidationReport
from .sniff import SourceFile, fail, line_numbers
from .tables import TableSpec

__all__ = ["add_meta", "parse_groups"]


def _read_options(
    names: list[str], spec: TableSpec, bad: list[int]
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """pyarrow's options for one file: its kept columns as strings, one thread, rows
    with the wrong number of fields skipped and listed in ``bad``."""
    include = [c for c in dict.fromkeys(names) if c in spec.keep or c in ("LA", "YEAR")]
    ro = pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 20)

    def handler(row: pacsv.InvalidRow) -> str:
        bad.append(-1 if row.number is None else int(row.number))
        return "skip"

    po = pacsv.ParseOptions(invalid_row_handler=handler)
    co = pacsv.ConvertOptions(
        # all strings (codes and dates are dictionary-encoded later, which
        # measured faster than dictionary columns in the CSV reader)
        column_types={c: pa.string() for c in names},
        include_columns=include,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    return ro, po, co


def parse_groups(groups: list[list[SourceFile]], report: ValidationReport) -> list[list[pa.Table]]:
    """Parse each group of files that share a header, in one call per group (file by file
    on trouble). The groups' Rust
    passes run at once (the reader releases the GIL, so one group's last merge overlaps
    the next one's parse); the report is written afterwards, in group order."""
    if len(groups) > 1:
        with ThreadPoolExecutor(max_workers=min(len(groups), 4)) as pool:
            first = list(pool.map(_parse_native, groups))
    else:
        first = [_parse_native(files) for files in groups]
    return [_finish(files, got, report) for files, got in zip(groups, first, strict=True)]


def _finish(
    files: list[SourceFile],
    got: tuple[pa.Table, list[int]] | None,
    report: ValidationReport,
) -> list[pa.Table]:
    """The group's table, counted in the report; on trouble, file by file: only the
    troubled files take the careful reader."""
    spec = files[0].spec
    assert spec is not None
    if got is not None:
        t, counts = got
        for c in counts:
            report.count(spec.name, c, c)  # provisional: used, moved to rejected by rules
        return [t]
    out = []
    for f in files:
        one = _parse_native([f]) if len(files) > 1 else None
        if one is not None:
            out.extend(_finish([f], one, report))
            continue
        t1 = _parse_one(f, report)
        if t1 is not None:
            out.append(t1)
    return out


def _parse_native(files: list[SourceFile]) -> tuple[pa.Table, list[int]] | None:
    """The Rust reader: all files in one parallel pass, columns dictionary-coded; the
    table and each file's row count. Writes nothing to the report (it may run in a
    thread beside another group's).

    None when it hands a file back (a malformed row, a quoted line break, ...); the
    caller then reads file by file with pyarrow and reports bad rows.
    """
    spec = files[0].spec
    assert spec is not None
    names = files[0].names
    include = [c for c in dict.fromkeys(names) if c in spec.keep or c in ("LA", "YEAR")]
    if any(names.count(c) > 1 for c in include):
        return None
    parsed, _trouble = _native.parse_csv_bodies(
        [f.data for f in files],
        [f.header_len for f in files],
        len(names),
        [names.index(c) for c in include],
        # Child ids are keyed by council and text later: their dictionary may repeat a
        # value, which spares the reader's costliest merge.
        [names.index("CHILD")] if "CHILD" in include else [],
    )
    if parsed is None:
        return None
    cols, lines, counts = parsed
    t = pa.table(dict(zip(include, cols, strict=True)))
    local = np.repeat(np.arange(len(files)), counts)
    return add_meta(t, local, np.asarray(lines, dtype=np.int64), files), list(counts)


def _parse_one(f: SourceFile, report: ValidationReport) -> pa.Table | None:
    """The careful reader: one file with pyarrow, its rows with the wrong number of
    fields reported and set aside, the rest read."""
    spec = f.spec
    assert spec is not None
    body = f.data[f.header_len :]
    lines = line_numbers(body, 2)
    bad: list[int] = []
    ro, po, co = _read_options(f.names, spec, bad)
    try:
        t = pacsv.read_csv(io.BytesIO(body), ro, po, co)
    except pa.ArrowInvalid as e:
        detail = safe_arrow_message(str(e), f.names, frozenset())
        fail(report, f, "unreadable_file", detail, rows=len(lines))
        return None
    if bad:
        bad_lines = (
            np.array(bad, dtype=np.int64) + 1
        )  # physical row number within body, header = line 1
        report.add(
            "wrong_field_count",
            "rejected",
            file_idx=f.idx,
            line=bad_lines,
            detail=f"expected {len(f.names)} fields",
        )
        report.count(spec.name, len(bad), 0)
        lines = lines[~np.isin(lines, bad_lines)]
    if len(lines) != t.num_rows:  # quoted newlines: line numbers are approximate
        lines = np.arange(t.num_rows, dtype=np.int64) + 2
    report.count(spec.name, t.num_rows, t.num_rows)
    return add_meta(t, np.zeros(t.num_rows, dtype=np.int64), lines, [f])


def add_meta(
    t: pa.Table, local: np.ndarray, lines: np.ndarray, files: list[SourceFile]
) -> pa.Table:
    """Add _file, _line, _la, _year; local = each row's position in files."""
    fid = np.array([f.idx for f in files], dtype=np.int32)[local]
    uniq: dict[str, int] = {}
    la_pos = np.array(
        [-1 if f.la is None else uniq.setdefault(f.la, len(uniq)) for f in files], dtype=np.int32
    )
    ix = la_pos[local] if len(files) else np.zeros(0, np.int32)
    la = pa.DictionaryArray.from_arrays(  # no per-row strings
        pa.array(np.maximum(ix, 0), pa.int32(), mask=ix < 0), pa.array(list(uniq), pa.string())
    )
    yr = np.array([f.year if f.year is not None else -1 for f in files], dtype=np.int32)[local]
    if "LA" in t.column_names:
        la = pc.dictionary_encode(
            pc.coalesce(
                pc.utf8_trim_whitespace(t.column("LA").cast(pa.string())), la.cast(pa.string())
            )
        )
        la = la.combine_chunks() if isinstance(la, pa.ChunkedArray) else la
        t = t.drop_columns(["LA"])
    if "YEAR" in t.column_names:
        yc = _year_column(t.column("YEAR").cast(pa.string()))
        yr = np.where(yc > 0, yc, yr)
        t = t.drop_columns(["YEAR"])
    t = t.append_column("_file", pa.array(fid, pa.int32()))
    t = t.append_column("_line", pa.array(lines, pa.int64()))
    t = t.append_column("_la", la)
    t = t.append_column("_year", pa.array(yr, pa.int32()))
    return t


def _year_column(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    ex = pc.extract_regex(pc.fill_null(col, ""), r"^\s*(?P<a>\d{4})(?:[-/_]?(?P<b>\d{2}))?")
    a = pc.struct_field(ex, "a").cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False)
    b_s = pc.struct_field(ex, "b")
    b = (
        pc.if_else(pc.equal(b_s, ""), None, b_s)
        .cast(pa.int64())
        .fill_null(-1)
        .to_numpy(zero_copy_only=False)
    )
    return np.asarray(np.where(b >= 0, a + 1, a), dtype=np.int32)
