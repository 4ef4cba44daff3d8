"""Filters given on a command line (``--filter COLUMN=VALUES``, repeatable; all must hold),
one meaning for ``carevis render``, ``carevis view`` and ``carevis export html``: the
argument, the scene that shows only the children kept (pictures, videos, the window) and
the journeys of only those children (the HTML page holds no other child). A filter that
matches nothing is said in one line on standard error (``carevis: note: ...``, from
:class:`EmptyFilterWarning`); a mistyped column is a :class:`ConfigError` naming the
closest and the valid names."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow.compute as pc

from ..errors import ConfigError
from ..journeys import Journeys
from .core import Scene
from .settings import EmptyFilterWarning

#: One filter: a column and the values it may have.
Filter = tuple[str, list[str]]

FILTER_HELP = (
    "show only children whose COLUMN (a per-child column, or age_band) is one of the "
    "VALUES; repeat for more (all must hold), e.g. --filter la=Kent --filter sex=F"
)


def filter_spec(text: str) -> Filter:
    """COLUMN=VALUE[,VALUE...] (an argparse type)."""
    column, eq, values = text.partition("=")
    if not (eq and column.strip() and values.strip()):
        raise argparse.ArgumentTypeError(
            f"must be COLUMN=VALUE[,VALUE...], e.g. la=Kent or sex=F,M, not {text!r}"
        )
    return column.strip(), [v.strip() for v in values.split(",")]


def add_filter_argument(p: Any, help: str = FILTER_HELP) -> None:
    """``--filter COLUMN=VALUES`` (repeatable) on the parser ``p``."""
    p.add_argument(
        "--filter", type=filter_spec, action="append", metavar="COLUMN=VALUES", help=help
    )


def _note(message: object) -> None:
    print(f"carevis: note: {message}", file=sys.stderr, flush=True)


def filter_mask(scene: Scene, filters: Sequence[Filter]) -> np.ndarray:
    """The per-dot mask of the children every filter keeps; values no child has, and a
    mask that keeps nobody, are said in one line each on standard error."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", EmptyFilterWarning)
        masks = [scene.filter_mask(**{column: values}) for column, values in filters]
        mask = np.logical_and.reduce(masks) if masks else np.ones(scene.n_dots, bool)
        if scene.n_dots and not mask.any():
            warnings.warn(
                f"the filter matches none of the {scene.n_dots:,} children: "
                "the picture shows no dots",
                EmptyFilterWarning,
                stacklevel=2,
            )
    for w in said:
        if issubclass(w.category, EmptyFilterWarning):
            _note(w.message)
        else:
            warnings.warn(w.message, w.category, stacklevel=2)
    return np.asarray(mask, bool)


def with_filters(scene: Scene, filters: Sequence[Filter] | None) -> Scene:
    """The scene showing only the children the filters keep (the scene itself without
    any)."""
    if not filters:
        return scene
    mask = filter_mask(scene, filters)
    with warnings.catch_warnings():  # said once, by filter_mask
        warnings.simplefilter("ignore", EmptyFilterWarning)
        return scene.with_filter(mask)


def filtered_journeys(scene: Scene, filters: Sequence[Filter] | None) -> Journeys:
    """The journeys of only the children the filters keep (all of them without any), read
    with the same options and state order; a filter that keeps nobody is a ConfigError
    after its note (there would be nothing to show)."""
    journeys = scene.journeys
    if not filters:
        return journeys
    mask = filter_mask(scene, filters)
    if not mask.any():
        shown = " ".join(f"--filter {c}={','.join(v)}" for c, v in filters)
        raise ConfigError(f"{shown} keeps no child: nothing to show")
    opts = dict(journeys.options)
    table = journeys.to_arrow()
    ids = journeys.child_ids.filter(mask)
    rows = pc.is_in(table[opts.get("child_id", "child_id")], value_set=ids)
    out = Journeys.from_arrow(
        table.filter(rows),
        on_error=opts.get("on_error", "raise"),
        states=journeys.states,
        child_id=opts.get("child_id", "child_id"),
        state=opts.get("state", "state"),
        start=opts.get("start", "start"),
        end=opts.get("end", "end"),
        source=journeys.source,
    )
    out.synthetic = journeys.synthetic
    out.projection = journeys.projection
    return out
