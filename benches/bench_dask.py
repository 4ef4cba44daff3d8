"""Issue 8's benchmark: one video rendered on a local Dask cluster of 1 and 2 worker
processes (``carevis.distributed.video``), against the plain local render
(``carevis.export.video``).

In one run, on the synthetic England (default scale 0.1, 1280x720, ~300 frames, H.264):
- the plain local render (one process: a render thread feeding ffmpeg);
- the cluster path with 1 worker and with 2 workers, on an already running cluster
  (the time the render takes), and the speed-up of 2 workers over 1;
- the overhead of the cluster path: 1 worker against the plain render, and the cost of
  starting and closing a local cluster (what ``--workers N`` adds on top).

Each number is the median of ``--repeat`` runs. The Rust core also uses every core for a
frame (rayon), so on a small machine the workers compete for the same cores.

Usage: python benches/bench_dask.py [--scale 0.1] [--frames 300] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import carevis
from _common import ratio
from carevis import export


def median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--codec", default="h264", choices=list(export.CODECS))
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    from carevis.distributed import local_client
    from carevis.distributed import video as cluster_video

    w, h = (int(v) for v in args.size.split("x"))
    suffix = ".mkv" if args.codec == "ffv1" else ".mov" if args.codec == "prores" else ".mp4"
    t0 = time.perf_counter()
    journeys = carevis.synthetic.england(scale=args.scale, seed=1)
    scene = carevis.Scene(journeys)
    lo, hi = journeys.time_range  # type: ignore[misc]
    days = (hi - lo).total_seconds() / 86400
    fps = 25.0
    dps = days * fps / (args.frames - 1)
    n = len(export.frame_times(scene, fps=fps, days_per_second=dps))
    print(
        f"synthetic England scale {args.scale}: {scene.n_dots:,} children "
        f"(built in {time.perf_counter() - t0:.1f} s); {n} frames at {w}x{h}, {args.codec}, "
        f"{os.cpu_count()} cores, median of {args.repeat}"
    )
    kw = dict(fps=fps, days_per_second=dps, width=w, height=h, codec=args.codec)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"bench{suffix}"
        plain = median_time(lambda: export.video(scene, out, **kw), args.repeat)  # type: ignore[arg-type]
        print(f"plain local render        {plain:7.2f} s  {n / plain:6.1f} frames/s")
        results = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            with local_client(workers) as client:  # what --workers N starts
                start = time.perf_counter() - t0
                # the first render loads the data on the workers; time the steady state too
                t0 = time.perf_counter()
                cluster_video(scene, out, client=client, **kw)
                first = time.perf_counter() - t0
                results[workers] = median_time(
                    lambda c=client: cluster_video(scene, out, client=c, **kw),  # type: ignore[misc]
                    args.repeat,
                )
            t = results[workers]
            print(
                f"dask, {workers} worker{'s' if workers > 1 else ' '}          {t:7.2f} s  "
                f"{n / t:6.1f} frames/s  (first render {first:.2f} s, cluster start {start:.2f} s)"
            )
    print(f"speed-up, 2 workers over 1:            {ratio(results[1], results[2])}")
    print(f"speed-up, 2 workers over plain render: {ratio(plain, results[2])}")
    print(
        f"cluster overhead, 1 worker vs plain:   {results[1] - plain:+.2f} s "
        f"({results[1] / plain:.2f}x the plain time)"
    )


if __name__ == "__main__":
    main()
