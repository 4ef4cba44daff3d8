"""Sniffing an SSDA903 CSV file: its encoding, its header, which table its columns make,
and a file-level report row (and the file set aside) for one that cannot be used."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._paths import binary_kind
from ..report import ValidationReport
from .tables import SPEC, TableSpec, classify, known_names, name_hint

__all__ = ["XML_START", "SourceFile", "fail", "line_numbers", "sniff_csv"]

_BLANK = re.compile(rb"\s*")
XML_START = re.compile(rb"\s*<\?xml")
_EMPTY_LINES = re.compile(rb"(?:\r?\n)*\r?")  # only empty lines (count_data_lines == 0)


@dataclass
class SourceFile:
    """One return file being read: where it is, what it holds, what it was found to be."""

    path: Path
    idx: int
    la: str | None
    year: int | None
    data: bytes = b""
    names: list[str] = field(default_factory=list)
    header_len: int = 0
    spec: TableSpec | None = None


def fail(
    report: ValidationReport,
    f: SourceFile,
    rule: str,
    detail: str,
    *,
    field: str = "",
    value: str | None = None,
    rows: int = 0,
    line: int | None = None,
) -> None:
    """Set a file aside with one report row (its ``rows`` data rows counted rejected)."""
    report.failed_files.add(f.idx)
    report.add(
        rule,
        "rejected",
        file_idx=f.idx,
        line=line,
        field=field,
        value=value,
        rows=rows,
        detail=detail,
    )
    if rows:
        report.count(f.spec.name if f.spec else "unknown", rows, 0)


def _line_bounds(body: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(first byte, length without the line end) of each line of a body."""
    a = np.frombuffer(body, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(a)]))
    lens = ends - starts
    cr = (lens > 0) & (a[np.maximum(ends - 1, 0)] == 13)
    return starts, lens - cr


def count_data_lines(body: bytes) -> int:
    """The number of non-empty lines of a body."""
    if not body:
        return 0
    return int(np.count_nonzero(_line_bounds(body)[1] > 0))


def line_numbers(body: bytes, first_line: int) -> np.ndarray:
    """Line numbers of the non-empty lines of a body that starts at first_line."""
    if not body:
        return np.zeros(0, dtype=np.int64)
    nonempty = np.flatnonzero(_line_bounds(body)[1] > 0)
    return nonempty.astype(np.int64) + first_line


def sniff_csv(f: SourceFile, report: ValidationReport) -> bool:
    """Decode check, header split, table detection. False = file rejected."""
    data = _decoded(f, report)
    if data is None:
        return False
    f.data = data
    nl = data.find(b"\n")
    head = (data if nl < 0 else data[:nl]).decode("utf-8").strip("\r\n")
    f.header_len = len(data) if nl < 0 else nl + 1
    try:
        f.names = list(_header_names(head))
    except csv.Error as e:
        fail(report, f, "unreadable_file", f"the header cannot be read as CSV ({e})", line=1)
        return False
    return _classified(f, head, report)


@lru_cache(maxsize=256)
def _header_names(head: str) -> tuple[str, ...]:
    """A header line's column names, trimmed and upper-cased. Kept: a set of returns
    repeats a few header lines across thousands of files."""
    raw_names: list[str] = next(iter(csv.reader([head])), [])
    return tuple(n.strip().strip('"').strip().upper() for n in raw_names)


def _hint_spec(f: SourceFile) -> TableSpec | None:
    hint = name_hint(f.path)
    return SPEC[hint] if hint else None


def _decoded(f: SourceFile, report: ValidationReport) -> bytes | None:
    """The file's bytes as UTF-8 without a byte order mark, or None (file rejected)."""
    data = f.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if _BLANK.fullmatch(data):  # (stops at the first non-blank byte; strip() copies)
        fail(report, f, "empty_file", "no header and no rows")
        return None
    what = binary_kind(data)
    if what is not None:
        f.spec = _hint_spec(f)
        fail(report, f, "unreadable_file", what)
        return None
    if b"\r" in data and b"\n" not in data:  # old Mac line ends (CR only)
        data = data.replace(b"\r", b"\n")
    try:
        if not data.isascii():  # ASCII (nearly every return) is UTF-8: no decode
            data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        f.spec = _hint_spec(f)
        n = count_data_lines(data.split(b"\n", 1)[1] if b"\n" in data else b"")
        fail(
            report,
            f,
            "bad_encoding",
            f"byte {data[e.start]:#04x} at offset {e.start} is not UTF-8",
            line=line,
            rows=n,
        )
        return None
    return data


def _classified(f: SourceFile, head: str, report: ValidationReport) -> bool:
    """Which table the header makes; False (file rejected or not needed) when none is
    usable."""
    body = f.data[f.header_len :]

    def nrows_() -> int:
        return count_data_lines(body)

    if len(f.names) <= 1:
        for d, dn in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if d in head:
                f.spec = classify(n.strip().upper() for n in head.split(d))
                msg = f"{dn}-separated; save it as comma-separated CSV"
                fail(report, f, "wrong_delimiter", msg, line=1, rows=nrows_())
                return False
    spec = classify(f.names)
    hint = name_hint(f.path)
    if spec is None:
        _unknown(f, hint, report, nrows_())
        return False
    f.spec = spec
    if hint is not None and hint != spec.name:
        report.add(
            "file_name_mismatch",
            "repaired",
            file_idx=f.idx,
            line=1,
            rows=0,
            detail=f"named like {hint}, read as {spec.name} by its columns",
        )
    if not spec.used:
        n = nrows_()
        report.not_needed(spec.name, n)
        report.add(
            "table_not_used",
            "info",
            file_idx=f.idx,
            line=None,
            rows=0,
            value=str(n),
            detail=f"{spec.name}: {n} rows not needed",
        )
        return False
    missing = [c for c in spec.required if c not in f.names]
    if missing:
        _missing(f, spec, missing, report, nrows_())
        return False
    if _EMPTY_LINES.fullmatch(body):  # no data line (a scan that stops at the first byte)
        report.add("no_rows", "rejected", file_idx=f.idx, line=1, rows=0, detail=spec.name)
    return True


def _missing(
    f: SourceFile, spec: TableSpec, missing: list[str], report: ValidationReport, rows: int
) -> None:
    detail = f"{spec.name} needs {', '.join(missing)}"
    fail(report, f, "missing_column", detail, field=",".join(missing), line=1, rows=rows)


def _unknown(f: SourceFile, hint: str | None, report: ValidationReport, rows: int) -> None:
    """No table matches the columns: a missing column of the table the name suggests, or
    an unknown table."""
    if hint is not None and SPEC[hint].required:
        f.spec = SPEC[hint]
        missing = [c for c in SPEC[hint].required if c not in f.names]
        _missing(f, SPEC[hint], missing, report, rows)
    else:
        detail = f"columns {known_names(f.names)} match no SSDA903 table"
        fail(report, f, "unknown_table", detail, line=1, rows=rows)
