"""The ``carevis`` command: demo, synth, render, view, validate, ingest, stats."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._usage import Parser, UsageError, alias
from .errors import CarevisError, ConfigError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be WIDTHxHEIGHT, e.g. 1920x1080, not {text!r}"
        ) from None
    return w, h


def _video_options(p: argparse.ArgumentParser) -> None:
    """--quality, --qp and --preset: H.264's size and quality (render and demo)."""
    from .export import DEFAULT_PRESET, DEFAULT_QUALITY, QUALITIES, X264_PRESETS

    named = ", ".join(f"{k} (quantiser {v})" for k, v in QUALITIES.items())
    q = p.add_mutually_exclusive_group()
    q.add_argument(
        "--quality",
        choices=list(QUALITIES),
        default=DEFAULT_QUALITY,
        help=f"H.264 video quality: {named}; email is about 9 Mbit/s at 1080p, "
        f"publication visually lossless (default {DEFAULT_QUALITY})",
    )
    q.add_argument(
        "--qp",
        type=_qp_number,
        metavar="0-51",
        help="H.264 constant quantiser instead of --quality (lower: better, larger)",
    )
    alias(p, "--crf", "qp", type=_qp_number)
    p.add_argument(
        "--preset",
        choices=X264_PRESETS,
        default=DEFAULT_PRESET,
        help=f"x264 speed/size trade-off, fastest first (default {DEFAULT_PRESET})",
    )


def _qp_number(text: str) -> int:
    if not (text.isdigit() and 0 <= int(text) <= 51):
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 51, not {text!r}")
    return int(text)


def _qp(args: argparse.Namespace) -> int | str:
    return args.qp if args.qp is not None else args.quality  # type: ignore[no-any-return]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from . import synthetic
    from .io import read

    scale = getattr(args, "synthetic", None)
    if scale is None and args.input == "synthetic":
        scale = 0.1  # the old spelling `render synthetic`; --synthetic SCALE says it
    if scale is not None:
        if args.input not in (None, "synthetic"):
            raise UsageError(f"give INPUT or --synthetic SCALE, not both ({args.input!r})")
        _say(f"generating the synthetic England at scale {scale} (not real children)")
        return synthetic.england(scale=scale, seed=getattr(args, "seed", 0) or 0)
    if args.input is None:
        raise UsageError(
            "no input: give a journey table (.parquet, .feather, .csv, a folder) "
            "or --synthetic SCALE for invented children"
        )
    return read(args.input)


def _scene(journeys, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .scene import Scene

    return Scene(
        journeys,
        layout=getattr(args, "layout", "auto"),
        colour=getattr(args, "colour", "time_in_care"),
    )


# --- demo ----------------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    from . import export, synthetic
    from .scene import Scene

    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    t0 = time.perf_counter()
    _say(f"carevis demo: generating the synthetic England (scale {args.synthetic})")
    j = synthetic.england(scale=args.synthetic, seed=args.seed)
    _say(f"  {j.summary()} [{time.perf_counter() - t0:.1f} s]")
    scene = Scene(j, colour="time_in_care")
    if has_display and not args.no_window:
        try:
            from .window import view

            _say("opening the window (close it to finish)")
            view(scene, t=args.start, seconds=args.seconds, screenshot=args.screenshot)
            return 0
        except Exception as e:
            _say(f"  no window ({e}); rendering offscreen instead")
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
    )
    _say(f"  poster: {poster} [{time.perf_counter() - t1:.1f} s]")
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
        quality=_qp(args),
        preset=args.preset,
        title="Children's journeys through social care, England (synthetic)",
        caption=caption,
    )
    n = export.count_frames(movie)
    dt = time.perf_counter() - t2
    _say(f"  video: {movie} ({n} frames, {n / dt:.1f} frames/s) [{dt:.1f} s]")
    _say(f"done in {time.perf_counter() - t0:.1f} s: open {out}/")
    return 0


