"""The ``carevis`` command: demo, synth, render, project, view, validate, ingest, stats. A
thin shell over the same calls a notebook makes.

- :mod:`.app`: the parser and :func:`main` (exit codes);
- :mod:`.common`: argument types, the H.264 options, loading journeys and the scene;
- :mod:`.demo`, :mod:`.synth`, :mod:`.render`, :mod:`.project`: those commands;
- :mod:`.shells`: view, validate, ingest and stats, which parse their own options.
"""

from __future__ import annotations

from .app import PASSTHROUGH, main, parser

__all__ = ["PASSTHROUGH", "main", "parser"]
