"""The validation report: every rejected or repaired row, and the row counts.

Each report row says where (file, 1-based line with the header as line 1),
what (field, value), which rule and what was done ("rejected" or "repaired").
Identifying values (child ids, dates of birth, postcodes, UPNs) are redacted
unless the caller asked to keep ids. ``rows`` says how many data rows a report
row accounts for (1 for a row, all the rows of a file for a file-level error),
so ``sum(rows where action == "rejected") == rows_rejected``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carevis.atomic import atomic
from carevis.errors import DataError
from carevis.journeys import Journeys
from carevis.privacy import REDACTED, is_identifying, redacted

from .rules import RULES

#: What error messages from indexing an ingest's table begin with.
SOURCE = "SSDA903/CIN ingest"

__all__ = ["REDACTED", "RULES", "SOURCE", "IngestResult", "ValidationReport"]

_COLUMNS = ("file", "line", "field", "value", "rule", "action", "severity", "rows", "detail")


@dataclass
class _Chunk:
    file_idx: np.ndarray
    line: np.ndarray  # int64, -1 = none
    field: str
    value: pa.Array  # text, or text coded against a dictionary (redacted: one entry)
    rule: str
    action: str
    rows: int
    detail: str


class ValidationReport:
    """Every rejected or repaired row of an ingest, and the row counts."""

    def __init__(self, *, keep_ids: bool = False, strict: bool = False) -> None:
        self.keep_ids = keep_ids
        self.strict = strict
        self.files: list[str] = []
        self.failed_files: set[int] = set()
        self._chunks: list[_Chunk] = []
        self.rows_in = 0
        self.rows_used = 0
        self.rows_rejected = 0
        self.rows_not_needed = 0  # rows of tables (or XML records) journeys do not use
        self.rows_superseded = 0  # rows a later return repeats or replaces
        self.by_table: dict[str, list[int]] = {}  # in, used, rejected, not needed, superseded
        self.file_years: dict[int, tuple[int, str]] = {}  # file -> (year, why)
        self.lost_to_follow_up = 0  # children whose journey ends lost to follow-up
        self._table: pa.Table | None = None

    # -- building ---------------------------------------------------------
    def file_index(self, path: str | os.PathLike[str]) -> int:
        self.files.append(str(path))
        return len(self.files) - 1

    def mark(self) -> int:
        """Where the report's next line goes: hand it to :meth:`writing_at` to write
        there later (for rules run in a worker thread, whose lines belong where they
        would have been written had the rules run in turn)."""
        return len(self._chunks)

    @contextmanager
    def writing_at(self, mark: int) -> Iterator[None]:
        """Lines added inside the block go at `mark` (from :meth:`mark`), before those
        added since."""
        tail = self._chunks[mark:]
        del self._chunks[mark:]
        try:
            yield
        finally:
            self._chunks.extend(tail)
            self._table = None

    def count(self, table: str, rows_in: int, rows_used: int) -> None:
        """Add a table's row counts: rows_in = rows_used + rows_rejected."""
        rej = rows_in - rows_used
        self.rows_in += rows_in
        self.rows_used += rows_used
        self.rows_rejected += rej
        c = self.by_table.setdefault(table, [0, 0, 0, 0, 0])
        c[0] += rows_in
        c[1] += rows_used
        c[2] += rej

    def not_needed(self, table: str, n: int) -> None:
        """Add n rows of a table journeys do not use (read, counted, not kept)."""
        self.rows_in += n
        self.rows_not_needed += n
        c = self.by_table.setdefault(table, [0, 0, 0, 0, 0])
        c[0] += n
        c[3] += n

    def reject_rows(self, table: str, n: int) -> None:
        """Move n rows of a table from used to rejected (after a rule rejected them)."""
        self.rows_used -= n
        self.rows_rejected += n
        c = self.by_table.setdefault(table, [0, 0, 0, 0, 0])
        c[1] -= n
        c[2] += n

    def supersede_rows(self, table: str, n: int) -> None:
        """Move n rows of a table from used to superseded (a later return has them)."""
        self.rows_used -= n
        self.rows_superseded += n
        c = self.by_table.setdefault(table, [0, 0, 0, 0, 0])
        c[1] -= n
        c[4] += n

    def add(
        self,
        rule: str,
        action: str,
        *,
        file_idx: np.ndarray | int,
        line: np.ndarray | int | None,
        field: str = "",
        value: Any = None,
        rows: int = 1,
        detail: str = "",
    ) -> None:
        """Record a rule applied to rows (arrays) or to a whole file (scalars)."""
        if rule not in RULES:
            raise KeyError(rule)
        fi = np.atleast_1d(np.asarray(file_idx, dtype=np.int64))
        if line is None:
            ln = np.full(len(fi), -1, dtype=np.int64)
        else:
            ln = np.atleast_1d(np.asarray(line, dtype=np.int64))
        n = max(len(fi), len(ln))
        if n == 0:
            return
        if len(fi) == 1 and n > 1:
            fi = np.repeat(fi, n)
        if len(ln) == 1 and n > 1:
            ln = np.repeat(ln, n)
        redact = not self.keep_ids and is_identifying(field)
        if isinstance(value, (pa.Array, pa.ChunkedArray)):
            if isinstance(value, pa.ChunkedArray):
                value = value.combine_chunks()
            # Redacted: only blankness is kept. Coded text stays so until read as a table.
            coded = pa.types.is_dictionary(value.type) and pa.types.is_string(value.type.value_type)
            val = value if redact or coded else value.cast(pa.string())
        elif value is None:
            val = pa.nulls(n, pa.string())
        elif isinstance(value, (list, np.ndarray)):
            val = pa.array([None if v is None else str(v) for v in value], pa.string())
        else:
            val = pa.array([str(value)] * n, pa.string())
        if redact:
            val = redacted(val)
        self._chunks.append(_Chunk(fi, ln, field, val, rule, action, rows, detail))
        self._table = None

    def check_strict(self) -> None:
        """In strict mode, raise DataError for the first error (by file, then line)."""
        if not self.strict:
            return
        best: tuple[int, int, _Chunk, int] | None = None
        for ch in self._chunks:
            if RULES[ch.rule][0] != "error" or ch.action == "flagged":
                continue  # DfE flags change nothing: strict stops where carevis would
            order = np.lexsort((ch.line, ch.file_idx))
            j = int(order[0])
            cand = (int(ch.file_idx[j]), int(ch.line[j]), ch, j)
            if best is None or cand[:2] < best[:2]:
                best = cand
        if best is not None:
            self._raise_at(best[2], best[3])

    def _raise_at(self, ch: _Chunk, i: int) -> None:
        fname = self.files[int(ch.file_idx[i])] if self.files else "?"
        line = int(ch.line[i])
        val = ch.value[i].as_py()
        where = f"{fname}" + (f", line {line}" if line >= 0 else "")
        col = f", column {ch.field}" if ch.field else ""
        v = f", value {val!r}" if val is not None else ""
        extra = f" ({ch.detail})" if ch.detail else ""
        raise DataError(f"{where}{col}{v}: {ch.rule}: {RULES[ch.rule][1]}{extra}")

    # -- reading ----------------------------------------------------------
    def to_table(self) -> pa.Table:
        """The report as an Arrow table sorted by file and line."""
        if self._table is not None:
            return self._table
        files = pa.array(self.files, pa.string())
        parts = []
        for ch in self._chunks:
            n = len(ch.file_idx)
            parts.append(
                pa.table(
                    {
                        "file": files.take(pa.array(ch.file_idx))
                        if len(files)
                        else pa.nulls(n, pa.string()),
                        "line": pa.array(ch.line, mask=ch.line < 0, type=pa.int64()),
                        "field": pa.array([ch.field or None] * n, pa.string()),
                        "value": ch.value.cast(pa.string()),
                        "rule": pa.array([ch.rule] * n, pa.string()),
                        "action": pa.array([ch.action] * n, pa.string()),
                        "severity": pa.array([RULES[ch.rule][0]] * n, pa.string()),
                        "rows": pa.array(np.full(n, ch.rows, dtype=np.int64)),
                        "detail": pa.array([ch.detail or None] * n, pa.string()),
                        "_fi": pa.array(ch.file_idx),
                    }
                )
            )
        if not parts:
            schema = pa.schema(
                [
                    ("file", pa.string()),
                    ("line", pa.int64()),
                    ("field", pa.string()),
                    ("value", pa.string()),
                    ("rule", pa.string()),
                    ("action", pa.string()),
                    ("severity", pa.string()),
                    ("rows", pa.int64()),
                    ("detail", pa.string()),
                ]
            )
            self._table = schema.empty_table()
            return self._table
        t = pa.concat_tables(parts)
        t = t.sort_by([("_fi", "ascending"), ("line", "ascending")]).drop_columns(["_fi"])
        self._table = t
        return t

    def __len__(self) -> int:
        return sum(len(c.file_idx) for c in self._chunks)

    def rule_counts(self) -> dict[tuple[str, str], int]:
        """(rule, action) -> number of data rows it accounts for."""
        out: dict[tuple[str, str], int] = {}
        for ch in self._chunks:
            k = (ch.rule, ch.action)
            per = 1 if ch.action == "flagged" else ch.rows
            out[k] = out.get(k, 0) + len(ch.file_idx) * per
        return dict(sorted(out.items()))

    @property
    def errors(self) -> int:
        return sum(len(c.file_idx) for c in self._chunks if RULES[c.rule][0] == "error")

    def summary(self) -> str:
        lines = [
            f"rows in {self.rows_in} = used {self.rows_used} + not needed "
            f"{self.rows_not_needed} + superseded by a later return {self.rows_superseded} "
            f"+ rejected {self.rows_rejected}",
        ]
        for t, (i, u, r, nn, sup) in sorted(self.by_table.items()):
            lines.append(
                f"  {t:<22} in {i:>9}  used {u:>9}  not needed {nn:>9}  "
                f"superseded {sup:>9}  rejected {r:>9}"
            )
        if self.file_years:
            by_year: dict[int, int] = {}
            for y, _ in self.file_years.values():
                by_year[y] = by_year.get(y, 0) + 1
            lines.append(
                "  collection years: "
                + ", ".join(
                    f"{y - 1}-{y % 100:02d}: {n} files" if y > 0 else f"unknown: {n} files"
                    for y, n in sorted(by_year.items())
                )
            )
            for fi, (_, why) in sorted(self.file_years.items()):
                if "the dates say" in why or why.startswith("unknown"):
                    lines.append(f"    {self.files[fi]}: {why}")
        if self.lost_to_follow_up:
            lines.append(f"  lost to follow-up: {self.lost_to_follow_up} children")
        counts = self.rule_counts()
        if counts:
            lines.append(f"  {'rule':<24} {'action':<9} {'severity':<8} {'rows':>9}")
            for (rule, action), n in counts.items():
                lines.append(f"  {rule:<24} {action:<9} {RULES[rule][0]:<8} {n:>9}")
        return "\n".join(lines)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as CSV atomically (a temporary file, then a rename)."""
        return write_csv_atomic(self.to_table(), path)


def write_csv_atomic(table: pa.Table, path: str | os.PathLike[str]) -> Path:
    """Write a table as CSV through :func:`carevis.atomic.atomic` (a temporary file
    beside ``path``, renamed onto it when complete); makes the folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic(path) as tmp:
        pacsv.write_csv(table, tmp)
    return path


