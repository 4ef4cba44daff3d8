"""The peer of carevis's projection (issue 20): Social Finance's Children's Social Care
Demand Model (cs-demand-model), its method re-implemented in numpy.

What it is: a Markov stock-and-flow model. The state is (age bracket, placement
category); the stock is the number of episodes open at the end of each day; daily
transition rates between categories (and to "not in care") are the mean, over the days
of a reference period, of the episodes ending that day over the stock of the day before;
entrants are the episodes that start a period of care in the reference period, per day;
ageing moves 1/length_in_days of each bracket to the next every day (out of care from
the last). The forecast steps the stock forward day by day from the prediction start.

Two versions: version 0.5.1 (2023, the published Python package; :func:`fit`,
:func:`project_figures`, below) and the method Social Finance runs today in its regional
tool (:mod:`.regional`, which says what changed). The backtest reports both.

Version 0.5.1 is taken from data-to-insight/cs-demand-model at commit
3169b610e876596fdab6899dd40e9feabbcc08e4 (version 0.5.1, MIT, (c) Social Finance Ltd):

- ``cs_demand_model/datacontainer.py`` (``enriched_view``): age at the episode start
  = (DECOM - DOB) days / YearInDays; ``age_bin`` from that age; ``placement_type_before``
  and ``placement_type_after`` = the neighbouring episode's category when it is
  contiguous (DEC == next DECOM), else NOT_IN_CARE; duplicate episodes on one day dropped.
- ``cs_demand_model/population_stats.py``: ``stock`` (DECOM <= d < DEC, per bin),
  ``transitions`` (episodes by DEC, from (age_bin, placement_type) to (age_bin,
  placement_type_after)), ``raw_transition_rates`` (transitions / stock.shift(1), the first
  day's missing stock back-filled, mean over the days), ``daily_entrants`` (episodes with
  placement_type_before NOT_IN_CARE starting in the period / its length in days).
- ``cs_demand_model/prediction.py``: ``ageing_out`` (rate 1/length_in_days to the next
  bracket, out of care from the last), ``transition_population`` /
  ``calculate_transfers_out`` / ``calculate_transfers_in`` (rates over ``days`` as
  1 - (1 - r)^days, transfers out capped at the stock and shared among destinations in
  proportion to their rates, entrants added as numbers * days), ``ModelPredictor``.
- ``cs_demand_model/config/_age_brackets.py`` and ``fixtures/config/standard-v1.yaml``:
  the brackets, their ``length_in_days`` and YearInDays = 365.24.
- ``cs_demand_model/__main__.py`` (``CliSetup``): the reference period defaults to the
  six months to the end of the data; ``predict`` steps one day at a time.

Where this differs, and why: the placement categories are carevis's looked-after states
(their configuration groups SSDA903 PLACE codes into FOSTERING / RESIDENTIAL / SUPPORTED /
OTHER; the categories are configuration, and the backtest compares carevis's groups);
an ending seen on a day whose stock was 0 (a zero-length episode) adds rate 0 (theirs
divides by zero into an infinite rate); zero-length episodes are dropped (their
de-duplication drops them when another episode starts that day); episodes with no
age bracket (birth unknown, aged 30+) are dropped and counted (theirs fails on them).
"""

from __future__ import annotations

from . import regional
from .episodes import (
    AGE_BRACKETS,
    NOT_IN_CARE,
    YEAR_IN_DAYS,
    AgeBracket,
    Episodes,
    episodes_from_journeys,
)
from .model import Model, Prediction, fit, project_figures

__all__ = [
    "AGE_BRACKETS",
    "NOT_IN_CARE",
    "YEAR_IN_DAYS",
    "AgeBracket",
    "Episodes",
    "Model",
    "Prediction",
    "episodes_from_journeys",
    "fit",
    "project_figures",
    "regional",
]
