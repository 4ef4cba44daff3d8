"""Issue 3's benchmark: the synthetic England's generation speed (rows per second and the
time for full-scale England) beside pyarrow writing the same table to Parquet, in one run.

Usage: python benches/bench_synth.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from _common import timeit
from carevis import synthetic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    table = synthetic.england_table(scale=args.scale)
    t_gen, _ = timeit(
        lambda: synthetic.england_table(scale=args.scale), repeat=args.repeat, warmup=0
    )
    n = table.num_rows
    children = len(table.column("child_id").unique())
    print(f"synthetic England at scale {args.scale}: {children:,} children, {n:,} spells")
    print(f"generate: {t_gen:.2f} s = {n / t_gen / 1e6:.1f} M rows/s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "england.parquet"
        t_pq, _ = timeit(lambda: pq.write_table(table, path), repeat=args.repeat, warmup=0)
    print(
        f"pyarrow write_table (Parquet) of the same table: {t_pq:.2f} s "
        f"-> generating takes {t_gen / t_pq:.2f}x the time of writing it"
    )


if __name__ == "__main__":
    main()
