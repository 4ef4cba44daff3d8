"""``carevis demo``: the synthetic England in the window, or rendered offscreen to a poster
and a video."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from .._usage import alias
from .common import SYNTHETIC_HELP, qp, say, scale, video_options


def cmd_demo(args: argparse.Namespace) -> int:
    """carevis demo: the synthetic England in the window, or as a poster and a video."""
    from .. import export, synthetic
    from ..scene import Scene
    from ..scene.congestion import from_arguments

    congestion = from_arguments(args)

    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    t0 = time.perf_counter()
    say(f"carevis demo: generating the synthetic England (scale {args.synthetic})")
    j = synthetic.england(scale=args.synthetic, seed=args.seed)
    say(f"  {j.summary()} [{time.perf_counter() - t0:.1f} s]")
    scene = Scene(j, colour="time_in_care")
    if has_display and not args.no_window:
        try:
            from ..window import view

            say("opening the window (close it to finish)")
            view(
                scene,
                t=args.start,
                seconds=args.seconds,
                screenshot=args.screenshot,
                congestion=congestion,
            )
            return 0
        except Exception as e:
            say(f"  no window ({e}); rendering offscreen instead")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    caption = "Calibrated to published national figures."
    t1 = time.perf_counter()
    poster = export.png(
        scene,
        "2025-03-31",
        out / "poster.png",
        width=3840,
        height=2160,
        title="Children's journeys through social care, England (synthetic)",
        caption=caption,
        congestion=congestion,
    )
    say(f"  poster: {poster} [{time.perf_counter() - t1:.1f} s]")
    t2 = time.perf_counter()
    movie = export.video(
        scene,
        out / "journeys.mp4",
        start=args.start,
        end="2025-03-31",
        fps=25,
        days_per_second=args.days_per_second,
        width=1920,
        height=1080,
        quality=qp(args),
        preset=args.preset,
        title="Children's journeys through social care, England (synthetic)",
        caption=caption,
        congestion=congestion,
    )
    n = export.count_frames(movie)
    dt = time.perf_counter() - t2
    say(f"  video: {movie} ({n} frames, {n / dt:.1f} frames/s) [{dt:.1f} s]")
    say(f"done in {time.perf_counter() - t0:.1f} s: open {out}/")
    return 0


def add_demo(sub: Any) -> None:
    """The ``demo`` command's options."""
    from ..scene.congestion import add_arguments

    d = sub.add_parser(
        "demo", help="render the synthetic England to ./carevis-demo/ (or open the window)"
    )
    d.add_argument(
        "-o", "--output", default="carevis-demo", help="folder to write to (default carevis-demo)"
    )
    alias(d, "--out", "output")
    d.add_argument(
        "--synthetic", type=scale, default=0.25, metavar="SCALE", help=SYNTHETIC_HELP + " (0.25)"
    )
    alias(d, "--scale", "synthetic", type=scale)
    d.add_argument("--seed", type=int, default=0, help="random seed of the synthetic England")
    d.add_argument(
        "--start", default="2020-04-01", help="video (or window) start date (default 2020-04-01)"
    )
    d.add_argument(
        "--days-per-second", type=float, default=60.0, help="days of data per second (default 60)"
    )
    d.add_argument("--no-window", action="store_true", help="render offscreen even with a display")
    d.add_argument("--seconds", type=float, help="close the window after this many seconds")
    d.add_argument("--screenshot", help="with --seconds: save the window as this PNG first")
    video_options(d)
    add_arguments(d)
    d.set_defaults(func=cmd_demo)
