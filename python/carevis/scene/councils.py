"""England's councils with children's services as the data may name them: by ONS code
(``E06000001``), by the DfE's three-digit LA code the SSDA903 and CIN returns carry
(``805``) or by name (``Hartlepool``), each one council with one palette place.

The table is ``data/england_las.csv``: the 153 councils of April 2023 and the codes that
went before them since 2009, each row with its DfE code, status, the code it is the same
council as (``same_as``: recoded, area unchanged), its palette ``slot``, the day it ended
and its source. Slots never move: the 153 councils of April 2023 in ONS code order hold
0 to 152; a recoded council keeps its slot under the new code (North Yorkshire and
Somerset 2023, Buckinghamshire 2020, Barnsley and Sheffield 2025; their DfE codes did not
change); a council abolished in a merger or a split has a slot of its own after them
(Cumbria 909, Bournemouth 837, Poole 836, Dorset County 835, Northamptonshire 928), so
data spanning the change shows the old and the new councils apart. A slot given is never
given again; a council added later takes the next free one."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Council:
    """One row of the table: a code of a council."""

    code: str
    dfe_code: str
    name: str
    current: bool
    same_as: str
    slot: int
    ended: str


@lru_cache(maxsize=1)
def england_councils() -> tuple[Council, ...]:
    """Every row of the table (current councils and former codes), by ONS code."""
    text = resources.files("carevis").joinpath("data/england_las.csv").read_text("utf-8")
    return tuple(
        Council(
            r["code"],
            r["dfe_code"],
            r["name"],
            r["status"] == "current",
            r["same_as"],
            int(r["slot"]),
            r["ended"],
        )
        for r in csv.DictReader(text.splitlines())
    )


@lru_cache(maxsize=1)
def slot_names() -> dict[int, str]:
    """The legend's name of each slot: its current council's name; a former council's
    name, with the year it ended where a current council has the same name ("Dorset
    (to 2019)", the county before the unitary Dorset of 2019)."""
    rows = england_councils()
    names = {c.slot: c.name for c in rows if c.current}
    taken = set(names.values())
    for c in rows:
        if c.slot not in names:
            clash = c.name in taken
            names[c.slot] = f"{c.name} (to {c.ended[:4]})" if clash else c.name
    return names


@lru_cache(maxsize=1)
def council_slots() -> dict[str, int]:
    """Each way the data may name a council, upper case, to its slot: every ONS code,
    every DfE three-digit code, and the legend's names (:func:`slot_names`) and current
    councils' names."""
    rows = england_councils()
    slot = {c.code: c.slot for c in rows}
    slot.update({c.dfe_code: c.slot for c in rows if c.dfe_code})
    slot.update({name.upper(): s for s, name in slot_names().items()})
    slot.update({c.name.upper(): c.slot for c in rows if c.current})
    return slot


def same_council(wanted: list[str], present: list[str]) -> dict[str, list[str]]:
    """For each value ``wanted`` (a filter's), the values ``present`` (a column's) that
    name it or the same council (its ONS code, DfE code or name): a filter on "Camden"
    keeps the children whose council is 202 or E09000007 too."""
    slot = council_slots()
    at = {p: slot.get(p.strip().upper()) for p in present}
    out = {}
    for w in wanted:
        s = slot.get(w.strip().upper())
        out[w] = [p for p in present if p == w or (s is not None and at[p] == s)]
    return out
