"""The SSDA903 pipeline from string tables to the journey table, stage by stage:

1. ids for every table at once (``ids``), so codes agree across tables;
2. row rules on the episodes, DfE rules flagged (``episodes``, ``dfe``);
3. stitch episodes per child: drop duplicates and superseded rows, close open
   episodes, clip overlaps, close X1 gaps (``stitch``);
4. spells: care states through the mapping table, exit spells (``spells``);
5. per-child attributes (header, then UASC) and the canonical table (``attributes``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...journeys import Journeys
from .._dates import NULL_DAY, days_to_arrow
from .._rows import Codes, Rows
from ..ids import child_keys_parts
from ..report import ValidationReport
from ..schema import (
    Mapping,
    journey_columns,
    load_codes,
    make_journey_table,
    state_labels,
)
from .attributes import (
    Attributes,
    TableAttributes,
    child_attributes,
    read_attributes,
    spell_attributes,
)
from .episodes import EpisodeColumns, Episodes, episode_columns, episode_rules, fill_la
from .spells import Spells, make_spells
from .stitch import Stitched, stitch
from .tables import SPEC

__all__ = ["build_journeys"]


def _empty_episodes() -> pa.Table:
    return (
        pa.table({c: pa.array([], pa.string()) for c in SPEC["episodes"].keep})
        .append_column("_file", pa.array([], pa.int32()))
        .append_column("_line", pa.array([], pa.int64()))
        .append_column("_la", pa.array([], pa.string()).dictionary_encode())
        .append_column("_year", pa.array([], pa.int32()))
    )


def build_journeys(
    tables: dict[str, pa.Table],
    report: ValidationReport,
    mp: Mapping,
    *,
    include_short_breaks: bool,
    hash_key: str | bytes | None,
    keep_ids: bool,
    keep_birth_date: bool,
    exit_dwell_days: int,
    index_source: str | None = None,
) -> tuple[pa.Table, list[Rows], Callable[[pa.Table], Journeys] | None]:
    """The journey table of the 903 tables, their rows (with what was rejected), and with
    `index_source`, the function that gives the table's journeys, their index built
    while the table was made (see :meth:`Journeys._building`)."""
    code_lists = load_codes()
    ep_t = tables.get("episodes")
    ep = Rows("episodes", ep_t if ep_t is not None else _empty_episodes(), report)
    others = {k: Rows(k, v, report) for k, v in tables.items() if k != "episodes"}

    ep_la = fill_la(ep)
    others_la = {k: fill_la(r) for k, r in others.items()}
    child = ep.t.column("CHILD").combine_chunks()
    # The child keys (Rust, without the GIL) while the episodes' columns are read.
    with ThreadPoolExecutor(max_workers=1) as pool:
        keyed = pool.submit(
            child_keys_parts,
            [(ep_la, child)]
            + [(others_la[k], r.t.column("CHILD").combine_chunks()) for k, r in others.items()],
            hash_key,
        )
        ep_cols = episode_columns(ep)
        uniq_ids, keys, all_blank = keyed.result()
    ep_key = keys[: ep.n]
    e, sp, children = _rules(
        ep,
        others,
        report,
        mp,
        cols=ep_cols,
        keys=keys,
        all_blank=all_blank,
        ep_la=ep_la,
        code_lists=code_lists,
        include_short_breaks=include_short_breaks,
        exit_dwell_days=exit_dwell_days,
    )

    spell_key = ep_key[sp.src]
    index_cols = _index_columns(sp, uniq_ids, spell_key)
    four, finish = None, None
    if index_source is not None:
        # The index, in a thread, beside the attributes and the other columns.
        four, finish = Journeys._building(
            lambda: journey_columns(index_cols, n=len(spell_key)), index_source
        )
    attr_row, sex_parts, eth_parts, dob_parts = children
    at = spell_attributes(attr_row, spell_key, sex_parts, eth_parts, dob_parts)
    cols = {**index_cols, **_columns(sp, e, at, spell_key, ep_la)}
    if four is not None:  # made once, for the index and the table
        made = four()
        for name in made.column_names:
            c = made.column(name)
            cols[name] = c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
    extra: dict[str, pa.Array] = {}
    if keep_birth_date:
        extra["birth_date"] = days_to_arrow(at.dob)
    if keep_ids:
        src_a = pa.array(sp.src)
        extra["source_child"] = pc.utf8_trim_whitespace(child.take(src_a).cast(pa.string()))
    table = make_journey_table(cols, extra, n=len(spell_key))
    return table, [ep, *others.values()], finish


#: :func:`child_attributes`'s result: each child key's attribute row (-1 = none), and
#: the tables' sex, ethnicity and birth date parts.
Children = tuple[np.ndarray, list[np.ndarray], list[tuple[pa.Array, np.ndarray]], list[np.ndarray]]


def _children(
    ep: Rows,
    others: dict[str, Rows],
    read: dict[str, TableAttributes],
    keys: np.ndarray,
    st: Stitched,
) -> Children:
    """Each child's attribute row and the tables' attributes (:func:`child_attributes`:
    the header's rules reported now, in turn); a child with episodes and no header row
    is reported on its first episode."""
    ep_key = keys[: ep.n]
    nkeys = int(keys.max()) + 1 if len(keys) else 0
    has_ep = np.zeros(nkeys + 1, dtype=bool)
    has_ep[ep_key[st.idx]] = True
    attr_row, sex_parts, eth_parts, dob_parts = child_attributes(others, read, has_ep=has_ep)
    kept_children = np.flatnonzero(has_ep)
    no_hdr = kept_children[attr_row[kept_children] < 0] if nkeys else kept_children
    if len(no_hdr):
        kk = ep_key[st.idx]
        first_rows = st.idx[np.r_[True, kk[1:] != kk[:-1]]]
        fr = first_rows[np.isin(ep_key[first_rows], no_hdr)]
        ep.repair_idx(fr, "missing_header", "CHILD", detail="sex 'U', birth month blank")
    return attr_row, sex_parts, eth_parts, dob_parts


def _rules(
    ep: Rows,
    others: dict[str, Rows],
    report: ValidationReport,
    mp: Mapping,
    *,
    cols: EpisodeColumns,
    keys: np.ndarray,
    all_blank: np.ndarray,
    ep_la: pa.Array,
    code_lists: dict[str, frozenset[str]],
    include_short_breaks: bool,
    exit_dwell_days: int,
) -> tuple[Episodes, Spells, Children]:
    """The episodes' rules, stitching and spells; and in a worker thread beside them, the
    other tables' rules that need no episodes (their report calls replayed in order later,
    by :func:`child_attributes`), the DfE's rules on the episodes (their lines put back
    where those rules run in turn), then the children's attributes (:func:`_children`)."""
    ep_key = keys[: ep.n]
    h_off = ep.n
    for k, r in others.items():
        if k == "header":
            break
        h_off += r.n
    header = others.get("header")
    # The episodes' DfE rules flag header rows too, straight into the report: they get
    # their own view of the header, since the worker records the header's report calls.
    header_for_dfe = copy.copy(header) if header is not None else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        read = pool.submit(
            read_attributes,
            others,
            keys=keys,
            all_blank=all_blank,
            n_episodes=ep.n,
            code_lists=code_lists,
        )
        e, finish_dfe = episode_rules(
            ep,
            cols=cols,
            key=ep_key,
            child_blank=all_blank[: ep.n],
            header=header_for_dfe,
            header_key=keys[h_off : h_off + header.n] if header is not None else None,
            mp=mp,
            code_lists=code_lists,
            include_short_breaks=include_short_breaks,
            pool=pool,
        )
        st = _stitch(ep, e, ep_key, ep_la)
        finish_dfe()  # (its lines go in before the worker writes to the report again)
        # The children's attributes in the worker, beside the spells (which write no
        # report lines: the report's order stays that of the rules in turn).
        children = pool.submit(_children, ep, others, read.result(), keys, st)
        sp = make_spells(st, e, mp, ep_key, report, exit_dwell_days)
        return e, sp, children.result()


