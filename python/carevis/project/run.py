"""Running a projection: the stock by state at each date from every run, its intervals, and
(on demand) the first run's journeys as a table like any other."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from .. import _native
from .._time import TimeLike
from ..errors import ConfigError
from ..journeys import PROJECTION_KEY, Journeys, is_synthetic, mark_synthetic
from .model import ProjectionModel, date_of, day_of, fit
from .scenario import Scenario, ScenarioLike, scenario_of
from .table import build

#: Most runs of one projection.
MAX_RUNS = 10_000
QUANTILES = (("p10", 10.0), ("p50", 50.0), ("p90", 90.0))


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def stock_dates(as_of: dt.date, horizon: dt.date) -> list[dt.date]:
    """The date itself, every 31 March after it up to the horizon, and the horizon."""
    out = {as_of, horizon}
    out.update(
        dt.date(y, 3, 31)
        for y in range(as_of.year, horizon.year + 1)
        if as_of <= dt.date(y, 3, 31) <= horizon
    )
    return sorted(out)


class Projection:
    """What :func:`project` gives: the stock by state at each of :attr:`dates` from each
    run (:attr:`stock`, runs x dates x states), :meth:`intervals` over the runs, and
    :attr:`journeys`, the first run's journeys after the real history (built when asked).
    :attr:`known`: the arrivals given instead of drawn (None: drawn)."""

    def __init__(
        self,
        model: ProjectionModel,
        scenario: Scenario,
        years: int,
        runs: int,
        seed: int,
        threads: int | None,
        dates: list[dt.date],
        known: tuple[np.ndarray, ...] | None = None,
    ) -> None:
        self.model, self.scenario, self.years = model, scenario, years
        self.known = known
        self.runs, self.seed, self.threads = runs, seed, threads
        self.as_of = model.as_of
        self.horizon = _add_years(self.as_of, years)
        self.dates = dates
        flat, _ = self._run(runs, emit=False)
        self.stock: np.ndarray = flat.reshape(runs, len(dates), len(model.states))
        self._journeys: Journeys | None = None

    def _run(self, runs: int, *, emit: bool) -> tuple[np.ndarray, Any]:
        entries, time, shift = self.scenario.native(self.model.states)
        native, births, groups = self.model.history()
        stock, spells = _native.project_run(
            self.model._native,
            day_of(self.horizon),
            [day_of(d) for d in self.dates],
            seed=self.seed,
            runs=runs,
            emit=emit,
            journeys=native if emit else None,
            births=births if emit else None,
            groups=groups if emit else None,
            entries=entries,
            time=time,
            shift=shift,
            threads=self.threads,
            known=self.known,
        )
        return np.asarray(stock), spells

    # --- intervals -------------------------------------------------------------------------
    def intervals(self, dates: Sequence[TimeLike] | None = None) -> pa.Table:
        """Stock per state at each date (all of :attr:`dates` by default): the 10th, 50th
        and 90th percentiles over the runs (one run: all three are that run)."""
        idx = list(range(len(self.dates)))
        if dates is not None:
            wanted = [day_of(d) for d in dates]
            have = [day_of(d) for d in self.dates]
            missing = [date_of(d) for d in wanted if d not in have]
            if missing:
                shown = ", ".join(str(d) for d in self.dates)
                raise ConfigError(f"no stock counted at {missing[0]}; dates counted: {shown}")
            idx = [have.index(d) for d in wanted]
        states = self.model.states
        q = {n: np.percentile(self.stock, p, axis=0) for n, p in QUANTILES}
        rows: dict[str, list[Any]] = {"date": [], "state": [], **{n: [] for n, _ in QUANTILES}}
        for k in idx:
            for s, name in enumerate(states):
                rows["date"].append(self.dates[k])
                rows["state"].append(name)
                for n, _ in QUANTILES:
                    rows[n].append(float(q[n][k, s]))
        return pa.table(
            {
                "date": pa.array(rows["date"], pa.date32()),
                "state": pa.array(rows["state"], pa.string()),
                **{n: pa.array(rows[n], pa.float64()) for n, _ in QUANTILES},
            }
        )

    # --- the journeys ----------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """What the projected table's schema metadata records (:data:`PROJECTION_KEY`)."""
        info: dict[str, Any] = {
            "from": self.as_of.isoformat(),
            "to": self.horizon.isoformat(),
            "scenario": self.scenario.text,
            "runs": self.runs,
            "seed": self.seed,
        }
        if self.known is not None:
            info["arrivals"] = "known"  # taken from the data, not drawn
        if self.runs > 1:
            iv = self.intervals()
            info["intervals"] = {
                "date": [d.isoformat() for d in iv.column("date").to_pylist()],
                "state": iv.column("state").to_pylist(),
                **{n: iv.column(n).to_pylist() for n, _ in QUANTILES},
            }
        return info

    def table(self) -> pa.Table:
        """The first run as a canonical journey table: the real spells ended by the date,
        then every child's projected continuation (``projected`` true; a spell running at
        the date keeps its real start). Children get new ids (1, 2, ...)."""
        _, spells = self._run(1, emit=True)
        t = build(spells, self.model)
        meta = dict(t.schema.metadata or {})
        meta[PROJECTION_KEY] = json.dumps(self.metadata()).encode()
        t = t.replace_schema_metadata(meta)
        source = self.model.journeys
        if source is not None and source.synthetic:
            t = mark_synthetic(t)
        return t

    @property
    def journeys(self) -> Journeys:
        """The first run's journeys (indexed once, then kept)."""
        if self._journeys is None:
            t = self.table()
            self._journeys = Journeys.from_arrow(
                t, states=self.model.states, source=f"projection from {self.as_of}"
            )
            self._journeys.synthetic = is_synthetic(t)
        return self._journeys

    def __repr__(self) -> str:
        return (
            f"<carevis.project.Projection from {self.as_of} to {self.horizon}, "
            f"scenario {self.scenario.text!r}, {self.runs} run(s)>"
        )


