"""Which colour a category gets, and in which order the legend lists it.

A category's colour depends on its code only, never on which other categories the data
holds or where they sort, for the columns whose codes are known:

- ``ethnicity``: the DfE's codes (``data/ssda903_codes.csv``, field ETHNIC) in the DfE's
  order, with fixed colours whose hue follows the DfE's five broad groups (White: blues,
  Mixed: purples, Asian: greens, Black: oranges, Other ethnic groups: reds), shades within
  a group; greys for refused, not yet obtained and unknown. A code's description ("White
  British") and a broad group's name ("White", as the synthetic England and the published
  tables give it) take the colour of their code (a broad group: its first code's).
- ``la``: England's councils with children's services (:mod:`.councils`,
  ``data/england_las.csv``) each hold a fixed place in the categorical palette (the 153
  of April 2023 in ONS code order first; a recoded council keeps its place, an abolished
  one has its own after them). A council's ONS code, its DfE three-digit code (as the
  SSDA903 and CIN returns carry it) and its name take that colour, and are one legend
  entry showing the council's name. Other values (invented codes) take, in sorted order,
  the palette's colours that no council present has (so they depend on what is present).
- ``age_band``: the bands in age order, sampled from viridis (an ordered quantity).
- ``sex``: fixed colours for the returns' codes (M / 1 / Male, F / 2 / Female), sorted.
- any other column: its values in sorted order take the palette's colours in turn (so a
  value's colour there can change with the values present), "Unknown" last in grey.

The categorical palette is colorcet's ``glasbey_bw_minc_20_maxl_70`` (256 colours made
distinct by Glasbey's method; chroma at least 20, so none is a grey that would read as
"Unknown"; the variant that leaves out pale colours), in its order, keeping those of CIE
lightness 30 to 75 (208): none fades into the light poster background or a dark one
(CIEDE2000 at least 20 from both: tests/scene/test_palettes.py). Past 208 categories
colours repeat.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .. import _native, rules
from .councils import council_slots, slot_names

#: colorcet's name of the categorical palette.
GLASBEY = "glasbey_bw_minc_20_maxl_70"
#: CIE L* range of the palette's colours kept: off both a light and a dark background.
LIGHTNESS = (30.0, 75.0)
#: The category of a missing value, listed last.
UNKNOWN = rules.UNKNOWN
#: Grey of a missing value (no palette colour is grey).
UNKNOWN_COLOUR = (134, 134, 134)

Rgb = tuple[int, int, int]

#: Fixed colours of the DfE's ethnicity codes (hue by broad group, shade within it).
ETHNICITY_COLOURS: dict[str, Rgb] = {
    "WBRI": (31, 119, 180),
    "WIRI": (110, 170, 230),
    "WIRT": (40, 75, 165),
    "WOTH": (20, 170, 200),
    "WROM": (120, 110, 200),
    "MWBC": (160, 80, 190),
    "MWBA": (200, 110, 200),
    "MWAS": (125, 45, 115),
    "MOTH": (225, 80, 150),
    "AIND": (44, 150, 44),
    "APKN": (140, 190, 60),
    "ABAN": (25, 115, 70),
    "AOTH": (80, 200, 140),
    "BCRB": (245, 125, 25),
    "BAFR": (195, 120, 0),
    "BOTH": (235, 185, 60),
    "CHNE": (200, 30, 40),
    "OOTH": (240, 130, 120),
    "REFU": (168, 168, 168),
    "NOBT": (100, 100, 100),
}
#: The DfE's broad ethnic groups, in its order, each with the code whose colour it takes.
ETHNIC_GROUPS: dict[str, str] = {
    "White": "WBRI",
    "Mixed": "MWBC",
    "Asian": "AIND",
    "Black": "BCRB",
    "Chinese": "CHNE",
    "Other": "OOTH",
}
#: Fixed colours of sex as the returns code it (Okabe and Ito's colour-blind-safe blue
#: and vermilion); "U" (unknown / not recorded) is grey as any unknown.
SEX_COLOURS: dict[str, Rgb] = {
    "M": (0, 114, 178),
    "1": (0, 114, 178),
    "MALE": (0, 114, 178),
    "F": (213, 94, 0),
    "2": (213, 94, 0),
    "FEMALE": (213, 94, 0),
    "U": UNKNOWN_COLOUR,
}
#: Column names coloured as ethnicity and as councils.
ETHNICITY_COLUMNS = frozenset({"ethnicity", "ethnic"})
COUNCIL_COLUMNS = frozenset({"la", "council"})


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* (0 black .. 100 white) of sRGB colours (..., 3) in 0..255."""
    c = np.asarray(rgb, np.float64)[..., :3] / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = lin @ np.array([0.2126729, 0.7151522, 0.0721750])
    f = np.where(y > (6 / 29) ** 3, np.cbrt(y), y / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.asarray(116 * f - 16)


@lru_cache(maxsize=1)
def glasbey() -> np.ndarray:
    """The categorical palette as a read-only (n, 4) uint8 table: colorcet's table in its
    order, keeping the colours of CIE lightness :data:`LIGHTNESS` (208 of its 256)."""
    import colorcet  # a light, pure-Python table package

    hexes = colorcet.palette[GLASBEY]
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hexes], np.uint8)
    lo, hi = LIGHTNESS
    light = lightness(rgb)
    kept = rgb[(light >= lo) & (light <= hi)]
    out = np.concatenate([kept, np.full((len(kept), 1), 255, np.uint8)], axis=1)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=1)
