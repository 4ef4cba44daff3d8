"""``carevis stats``: writes the journey statistics as CSV and Parquet tables (atomically)
and PNG plots, suppressing small counts for publication; ``--dfe`` writes the DfE-shaped
national tables instead; ``--compare`` sets their headline figures beside the published
national figures of the package's calibration table (scaled to a synthetic file's scale,
read from its metadata)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .. import synthetic
from .._usage import Parser, alias
from ..congestion import add_arguments as add_congestion_arguments
from ..congestion import from_arguments as congestion_from
from ..errors import ConfigError
from ..journeys import Journeys, projection_info, read
from ..rules import FREQS
from .congestion import congestion_table
from .dfe import dfe_tables
from .plots import plot_occupancy, plot_time_in_state, plot_transitions
from .report import all_tables, compare, format_compare, format_table, suppress, write_table


def _file_scale(path: str | None, journeys: Journeys) -> tuple[float, str]:
    """The scale of a synthetic England file, from its metadata (1.0 for real data)."""
    scale = synthetic.scale_of(journeys.to_arrow().schema)
    if scale is None and path is not None and Path(path).is_file():
        try:
            schema = (
                pq.read_schema(path)
                if Path(path).suffix.lower() in (".parquet", ".pq")
                else pa.ipc.open_file(path).schema
            )
            scale = synthetic.scale_of(schema)
        except (OSError, pa.ArrowException):
            scale = None
    if scale is None:
        return 1.0, "no synthetic scale in the file's metadata: published figures unscaled"
    return scale, f"synthetic England at scale {scale:g} (from the file's metadata)"


def projection_intervals(journeys: Journeys) -> pa.Table | None:
    """The stock intervals (date, state, p10, p50, p90) a projected table's metadata keeps
    (``carevis project --runs N``), or None for other tables."""
    info = projection_info(journeys.to_arrow())
    iv = info.get("intervals") if info else None
    if not isinstance(iv, dict):
        return None
    try:
        return pa.table(
            {
                "date": pa.array(iv["date"], pa.string()).cast(pa.date32()),
                "state": pa.array(iv["state"], pa.string()),
                **{k: pa.array(iv[k], pa.float64()) for k in ("p10", "p50", "p90")},
            }
        )
    except (KeyError, TypeError, pa.ArrowException):
        return None


def _report_projection(journeys: Journeys, out: str | None) -> None:
    """Says that the table is a projection and reports its intervals (printed; and written
    as ``projection_intervals`` to ``out``)."""
    info = projection_info(journeys.to_arrow())
    if info is None:
        return
    print(
        f"projection from {info['from']} (scenario {info.get('scenario', 'baseline')!r}, "
        f"{info.get('runs', 1)} run(s)): the spells after that date are projected",
        file=sys.stderr,
    )
    iv = projection_intervals(journeys)
    if iv is None:
        return
    print(format_table("projection_intervals", iv))
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        write_table(iv, Path(out), "projection_intervals", 0)


def _parser() -> Parser:
    p = Parser(
        prog="carevis stats",
        description="Journey statistics tables (CSV, Parquet) and plots (PNG).",
    )
    p.add_argument("input", nargs="?", help="journey table (.parquet, .feather, .csv, a folder)")
    p.add_argument("-o", "--output", dest="out", help="folder to write tables and plots to")
    alias(p, "--out", "out")
    p.add_argument(
        "--synthetic", type=float, metavar="SCALE", help="use the synthetic England at SCALE"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the synthetic England")
    p.add_argument(
        "--freq", default="month", choices=list(FREQS), help="how often to count (default month)"
    )
    p.add_argument("--by", help="a per-child column to split by (e.g. la, sex)")
    p.add_argument("--age", action="store_true", help="split by age band at spell start")
    p.add_argument(
        "--suppress-below", type=int, default=0, help="suppress counts below N (5 for publication)"
    )
    p.add_argument("--no-plots", action="store_true", help="write tables only")
    p.add_argument(
        "--dfe",
        action="store_true",
        help="the DfE-shaped national tables (children looked after, children in need)",
    )
    p.add_argument(
        "--compare", action="store_true", help="print measures beside the published England figures"
    )
    add_congestion_arguments(p)
    p.add_argument(
        "--at", metavar="DATE", help="with --congestion: the date (default the data's last)"
    )
    return p


def _congestion(args: argparse.Namespace, journeys: Journeys) -> None:
    """``--congestion``: the waiting states' figures, printed (and written to ``-o``)."""
    settings = congestion_from(args)
    table = congestion_table(journeys, args.at, settings, suppress_below=args.suppress_below)
    print(format_table("congestion", table.drop_columns(["date", "window_days"])))
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_table(table, out, "congestion", args.suppress_below)


def _dfe(args: argparse.Namespace, tables: dict[str, pa.Table], t0: float) -> int:
    """``--dfe``: the DfE tables printed, or written to ``-o``."""
    tables = {k: suppress(v, args.suppress_below) for k, v in tables.items()}
    if args.out is None:
        if not args.compare:
            print("\n\n".join(format_table(k, v) for k, v in tables.items()))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        write_table(t, out, name, args.suppress_below)
    print(
        f"wrote {len(tables)} DfE tables to {out}/ [{time.perf_counter() - t0:.1f} s]",
        file=sys.stderr,
    )
    return 0


def _all(args: argparse.Namespace, journeys: Journeys, t0: float) -> int:
    """Every statistics table (and plots) written to ``-o``."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    raw = all_tables(journeys, args.freq, args.by, args.age)
    tables = {k: suppress(v, args.suppress_below) for k, v in raw.items()}
    print(f"computed {len(tables)} tables [{time.perf_counter() - t1:.1f} s]", file=sys.stderr)
    for name, t in tables.items():
        write_table(t, out, name, args.suppress_below)
    if not args.no_plots:
        plot_occupancy(tables["occupancy"], out / "occupancy.png")
        plot_transitions(raw["transitions"], out / "transitions.png", args.suppress_below)
        plot_time_in_state(
            tables["time_in_state_curves"], tables["time_in_state"], out / "time_in_state.png"
        )
    print(f"wrote {out}/ [{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
    return 0


def main_stats(argv: Sequence[str] | None = None) -> int:
    """``carevis stats``: see the module's description."""
    p = _parser()
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.input is None and args.synthetic is None:
        p.error("give INPUT or --synthetic SCALE")
    if args.out is None and not (args.compare or args.dfe or args.congestion):
        p.error("give -o DIR (or --compare, --congestion, or --dfe to print the DfE tables)")
    if args.suppress_below < 0:
        raise ConfigError(f"--suppress-below must be >= 0, not {args.suppress_below}")
    t0 = time.perf_counter()
    if args.synthetic is not None:
        journeys = synthetic.england(scale=args.synthetic, seed=args.seed)
    else:
        journeys = read(args.input)
    print(f"{journeys.summary()} [{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
    _report_projection(journeys, args.out)
    if args.congestion:
        _congestion(args, journeys)
        if not (args.dfe or args.compare):
            return 0
    dfe = dfe_tables(journeys) if (args.dfe or args.compare) else None
    if args.compare:
        if args.synthetic is not None:
            scale, why = args.synthetic, f"synthetic England at scale {args.synthetic:g}"
        else:
            scale, why = _file_scale(args.input, journeys)
        print(f"published figures x {scale:g}: {why}", file=sys.stderr)
        print(format_compare(compare(journeys, scale, dfe)))
    if args.dfe and dfe is not None:
        return _dfe(args, dfe, t0)
    return 0 if args.out is None else _all(args, journeys, t0)
