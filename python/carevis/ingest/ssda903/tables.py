"""The SSDA903 tables: which columns name each one, which it needs, which are read, and
which journeys use; a file is classified by its columns (its name is only a hint)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SPEC", "TABLES", "TableSpec", "classify", "known_names", "name_hint"]


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


_NAME_HINTS = (
    ("episode", "episodes"),
    ("header", "header"),
    ("uasc", "uasc"),
    ("placed_for_adoption", "placed_for_adoption"),
    ("placed", "placed_for_adoption"),
    ("missing", "missing"),
    ("review", "reviews"),
)


def name_hint(path: Path) -> str | None:
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


_KNOWN = frozenset(c for t in TABLES for c in (*t.keep, *t.signature)) | {"LA", "YEAR"}


def known_names(names: list[str]) -> str:
    """Header names for a message: known column names only, since a file without a
    header has a data row there (ids, birth dates); the rest are counted."""
    known = [n for n in names if n in _KNOWN]
    other = len(names) - len(known)
    return ", ".join(known[:8] + ([f"{other} not SSDA903 names"] if other else [])) or "(none)"
