"""Counts over data held in parts (``carevis.stats.parts``): the Rust core's occupancy
changes equal the numpy reference exactly, and the parts' counts add up to the whole."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from carevis import ConfigError, Journeys, Scene, stats
from carevis.rules import FREQS

from ..conftest import random_table
from . import reference


def minute_table(n_children: int, seed: int) -> pa.Table:
    """Random journeys at arbitrary minutes (not midnight), some starting or ending
    exactly on a period start, with same-minute steps, gaps and open ends."""
    rng = np.random.default_rng(seed)
    ids, states, starts, ends = [], [], [], []
    month_starts = np.array(["2020-01-01", "2020-04-01", "2020-06-01", "2021-04-01"])
    for c in range(n_children):
        t = np.datetime64("2019-06-01T00:00") + np.timedelta64(int(rng.integers(0, 700_000)), "m")
        for _ in range(int(rng.integers(1, 6))):
            if rng.random() < 0.2:  # on the dot of a period start
                t = max(t, np.datetime64(str(rng.choice(month_starts)) + "T00:00"))
            length = np.timedelta64(int(rng.choice([0, 1, 59, 1440, 40_000, 300_000])), "m")
            ids.append(c)
            states.append(reference_states[int(rng.integers(0, len(reference_states)))])
            starts.append(t)
            ends.append(None if rng.random() < 0.1 else t + length)
            if ends[-1] is None:
                break
            t = t + length + np.timedelta64(int(rng.choice([0, 0, 1, 5000])), "m")
    return pa.table(
        {
            "child_id": pa.array(ids, pa.int64()),
            "state": states,
            "start": pa.array([v.astype("datetime64[s]") for v in starts], pa.timestamp("s")),
            "end": pa.array(
                [None if v is None else v.astype("datetime64[s]") for v in ends], pa.timestamp("s")
            ),
        }
    )


reference_states = ["Referral", "Assessment", "Child in need", "Foster care (other)", "Adopted"]


def split(t: pa.Table, k: int) -> list[Journeys]:
    ids = np.asarray(t.column("child_id").to_numpy())
    return [Journeys.from_arrow(t.filter(pa.array(ids % k == r))) for r in range(k)]


def same(a: stats.Changes, b: stats.Changes) -> bool:
    return (
        a.states == b.states
        and (a.lo, a.hi) == (b.lo, b.hi)
        and all(
            np.array_equal(x, y) and x.dtype == y.dtype
            for x, y in ((a.state, b.state), (a.index, b.index), (a.delta, b.delta))
        )
    )


@pytest.mark.parametrize("freq", FREQS)
@pytest.mark.parametrize("make", [random_table, minute_table], ids=["days", "minutes"])
def test_changes_equal_the_numpy_reference(freq: str, make: object) -> None:
    for seed in (1, 2):
        t = make(150, seed=seed)  # type: ignore[operator]
        j = Journeys.from_arrow(t)
        got = stats.occupancy_changes(j, freq)  # type: ignore[arg-type]
        assert len(got.delta) > 0
        assert same(got, reference.changes(j, freq))
        for part in split(t, 3):
            assert same(stats.occupancy_changes(part, freq), reference.changes(part, freq))  # type: ignore[arg-type]


@pytest.mark.parametrize("freq", FREQS)
def test_parts_add_up_to_the_whole(freq: str) -> None:
    t = minute_table(300, seed=5)
    whole = reference.occupancy_from_changes(
        [reference.changes(Journeys.from_arrow(t), freq)], freq
    )
    assert pc.sum(whole.column("children")).as_py() > 0
    for k in (1, 2, 5):
        parts = [stats.occupancy_changes(p, freq) for p in split(t, k)]  # type: ignore[arg-type]
        assert stats.sum_occupancy(parts, freq).equals(whole)  # type: ignore[arg-type]


def test_daily_occupancy_is_the_frames_occupancy() -> None:
    j = Journeys.from_arrow(random_table(200, seed=3))
    occ = stats.sum_occupancy([stats.occupancy_changes(j, "day")], "day")
    t0, step, counts = Scene(j)._native.occupancy()
    assert step == 1440 and t0 % 1440 == 0
    grid = np.zeros_like(counts, dtype=np.int64)
    cols = occ.column("period").cast(pa.int32()).to_numpy() - t0 // 1440
    grid[[j.states.index(s) for s in occ.column("state").to_pylist()], cols] = occ.column(
        "children"
    ).to_numpy()
    n = int(cols.max()) + 1
    assert cols.min() == 0 and np.array_equal(grid[:, :n], counts[:, :n])


@pytest.mark.parametrize("freq", ["month", "year"])
def test_transition_counts_add_up_to_the_whole(freq: str) -> None:
    t = random_table(300, seed=9)
    keys = [("period_start", "ascending"), ("from_state", "ascending"), ("to_state", "ascending")]
    cols = ["period_start", "from_state", "to_state", "count", "probability"]
    whole = stats.transitions(Journeys.from_arrow(t), freq).select(cols).sort_by(keys)  # type: ignore[arg-type]
    got = stats.sum_transitions([stats.transition_counts(p, freq) for p in split(t, 4)])  # type: ignore[arg-type]
    assert got.column_names == cols and whole.num_rows > 0
    assert got.cast(whole.schema).equals(whole)


def test_empty_parts_add_nothing() -> None:
    none = np.zeros(0, np.int64)
    empty = stats.Changes(["Referral"], none, none, none, 0, -1)
    t = random_table(50, seed=4)
    one = stats.occupancy_changes(Journeys.from_arrow(t), "month")
    assert stats.sum_occupancy([one, empty], "month").equals(stats.sum_occupancy([one], "month"))
    assert stats.sum_occupancy([empty], "month").num_rows == 0
    with pytest.raises(ConfigError, match="period must be"):
        stats.occupancy_changes(Journeys.from_arrow(t), "fortnight")  # type: ignore[arg-type]
