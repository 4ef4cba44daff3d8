"""Per-child attributes of SSDA903 journeys: sex, ethnicity and date of birth from the
header (one row per child, the latest return's), the UASC table filling gaps, and the
rules on those tables' rows (a child row with no usable episode, conflicting rows)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .._dates import NULL_DAY, civil_from_days
from .._rows import Codes, DeferredReport, Rows
from .._sort import first_of_each, latest_in_groups
from .episodes import check_codes, date_col

__all__ = [
    "Attributes",
    "TableAttributes",
    "child_attributes",
    "month_start",
    "read_attributes",
    "spell_attributes",
]


@dataclass
class Attributes:
    """Per spell: sex (0 = M, 1 = F, 2 = U), ethnicity codes into `eth_values`, birth
    date and the first of its month as day numbers (NULL_DAY = unknown)."""

    sex: np.ndarray
    eth_values: pa.Array
    eth: np.ndarray
    dob: np.ndarray
    birth_month: np.ndarray


@dataclass
class TableAttributes:
    """One attribute table's rules that need no episodes, done (see :func:`read_attributes`):
    each row's child key, and its sex, ethnicity and birth date (None for placed for
    adoption), the rows kept by the header's dedup, and the report calls they made."""

    rkey: np.ndarray
    sex: np.ndarray | None = None
    eth: tuple[pa.Array, np.ndarray] | None = None
    dob: np.ndarray | None = None
    lead: np.ndarray | None = None
    calls: DeferredReport | None = None


def read_attributes(
    others: dict[str, Rows],
    *,
    keys: np.ndarray,
    all_blank: np.ndarray,
    n_episodes: int,
    code_lists: dict[str, frozenset[str]],
) -> dict[str, TableAttributes]:
    """The rules on the other tables' rows that do not depend on the episodes. Safe to run
    in a worker thread beside the episodes' rules: each table's report calls are recorded
    (:class:`DeferredReport`), and :func:`child_attributes` replays them where these rules
    stood, so the report is the same as when everything ran in turn."""
    out: dict[str, TableAttributes] = {}
    start_off = n_episodes
    for name, r in others.items():
        rkey = keys[start_off : start_off + r.n]
        real = r.report
        calls = DeferredReport(real)
        r.report = calls  # type: ignore[assignment]
        try:
            r.reject(all_blank[start_off : start_off + r.n], "missing_value", "CHILD")
            start_off += r.n
            if name == "placed_for_adoption":
                date_col(r, "DATE_PLACED", required=True, reject_invalid=True)
                out[name] = TableAttributes(rkey, calls=calls)
                continue
            sex_i = _sex(r)
            dob = date_col(r, "DOB", required=False, reject_invalid=False)
            if name == "header":
                eth_c, _ = check_codes(r, "ETHNIC", code_lists.get("ETHNIC", frozenset()))
                eth = (eth_c.values.cast(pa.string()), eth_c.idx)
                ryear = np.asarray(r.t.column("_year").to_numpy(), dtype=np.int64)
                lead = _dedup_header(r, rkey, ryear, [sex_i, dob, eth_c.idx])
            else:
                eth = (pa.array([], pa.string()), np.full(r.n, -1, dtype=np.int64))
                lead = r.alive.copy()
            out[name] = TableAttributes(rkey, sex_i, eth, dob, lead, calls)
        finally:
            r.report = real
    return out


def child_attributes(
    others: dict[str, Rows],
    read: dict[str, TableAttributes],
    *,
    has_ep: np.ndarray,
) -> tuple[np.ndarray, list[np.ndarray], list[tuple[pa.Array, np.ndarray]], list[np.ndarray]]:
    """The rest of the rules on the other tables (children without episodes), and the
    attribute row of each child key: returns (row in the concatenated tables per key, -1 =
    none; sex, ethnicity and birth date parts per table). ``read`` is
    :func:`read_attributes`' result, whose report calls are replayed here first."""
    nkeys = len(has_ep) - 1 if len(has_ep) else 0
    attr_row = np.full(nkeys, -1, dtype=np.int64)  # row in the concatenated attribute arrays
    sex_parts: list[np.ndarray] = []
    eth_parts: list[tuple[pa.Array, np.ndarray]] = []  # (values, codes) per table
    dob_parts: list[np.ndarray] = []
    base = 0
    for name, r in others.items():
        a = read[name]
        if a.calls is not None:
            a.calls.replay()
        r.reject(~has_ep[a.rkey], "child_without_episodes", "CHILD", r.t.column("CHILD"))
        if a.sex is None or a.eth is None or a.dob is None or a.lead is None:
            continue  # placed for adoption: no attributes
        use = np.flatnonzero(a.lead & r.alive)
        use = use[attr_row[a.rkey[use]] < 0]  # header first, UASC only fills gaps
        use = use[first_of_each(a.rkey[use])]
        attr_row[a.rkey[use]] = base + use
        sex_parts.append(a.sex)
        eth_parts.append(a.eth)
        dob_parts.append(a.dob)
        base += r.n
    return attr_row, sex_parts, eth_parts, dob_parts


