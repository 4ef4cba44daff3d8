"""Projections: journeys continued from the data, shown as dots like the real ones.

>>> model = carevis.project.fit(journeys, as_of="2019-03-31")
>>> result = carevis.project.project(model, years=3, scenario="entries*0.9", runs=100)
>>> result.journeys        # real history to the date + the first run's continuation
>>> result.intervals()     # date, state, p10, p50, p90 of the stock over the runs

The model (Rust core, ``rust/src/project``): for each state, age band the child is in (a stay
crossing a band's edge goes on in the next band's cell from there), time in care at the
spell's start and (``by_council``) council, the time in state by Kaplan-Meier over the last
``window_years`` (spells begun earlier enter late; spells still open are censored) and where
children go next as competing risks (Aalen-Johansen: the next state is drawn from the moves
at the time the stay ends, so it depends on the time spent); arrivals per year over the last
year by entry state, age and council, spread over the months as over the window. Each child
open at the date continues conditional on its time already spent; new children arrive month
by month (Poisson). Seeded: every child has its own random stream, so any thread count gives
the same result. Scenarios: :mod:`carevis.project.scenario`.
"""

from __future__ import annotations

from .model import ProjectionModel, fit, load
from .run import Projection, project, stock_dates
from .scenario import Scenario

__all__ = ["Projection", "ProjectionModel", "Scenario", "fit", "load", "project", "stock_dates"]
