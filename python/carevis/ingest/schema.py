"""The canonical journey table and the code tables that feed it.

The journey table is the contract between ingest, the synthetic England and
the animation: one row per spell, ``child_id``, ``state`` (dictionary of the
standard state labels), ``start``/``end`` (date32, end null = still there when
the data ends), per-child attributes and per-spell codes.
"""

from __future__ import annotations

import csv
import os
from collections import abc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carevis.errors import ConfigError, SchemaError

#: The columns of the SSDA903 episodes and header tables, in the DfE's order.
EPISODE_COLUMNS = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")

__all__ = [
    "DATA_DIR",
    "EXIT_STATES",
    "FRONT_DOOR_STATES",
    "JOURNEY_SCHEMA",
    "LOST",
    "Mapping",
    "canonical_states",
    "empty_journey_table",
    "journey_columns",
    "load_codes",
    "load_mapping",
    "make_journey_table",
    "state_labels",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

STATE_TYPE = pa.dictionary(pa.int32(), pa.string())

JOURNEY_SCHEMA = pa.schema(
    [
        ("child_id", pa.string()),
        ("state", STATE_TYPE),
        ("start", pa.date32()),
        ("end", pa.date32()),
        ("la", pa.string()),
        ("sex", pa.string()),
        ("birth_month", pa.date32()),
        ("ethnicity", pa.string()),
        ("placement", pa.string()),
        ("legal_status", pa.string()),
        ("category_of_need", pa.string()),
        ("reason_ceased", pa.string()),
    ]
)

#: Where a journey ends when the data lose the child: open at a return's year end and in
#: no later return, or a last episode ended "X1" (care continues) with nothing after it.
LOST = "Lost to follow-up"

EXIT_STATES = (
    "Adopted",
    "Special guardianship",
    "Child arrangements order",
    "Returned home",
    "Independence / adulthood",
    "Other exit",
    LOST,
)

FRONT_DOOR_STATES = (
    "Referral",
    "Assessment",
    "No further action",
    "Child in need",
    "Section 47",
    "Child protection conference",
    "Child protection plan",
)


@lru_cache(maxsize=1)
def state_labels() -> tuple[str, ...]:
    """The standard state labels, in states.csv order (the dictionary order)."""
    with open(DATA_DIR / "states.csv", newline="", encoding="utf-8") as f:
        return tuple(r["state"] for r in csv.DictReader(f))


def state_index(label: str) -> int:
    return state_labels().index(label)


@dataclass(frozen=True)
class Mapping:
    """SSDA903 codes -> journey states (a table a user can replace)."""

    place: dict[str, str]  # PLACE code -> state label
    rec: dict[str, str]  # REC code -> exit state label ('' for X1)
    short_break_ls: frozenset[str]
    place_default: dict[str, str]  # state -> first PLACE code listed
    rec_default: dict[str, str]  # exit state -> first REC code listed
    source: str = ""


def load_mapping(path: str | os.PathLike[str] | None = None) -> Mapping:
    """Read a mapping CSV (columns field, code, state; PLACE / REC / LS rows)."""
    p = Path(path) if path is not None else DATA_DIR / "ssda903_map.csv"
    return _load_mapping(str(p))


@lru_cache(maxsize=8)
def _load_mapping(p: str) -> Mapping:
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise ConfigError(f"cannot read mapping {p}: {e}") from e
    if not rows or not {"field", "code", "state"} <= set(rows[0]):
        raise SchemaError(f"mapping {p}: needs columns field, code, state")
    labels = set(state_labels())
    place: dict[str, str] = {}
    rec: dict[str, str] = {}
    sb: set[str] = set()
    for i, r in enumerate(rows, start=2):
        fld = (r["field"] or "").strip().upper()
        code = (r["code"] or "").strip().upper()
        state = (r["state"] or "").strip()
        if fld == "PLACE":
            if state not in labels:
                raise ConfigError(f"mapping {p}, line {i}: state {state!r} is not a standard state")
            place[code] = state
        elif fld == "REC":
            if state and state not in labels:
                raise ConfigError(f"mapping {p}, line {i}: state {state!r} is not a standard state")
            rec[code] = state
        elif fld == "LS":
            if state.lower() == "short break":
                sb.add(code)
        else:
            raise ConfigError(f"mapping {p}, line {i}: field {fld!r} must be PLACE, REC or LS")
    if "X1" not in rec:
        rec["X1"] = ""
    place_default: dict[str, str] = {}
    for c, s in place.items():
        place_default.setdefault(s, c)
    rec_default: dict[str, str] = {}
    for c, s in rec.items():
        if s:
            rec_default.setdefault(s, c)
    return Mapping(place, rec, frozenset(sb), place_default, rec_default, p)


@lru_cache(maxsize=1)
def load_codes() -> dict[str, frozenset[str]]:
    """Valid codes per SSDA903 field (every collection year's variants)."""
    out: dict[str, set[str]] = {}
    with open(DATA_DIR / "ssda903_codes.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["field"].strip(), set()).add(r["code"].strip())
    return {k: frozenset(v) for k, v in out.items()}


def state_array(labels_idx: np.ndarray) -> pa.DictionaryArray:
    """Dictionary<int32, string> state column from indices into state_labels()."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(labels_idx, dtype=np.int32)), pa.array(state_labels())
    )


def make_journey_table(
    cols: abc.Mapping[str, pa.Array | abc.Callable[[], pa.Array]],
    extra: dict[str, pa.Array] | None = None,
    *,
    n: int | None = None,
) -> pa.Table:
    """Assemble the canonical table, casting each column to the contract type.

    A column may be given as a function that makes it (with ``n``, the row count): it
    is then made in the same worker thread as its cast.
    """
    first = cols["child_id"]
    rows = n if n is not None else len(first() if callable(first) else first)
    t = journey_columns(cols, n=rows, names=JOURNEY_SCHEMA.names)
    for k, v in (extra or {}).items():
        t = t.append_column(k, v)
    return t


def journey_columns(
    cols: abc.Mapping[str, pa.Array | abc.Callable[[], pa.Array]],
    *,
    n: int,
    names: abc.Sequence[str] | None = None,
) -> pa.Table:
    """The journey table's columns `names` (by default those in `cols`), in the contract's
    order and types: each made (if given as a function) and cast, a few at once; a column
    `cols` lacks is nulls."""
    wanted = set(cols if names is None else names)
    fields = [f for f in JOURNEY_SCHEMA if f.name in wanted]

    def conform(f: pa.Field) -> pa.Array:
        a = cols.get(f.name)
        if a is None:
            return pa.nulls(n, f.type)
        if callable(a):
            a = a()
        return a if a.type == f.type else a.cast(f.type)

    # Gathers (numpy) and casts (Arrow's C++) run without the GIL: a few at once on a
    # multi-core machine.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        arrays = list(pool.map(conform, fields))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def empty_journey_table() -> pa.Table:
    return JOURNEY_SCHEMA.empty_table()


def canonical_states(table: pa.Table) -> np.ndarray:
    """State column as indices into state_labels(), whatever its dictionary."""
    if "state" not in table.column_names:
        raise SchemaError("journey table has no 'state' column")
    s = table.column("state").cast(pa.string())
    idx = pc.index_in(s, value_set=pa.array(state_labels()))
    if idx.null_count:
        bad = pc.filter(s, pc.is_null(idx))[0].as_py()
        raise SchemaError(f"column 'state': {bad!r} is not a standard state")
    return np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64)
