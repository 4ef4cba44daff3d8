"""CIN episodes of need -> front-door spells.

Each ``CINdetails`` becomes a run of front-door spells: the referral, then every
assessment, section 47, initial conference, CIN plan and protection plan start in date
order; each spell lasts until the next step (same-day steps are zero-length spells,
start == end) and the last one until the closure date (closure = leaving the front
door). A referral closed with no further action (``ReferralNFA`` true, or
``ReasonForClosure`` RC8) ends with a "No further action" spell from the closure date
lasting ``exit_dwell_days``. The same CINdetails in several years' census keeps the
latest year's version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..._progress import progress
from .._dates import NULL_DAY, civil_from_days, days_from_civil, days_to_arrow, parse_dates
from .._years import YearOverride
from ..ids import UNKNOWN_LA, child_ids
from ..report import ValidationReport
from ..schema import make_journey_table, state_labels
from .parse import NFA, CinEpisode, parse_cin_file

__all__ = ["cin_spells", "front_door_table"]


class _Rejecter:
    """Rejects CIN episodes (rows of ``cin_details``) still alive, with a report row each."""

    def __init__(self, report: ValidationReport, fi: np.ndarray, ln: np.ndarray) -> None:
        self.report, self.fi, self.ln = report, fi, ln
        self.alive = np.ones(len(fi), dtype=bool)

    def __call__(
        self, mask: np.ndarray, rule: str, fld: str, values: list[str | None] | None = None
    ) -> None:
        m = mask & self.alive
        if m.any():
            self.alive[m] = False
            self.report.reject_rows("cin_details", int(m.sum()))
            val = None if values is None else [v for v, k in zip(values, m, strict=False) if k]
            self.report.add(
                rule, "rejected", file_idx=self.fi[m], line=self.ln[m], field=fld, value=val
            )


def cin_spells(
    paths: list[Path],
    report: ValidationReport,
    *,
    la: str | None,
    year: YearOverride,
    hash_key: str | bytes | None,
    exit_dwell_days: int,
) -> dict[str, Any]:
    """Every CIN file's episodes, validated and de-duplicated, as front-door spells."""
    eps: list[CinEpisode] = []
    for p in progress(paths, "reading CIN census", unit="file"):
        eps.extend(parse_cin_file(p, report.file_index(p), report, la, year))
    n = len(eps)
    report.count("cin_details", n, n)
    fi = np.array([e.fi for e in eps], dtype=np.int64)
    ln = np.array([e.line for e in eps], dtype=np.int64)
    reject = _Rejecter(report, fi, ln)
    la_list = [e.la for e in eps]
    if any(v is None for v in la_list):
        files = np.unique(fi[[v is None for v in la_list]])
        report.add(
            "la_unknown",
            "repaired",
            file_idx=files,
            line=None,
            field="LA",
            value=UNKNOWN_LA,
            rows=0,
        )
    child = [e.child for e in eps]
    reject(np.array([c is None for c in child], dtype=bool), "missing_value", "LAchildID")
    refs = pa.array([e.ref for e in eps], pa.string())
    pref = parse_dates(refs)
    reject(pref.blank, "missing_value", "CINreferralDate")
    reject(pref.invalid, "invalid_date", "CINreferralDate", refs.to_pylist())
    clos = pa.array([e.closure for e in eps], pa.string())
    pclo = parse_dates(clos)
    reject(pclo.invalid, "invalid_date", "CINclosureDate", clos.to_pylist())
    ref_d = pref.days.astype(np.int64)
    clo_d = pclo.days.astype(np.int64)
    reject(
        (clo_d != NULL_DAY) & (clo_d < ref_d),
        "end_before_start",
        "CINclosureDate",
        clos.to_pylist(),
    )
    ids, keys = child_ids(
        pa.array([v if v is not None else UNKNOWN_LA for v in la_list], pa.string()),
        pa.array([c or "" for c in child], pa.string()),
        hash_key,
    )
    yr = np.array([e.year for e in eps], dtype=np.int64)
    kept = _latest(reject, refs, keys, ref_d, yr, n)
    out = _spells(eps, kept, keys, ref_d, clo_d, reject, exit_dwell_days)
    sex_map = {"1": "M", "2": "F", "M": "M", "F": "F", "0": "U", "9": "U", "U": "U"}
    return {
        "rows": np.array(out["row"], dtype=np.int64),
        "child_id": ids,
        "keys": keys,
        "la": [v if v is not None else UNKNOWN_LA for v in la_list],
        "sex": [sex_map.get((e.sex or "").strip().upper(), "U") for e in eps],
        "dob": parse_dates(pa.array([e.dob for e in eps], pa.string())).days.astype(np.int64),
        "eth": [e.eth for e in eps],
        "state": np.array(out["state"], dtype=np.int32),
        "start": np.array(out["start"], dtype=np.int64),
        "end": np.array(out["end"], dtype=np.int64),
        "need": out["need"],
        "reason": out["reason"],
        "fi": fi,
        "ln": ln,
    }


