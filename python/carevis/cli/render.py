"""``carevis render``: a PNG, PNG frames, or a video, in this process or on a Dask cluster."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._time import to_datetime
from .._usage import alias
from ..errors import ConfigError
from ..rules import opening_minutes
from .common import (
    FILTER_HELP,
    SYNTHETIC_HELP,
    build_scene,
    filter_spec,
    load_journeys,
    qp,
    say,
    scale,
    size,
    video_options,
)

if TYPE_CHECKING:
    from ..scene import Scene


def cmd_render(args: argparse.Namespace) -> int:
    """carevis render: a PNG, PNG frames (OUTPUT a folder), or a video."""
    from .. import export
    from ..scene.congestion import from_arguments

    out = Path(args.output)
    suffix = out.suffix.lower()
    cluster = args.scheduler is not None or args.workers is not None
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be 1 or more, not {args.workers}")
    if cluster and (suffix in ("", ".png", ".gif") or out.is_dir()):
        raise ConfigError(
            "--scheduler and --workers render videos (.mp4, .mov, .mkv) on a Dask cluster; "
            "a PNG, PNG frames or a GIF are made in this process: drop the option"
        )
    scene = build_scene(load_journeys(args), args)
    w, h = args.size
    common: dict[str, Any] = dict(
        width=w,
        height=h,
        renderer=args.renderer,
        dot_radius=args.dot_radius,
        title=args.title,
        caption=args.caption,
        suppress_below=args.suppress_below,
        label_values=args.label_values,
        congestion=from_arguments(args),
    )
    clip: dict[str, Any] = dict(
        start=args.from_, end=args.to, fps=args.fps, days_per_second=args.days_per_second
    )
    t0 = time.perf_counter()
    if suffix == ".png" and args.to is None:
        at = args.at or args.from_ or to_datetime(opening_minutes(scene.journeys.minute_range))
        export.png(scene, at, out, **common)
    elif out.suffix == "" or out.is_dir():
        export.frames(scene, out, **clip, **common)
    else:
        options = dict(codec=args.codec, preset=args.preset, quality=qp(args), **clip, **common)
        if cluster:
            _cluster_video(args, scene, out, options)
        else:
            export.video(scene, out, **options)
    say(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _cluster_video(args: argparse.Namespace, scene: Scene, out: Path, options: Any) -> None:
    """The video on the Dask scheduler at --scheduler, or a local cluster of --workers."""
    from .. import distributed

    with contextlib.ExitStack() as stack:
        client = None
        if args.scheduler:
            client = stack.enter_context(
                distributed.connect(args.scheduler, args.scheduler_timeout)
            )
        distributed.video(scene, out, client=client, workers=args.workers, **options)


def add_render(sub: Any) -> None:
    """The ``render`` command's options."""
    from ..scene import CONTINUOUS
    from ..scene.congestion import add_arguments

    r = sub.add_parser("render", help="render a PNG, PNG frames, or a video")
    r.add_argument(
        "input", nargs="?", help="journey table (.parquet, .feather, .arrow, .csv, a folder)"
    )
    r.add_argument(
        "-o",
        "--output",
        required=True,
        help="a .png, a video (.mp4, .mov, .mkv, .gif), or a folder for PNG frames",
    )
    r.add_argument("--synthetic", type=scale, metavar="SCALE", help=SYNTHETIC_HELP)
    r.add_argument("--from", dest="from_", metavar="DATE", help="first date (YYYY-MM-DD)")
    r.add_argument("--to", metavar="DATE", help="last date (YYYY-MM-DD)")
    r.add_argument(
        "--at",
        metavar="DATE",
        help="date of a single PNG (default --from, else the latest 31 March whose whole "
        "year is in the data, else its last day)",
    )
    r.add_argument("--fps", type=float, default=25.0, help="frames per second (default 25)")
    r.add_argument(
        "--days-per-second", type=float, default=30.0, help="days of data per second (default 30)"
    )
    alias(r, "--speed", "days_per_second", type=float)
    r.add_argument(
        "--size",
        type=size,
        default=(1920, 1080),
        help="WIDTHxHEIGHT in pixels (default 1920x1080)",
    )
    r.add_argument(
        "--colour",
        default="time_in_care",
        help=f"colour the dots by {', '.join(CONTINUOUS)}, or any per-child column such as "
        "la or sex (default time_in_care)",
    )
    r.add_argument(
        "--layout",
        default="auto",
        choices=["auto", "pathway", "circle"],
        help="where the states sit (default auto)",
    )
    r.add_argument(
        "--filter",
        type=filter_spec,
        action="append",
        metavar="COLUMN=VALUES",
        help=FILTER_HELP,
    )
    r.add_argument(
        "--renderer", choices=["cpu", "gl"], default="cpu", help="rasteriser (default cpu)"
    )
    r.add_argument(
        "--codec",
        choices=["h264", "h264-444", "prores", "ffv1"],
        help="video codec (default: h264 for .mp4, prores for .mov, ffv1 for .mkv)",
    )
    video_options(r)
    _text_options(r)
    add_arguments(r)
    _cluster_options(r)
    r.set_defaults(func=cmd_render)


def _cluster_options(r: argparse.ArgumentParser) -> None:
    """--workers, --scheduler and --scheduler-timeout (videos on Dask), and --seed."""
    r.add_argument(
        "--workers", type=int, metavar="N", help="render on a local Dask cluster of N processes"
    )
    r.add_argument(
        "--scheduler", metavar="ADDRESS", help="render on an existing Dask cluster at ADDRESS"
    )
    r.add_argument(
        "--scheduler-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up on a Dask scheduler that does not answer for this long (default 10)",
    )
    r.add_argument("--seed", type=int, default=0, help="random seed of the synthetic England")


def _text_options(r: Any) -> None:
    """What the picture says: dot size, title, caption, suppression, label figures."""
    r.add_argument("--dot-radius", type=float, help="dot radius in pixels (default: by size)")
    r.add_argument(
        "--title",
        default="Children's journeys through social care",
        help="title drawn top left ('' for none)",
    )
    r.add_argument("--caption", help="caption drawn bottom right")
    r.add_argument(
        "--suppress-below", type=int, default=0, metavar="N", help="show counts below N as <N"
    )
    r.add_argument(
        "--label-values",
        choices=("count", "percent", "both"),  # carevis.scene.labels.LABEL_VALUES
        default="count",
        help="what each state's label shows: count (children), percent (of the children in "
        "the picture; a suppressed count shows none) or both (default count)",
    )
