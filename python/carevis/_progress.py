"""Progress bars (tqdm): a bar with rate and ETA on a terminal; silent otherwise (pipes,
logs, CI). Every long step (frames, videos, ingest, writing returns) goes through here."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default stderr) is a terminal a bar can redraw."""
    stream = stream or sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """A bar over ``total`` steps, shown only on a terminal unless ``enabled`` says."""

    def __init__(
        self,
        total: int | None,
        label: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        unit: str = "it",
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = on_terminal(self.stream) if enabled is None else bool(enabled)
        self._bar: Any = tqdm(
            total=total,
            desc=label,
            file=self.stream,
            disable=not self.enabled,
            unit=unit,
            leave=True,
            dynamic_ncols=True,
            mininterval=0.1,
        )
        self.done = 0

    def update(self, n: int = 1) -> None:
        self.done += n
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(
    items: Iterable[T],
    label: str,
    total: int | None = None,
    enabled: bool | None = None,
    unit: str = "it",
) -> Iterable[T]:
    """``items``, with a bar over them on a terminal (tqdm's own iterator: cheap enough
    for loops over millions of rows)."""
    on = on_terminal() if enabled is None else bool(enabled)
    bar: Iterable[T] = tqdm(
        items,
        desc=label,
        total=total,
        file=sys.stderr,
        disable=not on,
        unit=unit,
        dynamic_ncols=True,
        mininterval=0.1,
    )
    return bar