def ethnicity_codes() -> tuple[tuple[str, str], ...]:
    """The DfE's ethnicity codes and descriptions, in the DfE's order."""
    text = resources.files("carevis").joinpath("data/ssda903_codes.csv").read_text("utf-8")
    return tuple(
        (r["code"], r["description"])
        for r in csv.DictReader(text.splitlines())
        if r["field"] == "ETHNIC"
    )


@dataclass(frozen=True)
class Assigned:
    """Categories in legend order with one RGBA colour each, and each value's category
    (``index``: for most columns every value is its own, of the same label; a council's
    codes and name are one)."""

    labels: list[str]
    colours: np.ndarray  # (n, 4) uint8
    index: dict[str, int]

    def place(self, value: str) -> int:
        """The legend entry of ``value``."""
        return self.index[value]

    def colour(self, value: str) -> tuple[int, ...]:
        """The RGBA colour of ``value``."""
        return tuple(int(v) for v in self.colours[self.place(value)])


def _rgba(rgb: Sequence[int]) -> list[int]:
    return [int(rgb[0]), int(rgb[1]), int(rgb[2]), 255]


def _finish(keyed: list[tuple[tuple[object, ...], str, Sequence[int]]]) -> Assigned:
    keyed.sort(key=lambda k: k[0])
    colours = np.array([_rgba(c) for _, _, c in keyed], np.uint8).reshape(-1, 4)
    labels = [label for _, label, _ in keyed]
    return Assigned(labels, colours, {label: i for i, label in enumerate(labels)})


def _rest(values: list[str]) -> dict[str, Sequence[int]]:
    """Colours of values with no fixed colour: the palette's in turn, in sorted order."""
    table = glasbey()
    return {v: table[i % len(table)] for i, v in enumerate(sorted(values))}


