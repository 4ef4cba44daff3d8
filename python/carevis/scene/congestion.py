"""Congestion: states whose occupancy keeps growing over a rolling window, or whose
children have waited long (median time so far of the children there now). Used by the
statistics, the exported frames (a halo and a label) and the window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .. import _native
from .._time import MINUTES_PER_DAY, TimeLike, to_minutes
from ..errors import ConfigError
from ..journeys import Journeys
from .core import Scene


@dataclass(frozen=True)
class CongestionSettings:
    """When a state counts as congested (every threshold user-settable).

    growth: occupancy at ``t`` is up by at least ``growth_pct`` per cent on ``window_days``
        before, and the least-squares slope over ``samples`` points across the window is
        positive (it keeps growing, not a single jump back).
    wait: the median time so far of the children in the state at ``t`` is at least
        ``wait_days`` (``None``: not checked).
    Only states with at least ``min_count`` children at ``t`` are marked; ``states``
    restricts the check to these labels.
    """

    window_days: float = 182.0
    growth_pct: float = 10.0
    samples: int = 7
    wait_days: float | None = 180.0
    min_count: int = 10
    states: frozenset[str] | None = None
    halo: tuple[int, int, int, int] = (214, 40, 40, 200)

    def __post_init__(self) -> None:
        if not self.window_days > 0:
            raise ConfigError(f"congestion window_days must be > 0, not {self.window_days}")
        if self.samples < 2:
            raise ConfigError(f"congestion samples must be >= 2, not {self.samples}")
        if self.wait_days is not None and self.wait_days < 0:
            raise ConfigError(f"congestion wait_days must be >= 0, not {self.wait_days}")


@dataclass(frozen=True)
class Congested:
    """A congested state at a moment: ``kind`` is "growth" (``value`` = % change over the
    window) or "wait" (``value`` = median days waited so far); ``label`` is short text."""

    state: str
    index: int
    kind: Literal["growth", "wait"]
    value: float
    count: int
    label: str


def _months(days: float) -> str:
    m = days / 30.44
    return f"{m:.0f} months" if abs(m - round(m)) < 0.15 else f"{days:.0f} days"


def occupancy_at(journeys: Journeys, times: np.ndarray) -> np.ndarray:
    """Children in each state at each time (minutes): (n_states, len(times)) counts."""
    times = np.asarray(times, dtype=np.int64)
    order = np.argsort(times)
    ts = times[order]
    uniq = np.unique(ts)
    # Period k ends at uniq[k] + 1: its occupancy (at its end) is the state at uniq[k].
    bounds = np.append(uniq[:1], uniq + 1).astype(np.int32)
    raw = _native.stats_flows(journeys._native, bounds)
    out = np.zeros((len(journeys.states), len(uniq)), np.int64)
    p = raw.column("period").to_numpy().astype(np.int64)
    s = raw.column("state").to_numpy().astype(np.int64)
    out[s, p] = raw.column("occupancy").to_numpy()
    pos = np.searchsorted(uniq, times)
    return out[:, pos]


def congestion(
    journeys: Journeys,
    t: TimeLike,
    settings: CongestionSettings | None = None,
    occupancy: tuple[int, int, np.ndarray] | None = None,
) -> list[Congested]:
    """The congested states at ``t``, most striking first. ``occupancy`` may give a
    precomputed (t0, step, counts[state, step]) grid (``Scene._native.occupancy()``); by
    default the core counts the sample times needed."""
    return congestion_at_minutes(journeys, to_minutes(t), settings, occupancy)


def congestion_at_minutes(
    journeys: Journeys,
    now: float,
    settings: CongestionSettings | None = None,
    occupancy: tuple[int, int, np.ndarray] | None = None,
) -> list[Congested]:
    """:func:`congestion` at ``now`` minutes since 1970 (the engine's clock)."""
    s = settings or CongestionSettings()
    times = now - np.linspace(s.window_days, 0.0, s.samples) * MINUTES_PER_DAY
    if occupancy is not None:
        t0, step, grid = occupancy
        idx = np.clip(np.round((times - t0) / step).astype(np.int64), 0, grid.shape[1] - 1)
        occ = grid[:, idx].astype(np.float64)
    else:
        occ = occupancy_at(journeys, np.floor(times).astype(np.int64)).astype(np.float64)
    waits = _native.stats_waits(journeys._native, int(now))
    wait_days = dict(
        zip(
            waits.column("state").to_pylist(),
            (waits.column("median").to_numpy() / MINUTES_PER_DAY).tolist(),
            strict=True,
        )
    )
    x = np.linspace(-1.0, 1.0, s.samples)
    out: list[Congested] = []
    for i, label in enumerate(journeys.states):
        if s.states is not None and label not in s.states:
            continue
        series = occ[i]
        count = int(series[-1])
        if count < max(s.min_count, 1):
            continue
        before = series[0]
        slope = float(np.polyfit(x, series, 1)[0]) if series.std() > 0 else 0.0
        if before > 0:
            pct = (series[-1] - before) / before * 100.0
            if pct >= s.growth_pct and slope > 0:
                out.append(
                    Congested(
                        label, i, "growth", pct, count, f"+{pct:.0f}% in {_months(s.window_days)}"
                    )
                )
                continue
        w = wait_days.get(i)
        if s.wait_days is not None and w is not None and w >= s.wait_days:
            out.append(Congested(label, i, "wait", w, count, f"median wait {w:.0f} days"))
    out.sort(key=lambda c: (c.kind != "growth", -c.value))
    return out


def scene_congestion(
    scene: Scene, minutes: float, settings: CongestionSettings | None = None
) -> list[Congested]:
    """Congestion for a :class:`carevis.Scene` at ``minutes`` (uses the scene's daily
    occupancy). The window can call this each second or so and mark the clusters given
    (``Congested.index`` is the state's cluster) with ``Congested.label``."""
    native = scene._native
    journeys = scene.journeys
    t0, step, grid = native.occupancy()
    return congestion_at_minutes(
        journeys,
        float(minutes),
        settings,
        occupancy=(int(t0), int(step), np.asarray(grid)),
    )