# --- synth ----------------------------------------------------------------------------------
def cmd_synth(args: argparse.Namespace) -> int:
    from . import synthetic

    if args.compare:
        t0 = time.perf_counter()
        table = synthetic.check(
            scale=args.synthetic, start=args.start, end=args.end, seed=args.seed
        )
        print(synthetic.format_check(table))
        _say(f"[{time.perf_counter() - t0:.1f} s]")
        if args.output is None:
            return 0
    if args.output is None and not (args.ssda903 or args.cin):
        raise UsageError("synth: give -o OUT.parquet, --ssda903 DIR, --cin DIR or --compare")
    t0 = time.perf_counter()
    table = synthetic.england_table(
        scale=args.synthetic, start=args.start, end=args.end, seed=args.seed
    )
    _say(f"generated {table.num_rows:,} spells in {time.perf_counter() - t0:.1f} s")
    if args.output:
        import pyarrow.parquet as pq

        from .export import atomic

        target = Path(args.output)
        with atomic(target) as tmp:
            pq.write_table(table, tmp)
        _say(f"wrote {target}")
    if args.ssda903:
        from .ingest import write_ssda903

        # Returns for the collection years the window covers (the year ending 31 March
        # after its first day, to the one holding its last): earlier years would need
        # the code lists of their own time, which the generator does not use.
        first, last = (dt.date.fromisoformat(str(d)) for d in (args.start, args.end))
        years = range(first.year + (first.month >= 4), last.year + (last.month >= 4) + 1)
        write_ssda903(table, args.ssda903, years=years)
        _say(f"wrote SSDA903 returns to {args.ssda903}")
    if args.cin:
        from .ingest import write_cin_census

        write_cin_census(table, args.cin)
        _say(f"wrote CIN census returns to {args.cin}")
    return 0


