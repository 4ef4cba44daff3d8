"""Finding, sniffing and parsing SSDA903 files (CSV and XML) into string tables.

Every file is classified by its columns (the file name is only a hint), gets
its council and collection year from columns, arguments or its path, and is
parsed into an Arrow table of strings with ``_file`` (index into the report's
file list), ``_line`` (1-based, header = 1), ``_la`` and ``_year`` columns.
Files that share a header are concatenated and parsed in one multithreaded
pyarrow.csv call; a file that breaks the fast path is re-read on its own.
A file that cannot be used gets one file-level report row, and the rest load.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import ConfigError, DataError
from ..privacy import safe_arrow_message
from ._xml import XMLDoctypeError, XMLParseError, parse_xml
from ._xml903 import read_903_xml
from ._years import FileHint, YearOverride, name_year, override_for, resolve_903
from .report import ValidationReport

__all__ = ["TABLES", "expand_paths", "la_from_path", "read_903_files"]


@dataclass(frozen=True)
class TableSpec:
    name: str
    signature: frozenset[str]  # columns that identify the table
    required: tuple[str, ...]  # columns it must have to be used
    keep: tuple[str, ...]  # columns read (others, postcodes included, never read)
    used: bool = True


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "episodes",
        frozenset({"DECOM"}),
        ("CHILD", "DECOM", "LS", "PLACE", "DEC", "REC"),
        ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"),
    ),
    TableSpec(
        "placed_for_adoption",
        frozenset({"DATE_PLACED"}),
        ("CHILD", "DATE_PLACED"),
        ("CHILD", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    ),
    TableSpec("uasc", frozenset({"DUC"}), ("CHILD",), ("CHILD", "SEX", "DOB", "DUC")),
    TableSpec("missing", frozenset({"MIS_START"}), (), (), used=False),
    TableSpec("ad1", frozenset({"DATE_INT"}), (), (), used=False),
    TableSpec("reviews", frozenset({"REVIEW"}), (), (), used=False),
    TableSpec("oc2", frozenset({"CONVICTED"}), (), (), used=False),
    TableSpec("oc3", frozenset({"IN_TOUCH"}), (), (), used=False),
    TableSpec("previous_permanence", frozenset({"PREV_PERM"}), (), (), used=False),
    TableSpec("sw_episodes", frozenset({"SW_ID"}), (), (), used=False),
    TableSpec("dolo", frozenset({"DOLO_START"}), (), (), used=False),
    TableSpec(
        "header",
        frozenset({"SEX", "DOB"}),
        ("CHILD", "SEX", "DOB"),
        ("CHILD", "SEX", "DOB", "ETHNIC"),
    ),
)
SPEC = {t.name: t for t in TABLES}

_DICT = pa.dictionary(pa.int32(), pa.string())

_NAME_HINTS = (
    ("episode", "episodes"),
    ("header", "header"),
    ("uasc", "uasc"),
    ("placed_for_adoption", "placed_for_adoption"),
    ("placed", "placed_for_adoption"),
    ("missing", "missing"),
    ("review", "reviews"),
)

_YEAR_PAIR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[-_/]?(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)")
_LA_CODE = re.compile(r"^(\d{3}|E\d{8})$", re.IGNORECASE)


def expand_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files under the given files and folders (CSV and XML), in a stable order.

    A path that does not exist (or is a symbolic link that leads nowhere) and a folder
    with no .csv or .xml file in it raise :class:`DataError` naming it. Symbolic links
    to folders are not followed (no loops); a file link that loops gets a report row
    when it is read.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found: list[str] = []
            others: list[str] = []
            for root, _dirs, files in os.walk(p):
                for f in files:
                    (found if f.lower().endswith((".csv", ".xml")) else others).append(
                        os.path.join(root, f)
                    )
            if not found:
                hint = ""
                if others:
                    first = min(others)
                    zipped = [o for o in others if o.lower().endswith(".zip")]
                    hint = f" ({len(others)} other files, e.g. {os.path.basename(first)}" + (
                        "; unzip archives first)" if zipped else ")"
                    )
                raise DataError(f"{p}: no .csv or .xml return files in this folder{hint}")
            out.extend(Path(f) for f in sorted(found))
        elif p.is_symlink() and not p.exists():
            raise DataError(f"{p}: a symbolic link that leads nowhere (a loop or a missing target)")
        elif not p.exists():
            raise DataError(f"{p}: no such file or folder")
        else:
            out.append(p)
    return out


def la_from_path(path: Path) -> str | None:
    """Council code from the file name (SSDA903_<LA>_<YEAR>_... or a 3-digit / E-code token)."""
    toks = [t for t in re.split(r"[_\-\s.]+", path.stem) if t]
    for t in toks:
        if _LA_CODE.match(t):
            return t.upper()
    if len(toks) >= 3 and toks[0].upper() in ("SSDA903", "CIN", "CIN_CENSUS"):
        t = toks[1]
        if not _YEAR.fullmatch(t) and not _YEAR_PAIR.fullmatch(t):
            return t
    parent = path.parent.name
    if _LA_CODE.match(parent):
        return parent.upper()
    return None


def _name_hint(path: Path) -> str | None:
    s = path.stem.lower()
    for k, t in _NAME_HINTS:
        if k in s:
            return t
    return None


def classify(cols: Iterable[str]) -> TableSpec | None:
    cs = set(cols)
    for t in TABLES:
        if t.signature <= cs:
            return t
    return None


@dataclass
class _File:
    path: Path
    idx: int
    la: str | None
    year: int | None
    data: bytes = b""
    names: list[str] = field(default_factory=list)
    header_len: int = 0
    spec: TableSpec | None = None


def _fail(
    report: ValidationReport,
    f: _File,
    rule: str,
    detail: str,
    *,
    field: str = "",
    value: str | None = None,
    rows: int = 0,
    line: int | None = None,
) -> None:
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


def _count_data_lines(body: bytes) -> int:
    a = np.frombuffer(body, dtype=np.uint8)
    if len(a) == 0:
        return 0
    nl = np.flatnonzero(a == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(a)]))
    lens = ends - starts
    cr = (lens > 0) & (a[np.maximum(ends - 1, 0)] == 13)
    return int(np.count_nonzero(lens - cr > 0))


def _line_numbers(body: bytes, first_line: int) -> np.ndarray:
    """Line numbers of the non-empty lines of a body that starts at first_line."""
    a = np.frombuffer(body, dtype=np.uint8)
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    nl = np.flatnonzero(a == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(a)]))
    lens = ends - starts
    cr = (lens > 0) & (a[np.maximum(ends - 1, 0)] == 13)
    nonempty = np.flatnonzero(lens - cr > 0)
    return nonempty.astype(np.int64) + first_line


#: Largest return file read (MiB): files are read whole, so a bigger one is refused
#: before reading. Set CAREVIS_MAX_FILE_MB to change it (council returns are a few MB).
MAX_FILE_MB = 512


def max_file_bytes() -> int:
    """The size cap on one return file, from CAREVIS_MAX_FILE_MB (default MAX_FILE_MB)."""
    raw = os.environ.get("CAREVIS_MAX_FILE_MB", "").strip()
    if not raw:
        return MAX_FILE_MB << 20
    try:
        mb = float(raw)
    except ValueError:
        raise ConfigError(f"CAREVIS_MAX_FILE_MB must be a number of MiB, not {raw!r}") from None
    if not mb > 0:
        raise ConfigError(f"CAREVIS_MAX_FILE_MB must be above 0, not {raw!r}")
    return int(mb * (1 << 20))


def read_return(path: Path) -> bytes:
    """A return file's bytes, refusing one above the size cap before reading it."""
    size = path.stat().st_size
    cap = max_file_bytes()
    if size > cap:
        raise DataError(
            f"{path}: {size / (1 << 20):,.0f} MiB is above the {cap / (1 << 20):,.0f} MiB "
            "limit on one return file (set CAREVIS_MAX_FILE_MB to raise it, or split the file)"
        )
    with open(path, "rb") as f:
        data = f.read(cap + 1)  # never more than the cap, whatever the file claims
    if len(data) > cap:
        raise DataError(f"{path}: above the {cap / (1 << 20):,.0f} MiB limit on one return file")
    return data


