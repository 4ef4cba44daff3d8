"""Splitting data larger than memory by child: a stable hash of each child id, a
hive-partitioned Parquet dataset keyed by it (every child's spells in one part), and the
parts of such a dataset."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..atomic import atomic
from ..errors import ConfigError, ExportError
from ..io import read_table


def _fnv1a(arr: pa.Array) -> np.ndarray:
    """FNV-1a 64 of each value's bytes (stable across processes and runs)."""
    arr = arr.cast(pa.large_binary())
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(n, 0xCBF29CE484222325, np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for i in range(int(lengths.max(initial=0))):
            live = lengths > i
            h[live] = (h[live] ^ data[starts[live] + i].astype(np.uint64)) * prime
    return h


def _splitmix(v: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z: np.ndarray = v.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        out: np.ndarray = z ^ (z >> np.uint64(31))
        return out


def child_hash(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A stable 64-bit hash of each child id (integers and strings; nulls hash to 0)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    if pa.types.is_integer(ids.type):
        v = ids.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        h = _splitmix(v.view(np.uint64))
    else:
        if not (
            pa.types.is_string(ids.type)
            or pa.types.is_large_string(ids.type)
            or pa.types.is_binary(ids.type)
            or pa.types.is_large_binary(ids.type)
        ):
            ids = ids.cast(pa.string())
        h = _fnv1a(ids)
    if ids.null_count:
        h[np.asarray(ids.is_null().to_numpy(zero_copy_only=False))] = 0
    return h


def _reader(data: Any, batch_rows: int) -> pa.RecordBatchReader:
    if isinstance(data, (str, os.PathLike)):
        p = Path(data)
        if not p.exists():
            raise ConfigError(f"{p}: no such file or directory")
        if p.is_dir() or p.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.dataset as ds

            dataset = ds.dataset(p, format="parquet", partitioning="hive" if p.is_dir() else None)
            cols = [n for n in dataset.schema.names if n != "part"]
            return pa.RecordBatchReader.from_batches(
                dataset.schema.remove(dataset.schema.get_field_index("part"))
                if "part" in dataset.schema.names
                else dataset.schema,
                dataset.to_batches(columns=cols, batch_size=batch_rows),
            )
        table = read_table(p)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch_rows))
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    if hasattr(data, "__arrow_c_array__"):
        return pa.RecordBatchReader.from_stream(pa.table(pa.record_batch(data)))
    raise ConfigError(f"expected a path or an Arrow table, not {type(data).__name__}")


def partition_by_child(
    data: Any,
    out_dir: str | os.PathLike[str],
    n_parts: int,
    *,
    child_id: str = "child_id",
    batch_rows: int = 1 << 20,
) -> Path:
    """Writes ``data`` (an Arrow table or stream, a Parquet file or a partitioned Parquet
    folder, read a batch at a time) to ``out_dir`` as a hive-partitioned Parquet dataset
    ``part=K/`` with ``K = hash(child_id) % n_parts``: every child's spells in one part.
    Written beside ``out_dir`` and renamed into place when complete. Returns the folder."""
    import pyarrow.dataset as ds

    if isinstance(n_parts, bool) or not isinstance(n_parts, (int, np.integer)) or n_parts < 1:
        raise ConfigError(f"n_parts must be a whole number >= 1, not {n_parts!r}")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: exists and is not an empty folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"{out}: the folder {parent} does not exist")
    reader = _reader(data, batch_rows)
    if child_id not in reader.schema.names:
        names = ", ".join(reader.schema.names)
        raise ConfigError(f"no column {child_id!r} to partition by (columns: {names})")
    part = pa.field("part", pa.int32())
    schema = reader.schema.append(part)

    def parts() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            k = (child_hash(batch.column(child_id)) % np.uint64(n_parts)).astype(np.int32)
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, pa.array(k, pa.int32())], schema=schema
            )

    with atomic(out) as tmp:  # a folder: renamed onto the empty (or absent) target
        ds.write_dataset(
            parts(),
            tmp,
            schema=schema,
            format="parquet",
            partitioning=ds.partitioning(pa.schema([part]), flavor="hive"),
            basename_template="part-{i}.parquet",
            existing_data_behavior="error",
            max_partitions=max(1024, n_parts),
        )
    return out


def partitions(path: str | os.PathLike[str]) -> list[Path]:
    """The parts of a dataset: its ``part=K`` folders (from :func:`partition_by_child`);
    otherwise each Parquet file, which must then hold whole children."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such file or directory")
    if p.is_file():
        return [p]
    dirs = sorted(
        (d for d in p.iterdir() if d.is_dir() and d.name.startswith("part=")),
        key=lambda d: (len(d.name), d.name),
    )
    if dirs:
        return dirs
    files = sorted(
        f
        for f in p.rglob("*")
        if f.suffix.lower() in (".parquet", ".pq")
        and not any(x.startswith((".", "_")) for x in f.relative_to(p).parts)
    )
    if not files:
        raise ConfigError(f"{p}: no Parquet files")
    return files
