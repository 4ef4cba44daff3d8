"""What every statistic shares: the state roles, the periods of a set of journeys, the
strata (a per-child group and the age band at a spell's start) handed to the Rust core,
and the labelling of the core's coded tables (period dates, state, group and band names)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import rules
from .._time import MINUTES_PER_DAY, TimeLike, to_minutes
from ..errors import ConfigError, SchemaError
from ..journeys import Journeys
from ..privacy import check_group
from ..rules import Freq

#: Age bands at a spell's start (then "Unknown" when the birth date is missing).
AGE_BANDS = [*rules.AGE_BANDS, rules.UNKNOWN]
#: The to-state of a spell after which the child has no next spell.
LEFT = "(left)"
NO_BIRTH = rules.NO_BIRTH


@dataclass(frozen=True)
class Roles:
    """What the states mean for the care measures. Defaults come from the state table's
    groups (``Looked after`` states are care placements, ``Exit`` states exits)."""

    care: frozenset[str]
    exits: frozenset[str] = frozenset()
    referral: str | None = "Referral"
    placed_for_adoption: str | None = "Placed for adoption"
    adopted: str | None = "Adopted"

    @classmethod
    def standard(cls) -> Roles:
        return cls(care=rules.states_in_group("Looked after"), exits=rules.states_in_group("Exit"))


def period_bounds(
    journeys: Journeys,
    freq: Freq = "month",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    year_start_month: int = 4,
) -> np.ndarray:
    """Period boundaries (minutes since 1970, int32) covering ``[start, end]`` (the data's
    range by default). Weeks start on Monday; years on the first of ``year_start_month``
    (April: the statistical year to 31 March). See :mod:`carevis.rules`."""
    rules.check_freq(freq)
    rng = journeys.minute_range
    if rng is None:
        raise ConfigError("no spells: no periods")
    lo = to_minutes(start) if start is not None else rng[0]
    hi = to_minutes(end) if end is not None else rng[1]
    return rules.period_bounds(lo, hi, freq, year_start_month)


# --- strata -------------------------------------------------------------------------------------
@dataclass
class By:
    """The strata of a statistic: a per-child group column and/or age bands."""

    name: str | None
    labels: list[str]
    codes: np.ndarray | None
    births: np.ndarray | None

    def kwargs(self) -> dict[str, Any]:
        return {"groups": self.codes, "n_groups": max(len(self.labels), 1), "births": self.births}

    def keys(self) -> list[str]:
        return ([self.name] if self.name else []) + (
            ["age_band"] if self.births is not None else []
        )


def births(journeys: Journeys) -> np.ndarray:
    """Birth time per dot (minutes, int32; unknown = ``_time.UNKNOWN``) from birth_month,
    birth_date or dob."""
    col = rules.birth_column(journeys.to_arrow().column_names)
    if col is None:
        raise SchemaError("age bands need a birth_month, birth_date or dob column")
    return rules.birth_minutes(rules.birth_days(journeys.attribute(col), col))


def group_codes(journeys: Journeys, name: str) -> tuple[list[str], np.ndarray]:
    """Labels (sorted, "Unknown" last) and a uint16 code per dot for a per-child column."""
    check_group(name, None, "group by")
    values = journeys.attribute(name)
    check_group(name, values, "group by")
    values = pc.fill_null(pc.cast(values, pa.string()), "Unknown")
    encoded = pc.dictionary_encode(values)
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    if len(labels) > 65535:
        raise ConfigError(f"{name!r} has {len(labels)} values; at most 65535 groups")
    order = sorted(range(len(labels)), key=lambda i: (labels[i] == "Unknown", labels[i]))
    remap = np.empty(len(labels), np.uint16)
    remap[order] = np.arange(len(labels), dtype=np.uint16)
    codes = remap[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    return [labels[i] for i in order], np.ascontiguousarray(codes, dtype=np.uint16)


def strata(journeys: Journeys, by: str | None, age: bool) -> By:
    labels, codes = group_codes(journeys, by) if by else ([], None)
    return By(by, labels, codes, births(journeys) if age else None)


def label(
    table: pa.Table, journeys: Journeys, by: By, bounds: np.ndarray | None = None
) -> pa.Table:
    """Replaces code columns with labels: period -> period_start/period_end dates, state /
    from / to -> names, group -> the attribute's name, band -> age_band."""
    states = journeys.states
    cols: dict[str, pa.Array] = {}
    for name in table.column_names:
        c = (
            table.column(name).combine_chunks()
            if table.num_rows
            else pa.array([], table.schema.field(name).type)
        )
        if name == "period" and bounds is not None:
            days = (bounds // MINUTES_PER_DAY).astype(np.int32)
            idx = c.to_numpy(zero_copy_only=False).astype(np.int64)
            cols["period_start"] = pa.array(days[idx], pa.int32()).cast(pa.date32())
            cols["period_end"] = pa.array(days[idx + 1] - 1, pa.int32()).cast(pa.date32())
        elif name in ("state", "from", "to"):
            names = pa.array([*states, LEFT], pa.string())
            cols[{"state": "state", "from": "from_state", "to": "to_state"}[name]] = names.take(c)
        elif name == "group":
            if by.name:
                cols[by.name] = pa.array(by.labels, pa.string()).take(c)
        elif name == "band":
            if by.births is not None:
                cols["age_band"] = pa.array(AGE_BANDS, pa.string()).take(c)
        else:
            cols[name] = c
    return pa.table(cols)


def as_of(journeys: Journeys, when: TimeLike | None) -> int:
    """``when`` in minutes; the data's last time by default."""
    if when is not None:
        return int(to_minutes(when))
    rng = journeys.minute_range
    return int(rng[1]) if rng else 0


def days_of(col: pa.ChunkedArray) -> np.ndarray:
    """Dates as days since 1970, float (NaN for null)."""
    a = pc.cast(col, pa.int32()).to_numpy(zero_copy_only=False)
    return np.asarray(a, dtype=np.float64)


def which_period(days: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The period (index into ``bounds``) holding each day; -1 outside them or NaN."""
    bd = bounds // MINUTES_PER_DAY
    k = np.searchsorted(bd, np.nan_to_num(days, nan=-1e18), side="right") - 1
    k[(k < 0) | (k >= len(bd) - 1) | np.isnan(days)] = -1
    out: np.ndarray = np.asarray(k, dtype=np.int64)
    return out


def period_columns(bounds: np.ndarray) -> dict[str, pa.Array]:
    """``period_start`` and ``period_end`` dates of every period."""
    days = (bounds // MINUTES_PER_DAY).astype(np.int32)
    return {
        "period_start": pa.array(days[:-1], pa.int32()).cast(pa.date32()),
        "period_end": pa.array(days[1:] - 1, pa.int32()).cast(pa.date32()),
    }


def epoch_date(days: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days))