def ethnicity(labels: Sequence[str]) -> Assigned:
    """The DfE's order and fixed colours (see the module's notes)."""
    codes = ethnicity_codes()
    rank = {c: i for i, (c, _) in enumerate(codes)}
    alias = {c.upper(): c for c, _ in codes}
    alias.update({d.upper(): c for c, d in codes})
    groups = {g.upper(): (g, code) for g, code in ETHNIC_GROUPS.items()}
    keyed: list[tuple[tuple[object, ...], str, Sequence[int]]] = []
    others = []
    for label in labels:
        key = label.strip().upper()
        if label == UNKNOWN:
            keyed.append(((3, 0, ""), label, UNKNOWN_COLOUR))
        elif key in alias:
            code = alias[key]
            keyed.append(((0, rank[code], label), label, ETHNICITY_COLOURS[code]))
        elif key in groups:
            code = groups[key][1]  # a broad group sits just before its first code
            keyed.append(((0, rank[code] - 0.5, label), label, ETHNICITY_COLOURS[code]))
        else:
            others.append(label)
    rest = _rest(others)
    keyed += [((1, 0, v), v, rest[v]) for v in others]
    return _finish(keyed)


def councils(labels: Sequence[str]) -> Assigned:
    """Councils by code (see the module's notes): the values naming one known council
    (its ONS code, DfE code or name) are one entry, shown by the council's name, in its
    fixed colour; other values take, in sorted order, the colours no council present has."""
    slot, names = council_slots(), slot_names()
    table = glasbey()
    keyed: list[tuple[tuple[object, ...], str, Sequence[int]]] = []
    of: dict[str, str] = {}  # each value's entry
    others, taken, seen = [], set(), set()
    for label in labels:
        key = label.strip().upper()
        if label == UNKNOWN:
            keyed.append(((1, ""), label, UNKNOWN_COLOUR))
            of[label] = label
        elif key in slot:
            name = names[slot[key]]
            if name not in seen:
                seen.add(name)
                taken.add(slot[key] % len(table))
                keyed.append(((0, name), name, table[slot[key] % len(table)]))
            of[label] = name
        else:
            others.append(label)
    free = [i for i in range(len(table)) if i not in taken] or list(range(len(table)))
    for i, v in enumerate(sorted(others)):
        keyed.append(((0, v), v, table[free[i % len(free)]]))
        of[v] = v
    out = _finish(keyed)
    entry = {label: i for i, label in enumerate(out.labels)}
    return Assigned(out.labels, out.colours, {v: entry[e] for v, e in of.items()})


def age_bands(labels: Sequence[str]) -> Assigned:
    """Age bands in age order, coloured along viridis (an ordered quantity)."""
    bands = list(rules.AGE_BANDS)
    ramp = np.asarray(_native.colour_map("viridis"))
    step = 204 // max(len(bands) - 1, 1)  # up to viridis's green: its yellow end is pale
    keyed: list[tuple[tuple[object, ...], str, Sequence[int]]] = []
    for label in labels:
        i = bands.index(label) if label in bands else len(bands)
        colour = ramp[i * step] if i < len(bands) else UNKNOWN_COLOUR
        keyed.append(((i, label), label, colour))
    return _finish(keyed)


def other(labels: Sequence[str], fixed: dict[str, Rgb] | None = None) -> Assigned:
    """Sorted values take the palette's colours in turn (those in ``fixed``, by upper
    case, their own); "Unknown" last, grey."""
    fixed = fixed or {}
    values = [v for v in labels if v != UNKNOWN]
    rest = _rest([v for v in values if v.strip().upper() not in fixed])
    rest.update({v: fixed[v.strip().upper()] for v in values if v.strip().upper() in fixed})
    keyed: list[tuple[tuple[object, ...], str, Sequence[int]]] = [
        ((0, v), v, rest[v]) for v in values
    ]
    keyed += [((1, label), label, UNKNOWN_COLOUR) for label in labels if label == UNKNOWN]
    return _finish(keyed)


def assign(column: str, labels: Sequence[str]) -> Assigned:
    """The legend order and colours of a column's distinct values (missing ones as
    :data:`UNKNOWN`)."""
    name = column.lower()
    if name == "age_band":
        return age_bands(labels)
    if name in ETHNICITY_COLUMNS:
        return ethnicity(labels)
    if name in COUNCIL_COLUMNS:
        return councils(labels)
    return other(labels, SEX_COLOURS if name == "sex" else None)