_BINARY = (
    (b"PK\x03\x04", "a zip archive (or an Excel workbook): unzip it, or save it as CSV"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip archive: decompress it first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel / Office file: save it as CSV"),
    (b"%PDF", "a PDF document, not a return"),
)


def binary_kind(data: bytes) -> str | None:
    """What a file that is not text is (zip, gzip, Excel, PDF), or None."""
    for magic, what in _BINARY:
        if data.startswith(magic):
            return what
    return None


_BLANK = re.compile(rb"\s*")
_XML_START = re.compile(rb"\s*<\?xml")


_KNOWN = frozenset(c for t in TABLES for c in (*t.keep, *t.signature)) | {"LA", "YEAR"}


def _known_names(names: list[str]) -> str:
    """Header names for a message: known column names only, since a file without a
    header has a data row there (ids, birth dates); the rest are counted."""
    known = [n for n in names if n in _KNOWN]
    other = len(names) - len(known)
    return ", ".join(known[:8] + ([f"{other} not SSDA903 names"] if other else [])) or "(none)"


def _sniff_csv(f: _File, report: ValidationReport) -> bool:
    """Decode check, header split, table detection. False = file rejected."""
    data = f.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if _BLANK.fullmatch(data):  # (stops at the first non-blank byte; strip() copies)
        _fail(report, f, "empty_file", "no header and no rows")
        return False
    what = binary_kind(data)
    if what is not None:
        hint = _name_hint(f.path)
        f.spec = SPEC[hint] if hint else None
        _fail(report, f, "unreadable_file", what)
        return False
    if b"\r" in data and b"\n" not in data:  # old Mac line ends (CR only)
        data = data.replace(b"\r", b"\n")
    try:
        if not data.isascii():  # ASCII (nearly every return) is UTF-8: no decode
            data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        hint = _name_hint(f.path)
        f.spec = SPEC[hint] if hint else None
        n = _count_data_lines(data.split(b"\n", 1)[1] if b"\n" in data else b"")
        _fail(
            report,
            f,
            "bad_encoding",
            f"byte {data[e.start]:#04x} at offset {e.start} is not UTF-8",
            line=line,
            rows=n,
        )
        return False
    f.data = data
    nl = data.find(b"\n")
    head = (data if nl < 0 else data[:nl]).decode("utf-8").strip("\r\n")
    f.header_len = len(data) if nl < 0 else nl + 1
    try:
        raw_names: list[str] = next(iter(csv.reader([head])), [])
    except csv.Error as e:
        _fail(report, f, "unreadable_file", f"the header cannot be read as CSV ({e})", line=1)
        return False
    f.names = [n.strip().strip('"').strip().upper() for n in raw_names]
    body = data[f.header_len :]

    def nrows_() -> int:
        return _count_data_lines(body)

    if len(f.names) <= 1:
        for d, dn in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if d in head:
                spec = classify(n.strip().upper() for n in head.split(d))
                f.spec = spec
                _fail(
                    report,
                    f,
                    "wrong_delimiter",
                    f"{dn}-separated; save it as comma-separated CSV",
                    line=1,
                    rows=nrows_(),
                )
                return False
    spec = classify(f.names)
    hint = _name_hint(f.path)
    if spec is None:
        if hint is not None and SPEC[hint].required:
            f.spec = SPEC[hint]
            missing = [c for c in SPEC[hint].required if c not in f.names]
            _fail(
                report,
                f,
                "missing_column",
                f"{hint} needs {', '.join(missing)}",
                field=",".join(missing),
                line=1,
                rows=nrows_(),
            )
        else:
            _fail(
                report,
                f,
                "unknown_table",
                f"columns {_known_names(f.names)} match no SSDA903 table",
                line=1,
                rows=nrows_(),
            )
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
        _fail(
            report,
            f,
            "missing_column",
            f"{spec.name} needs {', '.join(missing)}",
            field=",".join(missing),
            line=1,
            rows=nrows_(),
        )
        return False
    if nrows_() == 0:
        report.add("no_rows", "rejected", file_idx=f.idx, line=1, rows=0, detail=spec.name)
    return True


def _read_options(
    names: list[str], spec: TableSpec, serial: bool, bad: list[int] | None
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    include = [c for c in dict.fromkeys(names) if c in spec.keep or c in ("LA", "YEAR")]
    ro = pacsv.ReadOptions(column_names=names, use_threads=not serial, block_size=1 << 20)

    def handler(row: pacsv.InvalidRow) -> str:
        if bad is not None:
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


def _parse_group(files: list[_File], report: ValidationReport) -> list[pa.Table]:
    """Parse files that share a header in one call; fall back per file on trouble."""
    t = _parse_native(files, report)
    if t is not None:
        return [t]
    if _native_csv() is None:
        return _parse_group_arrow(files, report)
    out = []
    for f in files:  # one file at a time: only the troubled ones take the careful reader
        t1 = _parse_native([f], report) if len(files) > 1 else None
        if t1 is None:
            t1 = _parse_one(f, report)
        if t1 is not None:
            out.append(t1)
    return out


def _native_csv() -> Any:
    try:
        from carevis._native import parse_csv_bodies
    except ImportError:  # the ingest runs on pyarrow alone, only slower
        return None
    return parse_csv_bodies


def _parse_native(files: list[_File], report: ValidationReport) -> pa.Table | None:
    """The Rust reader: all files in one parallel pass, columns dictionary-coded.

    None when it hands a file back (a malformed row, a quoted line break, ...) or is
    not built; the caller then reads file by file with pyarrow and reports bad rows.
    """
    parse = _native_csv()
    spec = files[0].spec
    assert spec is not None
    names = files[0].names
    include = [c for c in dict.fromkeys(names) if c in spec.keep or c in ("LA", "YEAR")]
    if parse is None or any(names.count(c) > 1 for c in include):
        return None
    parsed, _trouble = parse(
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
    t = _add_meta(t, local, np.asarray(lines, dtype=np.int64), files)
    for c in counts:
        report.count(spec.name, c, c)  # provisional: used, moved to rejected by rules
    return t


def _parse_group_arrow(files: list[_File], report: ValidationReport) -> list[pa.Table]:
    """pyarrow's reader over the joined bodies; per file on trouble."""
    spec = files[0].spec
    assert spec is not None
    names = files[0].names
    if len(files) > 1:
        bodies = []
        counts = []
        lines = []
        for f in files:
            b = f.data[f.header_len :]
            if b and not b.endswith(b"\n"):
                b += b"\n"
            bodies.append(b)
            if b"\n\n" in b or b"\n\r\n" in b or b.startswith((b"\n", b"\r\n")):
                ln = _line_numbers(b, 2)  # blank lines: skip them in the numbering
            else:
                ln = np.arange(2, b.count(b"\n") + 2, dtype=np.int64)
            lines.append(ln)
            counts.append(len(ln))
        bad: list[int] = []
        ro, po, co = _read_options(names, spec, False, bad)
        try:
            t = pacsv.read_csv(io.BytesIO(b"".join(bodies)), ro, po, co)
        except pa.ArrowInvalid:
            t = None
        if t is not None and not bad and t.num_rows == sum(counts):
            local = np.repeat(np.arange(len(files)), counts)
            t = _add_meta(
                t, local, np.concatenate(lines) if lines else np.zeros(0, np.int64), files
            )
            for c in counts:
                report.count(spec.name, c, c)  # provisional: used, moved to rejected by rules
            return [t]
    out = []
    for f in files:
        t1 = _parse_one(f, report)
        if t1 is not None:
            out.append(t1)
    return out


def _parse_one(f: _File, report: ValidationReport) -> pa.Table | None:
    spec = f.spec
    assert spec is not None
    body = f.data[f.header_len :]
    lines = _line_numbers(body, 2)
    bad: list[int] = []
    ro, po, co = _read_options(f.names, spec, True, bad)
    try:
        t = pacsv.read_csv(io.BytesIO(body), ro, po, co)
    except pa.ArrowInvalid as e:
        detail = safe_arrow_message(str(e), f.names, frozenset())
        _fail(report, f, "unreadable_file", detail, rows=len(lines))
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
    return _add_meta(t, np.zeros(t.num_rows, dtype=np.int64), lines, [f])


def _add_meta(t: pa.Table, local: np.ndarray, lines: np.ndarray, files: list[_File]) -> pa.Table:
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


# -- XML ---------------------------------------------------------------------


def _xml_tables(f: _File, report: ValidationReport) -> list[tuple[str, pa.Table]]:
    try:
        root = parse_xml(f.data)
    except XMLDoctypeError as e:
        raise DataError(f"{f.path}, line {e.line}: {e}") from e
    except XMLParseError as e:
        _fail(report, f, "unreadable_file", str(e), line=e.line)
        return []
    if root.key != "EXPSSDA903":
        _fail(
            report,
            f,
            "unknown_table",
            f"root element <{root.tag}> is not an SSDA903 return (<EXPSSDA903>)",
            line=root.line,
        )
        return []
    used = {t.name: t.keep for t in TABLES if t.used}
    x = read_903_xml(root, used)
    unknown = ", ".join(f"{k} x{v}" for k, v in sorted(x.unknown.items()))
    report.add(
        "xml_elements",
        "info",
        file_idx=f.idx,
        line=None,
        rows=0,
        value=str(x.elements),
        detail=(
            f"{x.elements} elements: {x.structural} root/CHILD, {x.records} records (rows), "
            f"{x.fields_read} fields read, {x.fields_not_needed} fields not needed, "
            f"{sum(x.unknown.values())} unknown" + (f" ({unknown})" if unknown else "")
        ),
    )
    if x.unknown:
        report.add(
            "unknown_element",
            "repaired",
            file_idx=f.idx,
            line=None,
            rows=0,
            value=unknown[:200],
            detail="elements the SSDA903 layout does not have; not read",
        )
    out = []
    for name, rows in x.rows.items():
        spec = SPEC[name]
        if not spec.used:
            report.not_needed(name, len(rows))
            continue
        cols = [*list(spec.keep), "LA", "YEAR"]
        data = {c: pa.array([r.get(c) for _, r in rows], pa.string()) for c in cols}
        if not any(r.get("LA") for _, r in rows):
            del data["LA"]
        if not any(r.get("YEAR") for _, r in rows):
            del data["YEAR"]
        t = pa.table(data)
        lines = np.array([ln for ln, _ in rows], dtype=np.int64)
        report.count(name, t.num_rows, t.num_rows)
        out.append((name, _add_meta(t, np.zeros(t.num_rows, np.int64), lines, [f])))
    return out


_DICT = pa.dictionary(pa.int32(), pa.string())

# -- entry -------------------------------------------------------------------


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
    groups: dict[tuple[str, tuple[str, ...]], list[_File]] = {}
    xml_parts: list[tuple[str, pa.Table]] = []
    for p in paths:
        given = override_for(p, year)
        f = _File(p, report.file_index(p), la if la is not None else la_from_path(p), given)
        hints[f.idx] = FileHint(p, name_year(p), given)
        try:
            f.data = read_return(p)
        except OSError as e:
            _fail(report, f, "unreadable_file", f"{type(e).__name__}: {e.strerror or e}")
            continue
        if p.suffix.lower() == ".xml" or _XML_START.match(f.data):
            xml_parts.extend(_xml_tables(f, report))
            continue
        if not _sniff_csv(f, report):
            continue
        assert f.spec is not None
        groups.setdefault((f.spec.name, tuple(f.names)), []).append(f)
    parts: dict[str, list[pa.Table]] = {}
    for (name, _), files in groups.items():
        for t in _parse_group(files, report):
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
