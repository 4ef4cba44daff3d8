"""The journeys packed small for the page: per dot its spells (delta-coded times in whole
days where the data allows, state codes), the chosen attributes' codes and the daily
occupancy, as byte planes in one gzip stream; and the colour modes' uniforms and tables.

Nothing identifying goes in: no child id, no date of birth, no postcode. Dots keep the
engine's dot order (by when each child leaves, then in shuffled blocks of 16), which the
page needs to put each dot where the other renderers put it; that order is made from the
spell times the file holds anyway. Attributes are only those asked for, each checked by
:func:`carevis.privacy.check_group`.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._time import MINUTES_PER_DAY, OPEN
from ...errors import ConfigError
from ...privacy import check_group
from ...scene import CONTINUOUS, PROJECTED_ALPHA, Scene, projected_from
from ...scene.colour import categories, colour_table, resolve

#: The colour modes every page offers (the engine's continuous values).
MODES = ("time_in_care", "time_in_state", "entries")
#: The shader's colour mode numbers.
MODE_NUMBER = {"time_in_care": 0, "time_in_state": 1, "entries": 2}
#: The shader takes at most this many states, and a dot's resting state keeps 7 bits.
MAX_STATES = 64


@dataclass
class Packed:
    """What the page is given: ``meta`` (JSON) and ``blob`` (gzip of the byte planes)."""

    meta: dict[str, Any]
    blob: bytes
    raw_bytes: int = 0
    sections: dict[str, int] = field(default_factory=dict)


class _Planes:
    """Arrays written as byte planes (byte k of every value, then byte k+1, ...), the
    layout gzip finds most regular; each section starts on a 4-byte boundary."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.sections: dict[str, dict[str, int]] = {}

    def add(self, name: str, values: np.ndarray) -> None:
        v = np.ascontiguousarray(values, dtype=np.uint32)
        top = int(v.max()) if len(v) else 0
        width = 1 if top < 1 << 8 else 2 if top < 1 << 16 else 3 if top < 1 << 24 else 4
        planes = v.view(np.uint8).reshape(-1, 4)[:, :width].T.tobytes()
        pad = -len(planes) % 4
        self.sections[name] = {"at": self.size, "n": len(v), "width": width}
        self.parts.append(planes + b"\0" * pad)
        self.size += len(planes) + pad

    def blob(self, level: int) -> bytes:
        return gzip.compress(b"".join(self.parts), compresslevel=level, mtime=0)


