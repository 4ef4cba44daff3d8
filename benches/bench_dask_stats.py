"""Statistics over a partitioned dataset (``carevis.distributed.occupancy`` and
``transitions``), part by part in this process and on a local Dask cluster of 2 workers,
against the same statistics of the whole data in memory (``carevis.stats``).

In one run, on the synthetic England (default scale 0.05) written as ``--parts`` parts:
- monthly occupancy and yearly transitions counted part by part (no cluster), then on a
  running local cluster of 2 workers (``--no-cluster`` leaves the cluster out);
- the peer: reading the whole file and the same two statistics in memory.
Each number is the median of ``--repeat`` runs; the counts are checked equal first.

    python benches/bench_dask_stats.py [--scale 0.05] [--parts 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import carevis
import pyarrow.parquet as pq
from _common import ratio, timeit  # type: ignore[import-not-found]
from carevis import distributed as cd
from carevis import stats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--parts", type=int, default=8)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-cluster", action="store_true")
    args = p.parse_args()
    t0 = time.perf_counter()
    table = carevis.synthetic.england_table(scale=args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "all.parquet"
        pq.write_table(table, src)
        parts = cd.partition_by_child(src, Path(tmp) / "parts", args.parts)
        print(
            f"synthetic England scale {args.scale}: {table.num_rows:,} spells in "
            f"{args.parts} parts [{time.perf_counter() - t0:.1f} s], median of {args.repeat}"
        )
        whole = carevis.read(src)
        total = sum(stats.transitions(whole, "year").column("count").to_pylist())
        got = sum(cd.transitions(parts, None, "year").column("count").to_pylist())
        assert got == total, "transitions differ"
        r = args.repeat
        times: dict[str, float] = {}
        times["occupancy (month), parts in process"], _ = timeit(
            lambda: cd.occupancy(parts, None, "month"), repeat=r
        )
        times["transitions (year), parts in process"], _ = timeit(
            lambda: cd.transitions(parts, None, "year"), repeat=r
        )
        times["peer: read whole + occupancy (month)"], _ = timeit(
            lambda: stats.occupancy(carevis.read(src), "month"), repeat=r
        )
        times["peer: read whole + transitions (year)"], _ = timeit(
            lambda: stats.transitions(carevis.read(src), "year"), repeat=r
        )
        if not args.no_cluster:
            with cd.local_client(2) as client:
                times["occupancy (month), 2 workers"], _ = timeit(
                    lambda: cd.occupancy(parts, client, "month"), repeat=r
                )
                times["transitions (year), 2 workers"], _ = timeit(
                    lambda: cd.transitions(parts, client, "year"), repeat=r
                )
    print(f"\n{'':<42} {'median s':>10}")
    for k, v in times.items():
        print(f"{k:<42} {v:>10.3f}")
    occ = ratio(times["peer: read whole + occupancy (month)"], times[next(iter(times))])
    tr = ratio(
        times["peer: read whole + transitions (year)"],
        times["transitions (year), parts in process"],
    )
    print(f"parts in process vs whole in memory: occupancy {occ}, transitions {tr}")


if __name__ == "__main__":
    main()
