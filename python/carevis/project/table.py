"""The projected journey table: the core's spell arrays as a canonical Arrow table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .model import ProjectionModel

#: End day of a spell still open at the horizon (the core's marker).
OPEN_DAY = 2**31 - 1
NO_BIRTH_DAY = -(2**31)


def _dates(days: np.ndarray, missing: int) -> pa.Array:
    mask = days == missing
    return pa.array(np.where(mask, 0, days).astype(np.int32), pa.int32(), mask=mask).cast(
        pa.date32()
    )


def build(spells: dict[str, Any], model: ProjectionModel) -> pa.Table:
    """``child_id`` (new: 1, 2, ...), ``state``, ``start``, ``end`` (null: still open at the
    horizon), ``projected``, and per child ``birth_month`` (when fitted by age) and the
    council column (when fitted by council)."""
    child = np.asarray(spells["child"], dtype=np.int64)
    states = pa.array(model.states, pa.string())
    cols: dict[str, pa.Array] = {
        "child_id": pa.array(child + 1, pa.int64()),
        "state": pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(spells["state"], dtype=np.int16)), states
        ),
        "start": _dates(np.asarray(spells["start"]), NO_BIRTH_DAY),
        "end": _dates(np.asarray(spells["end"]), OPEN_DAY),
        "projected": pa.array(np.asarray(spells["projected"], dtype=bool)),
    }
    birth = np.asarray(spells["birth"], dtype=np.int64)
    if model.by_age:
        # The first of the birth month (the privacy convention of the synthetic England).
        known = birth != NO_BIRTH_DAY
        first = np.where(known, birth, 0).astype("datetime64[D]").astype("datetime64[M]")
        per_child = np.where(known, first.astype("datetime64[D]").astype(np.int64), NO_BIRTH_DAY)
        cols["birth_month"] = _dates(per_child[child], NO_BIRTH_DAY)
    if model.council:
        group = np.asarray(spells["group"], dtype=np.int16)
        cols[model.council] = pa.DictionaryArray.from_arrays(
            pa.array(group[child]), pa.array(model.councils, pa.string())
        )
    return pa.table(cols)
