"""The times of a clip's frames (minutes since 1970): evenly spaced from a start to an end,
or a list given (checked)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._check import show
from .._time import MAX_MINUTES, MIN_MINUTES, MINUTES_PER_DAY, TimeLike, to_datetime, to_minutes
from ..errors import ConfigError, ExportError
from ..scene import Scene

#: Most frames one clip may have.
MAX_FRAMES = 10_000_000


def frame_times(
    scene: Scene,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    fps: float = 25.0,
    days_per_second: float = 30.0,
) -> np.ndarray:
    """The times (minutes) of a clip's frames from ``start`` to ``end`` inclusive."""
    if not (np.isfinite(fps) and fps > 0):
        raise ExportError(f"fps must be positive, not {fps}")
    if not (np.isfinite(days_per_second) and days_per_second > 0):
        raise ExportError(f"days per second must be positive, not {days_per_second}")
    lo, hi = scene.journeys.minute_range or (0, 0)
    a = to_minutes(start) if start is not None else float(lo)
    b = to_minutes(end) if end is not None else float(hi)
    if not b > a:
        raise ExportError(
            f"empty time range: from {to_datetime(a):%Y-%m-%d} to {to_datetime(b):%Y-%m-%d}"
        )
    step = days_per_second * MINUTES_PER_DAY / fps
    n = int(np.floor((b - a) / step)) + 1
    if n > MAX_FRAMES:
        raise ExportError(f"{n:,} frames is too many; raise --days-per-second or shorten the range")
    return a + step * np.arange(n)


def clip_times(
    scene: Scene,
    times: Sequence[float] | None,
    start: TimeLike | None,
    end: TimeLike | None,
    fps: float,
    days_per_second: float,
) -> np.ndarray:
    """The frame times (minutes) given, or those from ``start`` to ``end``."""
    if times is None:
        return frame_times(scene, start, end, fps, days_per_second)
    try:
        ts = np.asarray(times, float)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(
            f"times must be numbers (minutes since 1970), not {show(times)}"
        ) from None
    if ts.ndim != 1:
        raise ConfigError(f"times must be a flat list of minutes, not shape {ts.shape}")
    bad = ~(np.isfinite(ts) & (ts >= MIN_MINUTES) & (ts <= MAX_MINUTES))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ConfigError(
            f"times[{k}] = {ts[k]!r} is not a finite time (minutes since 1970) "
            "within the years 1 to 9999"
        )
    return ts
