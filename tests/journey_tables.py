"""Small journey tables for the picture tests (GL, window, golden images): the standard
states, 1-4 spells per child, some left open, with per-child ``la`` and ``sex``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

BG = (247, 247, 244, 255)


def make_table(n_children: int = 400, seed: int = 3) -> pa.Table:
    """Small journeys over the standard states, 1-4 spells per child, some left open."""
    from carevis.layout import standard_labels

    labels = standard_labels()
    rng = np.random.default_rng(seed)
    k = rng.integers(1, 5, n_children)
    child = np.repeat(np.arange(n_children, dtype=np.int64), k)
    m = len(child)
    first_of = np.cumsum(k) - k
    lens = rng.integers(5, 400, m)
    ends = np.cumsum(lens)
    before = ends - lens - np.repeat((ends - lens)[first_of], k)
    origin = np.repeat(rng.integers(0, 5 * 365, n_children), k)
    start = np.datetime64("2016-01-01", "D") + (origin + before).astype("timedelta64[D]")
    end = start + lens.astype("timedelta64[D]")
    state = rng.integers(0, len(labels), m)
    last = np.cumsum(k) - 1
    open_end = np.zeros(m, bool)
    open_end[last[rng.random(n_children) < 0.2]] = True
    return pa.table(
        {
            "child_id": pa.array(child + 1000, pa.int64()),
            "state": pa.array([labels[s] for s in state], pa.string()),
            "start": pa.array(start, pa.date32()),
            "end": pa.array(end, pa.date32(), mask=open_end),
            "la": pa.array(np.array(["Kent", "Oxfordshire", "East Sussex"])[child % 3]),
            "sex": pa.array(np.array(["F", "M"])[child % 2]),
        }
    )


def with_ethnicity(t: pa.Table) -> pa.Table:
    """``t`` with an ``ethnicity`` column: the DfE's 20 codes, one per child in turn."""
    from carevis.scene import palettes

    codes = [c for c, _ in palettes.ethnicity_codes()]
    ids = t["child_id"].to_pylist()
    order = {c: k for k, c in enumerate(dict.fromkeys(ids))}
    return t.append_column("ethnicity", pa.array([codes[order[c] % len(codes)] for c in ids]))
