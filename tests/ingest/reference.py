"""Reference implementations of the Rust kernels the ingest calls, in numpy and pyarrow.

They were the ingest's fallbacks while the core was optional; they now live here, where
tests run the whole ingest with them in place of the Rust ones (:func:`use_references`)
and compare: the same journeys, the same report, the same counts. Each takes and
returns what its ``carevis._native`` counterpart does.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from carevis import _native
from carevis.ingest._rows import Codes
from carevis.ingest._sort import pack
from carevis.ingest.ssda903.sniff import line_numbers

__all__ = [
    "KERNELS",
    "argsort_stable",
    "child_keys",
    "latest_in_groups",
    "parse_csv_bodies",
    "use_references",
]


def argsort_stable(keys: np.ndarray) -> np.ndarray:
    """``_native.argsort_stable``: a stable argsort."""
    return np.argsort(keys, kind="stable")


def latest_in_groups(
    rows: np.ndarray, group: list[np.ndarray], minor: np.ndarray, content: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_native.latest_in_groups``: `rows` sorted by (group columns, minor, row); in each
    group the last row leads and the others are duplicates (same content), superseded
    (another `minor`, i.e. year) or conflicting. Returns (order, last, dup, sup, conf)."""
    n = len(minor)
    order = rows[argsort_stable(pack(*[g[rows] for g in group], minor[rows]))]
    last = np.ones(len(order), bool)
    if len(order):
        last[:-1] = np.logical_or.reduce([g[order][1:] != g[order][:-1] for g in group])
    follower = ~last
    if not follower.any():
        return order, last, *(np.zeros(n, bool) for _ in range(3))
    grp_end = np.flatnonzero(last)
    grp_id = np.cumsum(np.r_[False, last[:-1]])
    leader = order[grp_end[grp_id]]
    same = np.ones(len(order), bool)
    for c in content:
        same &= c[order] == c[leader]
    other_year = minor[order] != minor[leader]
    dup = np.zeros(n, bool)
    dup[order[follower & same]] = True
    sup = np.zeros(n, bool)
    sup[order[follower & ~same & other_year]] = True
    conf = np.zeros(n, bool)
    conf[order[follower & ~same & ~other_year]] = True
    return order, last, dup, sup, conf


def child_keys(
    parts: list[tuple[pa.Array, pa.Array]], unknown_la: str
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``_native.child_keys``: (per-row codes, per-row blank CHILD, "LA-CHILD" of each
    distinct code) over the rows of several (la, child) tables, one after another.

    Strings are worked on once per distinct value (dictionary encoding); ids are built
    once per distinct (council, child) pair."""
    la = pa.concat_arrays([a for a, _ in parts])
    child = pa.concat_arrays([c for _, c in parts])
    la_c = Codes(
        la if pa.types.is_dictionary(la.type) else pc.fill_null(la, unknown_la), upper=False
    )
    ch_c = Codes(child, upper=False)
    nla = len(la_c.values) + 1
    combined = (np.maximum(ch_c.idx, -1) + 1) * nla + (la_c.idx + 1)
    enc = pc.dictionary_encode(pa.array(combined, pa.int64()))
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    uniq = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=np.int64)
    u_child = uniq // nla - 1
    u_la = uniq % nla - 1
    la_s = (
        la_c.values.take(pa.array(np.maximum(u_la, 0)))
        if len(la_c.values)
        else pa.array([unknown_la] * len(uniq))
    )
    la_s = pc.if_else(pa.array(u_la < 0), pa.scalar(unknown_la), la_s)
    ch_s = (
        ch_c.values.take(pa.array(np.maximum(u_child, 0)))
        if len(ch_c.values)
        else pa.array([""] * len(uniq))
    )
    ch_s = pc.if_else(pa.array(u_child < 0), pa.scalar(""), ch_s)
    raw = pc.binary_join_element_wise(la_s, ch_s, "-")
    return codes, ch_c.null, raw


def parse_csv_bodies(
    data: list[bytes], starts: list[int], ncols: int, keep: list[int], repeat: list[int] = ()
) -> tuple[tuple[list[Any], np.ndarray, list[int]] | None, tuple[int, int, str] | None]:
    """``_native.parse_csv_bodies`` with pyarrow's reader: the kept columns of every
    file's body (from `starts`) as dictionary-coded strings, the line number of each row
    (header = 1, blank lines skipped) and the rows per file; or (None, (file, line,
    why)) when a file has a row with the wrong number of fields or a quoted line break,
    which the caller then reads on its own."""
    names = [f"c{i}" for i in range(ncols)]
    cols: list[list[pa.Array]] = [[] for _ in keep]
    lines, counts = [], []
    for i, (d, s) in enumerate(zip(data, starts, strict=True)):
        body = d[s:]
        bad: list[int] = []

        def handler(row: pacsv.InvalidRow, bad: list[int] = bad) -> str:
            bad.append(-1 if row.number is None else int(row.number))
            return "skip"

        try:
            t = pacsv.read_csv(
                io.BytesIO(body),
                pacsv.ReadOptions(column_names=names),
                pacsv.ParseOptions(invalid_row_handler=handler),
                pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in names},
                    include_columns=[names[k] for k in keep],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as e:
            return None, (i, 0, str(e))
        ln = line_numbers(body, 2)
        if bad:
            return None, (i, bad[0] + 1, "wrong number of fields")
        if len(ln) != t.num_rows:
            return None, (i, 0, "a quoted line break")
        for j, c in enumerate(t.columns):
            cols[j].append(c.combine_chunks())
        lines.append(ln)
        counts.append(t.num_rows)
    out = [pc.dictionary_encode(pa.concat_arrays(c)) for c in cols]
    all_lines = np.concatenate(lines) if lines else np.zeros(0, np.int64)
    return (out, all_lines, counts), None


#: the Rust kernels of the ingest and their references here
KERNELS = {
    "argsort_stable": argsort_stable,
    "latest_in_groups": latest_in_groups,
    "child_keys": child_keys,
    "parse_csv_bodies": parse_csv_bodies,
}


def use_references(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...] = ()) -> None:
    """Put the references (all, or those named) in place of the Rust kernels."""
    for name in names or tuple(KERNELS):
        monkeypatch.setattr(_native, name, KERNELS[name])
