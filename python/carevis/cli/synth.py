"""``carevis synth``: the synthetic England as a journey table, SSDA903 or CIN returns, or
side by side with the published figures."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from .._usage import UsageError, alias
from .common import SYNTHETIC_HELP, say, scale


def cmd_synth(args: argparse.Namespace) -> int:
    """carevis synth: the synthetic England as a table, returns, or a comparison."""
    from .. import synthetic

    if args.compare:
        t0 = time.perf_counter()
        table = synthetic.check(
            scale=args.synthetic, start=args.start, end=args.end, seed=args.seed
        )
        print(synthetic.format_check(table))
        say(f"[{time.perf_counter() - t0:.1f} s]")
        if args.output is None:
            return 0
    if args.output is None and not (args.ssda903 or args.cin):
        raise UsageError("synth: give -o OUT.parquet, --ssda903 DIR, --cin DIR or --compare")
    t0 = time.perf_counter()
    table = synthetic.england_table(
        scale=args.synthetic, start=args.start, end=args.end, seed=args.seed
    )
    say(f"generated {table.num_rows:,} spells in {time.perf_counter() - t0:.1f} s")
    if args.output:
        import pyarrow.parquet as pq

        from ..atomic import atomic

        target = Path(args.output)
        with atomic(target) as tmp:
            pq.write_table(table, tmp)
        say(f"wrote {target}")
    if args.ssda903:
        from ..ingest import write_ssda903

        # Returns for the collection years the window covers (the year ending 31 March
        # after its first day, to the one holding its last): earlier years would need
        # the code lists of their own time, which the generator does not use.
        first, last = (dt.date.fromisoformat(str(d)) for d in (args.start, args.end))
        years = range(first.year + (first.month >= 4), last.year + (last.month >= 4) + 1)
        write_ssda903(table, args.ssda903, years=years)
        say(f"wrote SSDA903 returns to {args.ssda903}")
    if args.cin:
        from ..ingest import write_cin_census

        write_cin_census(table, args.cin)
        say(f"wrote CIN census returns to {args.cin}")
    return 0


def add_synth(sub: Any) -> None:
    """The ``synth`` command's options."""
    s = sub.add_parser("synth", help="generate the synthetic England")
    s.add_argument("-o", "--output", help="write the journey table here (.parquet)")
    s.add_argument(
        "--synthetic", type=scale, default=1.0, metavar="SCALE", help=SYNTHETIC_HELP + " (1.0)"
    )
    alias(s, "--scale", "synthetic", type=scale)
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
