"""Reference implementations of the Rust kernels the ingest calls, in numpy and pyarrow.

They were the ingest's fallbacks while the core was optional; they now live here, where
tests run the whole ingest with them in place of the Rust ones (:func:`use_references`)
and compare: the same journeys, the same report, the same counts. Each takes and
returns what its ``carevis._native`` counterpart does.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from carevis import _native
from carevis.ingest._rows import Codes
from carevis.ingest._sort import pack
from carevis.ingest.ssda903.sniff import line_numbers

__all__ = [
    "KERNELS",
    "argsort_stable",
    "child_keys",
    "dfe_sequence_rules",
    "latest_in_groups",
    "parse_csv_bodies",
    "use_references",
]


def argsort_stable(keys: np.ndarray) -> np.ndarray:
    """``_native.argsort_stable``: a stable argsort."""
    return np.argsort(keys, kind="stable")


def latest_in_groups(
    rows: np.ndarray, group: list[np.ndarray], minor: np.ndarray, content: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_native.latest_in_groups``: `rows` sorted by (group columns, minor, row); in each
    group the last row leads and the others are duplicates (same content), superseded
    (another `minor`, i.e. year) or conflicting. Returns (order, last, dup, sup, conf)."""
    n = len(minor)
    order = rows[argsort_stable(pack(*[g[rows] for g in group], minor[rows]))]
    last = np.ones(len(order), bool)
    if len(order):
        last[:-1] = np.logical_or.reduce([g[order][1:] != g[order][:-1] for g in group])
    follower = ~last
    if not follower.any():
        return order, last, *(np.zeros(n, bool) for _ in range(3))
    grp_end = np.flatnonzero(last)
    grp_id = np.cumsum(np.r_[False, last[:-1]])
    leader = order[grp_end[grp_id]]
    same = np.ones(len(order), bool)
    for c in content:
        same &= c[order] == c[leader]
    other_year = minor[order] != minor[leader]
    dup = np.zeros(n, bool)
    dup[order[follower & same]] = True
    sup = np.zeros(n, bool)
    sup[order[follower & ~same & other_year]] = True
    conf = np.zeros(n, bool)
    conf[order[follower & ~same & ~other_year]] = True
    return order, last, dup, sup, conf


