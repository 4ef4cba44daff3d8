"""Congestion: where the data shows delay. A state is congested at a moment when it is a
state children *wait* in (``kind`` ``wait`` in ``data/states.csv``: referral,
assessment, section 47, a conference, placed for adoption awaiting the order; never a
placement such as foster care, where a long stay is stability) and, over the window
before that moment (default 6 months), its occupancy rises (by at least ``growth_pct``),
the median time so far of the children in it rises, and its exits fall behind its
entries. The figures come from the Rust statistics over the index (occupancy, entries and
exits per period; the median time in state so far). One definition, used by the
statistics (``carevis stats --congestion``), the pictures and videos (a ring and the
figures), the window and the HTML page (flags computed here, embedded). It reads the
index only, so both the scene (:mod:`carevis.scene.congestion`) and the statistics
(:mod:`carevis.stats.congestion`) build on it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _native
from ._time import MINUTES_PER_DAY, TimeLike, to_minutes
from .errors import ConfigError
from .journeys import Journeys
from .rules import standard_states, waiting_states

#: Days in a month, for the figures ("6 months", "median wait 7.5 months").
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class CongestionSettings:
    """When a waiting state counts as congested (every threshold user-settable).

    Over the ``window_days`` before the moment: occupancy up by at least ``growth_pct``
    per cent, the median time so far of the children in the state up, exits fewer than
    entries. Only states with at least ``min_count`` children now (and ``min_count``
    a window ago) are flagged. ``states``: the states to look at (None: the standard
    states of kind ``wait`` in the data); a standard state that is not a wait (a
    placement, a plan, an exit) is refused. ``halo``: the colour of the mark.
    """

    window_days: float = 182.0
    growth_pct: float = 10.0
    min_count: int = 10
    states: frozenset[str] | None = None
    halo: tuple[int, int, int, int] = (214, 40, 40, 200)

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 3660:
            raise ConfigError(f"congestion window_days must be 1..3660, not {self.window_days}")
        if not self.growth_pct >= 0:
            raise ConfigError(f"congestion growth_pct must be >= 0, not {self.growth_pct}")
        if not (isinstance(self.min_count, int) and self.min_count >= 1):
            raise ConfigError(
                f"congestion min_count must be a whole number >= 1, not {self.min_count}"
            )
        if self.states is not None:
            object.__setattr__(self, "states", frozenset(self.states))
            kinds = {s.label: s.kind for s in standard_states()}
            never = sorted(s for s in self.states if kinds.get(s, "wait") != "wait")
            if never:
                raise ConfigError(
                    f"congestion states: {never[0]!r} is a {kinds[never[0]]} state, not one "
                    f"children wait in (the waiting states: {', '.join(sorted(waiting_states()))})"
                )

    def watched(self, states: Sequence[str]) -> list[int]:
        """Numbers of the data's states to look at."""
        want = waiting_states() if self.states is None else self.states
        return [i for i, s in enumerate(states) if s in want]


@dataclass(frozen=True)
class Congested:
    """A waiting state's figures at a moment over the window before it: children in it
    now (``count``) and a window ago (``before``), spells begun (``entries``) and ended
    (``exits``) in the window, the median time so far of the children in it now
    (``wait_days``) and a window ago; ``flagged`` when they meet the settings' rule;
    ``label`` the figure drawn ("+18% in 6 months, median wait 7.5 months")."""

    state: str
    index: int
    count: int
    before: int
    entries: int
    exits: int
    wait_days: float | None
    wait_before_days: float | None
    window_days: float
    flagged: bool = field(default=False, compare=False)

    @property
    def change_pct(self) -> float | None:
        """Occupancy change over the window, per cent (None when it was empty)."""
        return None if self.before == 0 else (self.count - self.before) / self.before * 100.0

    @property
    def label(self) -> str:
        pct = self.change_pct
        head = "new" if pct is None else f"{pct:+.0f}%"
        out = f"{head} in {months(self.window_days)}"
        return out if self.wait_days is None else f"{out}, median wait {duration(self.wait_days)}"


