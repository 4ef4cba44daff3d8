"""The commands that parse their own options and call the entry points of other packages:
``view`` (the window), ``validate`` and ``ingest`` (carevis.ingest), ``stats``
(carevis.stats)."""

from __future__ import annotations

import argparse
import os

from .common import say


def cmd_view(args: argparse.Namespace) -> int:
    from ..window import main_view

    try:
        return int(main_view(args.rest) or 0)
    except (OSError, RuntimeError) as e:
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            raise
        say(
            "carevis view: no display to open a window on "
            f"({str(e).splitlines()[0]}). Run it on a desktop, or under xvfb-run; "
            "for pictures without a display use `carevis render`."
        )
        return 1


def cmd_passthrough(args: argparse.Namespace) -> int:
    from .. import ingest

    fn = {"validate": "main_validate", "ingest": "main_ingest"}[args.command]
    return int(getattr(ingest, fn)(args.rest) or 0)


def cmd_stats(args: argparse.Namespace) -> int:
    from ..stats import main_stats

    return int(main_stats(args.rest) or 0)


def cmd_export(args: argparse.Namespace) -> int:
    from ..export.player import main_export

    return int(main_export(args.rest) or 0)