def _stitch(ep: Rows, e: Episodes, ep_key: np.ndarray, ep_la: pa.Array) -> Stitched:
    """Stitch the episodes; each council's latest return year tells which open episodes
    belong to children its later returns no longer hold (closed at the year end)."""
    la_codes = Codes(ep_la, upper=False).idx
    la_max = np.full(max(int(la_codes.max()) + 1, 1) if ep.n else 1, -1, dtype=np.int64)
    if ep.n:
        np.maximum.at(la_max, la_codes, e.year)
    return stitch(
        ep,
        key=ep_key,
        decom=e.decom,
        dec=e.dec,
        year=e.year,
        year_end=e.year_end,
        la_max_year=la_max[la_codes] if ep.n else e.year,
        rec_is_x1=e.rec.equals("X1"),
        rec_known=~e.rec.null,
        rec_blank=e.rec_blank,
        content=[e.dec, e.ls.idx, e.place.idx, e.rec.idx, e.rne.idx, e.cin.idx, e.prov.idx],
        raw_dec=e.raw_dec,
    )


def _index_columns(
    sp: Spells, uniq_ids: pa.Array, spell_key: np.ndarray
) -> dict[str, Callable[[], pa.Array]]:
    """The four columns the index reads (child_id, state, start, end), each as the function
    that makes it."""
    labels = state_labels()

    def end() -> pa.Array:
        return days_to_arrow(np.where(sp.end >= NULL_DAY, NULL_DAY, sp.end).astype(np.int32))

    return {
        "child_id": lambda: _dict(uniq_ids, spell_key),
        "state": lambda: pa.DictionaryArray.from_arrays(
            pa.array(sp.state, pa.int32()), pa.array(labels)
        ),
        "start": lambda: days_to_arrow(sp.start.astype(np.int32)),
        "end": end,
    }