def child_keys(
    parts: list[tuple[pa.Array, pa.Array]], unknown_la: str
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``_native.child_keys``: (per-row codes, per-row blank CHILD, "LA-CHILD" of each
    distinct code) over the rows of several (la, child) tables, one after another.

    Strings are worked on once per distinct value (dictionary encoding); ids are built
    once per distinct (council, child) pair."""
    la = pa.concat_arrays([a for a, _ in parts])
    child = pa.concat_arrays([c for _, c in parts])
    la_c = Codes(
        la if pa.types.is_dictionary(la.type) else pc.fill_null(la, unknown_la), upper=False
    )
    ch_c = Codes(child, upper=False)
    nla = len(la_c.values) + 1
    combined = (np.maximum(ch_c.idx, -1) + 1) * nla + (la_c.idx + 1)
    enc = pc.dictionary_encode(pa.array(combined, pa.int64()))
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    uniq = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=np.int64)
    u_child = uniq // nla - 1
    u_la = uniq % nla - 1
    la_s = (
        la_c.values.take(pa.array(np.maximum(u_la, 0)))
        if len(la_c.values)
        else pa.array([unknown_la] * len(uniq))
    )
    la_s = pc.if_else(pa.array(u_la < 0), pa.scalar(unknown_la), la_s)
    ch_s = (
        ch_c.values.take(pa.array(np.maximum(u_child, 0)))
        if len(ch_c.values)
        else pa.array([""] * len(uniq))
    )
    ch_s = pc.if_else(pa.array(u_child < 0), pa.scalar(""), ch_s)
    raw = pc.binary_join_element_wise(la_s, ch_s, "-")
    return codes, ch_c.null, raw


def parse_csv_bodies(
    data: list[bytes], starts: list[int], ncols: int, keep: list[int], repeat: list[int] = ()
) -> tuple[tuple[list[Any], np.ndarray, list[int]] | None, tuple[int, int, str] | None]:
    """``_native.parse_csv_bodies`` with pyarrow's reader: the kept columns of every
    file's body (from `starts`) as dictionary-coded strings, the line number of each row
    (header = 1, blank lines skipped) and the rows per file; or (None, (file, line,
    why)) when a file has a row with the wrong number of fields or a quoted line break,
    which the caller then reads on its own."""
    names = [f"c{i}" for i in range(ncols)]
    cols: list[list[pa.Array]] = [[] for _ in keep]
    lines, counts = [], []
    for i, (d, s) in enumerate(zip(data, starts, strict=True)):
        body = d[s:]
        bad: list[int] = []

        def handler(row: pacsv.InvalidRow, bad: list[int] = bad) -> str:
            bad.append(-1 if row.number is None else int(row.number))
            return "skip"

        try:
            t = pacsv.read_csv(
                io.BytesIO(body),
                pacsv.ReadOptions(column_names=names),
                pacsv.ParseOptions(invalid_row_handler=handler),
                pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in names},
                    include_columns=[names[k] for k in keep],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as e:
            return None, (i, 0, str(e))
        ln = line_numbers(body, 2)
        if bad:
            return None, (i, bad[0] + 1, "wrong number of fields")
        if len(ln) != t.num_rows:
            return None, (i, 0, "a quoted line break")
        for j, c in enumerate(t.columns):
            cols[j].append(c.combine_chunks())
        lines.append(ln)
        counts.append(t.num_rows)
    out = [pc.dictionary_encode(pa.concat_arrays(c)) for c in cols]
    all_lines = np.concatenate(lines) if lines else np.zeros(0, np.int64)
    return (out, all_lines, counts), None


# bits of ``dfe_sequence_rules``' flags (rust/src/ingest/dfe.rs)
RNE_S, RNE_CONT, REC_LEFT, REC_E2_E15, REC_X1, REC_KNOWN, CHILD_BLANK = (1, 2, 4, 8, 16, 32, 64)


def dfe_sequence_rules(
    grp: np.ndarray,
    decom: np.ndarray,
    dec: np.ndarray,
    flags: np.ndarray,
    null: int,
    header_grp: np.ndarray,
    header_dob: np.ndarray,
) -> dict[str, np.ndarray]:
    """``_native.dfe_sequence_rules``: 142, 501, 431, 432, 437 (pairs sorted by start,
    missing last), 433 (by start then end), 388 (missing start first, as the day before
    the earliest) and 302, in numpy sorts over all rows (the ingest's code before the
    rules moved to Rust)."""
    n = len(grp)
    f = np.asarray(flags, dtype=np.uint8)

    def bit(b: int) -> np.ndarray:
        return (f & b) != 0

    has_decom = decom != null
    lo = int(decom[has_decom].min()) if has_decom.any() else 0
    hi = int(decom[has_decom].max()) if has_decom.any() else 0
    s_last = np.where(has_decom, decom, hi + 1)
    order = argsort_stable(pack(grp, s_last)) if n else np.zeros(0, np.int64)
    g = grp[order]
    sp = g[1:] == g[:-1]
    od, oe, of = decom[order], dec[order], f[order]
    rne_s = (of & RNE_S) != 0
    pe_ok, ns_ok = oe[:-1] != null, od[1:] != null
    first, second = order[:-1], order[1:]
    known = (of & REC_KNOWN) != 0
    out = {
        "142": first[
            sp & ((oe[:-1] == null) | ~known[:-1]) & ~bit(CHILD_BLANK)[first] & (od[:-1] != null)
        ],
        "501": second[sp & pe_ok & (od[1:] < oe[:-1])],
        "431": second[sp & rne_s[1:] & pe_ok & ns_ok & (od[1:] <= oe[:-1])],
        "432": second[sp & ((of[:-1] & REC_LEFT) != 0) & ~rne_s[1:]],
        "437": first[sp & (od[:-1] != null) & ((of[:-1] & REC_E2_E15) != 0)],
    }
    # 433: sorted by start, then end (missing last)
    s_dec = np.where(dec != null, dec, dec[dec != null].max(initial=0) + 1)
    o2 = argsort_stable(pack(grp, s_last, s_dec)) if n else np.zeros(0, np.int64)
    g2 = grp[o2]
    sp2, od2, oe2 = g2[1:] == g2[:-1], decom[o2], dec[o2]
    cont = bit(RNE_CONT)[o2][1:]
    mism = (oe2[:-1] != od2[1:]) | (oe2[:-1] == null) | (od2[1:] == null)
    out["433"] = o2[1:][sp2 & cont & mism]
    # 388: a missing start first, read as the day before the earliest start
    s_first = np.where(has_decom, decom, lo - 1)
    o3 = argsort_stable(pack(grp, s_first)) if n else np.zeros(0, np.int64)
    g3 = grp[o3]
    sp3, od3, oe3 = g3[1:] == g3[:-1], s_first[o3], dec[o3]
    x1, known3, hd3 = bit(REC_X1)[o3], bit(REC_KNOWN)[o3], oe3 != null
    nx3 = np.r_[sp3, False]
    nd3 = np.r_[od3[1:], null]
    bad3 = (nx3 & x1 & hd3 & (oe3 != nd3)) | (nx3 & ~x1 & known3 & hd3 & (oe3 == nd3))
    out["388"] = o3[bad3 | (~nx3 & hd3 & x1)]
    # 302: each header row's first episode (earliest start) starts before the birth
    pos = np.searchsorted(g, header_grp)
    pc_ = np.minimum(pos, max(n - 1, 0))
    found = (pos < n) & (header_dob != null)
    if n:
        found &= (g[pc_] == header_grp) & (od[pc_] != null)
    bad = found & (header_dob > (od[pc_] if n else 0))
    out["302_header"] = np.flatnonzero(bad)
    out["302"] = order[pc_[bad]] if n else np.zeros(0, np.int64)
    return {k: np.unique(np.asarray(v, dtype=np.int64)) for k, v in out.items()}


#: the Rust kernels of the ingest and their references here
KERNELS = {
    "argsort_stable": argsort_stable,
    "latest_in_groups": latest_in_groups,
    "child_keys": child_keys,
    "parse_csv_bodies": parse_csv_bodies,
    "dfe_sequence_rules": dfe_sequence_rules,
}


def use_references(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...] = ()) -> None:
    """Put the references (all, or those named) in place of the Rust kernels."""
    for name in names or tuple(KERNELS):
        monkeypatch.setattr(_native, name, KERNELS[name])
