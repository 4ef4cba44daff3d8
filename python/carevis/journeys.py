"""`Journeys`: the per-child index over a canonical journey table, built once.

The canonical table has one row per spell: ``child_id`` (string or integer), ``state``
(string or dictionary), ``start`` and ``end`` (date or timestamp; a null end means the
child was still in that state when the data ends). Any other column is carried through;
per-child attributes (``la``, ``sex``, ...) are read from each child's first spell.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from . import _native
from ._check import show, suggest
from ._time import to_datetime
from .atomic import atomic
from .errors import ConfigError, SchemaError, UnknownColumnError
from .io import read_table
from .layout import standard_labels

OnError = Literal["raise", "reject"]
#: Most state labels (the engine numbers states with 16 bits).
MAX_STATES = 65535
#: The four columns the index reads, by their default names.
_DEFAULT_COLUMNS = {"child_id": "child_id", "state": "state", "start": "start", "end": "end"}


def check_states(states: Any) -> list[str]:
    """The ``states`` option: distinct, non-empty labels (a ConfigError otherwise)."""
    if isinstance(states, (str, bytes)) or not isinstance(states, Sequence):
        raise ConfigError(f"states must be a list of state labels, not {show(states)}")
    labels = list(states)
    bad = [s for s in labels if not isinstance(s, str) or not s.strip() or len(s) > 200]
    if bad:
        raise ConfigError(
            f"states must be non-empty texts (at most 200 characters): {show(bad[0])}"
        )
    twice = [s for s, n in Counter(labels).items() if n > 1]
    if twice:
        named = ", ".join(show(s) for s in twice[:5])
        raise ConfigError(f"states lists a label more than once: {named}")
    if len(labels) > MAX_STATES:
        raise ConfigError(f"states lists {len(labels):,} labels; at most {MAX_STATES:,}")
    return labels


#: Arrow / Parquet schema metadata key marking a table of invented children (the synthetic
#: England sets it; it survives a round trip through a file), and what pictures then say.
SYNTHETIC_KEY = b"carevis.synthetic"
SYNTHETIC_NOTE = "Synthetic data, not real children"


def is_synthetic(data: Any) -> bool:
    """Whether an Arrow table's (or record batch's) schema metadata marks it synthetic."""
    meta = getattr(getattr(data, "schema", None), "metadata", None) or {}
    return SYNTHETIC_KEY in meta


def mark_synthetic(table: pa.Table) -> pa.Table:
    """``table`` with its schema metadata saying that its children are invented."""
    meta = dict(table.schema.metadata or {})
    meta[SYNTHETIC_KEY] = SYNTHETIC_NOTE.encode()
    return table.replace_schema_metadata(meta)


#: Schema metadata key of a projected journey table (``carevis.project``): JSON with the date
#: the projection runs from (``from``), its scenario and, when many runs were made, the stock
#: intervals. Pictures of such a table say "projection from <date>" and draw the dots after
#: that date as projected.
PROJECTION_KEY = b"carevis.projection"


def projection_info(data: Any) -> dict[str, Any] | None:
    """The projection metadata of an Arrow table (or None when it is not a projection)."""
    meta = getattr(getattr(data, "schema", None), "metadata", None) or {}
    if PROJECTION_KEY not in meta:
        return None
    try:
        info = json.loads(meta[PROJECTION_KEY])
        dt.date.fromisoformat(info["from"])
    except (ValueError, KeyError, TypeError):
        return None
    return info if isinstance(info, dict) else None


class Journeys:
    """Children's journeys, indexed per child (one dot per child).

    Build with :meth:`from_arrow` or :func:`carevis.read`. The Arrow buffers given are
    read in place, never copied; :meth:`to_arrow` gives the same buffers back.

    Dot order (of :attr:`child_ids`, frames and per-child results): children sorted by
    when they leave (the end of their last spell, those still in a state when the data
    ends last, then the start of their first spell), cut into blocks of 16, the blocks in
    a fixed pseudo-random order. Dots on screen at any moment then come in runs of
    neighbours, which keeps frames of large data fast, while the order dots are drawn in
    (dot order) does not let time decide which colour covers which in a crowded cluster.
    """

    __slots__ = ("_attrs", "_native", "options", "projection", "source", "synthetic")

    def __init__(
        self,
        native: _native.Journeys,
        source: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self._native = native
        self._attrs: dict[str, pa.Array] = {}
        #: Where the data came from (a path, when read from a file).
        self.source = source
        #: The `from_arrow` options used (column names, on_error, states).
        self.options: dict[str, Any] = dict(options or {})
        #: Invented children (the table's schema metadata says so): every picture, frame
        #: and video made from them says :data:`SYNTHETIC_NOTE`.
        self.synthetic = False
        #: For a projected table (:func:`projection_info`): the date it runs from.
        self.projection: dt.date | None = None

    @classmethod
    def from_arrow(
        cls,
        data: Any,
        *,
        on_error: OnError = "raise",
        states: Sequence[str] | None = None,
        child_id: str = "child_id",
        state: str = "state",
        start: str = "start",
        end: str = "end",
        source: str | None = None,
    ) -> Journeys:
        """Index any Arrow PyCapsule producer (pyarrow Table / RecordBatch /
        RecordBatchReader, polars DataFrame, ...) without copying its columns.

        ``on_error="reject"`` sets rows that break a rule aside (see :attr:`rejects`)
        instead of raising. ``states`` orders the state labels (standard states first by
        default).
        """
        if on_error not in ("raise", "reject"):
            raise ConfigError(f"on_error must be 'raise' or 'reject', not {on_error!r}")
        if not (hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")):
            raise SchemaError(
                f"{type(data).__name__} is not an Arrow table or record batch "
                "(it has no __arrow_c_stream__ or __arrow_c_array__)"
            )
        names = {"child_id": child_id, "state": state, "start": start, "end": end}
        for option, name in names.items():
            if not isinstance(name, str) or not name:
                raise ConfigError(f"{option} must be a column name, not {show(name)}")
        if len(set(names.values())) < len(names):
            raise ConfigError(f"the four columns must be different columns, not {names}")
        preferred = check_states(states) if states is not None else standard_labels()
        try:
            native = _native.Journeys.from_arrow(
                data,
                child_id=child_id,
                state=state,
                start=start,
                end=end,
                states=preferred,
                on_error=on_error,
            )
        except Exception as e:
            if source and not str(e).startswith(source):
                raise type(e)(f"{source}: {e}") from None
            raise
        options = {
            "on_error": on_error,
            "states": preferred,
            "child_id": child_id,
            "state": state,
            "start": start,
            "end": end,
        }
        return cls._of(native, data, source, options)

    @classmethod
    def _of(
        cls, native: _native.Journeys, data: Any, source: str | None, options: dict[str, Any]
    ) -> Journeys:
        """The journeys of a native index built on `data` with `options`."""
        journeys = cls(native, source=source, options=options)
        journeys.synthetic = is_synthetic(data)
        info = projection_info(data)
        journeys.projection = dt.date.fromisoformat(info["from"]) if info else None
        return journeys

    @classmethod
    def _building(
        cls, make: Callable[[], pa.Table], source: str
    ) -> tuple[Callable[[], pa.Table], Callable[[pa.Table], Journeys]]:
        """Makes the four index columns (`make`, a table of child_id, state, start and end)
        and indexes them, in a thread beside the caller's work on the rest of the table
        (the core releases the GIL). Returns the function that gives those four columns
        (waiting for them), and the one that takes the whole table, row for row the same
        and with those columns, and gives its journeys (default options)."""
        pool = ThreadPoolExecutor(max_workers=1)
        made = pool.submit(make)
        building = pool.submit(
            lambda: _native.Journeys.from_arrow(made.result(), states=standard_labels())
        )
        pool.shutdown(wait=False)

        def finish(table: pa.Table) -> Journeys:
            try:
                native = building.result()
            except Exception as e:
                if not str(e).startswith(source):
                    raise type(e)(f"{source}: {e}") from None
                raise
            options = {"on_error": "raise", "states": standard_labels(), **_DEFAULT_COLUMNS}
            return cls._of(native._with_table(table), table, source, options)

        return made.result, finish

    # --- what it holds ---------------------------------------------------------------
    @property
    def n_children(self) -> int:
        return int(self._native.n_children)

    @property
    def n_spells(self) -> int:
        return int(self._native.n_spells)

    @property
    def n_rows(self) -> int:
        """Rows in the input (spells used plus rows rejected)."""
        return int(self._native.n_rows)

    @property
    def states(self) -> list[str]:
        """State labels; a frame's ``state`` values index this list."""
        return list(self._native.states)

    @property
    def time_range(self) -> tuple[dt.datetime, dt.datetime] | None:
        """(earliest start, latest end or start) as datetimes; None when empty."""
        r = self._native.time_range()
        if r is None:
            return None
        return to_datetime(r[0]), to_datetime(r[1])

    @property
    def minute_range(self) -> tuple[int, int] | None:
        r = self._native.time_range()
        return None if r is None else (int(r[0]), int(r[1]))

    def to_arrow(self) -> pa.Table:
        """The table given, as the same Arrow buffers."""
        table: pa.Table = self._native.to_arrow()
        return mark_synthetic(table) if self.synthetic else table

    @property
    def child_rows(self) -> np.ndarray:
        """Input row of each dot's first spell."""
        return np.asarray(self._native.child_rows())

    @property
    def child_ids(self) -> pa.Array:
        """The id of each dot, in dot order. Identifiers: keep them out of outputs."""
        return self.attribute("child_id")

    def attribute(self, name: str) -> pa.Array:
        """A per-child column (from each child's first spell), in dot order."""
        if name not in self._attrs:
            try:
                self._attrs[name] = self._native.attribute(name)
            except SchemaError as e:
                if isinstance(name, str) and name in self.column_names:
                    raise
                hint = suggest(name, self.column_names)
                raise UnknownColumnError(f"{e}{'; ' + hint if hint else ''}") from None
        return self._attrs[name]

    @property
    def column_names(self) -> list[str]:
        """The table's columns (``child_id``, ``state``, ``start``, ``end`` and the
        per-child attributes)."""
        return list(self._native.to_arrow().schema.names)

    def spells(self) -> dict[str, np.ndarray]:
        """The index's spells in dot order: ``offsets`` (CSR), ``row``, ``state``,
        ``start`` and ``end`` (whole minutes since 1970; an open spell ends at ``_time.OPEN``)."""
        row, state, start, end = self._native.spells()
        return {
            "offsets": np.asarray(self._native.offsets()),
            "row": np.asarray(row),
            "state": np.asarray(state),
            "start": np.asarray(start),
            "end": np.asarray(end),
        }

    def spell_at(self, dots: np.ndarray, minutes: int) -> np.ndarray:
        """Each dot's spell at ``minutes`` (an index into :meth:`spells`' arrays): its
        last spell begun by then, ended or not; -1 when it has none begun."""
        return np.asarray(
            self._native.spell_at(np.ascontiguousarray(dots, dtype=np.int64), int(minutes))
        )

    # --- rows set aside --------------------------------------------------------------
    @property
    def rejects(self) -> pa.Table:
        """Rows set aside (``on_error="reject"``): row, column, value and rule broken."""
        table: pa.Table = self._native.rejects_table()
        return table

    @property
    def n_rejected(self) -> int:
        return self.n_rows - self.n_spells

    def write_rejects(self, path: str | os.PathLike[str], *, keep_ids: bool = False) -> int:
        """Writes the rejected input rows, with the reason, to a CSV file (atomically).
        Returns the number of rows written.

        Identifying values (the child id column, and every column named like an id, a
        date of birth or a postcode: :func:`carevis.privacy.is_identifying`) are written
        as ``<redacted>`` (blank stays blank) unless ``keep_ids=True``."""
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        from .privacy import REDACTED, is_identifying

        rej = self.rejects
        table = self.to_arrow()
        rows = table.take(rej.column("row"))
        if not keep_ids:
            id_col = self.options.get("child_id", "child_id")
            for i, name in enumerate(rows.column_names):
                if name == id_col or is_identifying(name):
                    col = rows.column(i)
                    hidden = pc.if_else(pc.is_null(col), pa.scalar(None, pa.string()), REDACTED)
                    rows = rows.set_column(i, name, hidden)
            shown = [
                not (c == self.options.get("child_id", "child_id") or is_identifying(c))
                for c in rej.column("column").to_pylist()
            ]
            value = pc.if_else(pa.array(shown, pa.bool_()), rej.column("value"), REDACTED)
            rej = rej.set_column(rej.column_names.index("value"), "value", value)
        for name in ("column", "value", "rule"):
            rows = rows.append_column(f"reject_{name}", rej.column(name))
        rows = rows.append_column("reject_row", rej.column("row"))
        with atomic(Path(path)) as tmp:
            pacsv.write_csv(rows, tmp)
        return int(rows.num_rows)

    def index_bytes(self) -> int:
        """Bytes the index adds beyond the Arrow input."""
        return int(self._native.index_bytes())  # noqa: RUF100

    def summary(self) -> str:
        tr = self.time_range
        span = f"{tr[0]:%Y-%m-%d} to {tr[1]:%Y-%m-%d}" if tr else "empty"
        return (
            f"{self.n_children:,} children, {self.n_spells:,} spells in {len(self.states)} states, "
            f"{span}; {self.n_rejected:,} rows rejected"
        )

    def __repr__(self) -> str:
        return f"<carevis.Journeys: {self.summary()}>"


def read(path: str | os.PathLike[str], *, on_error: OnError = "raise", **kwargs: Any) -> Journeys:
    """Reads a journey table (Parquet, Arrow IPC / Feather, CSV) and indexes it."""
    table = read_table(path)
    return Journeys.from_arrow(table, on_error=on_error, source=os.fspath(path), **kwargs)