def _columns(
    sp: Spells,
    e: Episodes,
    at: Attributes,
    spell_key: np.ndarray,
    ep_la: pa.Array,
) -> dict[str, Callable[[], pa.Array]]:
    """The journey table's other columns, one row per spell, each as the function that
    makes it (``make_journey_table`` runs them in worker threads, beside their casts)."""
    src, is_exit = sp.src, sp.is_exit

    def la() -> pa.Array:
        return _dict(ep_la.dictionary, ep_la.indices.to_numpy(zero_copy_only=False)[src])

    def code(c: Codes) -> Callable[[], pa.Array]:
        return lambda: _dict(c.values, np.where(is_exit, -1, c.idx[src]))

    return {
        "la": la,
        "sex": lambda: _dict(pa.array(["M", "F", "U"]), at.sex),
        "birth_month": lambda: days_to_arrow(at.birth_month),
        "ethnicity": lambda: _dict(at.eth_values, at.eth),
        "placement": code(e.place),
        "legal_status": code(e.ls),
        "category_of_need": code(e.cin),
        "reason_ceased": lambda: _dict(sp.rec_values, sp.reason),
    }


def _dict(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """Strings by code into `values` (-1 = null): built as a dictionary array whose last
    entry is null, so the one gather of text happens in the cast to the contract's
    string type and no validity mask is built."""
    codes = np.asarray(codes)
    n = len(values)
    if not n:
        return pa.nulls(len(codes), pa.string())
    idx = np.where(codes < 0, n, codes).astype(np.int32)
    vals = pa.concat_arrays([values.cast(pa.string()), pa.nulls(1, pa.string())])
    return pa.DictionaryArray.from_arrays(pa.array(idx), vals)
