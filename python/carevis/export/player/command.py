"""``carevis export html INPUT -o journeys.html``: the command line over
:func:`carevis.export.html` (the CLI hands it the arguments after ``export``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from ..._usage import Parser, UsageError
from ...journeys import read
from ...scene import CONTINUOUS, Scene
from ...scene.congestion import add_arguments as add_congestion_arguments
from ...scene.congestion import from_arguments as congestion_from
from ...scene.filters import add_filter_argument, filtered_journeys
from ...scene.labels import LABEL_VALUES
from ...synthetic import england
from .page import export_html


def parser() -> Parser:
    p = Parser(prog="carevis export", description="Export the journeys in another form.")
    sub = p.add_subparsers(dest="form", required=True, metavar="FORM")
    h = sub.add_parser("html", help="one self-contained HTML page: the journeys player")
    h.add_argument("input", nargs="?", help="journey table (.parquet, .feather, .csv, a folder)")
    h.add_argument("-o", "--output", required=True, help="the page to write (.html)")
    h.add_argument("--synthetic", type=float, metavar="SCALE", help="the synthetic England")
    h.add_argument("--seed", type=int, default=0, help="random seed of the synthetic England")
    h.add_argument(
        "--colour",
        default="time_in_care",
        help=f"first colour mode: {', '.join(CONTINUOUS)} or a per-child column",
    )
    h.add_argument("--layout", default="auto", choices=["auto", "pathway", "circle"])
    h.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="COLUMN",
        help="a per-child column to colour and filter by (repeat for more; e.g. la, sex)",
    )
    h.add_argument("--title", default="Children's journeys through social care")
    h.add_argument("--caption", help="caption shown bottom right")
    h.add_argument(
        "--suppress-below", type=int, default=0, metavar="N", help="show counts below N as <N"
    )
    h.add_argument(
        "--label-values",
        choices=LABEL_VALUES,
        default="count",
        help="what each state's label shows: count, percent (of the children in the picture; "
        "a suppressed count shows none) or both (default count)",
    )
    add_filter_argument(
        h,
        "put only children whose COLUMN (a per-child column, or age_band) is one of the "
        "VALUES in the page (no other child is in the file); repeat for more (all must "
        "hold), e.g. --filter la=Kent --filter sex=F",
    )
    add_congestion_arguments(h)
    return p


def main_export(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    if args.synthetic is not None:
        if args.input is not None:
            raise UsageError(f"give INPUT or --synthetic SCALE, not both ({args.input!r})")
        journeys = england(scale=args.synthetic, seed=args.seed)
    elif args.input is None:
        raise UsageError("no input: give a journey table or --synthetic SCALE")
    else:
        journeys = read(args.input)
    t0 = time.perf_counter()
    scene = Scene(journeys, layout=args.layout, colour=args.colour)
    if args.filter:  # the page holds only the children kept
        kept = filtered_journeys(scene, args.filter)
        scene = Scene(kept, layout=args.layout, colour=args.colour)
    out = export_html(
        scene,
        args.output,
        attributes=args.attribute,
        title=args.title or None,
        caption=args.caption,
        suppress_below=args.suppress_below,
        congestion=congestion_from(args),
        label_values=args.label_values,
    )
    size = out.stat().st_size
    print(
        f"wrote {out} ({size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0
