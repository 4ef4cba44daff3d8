"""Reading journey tables from files: Parquet (file or partitioned directory), Arrow IPC /
Feather and CSV."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from .errors import CarevisError, DataError, SchemaError
from .privacy import safe_arrow_message

PARQUET = {".parquet", ".pq"}
IPC = {".arrow", ".feather", ".ipc", ".arrows"}
CSV = {".csv", ".tsv"}


def _unique_names(p: Path, schema: pa.Schema) -> None:
    """A SchemaError for a column name given twice (before reading any data)."""
    names = schema.names
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise SchemaError(
            f"{p}: column '{twice}' appears {names.count(twice)} times; "
            "every column needs a name of its own"
        )


def read_table(path: str | os.PathLike[str]) -> pa.Table:
    """Reads a canonical journey table from a file or a partitioned Parquet directory."""
    p = Path(path)
    if not p.exists():
        raise CarevisError(f"{p}: no such file or directory")
    try:
        if p.is_dir():
            import pyarrow.dataset as ds

            return ds.dataset(p, format="parquet", partitioning="hive").to_table()
        suffix = p.suffix.lower()
        if suffix in PARQUET:
            import pyarrow.parquet as pq

            _unique_names(p, pq.read_schema(p))
            return pq.read_table(p)
        if suffix in IPC:
            import pyarrow.feather as feather

            return feather.read_table(p, memory_map=True)
        if suffix in CSV:
            return _read_csv(p, "\t" if suffix == ".tsv" else ",")
    except (pa.ArrowException, OSError) as e:
        msg = safe_arrow_message(str(e), [], SHOWN) if isinstance(e, pa.ArrowException) else e
        raise SchemaError(f"{p}: cannot read as a journey table: {msg}") from None
    raise SchemaError(
        f"{p}: unknown format {p.suffix!r} (use .parquet, .arrow/.feather, .csv or a directory)"
    )


#: Columns of a journey CSV whose values may appear in an error message (no identifiers).
SHOWN = frozenset({"state", "start", "end"})


def _read_csv(p: Path, delimiter: str) -> pa.Table:
    """A journey CSV. A ragged row is a DataError naming the file and row, a value of the
    wrong type a SchemaError naming the column; neither quotes the row (it may hold ids,
    postcodes, birth dates), and a value is shown only for state, start and end."""
    import pyarrow.csv as pacsv

    bad: list[pacsv.InvalidRow] = []

    def skip(row: pacsv.InvalidRow) -> str:
        bad.append(row)
        return "skip"

    opts = pacsv.ConvertOptions(
        column_types={"start": pa.date32(), "end": pa.date32()},
        strings_can_be_null=True,
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=skip)
    try:
        table = pacsv.read_csv(p, parse_options=parse, convert_options=opts)
    except pa.ArrowInvalid as e:
        names = _csv_names(p, delimiter)
        raise SchemaError(
            f"{p}: cannot read as a journey table: {safe_arrow_message(str(e), names, SHOWN)}"
        ) from None
    if bad:
        first = bad[0]
        if first.number is None:  # the threaded reader does not count rows: count them
            bad.clear()
            serial = pacsv.ReadOptions(use_threads=False)
            pacsv.read_csv(p, read_options=serial, parse_options=parse, convert_options=opts)
            first = bad[0]
        row = f"row {first.number} (the header is row 1)" if first.number else "a row"
        raise DataError(
            f"{p}, {row}: {first.actual_columns} fields where the header has "
            f"{first.expected_columns} ({len(bad)} such rows; the row is not shown, it may "
            "identify a child)"
        )
    return table


def _csv_names(p: Path, delimiter: str) -> list[str]:
    import csv

    try:
        with open(p, newline="", encoding="utf-8", errors="replace") as f:
            return next(csv.reader(f, delimiter=delimiter), [])
    except (OSError, csv.Error):
        return []