def months(days: float) -> str:
    """A window as the figures read: "6 months", or days where not near whole months."""
    m = days / DAYS_PER_MONTH
    if abs(m - round(m)) < 0.15 and round(m) >= 1:
        return "1 month" if round(m) == 1 else f"{m:.0f} months"
    return f"{days:.0f} days"


def duration(days: float) -> str:
    """A wait as the figures read: "7.5 months" (two months or more), else "12 days"."""
    if days >= 61:
        return f"{days / DAYS_PER_MONTH:.1f} months"
    return "1 day" if round(days) == 1 else f"{days:.0f} days"


def is_congested(c: Congested, s: CongestionSettings) -> bool:
    """The rule: occupancy, and time in state, rise while exits fall behind entries."""
    nan = float("nan")
    wait = nan if c.wait_days is None else c.wait_days
    wait_before = nan if c.wait_before_days is None else c.wait_before_days
    return bool(_rule((c.count, c.before, c.entries, c.exits, wait, wait_before), s))


def _rule(figures: Sequence[object], s: CongestionSettings) -> np.ndarray:
    """:func:`is_congested` over arrays of the figures count, before, entries, exits, wait
    and wait before (waits NaN where nobody was there)."""
    count, before, entries, exits = (np.asarray(v, np.int64) for v in figures[:4])
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (count - before) / before * 100.0  # as Congested.change_pct, where before > 0
        waits = np.asarray(figures[4], np.float64) > np.asarray(figures[5], np.float64)
    rule: np.ndarray = (
        (count >= s.min_count)
        & (before >= s.min_count)
        & (before != 0)
        & (pct >= s.growth_pct)
        & (exits < entries)
        & waits
    )
    return rule


def occupancy_at(journeys: Journeys, times: np.ndarray) -> np.ndarray:
    """Children in each state at each time (minutes): (n_states, len(times)) counts."""
    times = np.asarray(times, dtype=np.int64)
    uniq = np.unique(times)
    # Period k ends at uniq[k] + 1: its occupancy (at its end) is the state at uniq[k].
    bounds = np.append(uniq[:1], uniq + 1).astype(np.int32)
    raw = _native.stats_flows(journeys._native, bounds)
    out = np.zeros((len(journeys.states), len(uniq)), np.int64)
    p = raw.column("period").to_numpy().astype(np.int64)
    s = raw.column("state").to_numpy().astype(np.int64)
    out[s, p] = raw.column("occupancy").to_numpy()
    return out[:, np.searchsorted(uniq, times)]


