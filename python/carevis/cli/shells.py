"""The commands that parse their own options and call the entry points of other packages:
``view`` (the window), ``validate`` and ``ingest`` (carevis.ingest), ``stats``
(carevis.stats)."""

from __future__ import annotations

import argparse
import os


def cmd_view(args: argparse.Namespace) -> int:
    """``carevis view``: the window. Without a display it says so (one line, exit status
    1, as for any error carevis finds; 2 is for a command line it cannot act on) and
    points to ``carevis render``, before Qt could abort the process."""
    from ..window import main_view
    from ..window.launch import no_display

    try:
        return int(main_view(args.rest) or 0)
    except (OSError, RuntimeError) as e:  # the toolkit failed to reach a display
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            raise
        raise no_display(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


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
