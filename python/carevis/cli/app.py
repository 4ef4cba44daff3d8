"""The ``carevis`` command's wiring: the argument parser of every subcommand, and
:func:`main`, which runs one and turns errors into exit codes (2: usage, 1: an error
carevis found, 130: interrupted)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .._usage import Parser, UsageError
from ..errors import CarevisError
from .common import say
from .demo import add_demo
from .project import add_project
from .render import add_render
from .shells import cmd_export, cmd_passthrough, cmd_stats, cmd_view
from .synth import add_synth

#: Subcommands that parse their own options: name -> function.
PASSTHROUGH: dict[str, Callable[[argparse.Namespace], int]] = {
    "view": cmd_view,
    "validate": cmd_passthrough,
    "ingest": cmd_passthrough,
    "stats": cmd_stats,
    "export": cmd_export,
}
_PASSTHROUGH_HELP = {
    "view": "open the interactive window",
    "validate": "validate SSDA903 / CIN files and report every row",
    "ingest": "ingest SSDA903 / CIN returns into a journey table",
    "stats": "journey statistics tables and plots",
    "export": "export another form: html, the page anyone can open offline",
}


def parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (those in :data:`PASSTHROUGH` only by name)."""
    from .._version import __version__

    p = Parser(
        prog="carevis", description="Children's journeys through social care as animated dots."
    )
    p.add_argument("--version", action="version", version=f"carevis {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_demo(sub)
    add_synth(sub)
    add_render(sub)
    add_project(sub)
    for name, func in PASSTHROUGH.items():
        text = _PASSTHROUGH_HELP[name]
        q = sub.add_parser(name, help=f"{text} (see carevis {name} --help)", add_help=False)
        q.add_argument("rest", nargs=argparse.REMAINDER)
        q.set_defaults(func=func)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``carevis`` command with ``argv`` (default: the process's arguments);
    returns its exit code."""
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
        say(f"carevis: error: {e}")
        return 2
    except CarevisError as e:
        say(f"carevis: error: {e}")
        return 1
    except KeyboardInterrupt:
        say("carevis: interrupted")
        return 130
