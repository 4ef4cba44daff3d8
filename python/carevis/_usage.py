"""The command line's usage errors: one line, ``carevis: error: ...``, exit status 2 (data
errors are :class:`carevis.CarevisError`, exit status 1). Every ``carevis`` subcommand
builds its options with :class:`Parser`."""

from __future__ import annotations

import argparse
from typing import NoReturn


class UsageError(Exception):
    """A command line carevis cannot act on: one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error raised as :class:`UsageError` (one line) instead of
    printed with the whole usage."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("carevis").strip()
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see `{self.prog} --help`)")


def alias(p: argparse.ArgumentParser, old: str, dest: str, **kw: object) -> None:
    """An old spelling of an option, kept working but left out of ``--help``."""
    p.add_argument(old, dest=dest, help=argparse.SUPPRESS, **kw)  # type: ignore[arg-type]
