"""A table of raw rows being validated: an alive mask and report helpers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import dict_indices
from .report import ValidationReport

__all__ = ["DeferredReport", "Rows", "clean", "codes_of"]


def clean(col: pa.ChunkedArray | pa.Array, upper: bool = True) -> pa.Array:
    """Trimmed (upper-cased) strings, blank -> null."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    s = pc.utf8_trim_whitespace(col)
    if upper:
        s = pc.utf8_upper(s)
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def codes_of(col: pa.Array) -> np.ndarray:
    """Integer codes of a string column (-1 = null); equal strings, equal codes."""
    enc = pc.dictionary_encode(col)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return dict_indices(enc)


class DeferredReport:
    """Stands in for a :class:`ValidationReport` while a table's rules run in a worker
    thread: the calls that write to the report are recorded, and :meth:`replay` makes them
    on the report, in order, where the rules would have run in turn (so the report's rows
    and their order do not depend on the threads). Anything else is read from the report."""

    _RECORDED = frozenset({"add", "reject_rows", "supersede_rows", "count", "not_needed"})

    def __init__(self, report: ValidationReport) -> None:
        self._report = report
        self._calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        if name in DeferredReport._RECORDED:
            return lambda *a, **k: self._calls.append((name, a, k))
        return getattr(self._report, name)

    def replay(self, at: int | None = None) -> None:
        """Makes the recorded calls on the report; their lines go at `at` (a
        :meth:`ValidationReport.mark`) when given, else after every line so far."""
        with self._report.writing_at(self._report.mark() if at is None else at):
            for name, a, k in self._calls:
                getattr(self._report, name)(*a, **k)
        self._calls.clear()


class Rows:
    """Rows of one table with where they came from, and what has been rejected."""

    def __init__(self, name: str, table: pa.Table, report: ValidationReport) -> None:
        self.name = name
        self.t = table
        self.report = report
        self.n = table.num_rows
        self.fi = np.asarray(table.column("_file").to_numpy(), dtype=np.int64)
        self.ln = np.asarray(table.column("_line").to_numpy(), dtype=np.int64)
        self.alive = np.ones(self.n, dtype=bool)
        self.rejected: list[tuple[np.ndarray, str]] = []
        self._cols: dict[tuple[str, bool], pa.Array] = {}

    def col(self, name: str, upper: bool = True) -> pa.Array:
        k = (name, upper)
        if k not in self._cols:
            self._cols[k] = clean(self.t.column(name), upper)
        return self._cols[k]

    def reject(
        self,
        mask: np.ndarray,
        rule: str,
        field: str = "",
        value: pa.Array | None = None,
        detail: str = "",
    ) -> np.ndarray:
        return self._set_aside(mask, rule, "rejected", field, value, detail)

    def supersede(
        self,
        mask: np.ndarray,
        rule: str,
        field: str = "",
        value: pa.Array | None = None,
        detail: str = "",
    ) -> np.ndarray:
        """Set aside rows a later return repeats or replaces: counted apart from the
        rejected ones (expected when years are merged)."""
        return self._set_aside(mask, rule, "superseded", field, value, detail)

    def _set_aside(
        self,
        mask: np.ndarray,
        rule: str,
        action: str,
        field: str,
        value: pa.Array | None,
        detail: str,
    ) -> np.ndarray:
        """Rows of ``mask`` still alive leave the table, counted and reported as
        ``action`` (rejected ones are also kept for the rejects file)."""
        m = mask & self.alive
        if m.any():
            idx = np.flatnonzero(m)
            val = value.take(pa.array(idx)) if value is not None else None
            self.alive &= ~m
            if action == "rejected":
                self.rejected.append((idx, rule))
                self.report.reject_rows(self.name, len(idx))
            else:
                self.report.supersede_rows(self.name, len(idx))
            self.report.add(
                rule,
                action,
                file_idx=self.fi[idx],
                line=self.ln[idx],
                field=field,
                value=val,
                detail=detail,
            )
        return m

    def repair(
        self,
        mask: np.ndarray,
        rule: str,
        field: str = "",
        value: pa.Array | None = None,
        detail: str = "",
    ) -> np.ndarray:
        m = mask & self.alive
        if m.any():
            idx = np.flatnonzero(m)
            val = value.take(pa.array(idx)) if value is not None else None
            self.report.add(
                rule,
                "repaired",
                file_idx=self.fi[idx],
                line=self.ln[idx],
                field=field,
                value=val,
                detail=detail,
            )
        return m

    def repair_idx(
        self,
        idx: np.ndarray,
        rule: str,
        field: str = "",
        value: pa.Array | None = None,
        detail: str = "",
    ) -> None:
        if len(idx):
            self.report.add(
                rule,
                "repaired",
                file_idx=self.fi[idx],
                line=self.ln[idx],
                field=field,
                value=value,
                detail=detail,
            )

    def rejected_table(self, files: list[str]) -> pa.Table | None:
        if not self.rejected:
            return None
        idx = np.concatenate([i for i, _ in self.rejected])
        rules = np.concatenate([np.full(len(i), r, dtype=object) for i, r in self.rejected])
        t = self.t.take(pa.array(idx))
        for i, f in enumerate(t.schema):
            if pa.types.is_dictionary(f.type):
                t = t.set_column(i, f.name, t.column(i).cast(pa.string()))
        fa = pa.array(files, pa.string())
        t = t.append_column("file", fa.take(t.column("_file").cast(pa.int64())))
        t = t.append_column("rule", pa.array(rules, pa.string()))
        t = t.append_column("table", pa.array([self.name] * len(idx), pa.string()))
        return t.drop_columns(["_file"]).rename_columns(
            [("line" if c == "_line" else c) for c in t.drop_columns(["_file"]).column_names]
        )


