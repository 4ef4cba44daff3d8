"""``carevis project``: journeys projected forward from a date, under a scenario, written as a
journey table (real history + the first run's projection, a ``projected`` column) whose
metadata keeps the stock intervals over the runs."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .._usage import UsageError
from .common import SYNTHETIC_HELP, load_journeys, say, scale


def _print_intervals(result: Any) -> None:
    from .. import rules

    care = rules.states_in_group("Looked after")
    rows = [r for r in result.intervals().to_pylist() if r["state"] in care or r["p50"] >= 1]
    print(
        f"stock by state (p50 [p10-p90] over {result.runs} run(s)), "
        f"scenario {result.scenario.text!r}"
    )
    print(f"{'date':<11} {'state':<32} {'p50':>10} {'p10':>10} {'p90':>10}")
    for r in rows:
        print(
            f"{r['date']!s:<11} {r['state'][:32]:<32} {r['p50']:>10,.0f} {r['p10']:>10,.0f} "
            f"{r['p90']:>10,.0f}"
        )


def _side_by_side(args: argparse.Namespace, model: Any, result: Any) -> None:
    """The baseline beside the scenario: a PNG at the horizon, or a video from a year
    before the date to the horizon."""
    import datetime as dt

    from .. import project
    from ..export.compare import side_by_side_png, side_by_side_video
    from ..scene import Scene

    if not args.scenario:
        raise UsageError("project: --side-by-side needs a --scenario to set beside the baseline")
    base = project.project(model, years=args.years, runs=1, seed=args.seed)
    left, right = Scene(base.journeys), Scene(result.journeys)
    target = Path(args.side_by_side)
    if target.suffix.lower() == ".png":
        side_by_side_png(left, right, result.horizon, target)
    else:
        start = result.as_of - dt.timedelta(days=365)
        side_by_side_video(left, right, target, start=start, end=result.horizon, days_per_second=60)
    say(f"wrote {target} (baseline left, scenario right)")


def cmd_project(args: argparse.Namespace) -> int:
    """carevis project: fit, project, write."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from .. import project
    from ..atomic import atomic

    if not (args.output or args.intervals or args.save_model or args.side_by_side):
        raise UsageError(
            "project: give -o OUT.parquet, --intervals OUT.csv, --save-model or --side-by-side"
        )
    t0 = time.perf_counter()
    if args.model:
        if args.input is not None or args.synthetic is not None:
            raise UsageError("project: give INPUT (or --synthetic) or --model, not both")
        model = project.load(args.model)
    else:
        journeys = load_journeys(args)
        if args.as_of is None:
            raise UsageError("project: give --as-of YYYY-MM-DD (the date to project from)")
        model = project.fit(
            journeys,
            args.as_of,
            by_age=not args.no_age,
            by_council=args.by_council,
            care_bands=() if args.no_care_bands else project.model.CARE_BANDS,
        )
    say(f"fitted {model} in {time.perf_counter() - t0:.1f} s")
    if args.save_model:
        model.save(args.save_model)
        say(f"wrote the model to {args.save_model}")
    t0 = time.perf_counter()
    scenario = args.scenario or None
    result = project.project(
        model, years=args.years, scenario=scenario, runs=args.runs, seed=args.seed
    )
    say(f"projected {args.years} years, {args.runs} run(s) in {time.perf_counter() - t0:.1f} s")
    _print_intervals(result)
    if args.intervals:
        with atomic(Path(args.intervals)) as tmp:
            pacsv.write_csv(result.intervals(), tmp)
        say(f"wrote {args.intervals}")
    if args.side_by_side:
        _side_by_side(args, model, result)
    if args.output:
        table = result.table()
        with atomic(Path(args.output)) as tmp:
            pq.write_table(table, tmp)
        say(f"wrote {args.output} ({table.num_rows:,} spells)")
    return 0


def add_project(sub: Any) -> None:
    """The ``project`` command's options."""
    p = sub.add_parser(
        "project",
        help="project journeys forward from a date (scenarios, intervals)",
        description="Fit a journey model at --as-of and project it --years ahead. "
        "Scenarios: 'entries*0.9', 'entries[10-15]*1.2', 'time:Placed for adoption*0.75', "
        "'shift:Children\\'s home & secure->Foster care (other) 0.2' (joined with ';' or "
        "given more than once).",
    )
    p.add_argument("input", nargs="?", help="journey table (.parquet, .feather, .csv)")
    p.add_argument("--synthetic", type=scale, metavar="SCALE", help=SYNTHETIC_HELP)
    p.add_argument("--model", help="project a model saved with --save-model instead")
    p.add_argument("--as-of", help="the date to project from (YYYY-MM-DD), e.g. 2024-03-31")
    p.add_argument("--years", type=int, default=3, help="years ahead (default 3)")
    p.add_argument(
        "--scenario", action="append", metavar="TEXT", help="a scenario (see above; repeatable)"
    )
    p.add_argument("--runs", type=int, default=1, help="runs for the intervals (default 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--by-council", action="store_true", help="fit per council (column la)")
    p.add_argument("--no-age", action="store_true", help="do not split the fit by age band")
    p.add_argument(
        "--no-care-bands",
        action="store_true",
        help="do not split the fit by time in care at the spell's start (under 1, 1-3, 3+ years)",
    )
    p.add_argument("-o", "--output", help="write the projected journeys here (.parquet)")
    p.add_argument("--intervals", metavar="CSV", help="write the stock intervals here")
    p.add_argument("--save-model", metavar="PATH", help="write the fitted model here")
    p.add_argument(
        "--side-by-side",
        metavar="PATH",
        help="the baseline beside the scenario with the difference per state: a .png at the "
        "horizon, or a video (.mp4, .mov, .mkv) from a year before the date",
    )
    p.set_defaults(func=cmd_project)