# --- render ------------------------------------------------------------------------------------
def cmd_render(args: argparse.Namespace) -> int:
    from . import export

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
    scene = _scene(_load(args), args)
    w, h = args.size
    common: dict[str, Any] = dict(
        width=w,
        height=h,
        renderer=args.renderer,
        dot_radius=args.dot_radius,
        title=args.title,
        caption=args.caption,
        suppress_below=args.suppress_below,
    )
    t0 = time.perf_counter()
    if suffix == ".png" and args.to is None:
        when = args.at or args.from_ or "2025-03-31"
        export.png(scene, when, out, **common)
    elif out.suffix == "" or out.is_dir():
        export.frames(
            scene,
            out,
            start=args.from_,
            end=args.to,
            fps=args.fps,
            days_per_second=args.days_per_second,
            **common,
        )
    else:
        with contextlib.ExitStack() as stack:
            client = None
            if args.scheduler:
                from .distributed import connect

                client = stack.enter_context(connect(args.scheduler, args.scheduler_timeout))
            export.video(
                scene,
                out,
                start=args.from_,
                end=args.to,
                fps=args.fps,
                days_per_second=args.days_per_second,
                codec=args.codec,
                preset=args.preset,
                quality=_qp(args),
                client=client,
                workers=args.workers,
                **common,
            )
    _say(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    from .window import main_view

    try:
        return int(main_view(args.rest) or 0)
    except (OSError, RuntimeError) as e:
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            raise
        _say(
            "carevis view: no display to open a window on "
            f"({str(e).splitlines()[0]}). Run it on a desktop, or under xvfb-run; "
            "for pictures without a display use `carevis render`."
        )
        return 1


def cmd_passthrough(args: argparse.Namespace) -> int:
    from . import ingest

    fn = {"validate": "main_validate", "ingest": "main_ingest"}[args.command]
    return int(getattr(ingest, fn)(args.rest) or 0)


def cmd_stats(args: argparse.Namespace) -> int:
    from .stats import main_stats

    return int(main_stats(args.rest) or 0)


def cmd_export(args: argparse.Namespace) -> int:
    from .html import main_export

    return main_export(args.rest)


def _scale(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 < v <= 50:
        raise argparse.ArgumentTypeError(f"must be a share of England in (0, 50], not {text!r}")
    return v


SYNTHETIC_HELP = "the synthetic England (invented children) at SCALE, a share of England (0-50]"


def parser() -> argparse.ArgumentParser:
    from . import __version__
    from .scene import CONTINUOUS

    p = Parser(
        prog="carevis", description="Children's journeys through social care as animated dots."
    )
    p.add_argument("--version", action="version", version=f"carevis {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser(
        "demo", help="render the synthetic England to ./carevis-demo/ (or open the window)"
    )
    d.add_argument(
        "-o", "--output", default="carevis-demo", help="folder to write to (default carevis-demo)"
    )
    alias(d, "--out", "output")
    d.add_argument(
        "--synthetic", type=_scale, default=0.25, metavar="SCALE", help=SYNTHETIC_HELP + " (0.25)"
    )
    alias(d, "--scale", "synthetic", type=_scale)
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
    _video_options(d)
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("synth", help="generate the synthetic England")
    s.add_argument("-o", "--output", help="write the journey table here (.parquet)")
    s.add_argument(
        "--synthetic", type=_scale, default=1.0, metavar="SCALE", help=SYNTHETIC_HELP + " (1.0)"
    )
    alias(s, "--scale", "synthetic", type=_scale)
    s.add_argument("--start", default="2015-04-01", help="first day (default 2015-04-01)")
    s.add_argument("--end", default="2025-03-31", help="last day (default 2025-03-31)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.add_argument(
        "--compare",
        action="store_true",
        help="print the synthetic England side by side with the published figures",
    )
    alias(s, "--check", "compare", action="store_true")
    s.add_argument(
        "--ssda903", metavar="DIR", help="also write SSDA903 returns (CSV per council per year)"
    )
    s.add_argument("--cin", metavar="DIR", help="also write children in need census XML")
    s.set_defaults(func=cmd_synth)

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
    r.add_argument("--synthetic", type=_scale, metavar="SCALE", help=SYNTHETIC_HELP)
    r.add_argument("--from", dest="from_", metavar="DATE", help="first date (YYYY-MM-DD)")
    r.add_argument("--to", metavar="DATE", help="last date (YYYY-MM-DD)")
    r.add_argument(
        "--at", metavar="DATE", help="date of a single PNG (default 2025-03-31 or --from)"
    )
    r.add_argument("--fps", type=float, default=25.0, help="frames per second (default 25)")
    r.add_argument(
        "--days-per-second", type=float, default=30.0, help="days of data per second (default 30)"
    )
    alias(r, "--speed", "days_per_second", type=float)
    r.add_argument(
        "--size",
        type=_size,
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
        "--renderer", choices=["cpu", "gl"], default="cpu", help="rasteriser (default cpu)"
    )
    r.add_argument(
        "--codec",
        choices=["h264", "h264-444", "prores", "ffv1"],
        help="video codec (default: h264 for .mp4, prores for .mov, ffv1 for .mkv)",
    )
    _video_options(r)
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
    r.set_defaults(func=cmd_render)

    for name, func, text in (
        ("view", cmd_view, "open the interactive window"),
        ("validate", cmd_passthrough, "validate SSDA903 / CIN files and report every row"),
        ("ingest", cmd_passthrough, "ingest SSDA903 / CIN returns into a journey table"),
        ("stats", cmd_stats, "journey statistics tables and plots"),
        ("export", cmd_export, "export another form: html, the page anyone can open"),
    ):
        q = sub.add_parser(name, help=f"{text} (see carevis {name} --help)", add_help=False)
        q.add_argument("rest", nargs=argparse.REMAINDER)
        q.set_defaults(func=func)
    return p


PASSTHROUGH = {
    "view": cmd_view,
    "validate": cmd_passthrough,
    "ingest": cmd_passthrough,
    "stats": cmd_stats,
    "export": cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in PASSTHROUGH:
            # These subcommands parse their own options (argparse's REMAINDER would not
            # pass options such as --help through).
            args = argparse.Namespace(command=argv[0], rest=argv[1:], func=PASSTHROUGH[argv[0]])
        else:
            args = parser().parse_args(argv)
        return int(args.func(args))
    except UsageError as e:
        _say(f"carevis: error: {e}")
        return 2
    except CarevisError as e:
        _say(f"carevis: error: {e}")
        return 1
    except KeyboardInterrupt:
        _say("carevis: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