@dataclass
class IngestResult:
    """The canonical journey table, the report, and summary counts."""

    table: pa.Table
    report: ValidationReport
    files: Sequence[str] = field(default_factory=list)
    files_failed: int = 0
    #: The table's journeys, indexed while the table was made (for `table` as it was).
    _journeys: tuple[pa.Table, Callable[[pa.Table], Journeys]] | None = field(
        default=None, repr=False, compare=False
    )

    def prebuilt(self, journeys: Callable[[pa.Table], Journeys] | None) -> None:
        """Hands over the function that gives the table's journeys from an index built
        with it (ingest): :meth:`journeys` then waits for it instead of indexing again,
        while ``table`` is still that table."""
        self._journeys = (self.table, journeys) if journeys is not None else None

    @property
    def rows_in(self) -> int:
        return self.report.rows_in

    @property
    def rows_used(self) -> int:
        return self.report.rows_used

    @property
    def rows_rejected(self) -> int:
        return self.report.rows_rejected

    @property
    def rows_not_needed(self) -> int:
        return self.report.rows_not_needed

    @property
    def rows_superseded(self) -> int:
        return self.report.rows_superseded

    @property
    def children(self) -> int:
        return len(pc.unique(self.table.column("child_id"))) if self.table.num_rows else 0

    @property
    def spells(self) -> int:
        return int(self.table.num_rows)

    def journeys(self) -> Journeys:
        """The table indexed as :class:`carevis.Journeys` (one dot per child)."""
        if self._journeys is not None and self._journeys[0] is self.table:
            return self._journeys[1](self.table)
        return Journeys.from_arrow(self.table, source=SOURCE)

    def summary(self) -> str:
        head = (
            f"{len(self.files)} files ({self.files_failed} failed), "
            f"{self.children} children, {self.spells} spells"
        )
        return head + "\n" + self.report.summary()

    def __str__(self) -> str:
        return self.summary()


def require_rows(res: IngestResult, what: str) -> IngestResult:
    """``res`` when it holds a journey row; else a DataError naming the files read (and
    which were set aside), with the result (its report) as the error's ``result``."""
    if res.table.num_rows:
        return res
    rep = res.report
    if rep.files:
        shown = [
            f"{f} ({'set aside' if i in rep.failed_files else 'no usable row'})"
            for i, f in enumerate(rep.files[:_NAMED])
        ]
        more = len(rep.files) - len(shown)
        names = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    else:
        names = "no files"
    err = DataError(
        f"no row of the input made a journey ({what}): {names}; the result's report "
        "(this error's .result.report) says why"
    )
    err.result = res  # type: ignore[attr-defined]
    raise err


_NAMED = 10
