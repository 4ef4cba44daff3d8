"""Stitched episodes into spells: each kept episode becomes a care spell in the state its
placement maps to, and an episode that ends care adds an exit spell (the state its REC
maps to, or "Other exit" / "Lost to follow-up") lasting ``exit_dwell_days``, cut short
by a re-entry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .._dates import NULL_DAY
from ..report import ValidationReport
from ..schema import LOST, Mapping, state_labels
from .episodes import Episodes
from .stitch import Stitched

__all__ = ["Spells", "make_spells"]


@dataclass
class Spells:
    """One row per spell, in (child, start) order, care before its exit."""

    src: np.ndarray  # the episode row of each spell
    is_exit: np.ndarray
    state: np.ndarray  # int32 index into state_labels()
    start: np.ndarray
    end: np.ndarray
    reason: np.ndarray  # code into rec_values (-1 = none)
    rec_values: pa.Array

    @property
    def total(self) -> int:
        return len(self.src)


def make_spells(
    st: Stitched,
    e: Episodes,
    mp: Mapping,
    ep_key: np.ndarray,
    report: ValidationReport,
    exit_dwell_days: int,
) -> Spells:
    """The spells of the stitched episodes (their states through the mapping)."""
    idx = st.idx  # kept episode rows in (child, start) order
    labels = state_labels()
    other_place = labels.index("Other placement")
    other_exit = labels.index("Other exit")
    lost_state = labels.index(LOST)
    care_state = e.place.map_to({c: labels.index(s) for c, s in mp.place.items()}, other_place)[
        idx
    ].astype(np.int32)
    rec_table = {c: labels.index(s) for c, s in mp.rec.items() if s}
    exit_state = np.where(
        st.lost,
        lost_state,
        np.where(st.rec_unknown, other_exit, e.rec.map_to(rec_table, other_exit)[idx]),
    ).astype(np.int32)
    report.lost_to_follow_up += len(np.unique(ep_key[idx[st.lost]]))
    # REC of each kept episode as codes into rec.values + ["X1"] (-1 = none).
    rec_vals = pa.concat_arrays([e.rec.values.cast(pa.string()), pa.array(["X1"])])
    rec_k = np.where(
        st.rec_x1, len(e.rec.values), np.where(st.rec_unknown | st.lost, -1, e.rec.idx[idx])
    )

    has_exit = (st.dec != NULL_DAY) & ~st.rec_x1
    exit_end = st.dec + exit_dwell_days
    exit_end = np.where(st.has_next, np.minimum(exit_end, st.next_decom), exit_end)
    m = len(idx)
    pos_care = np.arange(m) + np.cumsum(has_exit) - has_exit
    pos_exit = (pos_care + 1)[has_exit]
    total = m + int(has_exit.sum())

    def spread(care: np.ndarray, exit_: np.ndarray, dtype: type) -> np.ndarray:
        out: np.ndarray = np.empty(total, dtype=dtype)
        out[pos_care] = care
        out[pos_exit] = exit_
        return out

    src = spread(idx, idx[has_exit], np.int64)
    is_exit = np.zeros(total, dtype=bool)
    is_exit[pos_exit] = True
    state = spread(care_state, exit_state[has_exit], np.int32)
    start = spread(st.decom, st.dec[has_exit], np.int64)
    end = spread(st.dec, exit_end[has_exit], np.int64)
    ep_pos = spread(np.arange(m), np.flatnonzero(has_exit), np.int64)  # among kept episodes
    reason = np.where(end >= NULL_DAY, -1, rec_k[ep_pos])
    return Spells(src, is_exit, state, start, end, reason, rec_vals)
