"""The DfE's SSDA903 XML layout -> rows of the same tables as the CSV returns.

``<EXPSSDA903>`` holds one ``<CHILD>`` per child: a ``<HEADER>`` (``CHILDID``, ``SEX``,
``DOB``, ``ETHNIC``, ``UPN``, ``MOTHER``, ``MC_DOB``, ``UASC``, ``DUC``, the care leaver
fields ``IN_TOUCH``/``ACTIV``/``ACCOM``, the adoption fields ``DATE_INT``...) with
repeated ``<AREVIEW>``, ``<AMISSING>``, ``<PERMANENCE>``, ``<OC2>`` and ``<AD_PLACED>``
records in it, then one ``<EPISODE>`` per episode (``PL`` is the CSV's ``PLACE``).
Every element is accounted for: the root and ``CHILD`` elements hold the rest, each
record element is one row of a table, and each leaf is a field that is read, a known
field that journeys do not need, or an unknown element (reported by name).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ...errors import DataError
from .._xml import Node, XMLDoctypeError, XMLParseError, parse_xml
from ..report import ValidationReport
from ..schema import EPISODE_COLUMNS, HEADER_COLUMNS
from .parse_csv import add_meta
from .sniff import SourceFile, fail
from .tables import SPEC, TABLES

__all__ = ["KNOWN_FIELDS", "Xml903", "read_903_xml", "xml_tables"]

#: record element -> table
RECORDS = {
    "EPISODE": "episodes",
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "PERMANENCE": "previous_permanence",
    "OC2": "oc2",
    "AD_PLACED": "placed_for_adoption",
}

#: The fields each table has in the DfE's layout (CSV column names).
KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "header": HEADER_COLUMNS,
    "episodes": EPISODE_COLUMNS,
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "previous_permanence": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "oc2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "placed_for_adoption": (
        "CHILD",
        "DOB",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "REASON_PLACED_CEASED",
    ),
}

#: Header leaves that make a row of another table (its first field decides).
_HEADER_TABLES = {
    "oc3": ("IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    "uasc": ("UASC", "DUC"),
}
_RENAME = {"CHILDID": "CHILD", "PL": "PLACE"}
_HEADER_ONLY = frozenset({"UASC"})  # the UASC flag: it makes a uasc row


@dataclass
class Xml903:
    """Rows per table (line, fields) and a tally of every element."""

    rows: dict[str, list[tuple[int, dict[str, str | None]]]] = field(default_factory=dict)
    structural: int = 0  # the root and CHILD elements
    records: int = 0  # elements that are a row (HEADER, EPISODE, AREVIEW, ...)
    fields_read: int = 0  # leaves read into a table journeys use
    fields_not_needed: int = 0  # leaves of fields or tables journeys do not use
    unknown: Counter[str] = field(default_factory=Counter)

    @property
    def elements(self) -> int:
        return (
            self.structural
            + self.records
            + self.fields_read
            + self.fields_not_needed
            + sum(self.unknown.values())
        )


def _text(n: Node) -> str | None:
    t = n.text.strip()
    return t or None


def read_903_xml(root: Node, used: dict[str, tuple[str, ...]]) -> Xml903:
    """Rows of every table in a DfE-layout SSDA903 XML tree. `used`: table -> the
    columns read from it (the others are counted as not needed)."""
    out = Xml903()
    out.structural += 1  # the root
    for child in root.children:
        if child.key != "CHILD" or child.is_leaf():
            out.unknown[child.key] += 1
            continue
        out.structural += 1
        _child(child, out, used)
    return out


def _tally(out: Xml903, table: str, key: str, used: dict[str, tuple[str, ...]]) -> None:
    if key in KNOWN_FIELDS.get(table, ()) or key in _HEADER_ONLY:
        if key in used.get(table, ()):
            out.fields_read += 1
        else:
            out.fields_not_needed += 1
    else:
        out.unknown[key] += 1


def _record(
    n: Node, table: str, base: dict[str, str | None], out: Xml903, used: dict[str, tuple[str, ...]]
) -> None:
    fields = dict(base)
    out.records += 1
    for leaf in n.children:
        if not leaf.is_leaf():
            out.unknown[leaf.key] += sum(1 for _ in leaf.iter())
            continue
        key = _RENAME.get(leaf.key, leaf.key)
        fields.setdefault(key, _text(leaf))
        if key == "CHILD" and fields.get("CHILD") is None:
            fields["CHILD"] = _text(leaf)
        _tally(out, table, key, used)
    out.rows.setdefault(table, []).append((n.line, fields))


def _child(child: Node, out: Xml903, used: dict[str, tuple[str, ...]]) -> None:
    header = next((c for c in child.children if c.key == "HEADER"), None)
    leaves: dict[str, str | None] = {}
    if header is not None:
        for c in header.children:
            if c.is_leaf():
                leaves.setdefault(_RENAME.get(c.key, c.key), _text(c))
    cid = leaves.get("CHILD")
    base: dict[str, str | None] = {"CHILD": cid, "DOB": leaves.get("DOB")}
    for c in child.children:
        if c.key == "HEADER" and not c.is_leaf():
            _header(c, leaves, base, out, used)
        elif c.key in RECORDS and not c.is_leaf():
            _record(c, RECORDS[c.key], {"CHILD": cid}, out, used)
        else:
            out.unknown[c.key] += sum(1 for _ in c.iter())


def _header(
    h: Node,
    leaves: dict[str, str | None],
    base: dict[str, str | None],
    out: Xml903,
    used: dict[str, tuple[str, ...]],
) -> None:
    out.records += 1
    out.rows.setdefault("header", []).append(
        (h.line, {k: leaves.get(k) for k in KNOWN_FIELDS["header"]})
    )
    owner = {k: t for t, ks in _HEADER_TABLES.items() for k in ks}
    for c in h.children:
        if not c.is_leaf():
            if c.key in RECORDS:
                _record(c, RECORDS[c.key], base, out, used)
            else:
                out.unknown[c.key] += sum(1 for _ in c.iter())
            continue
        key = _RENAME.get(c.key, c.key)
        if key in KNOWN_FIELDS["header"]:
            _tally(out, "header", key, used)
        elif key in owner:
            _tally(out, owner[key], key, used)
        else:
            out.unknown[key] += 1
    for table, keys in _HEADER_TABLES.items():
        first = leaves.get(keys[0])
        if table == "uasc":
            flag = (first or "").strip().upper() not in ("", "0", "N", "FALSE")
            if not (flag or leaves.get("DUC")):
                continue
            fields = {"CHILD": base["CHILD"], "SEX": leaves.get("SEX"), "DOB": base["DOB"]}
            fields["DUC"] = leaves.get("DUC")
        else:
            if first is None:
                continue
            fields = dict(base)
            fields.update({k: leaves.get(k) for k in keys})
        out.rows.setdefault(table, []).append((h.line, fields))


def xml_tables(f: SourceFile, report: ValidationReport) -> list[tuple[str, pa.Table]]:
    try:
        root = parse_xml(f.data)
    except XMLDoctypeError as e:
        raise DataError(f"{f.path}, line {e.line}: {e}") from e
    except XMLParseError as e:
        fail(report, f, "unreadable_file", str(e), line=e.line)
        return []
    if root.key != "EXPSSDA903":
        fail(
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
        out.append((name, add_meta(t, np.zeros(t.num_rows, np.int64), lines, [f])))
    return out