def zigzag(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _fits(name: str, v: np.ndarray) -> np.ndarray:
    if len(v) and int(v.max()) >= 1 << 32:
        raise ConfigError(f"{name}: a value does not fit 32 bits; the page cannot hold it")
    return v.astype(np.uint32)


def spell_planes(scene: Scene, planes: _Planes) -> dict[str, Any]:
    """The spells of every dot, in dot order: counts per dot, the first start per dot,
    then per spell its state, its gap after the previous spell and its length."""
    sp = scene.journeys.spells()
    offsets = sp["offsets"].astype(np.int64)
    start = sp["start"].astype(np.int64)
    end = sp["end"].astype(np.int64)
    state = sp["state"]
    n = len(offsets) - 1
    if n == 0:
        raise ConfigError("the scene has no dots to put in the page")
    open_ = end == OPEN
    whole_days = not np.any(start % MINUTES_PER_DAY) and not np.any(end[~open_] % MINUTES_PER_DAY)
    unit = MINUTES_PER_DAY if whole_days else 1
    first = offsets[:-1]
    base = int(start[first].min())
    counts = np.diff(offsets)
    # length (+1; 0 = still open), gap after the previous spell's end (or, after an open
    # spell, its start); a dot's first spell keeps its start instead
    length = np.where(open_, 0, (end - start) // unit + 1)
    prev = np.empty_like(start)
    prev[1:] = np.where(open_[:-1], start[:-1], end[:-1])
    gap = (start - prev) // unit
    is_first = np.zeros(len(start), bool)
    is_first[first] = True
    planes.add("count", _fits("spells per child", counts))
    planes.add("first", _fits("first start", (start[first] - base) // unit))
    planes.add("state", state)
    planes.add("length", _fits("spell length", length))
    planes.add("gap", _fits("gap between spells", zigzag(gap[~is_first])))
    return {"n": n, "m": len(start), "unit": unit, "base": base}


def occupancy_planes(scene: Scene, planes: _Planes) -> dict[str, Any]:
    """The daily count per state (cluster sizes, label counts): each state's row as
    zigzag differences from the day before."""
    t0, step, grid = scene._native.occupancy()
    g = np.asarray(grid, np.int64)
    d = np.diff(g, axis=1, prepend=0)
    planes.add("occupancy", _fits("occupancy", zigzag(d.ravel())))
    return {"t0": int(t0), "step": int(step), "steps": int(g.shape[1])}


def _uniforms(mode: int, lo: float, hi: float, lut: np.ndarray) -> dict[str, Any]:
    """lo, scale and top as the engine resolves them (float32: `Scene::paint`)."""
    top = np.float32(len(lut) - 1)
    lo32, hi32 = np.float32(lo), np.float32(hi)
    scale = top / (hi32 - lo32) if hi32 > lo32 else np.float32(0.0)
    return {
        "mode": mode,
        "lo": float(lo32),
        "scale": float(np.float32(scale)),
        "top": float(top),
        "lut": np.asarray(lut, np.uint8)[:, :4].ravel().tolist(),
    }


def colour_modes(scene: Scene, attributes: Sequence[str]) -> list[dict[str, Any]]:
    """Every colour mode the page offers: the scene's own first (with its colour map and
    range), the continuous ones, then one per embedded attribute."""
    s = scene.settings
    names = [s.colour, *[m for m in MODES if m != s.colour]]
    names += [a for a in attributes if a not in names]
    out = []
    for name in names:
        own = name == s.colour
        c = resolve(
            scene.journeys,
            name,
            s.colourmap if own else None,
            s.colour_range if own else None,
        )
        mode = MODE_NUMBER.get(c.mode, 3)
        entry = _uniforms(mode, c.lo, c.hi, c.lut)
        entry.update(
            name=name,
            attribute=None if name in CONTINUOUS else name,
            legend=c.legend.as_dict(),
        )
        out.append(entry)
    return out


def attribute_planes(
    scene: Scene, attributes: Sequence[str], planes: _Planes
) -> list[dict[str, Any]]:
    """Each chosen attribute's code per dot and its labels (refused if identifying)."""
    out = []
    for name in attributes:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"an attribute must be a column name, not {name!r}")
        check_group(name, None, "put in the page")
        labels, codes = categories(scene.journeys, name)
        planes.add(f"attr:{name}", codes)
        out.append({"name": name, "labels": labels})
    return out


def pack(
    scene: Scene,
    attributes: Sequence[str] = (),
    *,
    level: int = 1,
) -> Packed:
    """The scene's data for the page. ``attributes``: per-child columns to colour and
    filter by (the scene's own categorical colour is always among them)."""
    if len(scene.states) > MAX_STATES:
        raise ConfigError(f"{len(scene.states)} states; the page draws at most {MAX_STATES}")
    if scene.emphasis is not None and not scene.emphasis.plain:
        raise ConfigError(
            "the scene has a filter or highlight; export the unfiltered scene "
            "(the page filters by the attributes it is given)"
        )
    s = scene.settings
    attrs = list(dict.fromkeys(attributes))
    if s.colour not in CONTINUOUS and s.colour not in attrs:
        attrs.insert(0, s.colour)
    planes = _Planes()
    spells = spell_planes(scene, planes)
    occupancy = occupancy_planes(scene, planes)
    embedded = attribute_planes(scene, attrs, planes)
    colour_table("viridis")  # the maps exist (an early, clear error if the build lacks them)
    meta: dict[str, Any] = {
        "spells": spells,
        "occupancy": occupancy,
        "attributes": embedded,
        "colours": colour_modes(scene, attrs),
        "sections": planes.sections,
        "states": list(scene.states),
        "centres": np.asarray(scene.centres, np.float32).ravel().tolist(),
        "transit": float(s.transit_days) * MINUTES_PER_DAY,
        "fade": float(s.fade_days) * MINUTES_PER_DAY,
        "base_radius": float(np.float32(s.base_radius)),
        "spacing": float(np.float32(scene._native.spacing)),
        "alpha8": round(s.alpha * 255),
        # A projection (carevis.project): from this minute its dots are drawn lighter.
        "projected_from": projected_from(scene.journeys),
        "projected_alpha": PROJECTED_ALPHA,
        "seed": str(int(s.seed)),
    }
    blob = planes.blob(level)
    sizes = {k: v["n"] * v["width"] for k, v in planes.sections.items()}
    return Packed(meta, blob, planes.size, sizes)