def project(
    model_or_journeys: ProjectionModel | Journeys,
    years: int = 3,
    *,
    as_of: TimeLike | None = None,
    scenario: ScenarioLike = None,
    runs: int = 1,
    seed: int = 0,
    threads: int | None = None,
    dates: Sequence[TimeLike] | None = None,
    arrivals: Journeys | None = None,
    **fit_options: Any,
) -> Projection:
    """Projects journeys ``years`` ahead: from a fitted model, or from journeys (fitted at
    ``as_of``, by default the data's last day, with ``fit_options``). ``scenario``: None (the
    baseline), a text (see :mod:`carevis.project.scenario`), a :class:`Scenario`, or a
    list. ``runs`` simulations give :meth:`Projection.intervals`; the result is the same for
    a seed whatever ``threads`` (None: all). ``dates``: where to count the stock (the date,
    each 31 March and the horizon by default). ``arrivals``: journeys (with the model's
    states) whose arrivals after the date are taken as they are, each child simulated
    only from its arrival on, instead of drawing arrivals from the model (a backtest's
    diagnostic: the journey model's error without the arrivals forecast's; ``entries``
    scenarios do not apply to them)."""
    if isinstance(model_or_journeys, Journeys):
        when = as_of if as_of is not None else _last_day(model_or_journeys)
        model = fit(model_or_journeys, when, **fit_options)
    elif isinstance(model_or_journeys, ProjectionModel):
        if as_of is not None and day_of(as_of) != model_or_journeys.as_of_day:
            raise ConfigError(
                f"the model was fitted at {model_or_journeys.as_of}, not {as_of}: fit again"
            )
        if fit_options:
            raise ConfigError(f"fit options {sorted(fit_options)} need journeys, not a model")
        model = model_or_journeys
    else:
        raise ConfigError(
            f"project needs a ProjectionModel or Journeys, not {type(model_or_journeys).__name__}"
        )
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 50:
        raise ConfigError(f"years must be a whole number in 1..50, not {years!r}")
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise ConfigError(f"runs must be a whole number in 1..{MAX_RUNS}, not {runs!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, not {seed!r}")
    if threads is not None and (not isinstance(threads, int) or not 1 <= threads <= 1024):
        raise ConfigError(f"threads must be None or a whole number in 1..1024, not {threads!r}")
    horizon = _add_years(model.as_of, years)
    if dates is None:
        counted = stock_dates(model.as_of, horizon)
    else:
        counted = sorted({date_of(day_of(d)) for d in dates})
        if not counted or counted[0] < model.as_of or counted[-1] > horizon:
            raise ConfigError(f"dates must lie from {model.as_of} to {horizon}")
    known = None if arrivals is None else model.known_arrivals(arrivals, horizon)
    return Projection(model, scenario_of(scenario), years, runs, seed, threads, counted, known)


def _last_day(journeys: Journeys) -> dt.date:
    r = journeys.time_range
    if r is None:
        raise ConfigError("no spells to project from")
    return r[1].date()
