"""``write_cin_census``: front-door spells written back out as CIN census XML, one file
per council per collection year."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..._progress import progress
from ...atomic import atomic
from .._dates import (
    NULL_DAY,
    arrow_to_days,
    civil_from_days,
    collection_year,
    year_end_day,
    year_start_day,
)
from ..ids import child_codes_for_files
from ..schema import FRONT_DOOR_STATES, canonical_states, state_labels
from .parse import NFA

__all__ = ["write_cin_census"]


def write_cin_census(
    table: pa.Table, out_dir: str | os.PathLike[str], *, years: Iterable[int] | None = None
) -> list[Path]:
    """Write front-door spells as CIN census XML, one file per council per year."""
    labels = state_labels()
    st = canonical_states(table)
    fd_set = np.array([labels.index(s) for s in FRONT_DOOR_STATES])
    sel = np.flatnonzero(np.isin(st, fd_set))
    t = table.take(pa.array(sel))
    st = st[sel]
    n = t.num_rows
    if n == 0:
        return []
    la = (
        pc.fill_null(t.column("la").combine_chunks().cast(pa.string()), "unknown")
        if "la" in t.column_names
        else pa.array(["unknown"] * n)
    )
    child = child_codes_for_files(
        t.column("child_id").combine_chunks().cast(pa.string()), la
    ).to_pylist()
    la_l = la.to_pylist()
    s = arrow_to_days(t.column("start")).astype(np.int64)
    e = arrow_to_days(t.column("end")).astype(np.int64)

    def col(name: str) -> list[Any]:
        return t.column(name).to_pylist() if name in t.column_names else [None] * n

    order = sorted(range(n), key=lambda i: (la_l[i], child[i], s[i], st[i] == labels.index(NFA)))
    episodes = _episodes(order, [labels[x] for x in st], la_l, child, s, e, col)
    all_days = [ep["ref"] for ep in episodes] + [
        ep["closure"] for ep in episodes if ep["closure"] is not None
    ]
    cy = collection_year(np.array(all_days, dtype=np.int64))
    yrs = sorted(set(years)) if years is not None else list(range(int(cy.min()), int(cy.max()) + 1))
    out = Path(out_dir)
    written: list[Path] = []
    for y in progress(yrs, "writing CIN census", unit="year"):
        ys, ye = year_start_day(y), year_end_day(y)
        by_la: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for ep in episodes:
            if ep["ref"] <= ye and (ep["closure"] is None or ep["closure"] >= ys):
                by_la.setdefault(ep["la"], {}).setdefault(ep["child"], []).append(ep)
        for a, kids in by_la.items():
            d = out / a
            d.mkdir(parents=True, exist_ok=True)
            p = d / f"CIN_{a}_{y}.xml"
            with atomic(p) as tmp:
                tmp.write_text(_cin_xml(a, y, ye, kids), encoding="utf-8")
            written.append(p)
    return written


def _episodes(
    order: list[int],
    lab_of: list[str],
    la_l: list[Any],
    child: list[Any],
    s: np.ndarray,
    e: np.ndarray,
    col: Any,
) -> list[dict[str, Any]]:
    """Front-door spells (rows in `order`) grouped into episodes of need: a new one at
    each Referral, another child or council, or after a closure."""
    sex, bm, eth, need, reason = (
        col("sex"),
        col("birth_month"),
        col("ethnicity"),
        col("category_of_need"),
        col("reason_ceased"),
    )
    # split into episodes of need: a new one at each Referral
    episodes: list[dict[str, Any]] = []
    for i in progress(order, "CIN episodes", unit="row"):
        lab = lab_of[i]
        cur = episodes[-1] if episodes else None
        if (
            cur is None
            or lab == "Referral"
            or cur["child"] != child[i]
            or cur["la"] != la_l[i]
            or cur["closed"]
        ):
            cur = {
                "la": la_l[i],
                "child": child[i],
                "sex": sex[i],
                "bm": bm[i],
                "eth": eth[i],
                "need": need[i],
                "ref": int(s[i]),
                "events": [],
                "end": int(e[i]),
                "nfa": None,
                "closed": False,
                "reason": None,
            }
            episodes.append(cur)
        if lab == NFA:
            cur["nfa"] = int(s[i])
            cur["closed"] = True
            cur["reason"] = reason[i] if (reason[i] or "").startswith("RC") else "RC8"
            continue
        cur["events"].append((lab, int(s[i])))
        cur["end"] = int(e[i])
        if reason[i] and str(reason[i]).startswith("RC"):
            cur["reason"] = reason[i]
    for ep in episodes:
        if ep["nfa"] is not None:
            ep["closure"] = ep["nfa"]
        else:
            ep["closure"] = None if ep["end"] == NULL_DAY else ep["end"]
            if ep["closure"] is not None and not ep["reason"]:
                ep["reason"] = "RC1"
    return episodes


def _iso(day: int) -> str:
    y, m, d = civil_from_days(np.array([day]))
    return f"{int(y[0]):04d}-{int(m[0]):02d}-{int(d[0]):02d}"


def _cin_xml(la: str, year: int, ye: int, kids: dict[str, list[dict[str, Any]]]) -> str:
    x = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<Message>",
        "<Header>",
        "<CollectionDetails>",
        "<Collection>CIN</Collection>",
        f"<Year>{year}</Year>",
        f"<ReferenceDate>{_iso(ye)}</ReferenceDate>",
        "</CollectionDetails>",
        f"<Source><LEA>{escape(la)}</LEA></Source>",
        "</Header>",
        "<Children>",
    ]
    tag = {
        "Assessment": ("Assessments", "AssessmentActualStartDate"),
        "Section 47": ("Section47", "S47ActualStartDate"),
        "Child protection conference": (None, "DateOfInitialCPC"),
        "Child in need": ("CINPlanDates", "CINPlanStartDate"),
        "Child protection plan": ("ChildProtectionPlans", "CPPstartDate"),
    }
    for child, eps in kids.items():
        e0 = eps[0]
        g = {"M": "1", "F": "2"}.get(e0["sex"] or "", "0")
        x.append("<Child><ChildIdentifiers>")
        x.append(f"<LAchildID>{escape(child)}</LAchildID>")
        if e0["bm"] is not None:
            x.append(f"<PersonBirthDate>{e0['bm'].isoformat()}</PersonBirthDate>")
        x.append(f"<GenderCurrent>{g}</GenderCurrent></ChildIdentifiers>")
        if e0["eth"]:
            x.append(
                f"<ChildCharacteristics><Ethnicity>{escape(e0['eth'])}</Ethnicity></ChildCharacteristics>"
            )
        for ep in eps:
            x.append("<CINdetails>")
            x.append(f"<CINreferralDate>{_iso(ep['ref'])}</CINreferralDate>")
            if ep["need"]:
                x.append(f"<PrimaryNeedCode>{escape(ep['need'])}</PrimaryNeedCode>")
            only_ref = len(ep["events"]) == 1
            x.append(
                "<ReferralNFA>"
                + ("true" if ep["nfa"] is not None and only_ref else "false")
                + "</ReferralNFA>"
            )
            if ep["closure"] is not None and ep["closure"] <= ye:
                x.append(f"<CINclosureDate>{_iso(ep['closure'])}</CINclosureDate>")
                x.append(f"<ReasonForClosure>{escape(ep['reason'] or 'RC1')}</ReasonForClosure>")
            for lab, day in (
                ep["events"][1:]
                if ep["events"] and ep["events"][0][0] == "Referral"
                else ep["events"]
            ):
                if day > ye:
                    continue
                wrap, el = tag[lab]
                inner = f"<{el}>{_iso(day)}</{el}>"
                x.append(f"<{wrap}>{inner}</{wrap}>" if wrap else inner)
            x.append("</CINdetails>")
        x.append("</Child>")
    x += ["</Children>", "</Message>", ""]
    return "\n".join(x)
