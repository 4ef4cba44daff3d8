"""Statistics over partitioned datasets (``carevis.distributed.occupancy`` and
``transitions``, on a local Dask cluster and in process): partitioning keeps each child
whole, the sums equal the in-memory statistics, parts that split children are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import carevis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from carevis import DataError, Journeys, Scene, stats
from carevis import distributed as cd

from ..conftest import random_table

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- statistics over partitions ---------------------------------------------------------------
def test_partition_by_child_keeps_each_child_whole(tmp_path: Path) -> None:
    t = random_table(400, seed=8)
    out = cd.partition_by_child(t, tmp_path / "parts", 5)
    parts = cd.partitions(out)
    assert [p.name for p in parts] == [f"part={k}" for k in range(5)]
    seen: dict[int, str] = {}
    for p in parts:
        for cid in set(pq.read_table(p).column("child_id").to_pylist()):
            assert cid not in seen
            seen[cid] = p.name
    assert len(seen) == 400
    assert carevis.read_table(out).num_rows == t.num_rows
    with pytest.raises(carevis.ExportError):
        cd.partition_by_child(t, out, 5)
    assert leftovers(tmp_path) == []


def test_child_hash_is_stable() -> None:
    h = cd.child_hash(pa.array(["a", "", None]))
    assert h.tolist() == [0xAF63DC4C8601EC8C, 0xCBF29CE484222325, 0]
    ints = pa.array([1, 2, 3], pa.int64())
    assert np.array_equal(cd.child_hash(ints), cd.child_hash(pa.array([1, 2, 3], pa.int32())))
    dic = pa.array(["x", "y", "x"]).dictionary_encode()
    assert np.array_equal(cd.child_hash(dic), cd.child_hash(pa.array(["x", "y", "x"])))


@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_partitioned_occupancy_equals_in_memory(client: Any, tmp_path: Path, period: str) -> None:
    src = tmp_path / "all.parquet"
    pq.write_table(random_table(500, seed=21), src)
    parts = cd.partition_by_child(src, tmp_path / "parts", 4)  # read from the file in batches
    whole = cd.count_occupancy(carevis.read(src), period)
    assert whole.num_rows > 0 and pa.compute.sum(whole.column("children")).as_py() > 0
    assert cd.occupancy(parts, client, period).equals(whole)
    assert cd.occupancy(parts, None, period).equals(whole)
    first = whole.column("period").to_pylist()
    assert {"week": {0}, "month": {1}, "quarter": {1}, "year": {1}}[period] == {
        (d.weekday() if period == "week" else d.day) for d in first
    }
    if period == "year":
        assert {d.month for d in first} == {4}


def test_daily_occupancy_equals_the_engine(tmp_path: Path) -> None:
    t = carevis.synthetic.england_table(scale=0.002)
    parts = cd.partition_by_child(t, tmp_path / "parts", 3)
    occ = cd.occupancy(parts, None, "day")
    j = Journeys.from_arrow(t)
    t0, step, counts = Scene(j)._native.occupancy()
    assert step == 1440 and t0 % 1440 == 0
    days = occ.column("period").cast(pa.int32()).to_numpy()
    states = occ.column("state").to_pylist()
    grid = np.zeros_like(counts, dtype=np.int64)
    rows = [j.states.index(s) for s in states]
    cols = days - t0 // 1440
    grid[rows, cols] = occ.column("children").to_numpy()
    n = int(cols.max()) + 1
    assert cols.min() == 0 and np.array_equal(grid[:, :n], counts[:, :n])


@pytest.mark.parametrize("freq", ["month", "year"])
def test_partitioned_transitions_equal_in_memory(client: Any, tmp_path: Path, freq: str) -> None:
    src = tmp_path / "all.parquet"
    pq.write_table(random_table(400, seed=23), src)
    parts = cd.partition_by_child(src, tmp_path / "parts", 3)
    whole = stats.transitions(carevis.read(src), freq).select(
        ["period_start", "from_state", "to_state", "count", "probability"]
    )
    keys = [("period_start", "ascending"), ("from_state", "ascending"), ("to_state", "ascending")]
    whole = whole.sort_by(keys)
    assert whole.num_rows > 0
    for c in (client, None):
        got = cd.transitions(parts, c, freq).select(whole.column_names).sort_by(keys)
        assert got.column("count").to_pylist() == whole.column("count").to_pylist()
        assert got.column("from_state").to_pylist() == whole.column("from_state").to_pylist()
        assert np.allclose(
            got.column("probability").to_numpy(), whole.column("probability").to_numpy()
        )


# --- partitioned statistics ---------------------------------------------------------------
def _split_by_year(t: pa.Table, folder: Path) -> int:
    """Writes one file per start year; returns the children with spells in two or more."""
    folder.mkdir()
    years = pc.year(t.column("start"))
    seen: dict[object, set[int]] = {}
    for y in sorted(set(years.to_pylist())):
        part = t.filter(pc.equal(years, y))
        pq.write_table(part, folder / f"{y}.parquet")
        for cid in part.column("child_id").to_pylist():
            seen.setdefault(cid, set()).add(y)
    return sum(len(v) > 1 for v in seen.values())


@pytest.mark.parametrize("what", ["transitions", "occupancy"])
def test_children_split_across_files_are_refused(tmp_path: Path, what: str) -> None:
    t = random_table(400, seed=31)
    split = _split_by_year(t, tmp_path / "years")
    assert split > 20
    fn = cd.transitions if what == "transitions" else cd.occupancy
    with pytest.raises(DataError, match=f"{split:,} children have spells in more than one"):
        fn(tmp_path / "years", None)


def test_whole_children_in_files_are_accepted(tmp_path: Path) -> None:
    t = random_table(300, seed=32)
    folder = tmp_path / "whole"
    folder.mkdir()
    ids = t.column("child_id").to_numpy()
    for k in range(3):
        pq.write_table(t.filter(pa.array(ids % 3 == k)), folder / f"{k}.parquet")
    got = cd.transitions(folder, None, "year")
    whole = stats.transitions(carevis.read(folder), "year")
    assert sum(got.column("count").to_pylist()) == sum(whole.column("count").to_pylist())
