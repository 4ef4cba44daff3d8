"""``carevis validate`` and ``carevis ingest``: plain argparse entry functions."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from .._usage import Parser
from ..atomic import atomic
from ..errors import CarevisError
from ..privacy import IdentifierWarning
from .cin import read_cin_census
from .combined import read_journeys
from .ssda903 import read_ssda903

__all__ = ["main_ingest", "main_validate"]


def _years(ap: argparse.ArgumentParser, values: list[str] | None) -> int | dict[str, int] | None:
    """--year 2018 (every file) or --year FILE=2018 (repeatable): the collection year
    (the March it ends in), overriding what the files' dates and names say."""
    if not values:
        return None
    out: dict[str, int] = {}
    for v in values:
        name, sep, y = v.rpartition("=")
        try:
            year = int(y)
        except ValueError:
            ap.error(f"--year {v!r}: give FILE=YEAR or YEAR, e.g. --year 2017-header.csv=2018")
        if not 1990 < year < 2100:
            ap.error(f"--year {v!r}: {year} is not a collection year (the March it ends in)")
        if not sep:
            if len(values) > 1:
                ap.error("--year YEAR (for every file) cannot be mixed with other --year options")
            return year
        out[name] = year
    return out


def _add_year(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--year",
        action="append",
        metavar="[FILE=]YEAR",
        help="collection year (the March it ends in) for FILE, or every file; "
        "by default each return's dates decide, its name a hint",
    )


def _said(e: CarevisError, report: str | None, tail: str = "") -> None:
    """An error in the CLI's words; an empty result (a DataError carrying the result)
    also prints its summary and writes its report when asked."""
    res = getattr(e, "result", None)
    if res is not None:
        print(res.summary())
        if report:
            res.report.to_csv(report)
            print(f"report: {report}")
    print(f"carevis: error: {e}{tail}", file=sys.stderr)


def main_validate(argv: Sequence[str] | None = None) -> int:
    """carevis validate PATHS [--strict] [--report out.csv] [--cin PATHS]"""
    ap = Parser(prog="carevis validate", description="Check SSDA903 (and CIN census) files.")
    ap.add_argument("paths", nargs="+", help="SSDA903 files or folders")
    ap.add_argument("--cin", nargs="*", default=None, help="CIN census XML files or folders")
    ap.add_argument("--strict", action="store_true", help="stop at the first error")
    ap.add_argument("--report", help="write the row-by-row report to this CSV")
    ap.add_argument(
        "--include-short-breaks", action="store_true", help="keep short-break episodes (V3/V4)"
    )
    ap.add_argument("--la", help="council code for files whose names do not say")
    _add_year(ap)
    args = ap.parse_args(argv)
    year = _years(ap, args.year)
    warnings.simplefilter("ignore", IdentifierWarning)  # validate writes no ids
    try:
        res = read_journeys(
            ssda903=args.paths,
            cin=args.cin,
            strict=args.strict,
            include_short_breaks=args.include_short_breaks,
            la=args.la,
            year=year,
        )
    except CarevisError as e:
        _said(e, args.report)
        return 1
    print(res.summary())
    if args.report:
        res.report.to_csv(args.report)
        print(f"report: {args.report}")
    errors = res.report.errors
    if errors:
        print(f"{errors} errors (rules of severity 'error'); see the report", file=sys.stderr)
    return 1 if errors else 0


def main_ingest(argv: Sequence[str] | None = None) -> int:
    """carevis ingest {ssda903,cin} PATHS -o out.parquet [--report r.csv] [--hash-key-env VAR]"""
    ap = Parser(prog="carevis ingest", description="Return files -> journey table (Parquet).")
    ap.add_argument("kind", choices=["ssda903", "cin"], help="which return: ssda903 or cin")
    ap.add_argument("paths", nargs="+", help="return files or folders")
    ap.add_argument("-o", "--output", required=True, help="output .parquet")
    ap.add_argument("--report", help="write the validation report CSV here")
    ap.add_argument("--strict", action="store_true", help="stop at the first error")
    ap.add_argument("--mapping", help="replacement for ssda903_map.csv")
    ap.add_argument(
        "--include-short-breaks", action="store_true", help="keep short-break episodes (V3/V4)"
    )
    ap.add_argument(
        "--hash-key-env", help="name of an environment variable holding the id hashing secret"
    )
    ap.add_argument("--la", help="council code for files whose names do not say")
    _add_year(ap)
    args = ap.parse_args(argv)
    year = _years(ap, args.year)
    key = None
    if args.hash_key_env:
        key = os.environ.get(args.hash_key_env)
        if not key:
            print(
                f"carevis: error: environment variable {args.hash_key_env} is not set",
                file=sys.stderr,
            )
            return 2
    if key is None:
        warnings.simplefilter("ignore", IdentifierWarning)  # said here, in the CLI's words
        print(
            "warning: no --hash-key-env given, so the output's child_id holds the councils' "
            "own child ids (council-CHILD); pass --hash-key-env VAR (a variable holding a "
            "long secret) to store keyed hashes instead",
            file=sys.stderr,
        )
    try:
        if args.kind == "ssda903":
            res = read_ssda903(
                args.paths,
                mapping=args.mapping,
                include_short_breaks=args.include_short_breaks,
                hash_key=key,
                strict=args.strict,
                la=args.la,
                year=year,
                index=False,  # only the table is written
            )
        else:
            res = read_cin_census(
                args.paths, hash_key=key, strict=args.strict, la=args.la, year=year
            )
    except CarevisError as e:
        _said(e, args.report, " nothing written.")
        return 1
    import pyarrow.parquet as pq

    out = os.fspath(args.output)
    with atomic(Path(out)) as tmp:
        pq.write_table(res.table, tmp)
    print(res.summary())
    print(f"wrote {res.table.num_rows} spells to {out}")
    if args.report:
        res.report.to_csv(args.report)
    return 0