def _flows(journeys: Journeys, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occupancy at each of ``points`` (ascending minutes), and entries and exits from
    each point to the next, summed from the first: (n_states, len(points)) each."""
    bounds = np.concatenate([points[:1] - 1, points]).astype(np.int32)
    raw = _native.stats_flows(journeys._native, bounds)
    shape = (len(journeys.states), len(points))
    occ, ent, ex = (np.zeros(shape, np.int64) for _ in range(3))
    p = raw.column("period").to_numpy().astype(np.int64)
    s = raw.column("state").to_numpy().astype(np.int64)
    occ[s, p] = raw.column("occupancy").to_numpy()
    ent[s, p] = raw.column("entries").to_numpy()
    ex[s, p] = raw.column("exits").to_numpy()
    # period k runs from points[k - 1] to points[k]: its flows count towards points[k]
    return occ, np.cumsum(ent, axis=1), np.cumsum(ex, axis=1)


def _median_waits(journeys: Journeys, points: np.ndarray, watched: list[int]) -> np.ndarray:
    """The median time so far (days; NaN: nobody there) of the children in each watched
    state at each of ``points`` (ascending minutes): (n_states, len(points)). One sweep of
    the core over all the moments (its cost grows with the spells plus the moments)."""
    mask = np.zeros(len(journeys.states), bool)
    mask[watched] = True
    out = np.full((len(journeys.states), len(points)), np.nan)
    w = _native.stats_waits_at(journeys._native, np.ascontiguousarray(points, np.int64), mask)
    t = w.column("time").to_numpy().astype(np.int64)
    s = w.column("state").to_numpy().astype(np.int64)
    out[s, t] = w.column("median").to_numpy() / MINUTES_PER_DAY
    return out


def _days(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


@dataclass(frozen=True)
class _Figures:
    """The watched states' figures at many moments, as arrays (watched state, moment)."""

    watched: list[int]
    count: np.ndarray
    before: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    wait: np.ndarray
    wait_before: np.ndarray
    flagged: np.ndarray

    def at(self, journeys: Journeys, w: int, k: int, window_days: float) -> Congested:
        """The figures of watched state ``w`` at moment ``k``."""
        return Congested(
            state=journeys.states[self.watched[w]],
            index=self.watched[w],
            count=int(self.count[w, k]),
            before=int(self.before[w, k]),
            entries=int(self.entries[w, k]),
            exits=int(self.exits[w, k]),
            wait_days=_days(self.wait[w, k]),
            wait_before_days=_days(self.wait_before[w, k]),
            window_days=window_days,
            flagged=bool(self.flagged[w, k]),
        )


def _figures(journeys: Journeys, now: np.ndarray, s: CongestionSettings) -> _Figures:
    """The figures of :func:`congestion_series` at ``now`` (minutes), as arrays: one pass
    of the core's flows and one sweep of its current waits for all moments (and window
    starts), and the rule over all of them at once."""
    watched = s.watched(journeys.states)
    window = round(s.window_days * MINUTES_PER_DAY)
    points = np.unique(np.concatenate([now - window, now]))
    occ, ent, ex = _flows(journeys, points)
    waits = _median_waits(journeys, points, watched)
    a, b = np.searchsorted(points, now - window), np.searchsorted(points, now)
    rows = np.asarray(watched, np.int64)[:, None]
    f = [occ[rows, b], occ[rows, a], ent[rows, b] - ent[rows, a], ex[rows, b] - ex[rows, a]]
    f += [waits[rows, b], waits[rows, a]]
    return _Figures(watched, f[0], f[1], f[2], f[3], f[4], f[5], _rule(f, s))


def congestion_series(
    journeys: Journeys, minutes: Sequence[float], settings: CongestionSettings | None = None
) -> list[list[Congested]]:
    """Every watched state's figures at each of ``minutes``, ``flagged`` where congested:
    one pass of the core's flows and one sweep of its current waits for all moments (and
    window starts)."""
    s = settings or CongestionSettings()
    now = np.asarray([int(m) for m in minutes], np.int64)
    if not s.watched(journeys.states) or not len(now):
        return [[] for _ in now]
    f = _figures(journeys, now, s)
    return [
        [f.at(journeys, w, k, s.window_days) for w in range(len(f.watched))]
        for k in range(len(now))
    ]


def congestion_figures(
    journeys: Journeys, t: TimeLike, settings: CongestionSettings | None = None
) -> list[Congested]:
    """Every watched (waiting) state's figures at ``t``, flagged or not, in state order."""
    return congestion_series(journeys, [to_minutes(t)], settings)[0]


def flagged(rows: list[Congested]) -> list[Congested]:
    """The congested states among ``rows``, the steepest rise first."""
    return sorted((c for c in rows if c.flagged), key=lambda c: -(c.change_pct or 0.0))


def congestion(
    journeys: Journeys, t: TimeLike, settings: CongestionSettings | None = None
) -> list[Congested]:
    """The congested states at ``t``, the steepest rise first."""
    return flagged(congestion_figures(journeys, t, settings))


def congestion_at_minutes(
    journeys: Journeys, now: float, settings: CongestionSettings | None = None
) -> list[Congested]:
    """:func:`congestion` at ``now`` minutes since 1970 (the engine's clock)."""
    return flagged(congestion_series(journeys, [now], settings)[0])


class Ahead:
    """The congested states at each of many ascending moments (a video's frames), found
    :data:`AHEAD` moments at a time by :func:`congestion_series`: ``ahead[k]`` is
    :func:`congestion_at_minutes` at ``minutes[k]``, for a fraction of its cost."""

    def __init__(
        self, journeys: Journeys, minutes: Sequence[float], settings: CongestionSettings
    ) -> None:
        self._journeys, self._minutes, self._settings = journeys, list(minutes), settings
        self._chunk = -1
        self._rows: list[list[Congested]] = []

    def __getitem__(self, k: int) -> list[Congested]:
        c = k // AHEAD
        if c != self._chunk:
            part = self._minutes[c * AHEAD : (c + 1) * AHEAD]
            series = congestion_series(self._journeys, part, self._settings)
            self._rows, self._chunk = [flagged(r) for r in series], c
        return self._rows[k - c * AHEAD]


#: Moments an :class:`Ahead` finds at a time.
AHEAD = 256


def shown(flags: Sequence[Congested], suppress_below: int = 0) -> list[Congested]:
    """The flags a picture shows: none built on fewer children than its labels show (now
    or a window ago, below ``suppress_below``)."""
    return [c for c in flags if min(c.count, c.before) >= max(suppress_below, 1)]


#: Step of the HTML page's precomputed flags (days): every day, held as the days they
#: change on (:func:`flag_table`); the page shows those of its date.
PAGE_STEP_DAYS = 1


def flag_table(
    journeys: Journeys,
    settings: CongestionSettings,
    suppress_below: int = 0,
    step_days: int = PAGE_STEP_DAYS,
) -> dict[str, object]:
    """The flags every ``step_days`` (a day) over the data's range, for the HTML page:
    ``t0`` and ``step`` (minutes), ``steps``, and ``changes``: ``[step, flags]`` at each
    step whose flagged states (``[state number, label]``) differ from the step before
    (from the first step on), so the page holds a day's flags without one row a day."""
    lo, hi = journeys.minute_range or (0, 0)
    step = step_days * MINUTES_PER_DAY
    t0 = (int(lo) // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY  # the end of the first day
    times = np.arange(t0, int(hi) + step, step, dtype=np.int64)
    flags: list[list[list[object]]] = [[] for _ in times]
    if settings.watched(journeys.states):
        # the figures as arrays; objects (and labels) only where a state is flagged
        f = _figures(journeys, times, settings)
        for k in np.flatnonzero(f.flagged.any(axis=0)).tolist():
            rows = [
                f.at(journeys, w, k, settings.window_days)
                for w in np.flatnonzero(f.flagged[:, k]).tolist()
            ]
            flags[k] = [[c.index, c.label] for c in shown(flagged(rows), suppress_below)]
    changes = [[k, row] for k, row in enumerate(flags) if k == 0 or row != flags[k - 1]]
    return {"t0": t0, "step": step, "steps": len(flags), "changes": changes}


def flags_at(table: dict[str, object], minutes: float) -> list[list[object]]:
    """The flags a :func:`flag_table` gives at ``minutes`` (as the page looks them up)."""
    k = int((minutes - int(table["t0"])) // int(table["step"]))  # type: ignore[call-overload]
    out: list[list[object]] = []
    for step, row in table["changes"]:  # type: ignore[attr-defined]
        if step > k:
            break
        out = row
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--congestion`` and its thresholds, the same in every command that takes them."""
    d = CongestionSettings()
    p.add_argument(
        "--congestion",
        action="store_true",
        help="flag waiting states (referral, assessment, section 47, conference, placed for "
        "adoption) whose children and waits grow while exits fall behind entries",
    )
    p.add_argument(
        "--congestion-window",
        type=float,
        default=d.window_days,
        metavar="DAYS",
        help=f"with --congestion: the window looked back over (default {d.window_days:g})",
    )
    p.add_argument(
        "--congestion-growth",
        type=float,
        default=d.growth_pct,
        metavar="PCT",
        help=f"with --congestion: the least rise in children, per cent (default {d.growth_pct:g})",
    )
    p.add_argument(
        "--congestion-min",
        type=int,
        default=d.min_count,
        metavar="N",
        help=f"with --congestion: the fewest children to flag (default {d.min_count})",
    )


def from_arguments(args: argparse.Namespace) -> CongestionSettings | None:
    """The settings ``--congestion`` asks for (None without it)."""
    if not getattr(args, "congestion", False):
        return None
    return CongestionSettings(
        window_days=args.congestion_window,
        growth_pct=args.congestion_growth,
        min_count=args.congestion_min,
    )
