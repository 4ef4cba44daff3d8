"""Reading journey tables from files: Parquet (file or partitioned directory), Arrow IPC /
Feather and CSV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from .errors import CarevisError, SchemaError
from .journeys import Journeys, OnError

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
            import pyarrow.csv as pacsv

            opts = pacsv.ConvertOptions(
                column_types={"start": pa.date32(), "end": pa.date32()},
                strings_can_be_null=True,
            )
            parse = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
            return pacsv.read_csv(p, parse_options=parse, convert_options=opts)
    except (pa.ArrowException, OSError) as e:
        raise SchemaError(f"{p}: cannot read as a journey table: {e}") from e
    raise SchemaError(
        f"{p}: unknown format {p.suffix!r} (use .parquet, .arrow/.feather, .csv or a directory)"
    )


def read(path: str | os.PathLike[str], *, on_error: OnError = "raise", **kwargs: Any) -> Journeys:
    """Reads a journey table (Parquet, Arrow IPC / Feather, CSV) and indexes it."""
    table = read_table(path)
    return Journeys.from_arrow(table, on_error=on_error, source=os.fspath(path), **kwargs)