def spell_attributes(
    attr_row: np.ndarray,
    spell_key: np.ndarray,
    sex_parts: list[np.ndarray],
    eth_parts: list[tuple[pa.Array, np.ndarray]],
    dob_parts: list[np.ndarray],
) -> Attributes:
    """Each spell's child's attributes (sex 'U' and the rest blank without a row): worked
    out once per child (``attr_row`` is per child key), then spread over its spells."""
    total = len(spell_key)
    if not sex_parts or not len(attr_row):
        blank = np.full(total, NULL_DAY, dtype=np.int32)
        return Attributes(
            np.full(total, 2, dtype=np.int8),
            pa.array([], pa.string()),
            np.full(total, -1, dtype=np.int32),
            blank,
            blank,
        )
    has = attr_row >= 0
    row = np.maximum(attr_row, 0)
    sex = np.where(has, np.concatenate(sex_parts)[row], 2).astype(np.int8)  # 2 = "U"
    eth_vals, eth_idx = _concat_codes(eth_parts)
    eth = np.where(has, eth_idx[row], -1).astype(np.int32)
    dob = np.where(has, np.concatenate(dob_parts)[row], NULL_DAY).astype(np.int32)
    month = month_start(dob).astype(np.int32)
    return Attributes(sex[spell_key], eth_vals, eth[spell_key], dob[spell_key], month[spell_key])


def _concat_codes(parts: list[tuple[pa.Array, np.ndarray]]) -> tuple[pa.Array, np.ndarray]:
    """(values, codes) of several tables as one: values appended, codes shifted."""
    vals, idx, base = [], [], 0
    for v, c in parts:
        vals.append(v)
        idx.append(np.where(c >= 0, c + base, -1))
        base += len(v)
    return pa.concat_arrays(vals), np.concatenate(idx)


def month_start(days: np.ndarray) -> np.ndarray:
    """The first of the month of each day number (NULL_DAY stays NULL_DAY), through a
    table over the days' range (birth dates span decades, not millions of days)."""
    days = np.asarray(days, dtype=np.int64)
    ok = days != NULL_DAY
    if not ok.any():
        return np.array(days, copy=True)
    lo, hi = int(days[ok].min()), int(days[ok].max())
    span = np.arange(lo, hi + 1, dtype=np.int64)
    _, _, dd = civil_from_days(span)
    table = span - (dd - 1)
    return np.where(ok, table[np.where(ok, days, lo) - lo], NULL_DAY)


def _sex(r: Rows) -> np.ndarray:
    """SEX as 0 = M, 1 = F, 2 = U: 1/2 (to 2023-24) and M/F/U (from 2024-25) both read."""
    c = Codes(r.t.column("SEX"))
    v = c.map_to({"1": 0, "M": 0, "2": 1, "F": 1, "U": 2}, -1)
    bad = (v < 0) & ~c.null
    r.repair(bad, "invalid_code", "SEX", c.raw, detail="set to 'U'")
    return np.where(v < 0, 2, v)


def _dedup_header(
    r: Rows, key: np.ndarray, year: np.ndarray, content: list[np.ndarray]
) -> np.ndarray:
    """Keep one header row per child (latest year, then last line); report the rest."""
    alive = np.flatnonzero(r.alive)
    if not len(alive):
        return np.array(r.alive, dtype=bool)
    order, last, dup, sup, conf = latest_in_groups(alive, [key], year, content)
    lead = np.zeros(r.n, bool)
    lead[order[last]] = True
    r.supersede(dup, "duplicate_header", "CHILD", r.t.column("CHILD").combine_chunks())
    r.supersede(sup, "superseded_header", "CHILD", r.t.column("CHILD").combine_chunks())
    r.reject(
        conf,
        "conflicting_header",
        "CHILD",
        r.t.column("CHILD").combine_chunks(),
        detail="kept the last row",
    )
    return lead