class Codes:
    """A string column as a small dictionary of cleaned values plus an int index (-1 = null).

    String work (trim, upper-case, code look-ups, date parsing) runs on the
    dictionary, which holds a few thousand distinct values however many rows.
    """

    def __init__(self, col: pa.Array | pa.ChunkedArray, upper: bool = True) -> None:
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        if not pa.types.is_dictionary(col.type):
            col = pc.dictionary_encode(col)
        self.raw = col
        d = col.dictionary.cast(pa.string())
        cleaned = clean(d, upper)
        idx = dict_indices(col)
        self.values: pa.Array
        if cleaned.null_count == 0 and pc.all(pc.equal(cleaned, d)).as_py() is not False:
            self.values = d  # already clean and distinct: keep the codes
            self.idx = idx
            return
        enc = pc.dictionary_encode(cleaned)
        canon = dict_indices(enc)
        self.values = enc.dictionary
        canon = np.r_[canon, -1]
        self.idx = canon[np.where(idx >= 0, idx, len(canon) - 1)]

    def __len__(self) -> int:
        return len(self.idx)

    @property
    def null(self) -> np.ndarray:
        return np.asarray(self.idx < 0, dtype=bool)

    def isin(self, values: object) -> np.ndarray:
        vs = pa.array(sorted(values), pa.string()) if not isinstance(values, pa.Array) else values  # type: ignore[call-overload]
        m = np.asarray(
            pc.is_in(self.values, value_set=vs).to_numpy(zero_copy_only=False), dtype=bool
        )
        return np.asarray(np.r_[m, False][self.idx], dtype=bool)

    def equals(self, value: str) -> np.ndarray:
        m = np.asarray(
            pc.equal(self.values, value).fill_null(False).to_numpy(zero_copy_only=False), dtype=bool
        )
        return np.asarray(np.r_[m, False][self.idx], dtype=bool)

    def set_null(self, mask: np.ndarray) -> None:
        self.idx = np.where(mask, -1, self.idx)

    def take(self, rows: np.ndarray | None = None) -> pa.Array:
        """Cleaned strings (of the given rows)."""
        idx = self.idx if rows is None else self.idx[rows]
        return (
            self.values.take(pa.array(np.maximum(idx, 0), mask=idx < 0))
            if len(self.values)
            else pa.nulls(len(idx), pa.string())
        )

    def map_to(self, table: dict[str, int], default: int) -> np.ndarray:
        """Per-row integers through a {value: int} table (default for null/unknown)."""
        look = np.array(
            [table.get(v, default) for v in self.values.to_pylist()] + [default], dtype=np.int64
        )
        return np.asarray(look[self.idx], dtype=np.int64)
