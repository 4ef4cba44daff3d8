"""What colours the dots: the engine's continuous modes, categories from a per-child column,
the colour tables, and the legend that says what colour means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _native, rules
from .._time import MINUTES_PER_DAY
from ..errors import ConfigError
from ..journeys import Journeys
from ..privacy import check_group
from . import palettes

DAYS_PER_YEAR = 365.25

#: Colour modes computed by the engine: (engine mode, default range, default map, title).
CONTINUOUS: dict[str, tuple[str, tuple[float, float], str, str]] = {
    "time_in_care": (
        "time_in_care",
        (0.0, 5 * DAYS_PER_YEAR),
        "viridis",
        "Time since first involvement",
    ),
    "time_in_state": (
        "time_in_state",
        (0.0, 2 * DAYS_PER_YEAR),
        "viridis",
        "Time in current state",
    ),
    "entries": ("entries", (1.0, 5.0), "reds", "Times through the system"),
}

AGE_BANDS = rules.AGE_BANDS


@dataclass
class Legend:
    """What colour means, ready to draw: a title, and either a continuous ramp with ticks
    or a list of categories."""

    title: str
    kind: str  # "continuous" | "categorical"
    colours: np.ndarray  # (n, 4) uint8: the ramp (256) or one per category
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (position 0..1, label)
    categories: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "colours": self.colours.tolist(),
            "ticks": self.ticks,
            "categories": self.categories,
        }


@dataclass(frozen=True)
class Colouring:
    """A colour setting resolved for the engine: its mode and range, the table, the
    per-dot category codes (categorical modes) and the legend."""

    mode: str
    lo: float
    hi: float
    lut: np.ndarray
    categories: np.ndarray | None
    legend: Legend


def years_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Legend ticks in whole years across a range of days."""
    span_years = (hi - lo) / DAYS_PER_YEAR
    step = 1.0 if span_years <= 6 else 2.0
    ticks = []
    y = np.ceil(lo / DAYS_PER_YEAR / step) * step
    while y * DAYS_PER_YEAR <= hi + 1e-9:
        pos = (y * DAYS_PER_YEAR - lo) / (hi - lo) if hi > lo else 0.0
        label = f"{y:g} yr" if y != 1 else "1 yr"
        ticks.append((float(pos), label))
        y += step
    if ticks:
        last_pos, last = ticks[-1]
        if last_pos >= 0.999:
            ticks[-1] = (last_pos, last + "+")
    return ticks


def colour_table(colourmap: str | np.ndarray) -> np.ndarray:
    """A named map's 256-entry table, or a given (n, 4) uint8 table checked."""
    if isinstance(colourmap, str):
        return np.asarray(_native.colour_map(colourmap))
    lut = np.asarray(colourmap)
    if lut.ndim != 2 or lut.shape[1] != 4 or lut.shape[0] == 0 or lut.dtype != np.uint8:
        raise ConfigError("a colour table must be an (n, 4) uint8 array")
    return lut


def resolve(
    journeys: Journeys,
    colour: str,
    colourmap: str | np.ndarray | None,
    colour_range: tuple[float, float] | None,
) -> Colouring:
    """The engine's view of a colour setting."""
    if colour in CONTINUOUS:
        mode, default_range, default_map, title = CONTINUOUS[colour]
        lo, hi = colour_range if colour_range is not None else default_range
        lut = colour_table(colourmap if colourmap is not None else default_map)
        ticks = [(0.0, f"{lo:g}"), (1.0, f"{hi:g}+")] if mode == "entries" else years_ticks(lo, hi)
        return Colouring(mode, lo, hi, lut, None, Legend(title, "continuous", lut, ticks=ticks))
    labels, codes = categories(journeys, colour)
    lut = (
        colour_table(colourmap)
        if isinstance(colourmap, np.ndarray)
        else palettes.assign(colour, labels).colours
    )
    lut = lut if len(lut) else np.array([[*palettes.UNKNOWN_COLOUR, 255]], np.uint8)
    legend = Legend(title_of(colour), "categorical", lut[: len(labels)], categories=labels)
    return Colouring("category", 0.0, 0.0, lut, codes, legend)


def title_of(colour: str) -> str:
    """The legend's title of a categorical colouring."""
    titles = {"age_band": "Age at entry", "la": "Council"}
    return titles.get(colour, colour.replace("_", " ").capitalize())


def categories(journeys: Journeys, name: str) -> tuple[list[str], np.ndarray]:
    """Category labels (in the legend's order: :mod:`.palettes`) and a uint16 code per dot
    (the label's index) for a categorical colouring."""
    check_group(name, None, "colour by")  # by name first: nothing read
    if name == "age_band":
        values = age_bands(journeys)
    else:
        try:
            values = journeys.attribute(name)
        except Exception as e:
            raise ConfigError(
                f"unknown colour {name!r}: use time_in_care, time_in_state, entries, "
                f"age_band or a per-child column ({e})"
            ) from None
        check_group(name, values, "colour by")
    values = pc.cast(values, pa.string()) if not pa.types.is_dictionary(values.type) else values
    values = pc.fill_null(pc.cast(values, pa.string()), "Unknown")
    encoded = pc.dictionary_encode(values)
    found = [str(v) for v in encoded.dictionary.to_pylist()]
    if len(found) > 65535:
        raise ConfigError(f"{name!r} has {len(found)} categories; at most 65535")
    assigned = palettes.assign(name, found)
    labels = assigned.labels
    remap = np.array([assigned.place(v) for v in found], np.uint16)
    codes = remap[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    return labels, np.ascontiguousarray(codes, dtype=np.uint16)


def age_bands(journeys: Journeys) -> pa.Array:
    """Each child's age band at their first spell (whole calendar years, as the DfE counts:
    :mod:`carevis.rules`), from a birth_month / birth_date / dob column."""
    col = rules.birth_column(journeys.to_arrow().column_names)
    if col is None:
        raise ConfigError("age_band needs a birth_month, birth_date or dob column")
    birth = rules.birth_days(journeys.attribute(col), col)
    sp = journeys.spells()
    first = sp["start"][sp["offsets"][:-1]] // MINUTES_PER_DAY
    return pa.array(rules.band_labels(rules.age_band(birth, first)))
