"""cs-demand-model's input: carevis journeys as episodes by placement category and age
bracket (their ``enriched_view``; see the package docstring for what comes from where)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from carevis import rules
from carevis._time import MINUTES_PER_DAY, OPEN
from carevis.journeys import Journeys
from carevis.stats.base import Roles

NOT_IN_CARE = "Not in care"
#: YearInDays of their standard configuration.
YEAR_IN_DAYS = 365.24
#: The end day of an episode still open.
OPEN_DAY = np.iinfo(np.int64).max // 2


@dataclass(frozen=True)
class AgeBracket:
    """One of their AgeBrackets: ages ``start <= age < end`` (years)."""

    name: str
    label: str
    start: float
    end: float
    length_in_days: float

    @property
    def daily_probability(self) -> float:
        return 1.0 / self.length_in_days


#: Their standard-v1 AgeBrackets (``max`` defaults to 30, ``length_in_days`` to
#: (max - min) * 365; the first bracket's min defaults to -1 with length 365).
AGE_BRACKETS = (
    AgeBracket("BIRTH_TO_ONE", "Birth to 1", -1, 1, 365),
    AgeBracket("ONE_TO_FIVE", "1 to 5", 1, 5, 4 * 365),
    AgeBracket("FIVE_TO_TEN", "5 to 10", 5, 10, 5 * 365),
    AgeBracket("TEN_TO_SIXTEEN", "10 to 16", 10, 16, 6 * 365),
    AgeBracket("SIXTEEN_TO_EIGHTEEN", "16 to 18+", 16, 30, 14 * 365),
)


@dataclass(frozen=True)
class Episodes:
    """The model's input, one row per episode (a looked-after spell): days since 1970
    DECOM and DEC (:data:`OPEN_DAY` when open), ``placement_type`` and the contiguous
    neighbours' ``placement_type_before`` / ``placement_type_after`` (codes into
    ``categories``; ``len(categories)`` is NOT_IN_CARE), ``age_bin`` at DECOM and
    ``end_age_bin`` at DEC (indices into ``brackets``; version 0.5.1 keeps ``age_bin``
    for both). ``child`` (the dot index) and ``DOB`` (days) stay internal: never printed."""

    child: np.ndarray
    DECOM: np.ndarray
    DEC: np.ndarray
    placement_type: np.ndarray
    placement_type_before: np.ndarray
    placement_type_after: np.ndarray
    age_bin: np.ndarray
    end_age_bin: np.ndarray
    DOB: np.ndarray
    categories: tuple[str, ...]
    brackets: tuple[AgeBracket, ...]
    dropped: int

    @property
    def not_in_care(self) -> int:
        return len(self.categories)


def _neighbours(
    child: np.ndarray, decom: np.ndarray, dec: np.ndarray, code: np.ndarray, nic: int
) -> tuple[np.ndarray, np.ndarray]:
    """(before, after): the category of the contiguous previous / next episode of the
    same child, else ``nic``."""
    before = np.full(len(code), nic, dtype=np.int64)
    after = np.full(len(code), nic, dtype=np.int64)
    if len(code) > 1:
        joined = (child[1:] == child[:-1]) & (dec[:-1] == decom[1:])
        before[1:][joined] = code[:-1][joined]
        after[:-1][joined] = code[1:][joined]
    return before, after


def _age_bins(age: np.ndarray, brackets: Sequence[AgeBracket]) -> np.ndarray:
    """The bracket of each age (-1 for none: unknown, or outside every bracket)."""
    starts = np.array([b.start for b in brackets])
    ends = np.array([b.end for b in brackets])
    known = ~np.isnan(age)
    idx = np.searchsorted(starts, np.where(known, age, -np.inf), side="right") - 1
    ok = known & (idx >= 0) & (age < ends[np.clip(idx, 0, len(ends) - 1)])
    return np.where(ok, idx, -1)


def episodes_from_journeys(
    journeys: Journeys,
    categories: Sequence[str] | None = None,
    brackets: Sequence[AgeBracket] = AGE_BRACKETS,
    year_in_days: float = YEAR_IN_DAYS,
) -> Episodes:
    """THE mapping of carevis journeys to the model's input: each spell in a
    ``categories`` state (the looked-after states, in the journeys' order, by default)
    is an episode of that placement category, from its start day (DECOM) to its end day
    (DEC); the age is taken at DECOM from the child's birth column."""
    if categories is None:
        care = Roles.standard().care
        categories = [s for s in journeys.states if s in care]
    sp = journeys.spells()
    child = np.repeat(np.arange(len(sp["offsets"]) - 1), np.diff(sp["offsets"]))
    of_state = np.full(len(journeys.states), -1, dtype=np.int64)
    for k, name in enumerate(categories):
        if name in journeys.states:
            of_state[journeys.states.index(name)] = k
    code = of_state[sp["state"].astype(np.int64)]
    decom = sp["start"].astype(np.int64) // MINUTES_PER_DAY
    end = sp["end"].astype(np.int64)
    dec = np.where(end == OPEN, OPEN_DAY, end // MINUTES_PER_DAY)
    keep = (code >= 0) & (dec > decom)
    child, decom, dec, code = child[keep], decom[keep], dec[keep], code[keep]
    nic = len(categories)
    before, after = _neighbours(child, decom, dec, code, nic)
    col = rules.birth_column(journeys.to_arrow().column_names)
    births = (
        rules.birth_days(journeys.attribute(col), col)[child]
        if col is not None
        else np.full(len(child), np.nan)
    )
    age_bin = _age_bins((decom - births) / year_in_days, brackets)
    ok = age_bin >= 0
    return Episodes(
        child[ok],
        decom[ok],
        dec[ok],
        code[ok],
        before[ok],
        after[ok],
        age_bin[ok],
        age_bin[ok],
        births[ok],
        tuple(categories),
        tuple(brackets),
        int((~ok).sum()),
    )
