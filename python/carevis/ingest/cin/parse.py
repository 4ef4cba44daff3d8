"""Reading one CIN census XML file: each ``CINdetails`` (an episode of need) with its
child's identifiers and its dated events, and the census's collection year from its
dates (its header or name as a hint)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ...errors import DataError
from .._dates import NULL_DAY, parse_dates
from .._paths import la_from_path, read_return
from .._xml import Node, XMLDoctypeError, XMLParseError, parse_xml
from .._years import (
    NameYear,
    YearOverride,
    content_year,
    decide,
    end_votes,
    fy_label,
    name_year,
    override_for,
)
from ..report import ValidationReport
from ..schema import DATA_DIR

__all__ = ["EVENTS", "NFA", "CinEpisode", "parse_cin_file"]


def _load_events() -> tuple[tuple[str, str, int], ...]:
    """(element, state, same-day order) from carevis/data/cin_map.csv."""
    with open(DATA_DIR / "cin_map.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["event"] != "ReferralNFA"]
    return tuple((r["event"].upper(), r["state"], int(r["order"])) for r in rows)


# (element, state, order): the order breaks same-day ties
EVENTS = _load_events()
NFA = "No further action"


@dataclass
class CinEpisode:
    fi: int
    line: int
    la: str | None
    year: int
    child: str | None
    dob: str | None
    sex: str | None
    eth: str | None
    ref: str | None
    nfa: bool
    closure: str | None
    reason: str | None
    need: str | None
    events: list[tuple[str, str, int]] = field(default_factory=list)  # (date text, state, order)


def _text(n: Node | None, key: str) -> str | None:
    return None if n is None else n.leaf_text(key)


def _first_deep(n: Node, key: str) -> str | None:
    for m in n.findall_deep(key):
        if m.is_leaf() and m.text.strip():
            return m.text.strip()
    return None


def parse_cin_file(
    path: Path, fi: int, report: ValidationReport, la: str | None, year: YearOverride
) -> list[CinEpisode]:
    try:
        data = read_return(path)  # refuses a file above the size cap
    except OSError as e:
        report.failed_files.add(fi)
        report.add("unreadable_file", "rejected", file_idx=fi, line=None, rows=0, detail=str(e))
        return []
    if not data.strip():
        report.failed_files.add(fi)
        report.add("empty_file", "rejected", file_idx=fi, line=None, rows=0, detail="no XML")
        return []
    try:
        root = parse_xml(data)
    except XMLDoctypeError as e:
        raise DataError(f"{path}, line {e.line}: {e}") from e
    except XMLParseError as e:
        report.failed_files.add(fi)
        report.add("unreadable_file", "rejected", file_idx=fi, line=e.line, rows=0, detail=str(e))
        return []
    children = [n for n in root.iter() if n.key == "CHILD" and not n.is_leaf()]
    if not children and not root.findall_deep("CINDETAILS"):
        report.failed_files.add(fi)
        report.add(
            "unknown_table",
            "rejected",
            file_idx=fi,
            line=root.line,
            rows=0,
            detail=f"<{root.tag}> is not a CIN census",
        )
        return []
    hdr = root.find("Header")
    f_la = la or (_first_deep(hdr, "LEA") if hdr is not None else None) or la_from_path(path)
    hint = _year_hint(hdr, path)
    f_year = -1
    out: list[CinEpisode] = []
    for c in children:
        ids = c.find("ChildIdentifiers") or c
        chars = c.find("ChildCharacteristics") or c
        child = _text(ids, "LAchildID")
        dob = _text(ids, "PersonBirthDate")
        sex = _text(ids, "GenderCurrent")
        eth = _text(chars, "Ethnicity")
        for d in c.children:
            if d.key != "CINDETAILS":
                continue
            nfa = (_text(d, "ReferralNFA") or "").lower() in ("true", "1", "y", "yes")
            ep = CinEpisode(
                fi,
                d.line,
                f_la,
                f_year,
                child,
                dob,
                sex,
                eth,
                _text(d, "CINreferralDate"),
                nfa,
                _text(d, "CINclosureDate"),
                _text(d, "ReasonForClosure"),
                _text(d, "PrimaryNeedCode"),
            )
            seen: set[tuple[str, str]] = set()
            for key, state, order in EVENTS:
                for m in d.findall_deep(key):
                    t = m.text.strip()
                    if m.is_leaf() and t and (t, state) not in seen:
                        seen.add((t, state))
                        ep.events.append((t, state, order))
            out.append(ep)
    _census_year(out, fi, report, override_for(path, year), hint)
    return out


def _year_hint(hdr: Node | None, path: Path) -> NameYear | None:
    """The census header's <Year> / <ReferenceDate> (content, not name), else its name."""
    hint = name_year(path)
    if hdr is not None:
        y = _first_deep(hdr, "Year")
        ref = _first_deep(hdr, "ReferenceDate")
        if y and y[:4].isdigit():
            hint = NameYear((int(y[:4]),), f"<Year>{y}</Year>")
        elif ref and ref[:4].isdigit():
            hint = NameYear((int(ref[:4]),), f"<ReferenceDate>{ref}</ReferenceDate>")
    return hint


def _census_year(
    eps: list[CinEpisode],
    fi: int,
    report: ValidationReport,
    given: int | None,
    hint: NameYear | None,
) -> None:
    """The census's collection year from its dates (its header or name as a hint)."""
    texts = [[e.ref, e.closure, *(t for t, _, _ in e.events)] for e in eps]
    flat = pa.array([t for ts in texts for t in ts], pa.string())
    days = parse_dates(flat).days.astype(np.int64) if len(flat) else np.zeros(0, np.int64)
    sizes = np.array([len(ts) for ts in texts], dtype=np.int64)
    latest = np.full(len(eps), NULL_DAY, dtype=np.int64)
    if len(days):
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        valid = np.where(days == NULL_DAY, -(1 << 40), days)
        mx = np.maximum.reduceat(valid, starts)
        latest = np.where(mx < 0, NULL_DAY, mx)
    closures = parse_dates(pa.array([e.closure for e in eps], pa.string())).days
    c = decide(given, hint, end_votes(closures), content_year(latest))
    for e in eps:
        e.year = c.year
    report.file_years[fi] = (c.year, c.why)
    report.add(
        "collection_year",
        "repaired" if c.mismatch else "info",
        file_idx=fi,
        line=None,
        field="YEAR",
        value=fy_label(c.year),
        rows=0,
        detail=c.why,
    )
    if c.mismatch:
        report.add(
            "year_mismatch",
            "repaired",
            file_idx=fi,
            line=None,
            field="YEAR",
            value=fy_label(c.year),
            rows=0,
            detail=c.why,
        )
