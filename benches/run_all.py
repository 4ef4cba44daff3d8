"""Runs every benchmark in turn (`make bench`): each measures carevis and its peer in
the same run and prints the ratio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = [
    ["bench_frame.py"],
    ["bench_synth.py"],
    ["bench_render.py"],
    ["bench_ingest.py"],
    ["bench_window.py"],
    ["bench_html.py"],
    ["bench_backtest.py"],
]
for extra in ("bench_stats.py", "bench_dask.py", "bench_dask_stats.py"):
    if (HERE / extra).exists():
        BENCHES.append([extra])

failed = 0
for cmd in BENCHES:
    print(f"\n=== {' '.join(cmd)}", flush=True)
    r = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], check=False)
    failed += r.returncode != 0
sys.exit(1 if failed else 0)