def _latest(
    reject: _Rejecter,
    refs: pa.Array,
    keys: np.ndarray,
    ref_d: np.ndarray,
    yr: np.ndarray,
    n: int,
) -> np.ndarray:
    """The same episode of need in several censuses: keep the latest year. Returns the
    kept episodes in (child, referral) order."""
    fi, ln = reject.fi, reject.ln
    idx = np.flatnonzero(reject.alive)
    order = idx[np.lexsort((ln[idx], fi[idx], yr[idx], ref_d[idx], keys[idx]))]
    k, r = keys[order], ref_d[order]
    last = np.r_[(k[1:] != k[:-1]) | (r[1:] != r[:-1]), True] if len(order) else np.zeros(0, bool)
    drop = order[~last]
    if len(drop):
        lead = order[np.flatnonzero(last)[np.cumsum(np.r_[False, last[:-1]])]][~last]
        same_year = yr[drop] == yr[lead]
        m1 = np.zeros(n, bool)
        m1[drop[same_year]] = True
        m2 = np.zeros(n, bool)
        m2[drop[~same_year]] = True
        reject(m1, "duplicate_start", "CINreferralDate", refs.to_pylist())
        reject(m2, "superseded_episode", "CINreferralDate", refs.to_pylist())
    return np.asarray(order[last])


def _spells(
    eps: list[CinEpisode],
    kept: np.ndarray,
    keys: np.ndarray,
    ref_d: np.ndarray,
    clo_d: np.ndarray,
    reject: _Rejecter,
    exit_dwell_days: int,
) -> dict[str, list[Any]]:
    """The spells of each kept episode, clipped at the child's next referral."""
    labels = state_labels()
    out: dict[str, list[Any]] = {
        k2: [] for k2 in ("row", "state", "start", "end", "need", "reason")
    }

    def emit(i: int, state: str, start: int, end: int, reason: str | None) -> None:
        out["row"].append(i)
        out["state"].append(labels.index(state))
        out["start"].append(start)
        out["end"].append(end)
        out["need"].append(eps[i].need)
        out["reason"].append(reason)

    for j, i in enumerate(kept):
        e = eps[i]
        has_next = j + 1 < len(kept) and keys[kept[j + 1]] == keys[i]
        next_ref = ref_d[kept[j + 1]] if has_next else NULL_DAY
        evs = _events(e, int(ref_d[i]), int(clo_d[i]))
        end_all = int(clo_d[i])
        if has_next and (end_all == NULL_DAY or end_all > next_ref):
            reject.report.add(
                "cin_overlap_clipped",
                "repaired",
                file_idx=reject.fi[i],
                line=reject.ln[i],
                field="CINclosureDate",
                value=e.closure,
                detail="closed at the next referral",
            )
            end_all = int(next_ref)
            evs = [v for v in evs if v[0] <= end_all]
        for q, (d, _, s) in enumerate(evs):
            nd = evs[q + 1][0] if q + 1 < len(evs) else end_all
            emit(i, s, d, nd, e.reason if q + 1 == len(evs) and end_all != NULL_DAY else None)
        nfa = e.nfa or (e.reason or "").upper() == "RC8"
        if nfa and end_all != NULL_DAY:
            ne = end_all + exit_dwell_days
            if has_next:
                ne = min(ne, int(next_ref))
            emit(i, NFA, end_all, ne, e.reason or "RC8")
    return out


def _events(e: CinEpisode, ref: int, clo: int) -> list[tuple[int, int, str]]:
    """(day, same-day order, state) of an episode's events within it, in order, led by
    its referral."""
    ev_days = parse_dates(pa.array([t for t, _, _ in e.events], pa.string())).days.astype(np.int64)
    evs = sorted(
        (int(d), o, s)
        for d, (_, s, o) in zip(ev_days, e.events, strict=False)
        if d != NULL_DAY and d >= ref and (clo == NULL_DAY or d <= clo)
    )
    if not evs or evs[0][2] != "Referral":
        evs.insert(0, (ref, 0, "Referral"))
    return evs


def front_door_table(sp: dict[str, Any], keep_birth_date: bool) -> pa.Table:
    """The front-door spells as the canonical journey table."""
    rows = sp["rows"]
    ra = pa.array(rows, pa.int64())
    dob = sp["dob"][rows] if len(rows) else np.zeros(0, np.int64)
    y, m, _ = civil_from_days(np.where(dob == NULL_DAY, 0, dob))
    bm = np.where(dob == NULL_DAY, NULL_DAY, days_from_civil(y, m, np.ones_like(m)))
    cols = {
        "child_id": sp["child_id"].take(ra),
        "state": pa.DictionaryArray.from_arrays(
            pa.array(sp["state"], pa.int32()), pa.array(state_labels())
        ),
        "start": days_to_arrow(sp["start"].astype(np.int32)),
        "end": days_to_arrow(np.where(sp["end"] >= NULL_DAY, NULL_DAY, sp["end"]).astype(np.int32)),
        "la": pa.array(sp["la"], pa.string()).take(ra),
        "sex": pa.array(sp["sex"], pa.string()).take(ra),
        "birth_month": days_to_arrow(bm.astype(np.int32)),
        "ethnicity": pa.array(sp["eth"], pa.string()).take(ra),
        "category_of_need": pa.array(sp["need"], pa.string()),
        "reason_ceased": pa.array(sp["reason"], pa.string()),
    }
    extra = {"birth_date": days_to_arrow(dob.astype(np.int32))} if keep_birth_date else None
    return make_journey_table(cols, extra)
