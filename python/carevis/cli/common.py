"""What the commands share: argument types (sizes, scales, quantisers), the H.264 options,
messages on standard error, and loading the journeys and the scene a command draws."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .._usage import UsageError, alias
from ..scene.filters import FILTER_HELP as FILTER_HELP  # the shared --filter
from ..scene.filters import filter_spec as filter_spec
from ..scene.filters import with_filters

if TYPE_CHECKING:
    from ..journeys import Journeys
    from ..scene import Scene


def size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT (an argparse type)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be WIDTHxHEIGHT, e.g. 1920x1080, not {text!r}"
        ) from None
    return w, h


def video_options(p: argparse.ArgumentParser) -> None:
    """--quality, --qp and --preset: H.264's size and quality (render and demo)."""
    from ..export.encoder import DEFAULT_PRESET, DEFAULT_QUALITY, QUALITIES, X264_PRESETS

    named = ", ".join(f"{k} (quantiser {v})" for k, v in QUALITIES.items())
    q = p.add_mutually_exclusive_group()
    q.add_argument(
        "--quality",
        choices=list(QUALITIES),
        default=DEFAULT_QUALITY,
        help=f"H.264 video quality: {named}; email is about 5 Mbit/s at 1080p, "
        f"publication visually lossless (default {DEFAULT_QUALITY})",
    )
    q.add_argument(
        "--qp",
        type=qp_number,
        metavar="0-51",
        help="H.264 constant quantiser instead of --quality (lower: better, larger)",
    )
    alias(p, "--crf", "qp", type=qp_number)
    p.add_argument(
        "--preset",
        choices=X264_PRESETS,
        default=DEFAULT_PRESET,
        help=f"x264 speed/size trade-off, fastest first (default {DEFAULT_PRESET})",
    )


def qp_number(text: str) -> int:
    """An H.264 quantiser 0-51 (an argparse type)."""
    if not (text.isdigit() and 0 <= int(text) <= 51):
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 51, not {text!r}")
    return int(text)


def qp(args: argparse.Namespace) -> int | str:
    """The quality asked for: --qp, else --quality."""
    return args.qp if args.qp is not None else args.quality  # type: ignore[no-any-return]


def say(msg: str) -> None:
    """A message to the user, on standard error."""
    print(msg, file=sys.stderr, flush=True)


def load_journeys(args: argparse.Namespace) -> Journeys:
    """The journeys a command reads: INPUT, or the synthetic England at --synthetic SCALE."""
    from .. import synthetic
    from ..journeys import read

    share = getattr(args, "synthetic", None)
    if share is None and args.input == "synthetic":
        share = 0.1  # the old spelling `render synthetic`; --synthetic SCALE says it
    if share is not None:
        if args.input not in (None, "synthetic"):
            raise UsageError(f"give INPUT or --synthetic SCALE, not both ({args.input!r})")
        say(f"generating the synthetic England at scale {share} (not real children)")
        return synthetic.england(scale=share, seed=getattr(args, "seed", 0) or 0)
    if args.input is None:
        raise UsageError(
            "no input: give a journey table (.parquet, .feather, .csv, a folder) "
            "or --synthetic SCALE for invented children"
        )
    return read(args.input)


def build_scene(journeys: Journeys, args: argparse.Namespace) -> Scene:
    """The scene of ``journeys`` with the command's --layout, --colour and --filter."""
    from ..scene import Scene

    scene = Scene(
        journeys,
        layout=getattr(args, "layout", "auto"),
        colour=getattr(args, "colour", "time_in_care"),
    )
    return with_filters(scene, getattr(args, "filter", None))


def scale(text: str) -> float:
    """A share of England in (0, 50] (an argparse type)."""
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 < v <= 50:
        raise argparse.ArgumentTypeError(f"must be a share of England in (0, 50], not {text!r}")
    return v


SYNTHETIC_HELP = "the synthetic England (invented children) at SCALE, a share of England (0-50]"
