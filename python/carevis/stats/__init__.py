"""Journey statistics: occupancy, entries and exits, transitions, time in state
(Kaplan-Meier, open spells censored), periods of care (time to exit, the adoption
scorecard, re-entry, placement stability), re-referrals, the DfE-shaped national tables,
and counts over data held in parts.

Heavy counting runs in the Rust core; this package attaches labels and dates, derives
rates and suppresses small counts for publication. Its modules, by concern:
``base`` (roles, periods, strata, labels), ``flows`` (occupancy, transitions, time in
state), ``care`` (periods of care and their measures), ``dfe`` (the national tables),
``parts`` (partial counts that add up), ``report`` (suppression, files, comparison),
``plots`` and ``command`` (``carevis stats``). Age bands and the statistical calendar
are :mod:`carevis.rules`.

>>> occ = carevis.stats.occupancy(journeys, freq="month", by="la", age=True)
>>> tis = carevis.stats.time_in_state(journeys)
"""

from __future__ import annotations

from ..rules import Freq
from .base import AGE_BANDS, LEFT, NO_BIRTH, Roles, births, group_codes, period_bounds
from .care import (
    A1_THRESHOLD_DAYS,
    A2_THRESHOLD_DAYS,
    A3_WINDOW_DAYS,
    adoption_scorecard,
    care_periods,
    observed_from,
    re_entry,
    re_referrals,
    stability,
    time_to_exit,
)
from .command import main_stats
from .congestion import congestion_table
from .dfe import DFE_AGE_BANDS, cla_at_31_march, cla_flows, dfe_tables, years_covered
from .flows import occupancy, time_in_state, transitions, waits
from .parts import (
    Changes,
    occupancy_changes,
    sum_occupancy,
    sum_transitions,
    transition_counts,
)
from .report import all_tables, calibration, compare, headline_figures, suppress, write_table

__all__ = [
    "A1_THRESHOLD_DAYS",
    "A2_THRESHOLD_DAYS",
    "A3_WINDOW_DAYS",
    "AGE_BANDS",
    "DFE_AGE_BANDS",
    "LEFT",
    "NO_BIRTH",
    "Changes",
    "Freq",
    "Roles",
    "adoption_scorecard",
    "all_tables",
    "births",
    "calibration",
    "care_periods",
    "cla_at_31_march",
    "cla_flows",
    "compare",
    "congestion_table",
    "dfe_tables",
    "group_codes",
    "headline_figures",
    "main_stats",
    "observed_from",
    "occupancy",
    "occupancy_changes",
    "period_bounds",
    "re_entry",
    "re_referrals",
    "stability",
    "sum_occupancy",
    "sum_transitions",
    "suppress",
    "time_in_state",
    "time_to_exit",
    "transition_counts",
    "transitions",
    "waits",
    "write_table",
    "years_covered",
]
