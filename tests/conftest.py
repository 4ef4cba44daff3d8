"""Shared test helpers: small journey tables built by hand or at random."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pyarrow as pa
import pytest

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

D0 = dt.date(2020, 1, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def table(rows: list[tuple[object, str, int, int | None]], **extra: list[object]) -> pa.Table:
    """A canonical journey table from (child_id, state, start day, end day or None)."""
    data: dict[str, object] = {
        "child_id": [r[0] for r in rows],
        "state": [r[1] for r in rows],
        "start": pa.array([day(r[2]) for r in rows], pa.date32()),
        "end": pa.array([None if r[3] is None else day(r[3]) for r in rows], pa.date32()),
    }
    data.update(extra)
    return pa.table(data)


STATES = ["Referral", "Assessment", "Child in need", "Foster care (other)", "Returned home"]


def random_table(n_children: int, seed: int = 0, max_spells: int = 6) -> pa.Table:
    """Random non-overlapping journeys (with same-day steps, gaps and open ends)."""
    rng = np.random.default_rng(seed)
    ids, states, starts, ends = [], [], [], []
    for c in range(n_children):
        t = int(rng.integers(0, 400))
        for k in range(int(rng.integers(1, max_spells + 1))):
            length = int(rng.choice([0, 0, 3, 30, 200]))
            last = k == max_spells - 1 or rng.random() < 0.2
            ids.append(c * 7 + 3)
            states.append(STATES[int(rng.integers(0, len(STATES)))])
            starts.append(day(t))
            ends.append(None if last and rng.random() < 0.5 else day(t + length))
            t += length + int(rng.choice([0, 0, 0, 20, 300]))
            if last:
                break
    order = rng.permutation(len(ids))
    return pa.table(
        {
            "child_id": pa.array(np.asarray(ids)[order], pa.int64()),
            "state": pa.array(np.asarray(states, dtype=object)[order], pa.string()),
            "start": pa.array([starts[i] for i in order], pa.date32()),
            "end": pa.array([ends[i] for i in order], pa.date32()),
        }
    )


@pytest.fixture
def small() -> pa.Table:
    return table(
        [
            (1, "Referral", 0, 0),
            (1, "Assessment", 0, 20),
            (1, "Foster care (other)", 20, None),
            (2, "Referral", 5, 5),
            (2, "Child in need", 5, 100),
            (3, "Assessment", 50, 60),
        ],
        la=["A", "A", "A", "B", "B", "A"],
        sex=["M", "M", "M", "F", "F", None],
    )
