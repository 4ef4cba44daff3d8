"""Scenarios: small, composable changes to a fitted projection model.

One change per item; items are joined with ``;`` (or given as a list) and all apply:

``entries*0.9``
    every arrival (new child, or a child coming back after leaving) times 0.9.
``entries[10-15]*1.2``
    arrivals aged 10-15 at arrival times 1.2 (an age band: ``Under 1``, ``1-4``, ``5-9``,
    ``10-15``, ``16+``, ``Unknown``).
``time:Placed for adoption*0.75``
    every stay in that state lasts 0.75 times as long (children already there are 0.75 of
    the way through a stay 1/0.75 as long: one already past the shortened stay leaves at once).
``shift:Children's home & secure->Foster care (other) 0.2``
    a share (0.2, or ``20%``) of the moves out of the first state that would have gone
    anywhere else (another state, or out) go to the second state instead.

Multipliers of the same thing multiply; shifts apply in the order given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import rules
from ..errors import ConfigError

#: Age bands that ``entries[...]`` may name (in the core's order).
BANDS: tuple[str, ...] = (*rules.AGE_BANDS, rules.UNKNOWN)

_ENTRIES = re.compile(r"^entries(?:\[(?P<band>[^\]]+)\])?\s*\*\s*(?P<f>\S+)$")
_TIME = re.compile(r"^time:(?P<state>.+?)\s*\*\s*(?P<f>[^*\s]+)$")
_SHIFT = re.compile(r"^shift:(?P<a>.+?)\s*->\s*(?P<b>.+?)\s+(?P<p>[^\s]+)$")


def _number(text: str, item: str, *, share: bool = False) -> float:
    t = text.strip()
    pct = share and t.endswith("%")
    try:
        x = float(t[:-1] if pct else t)
    except ValueError:
        raise ConfigError(f"scenario {item!r}: {text!r} is not a number") from None
    x = x / 100 if pct else x
    if share and not 0 <= x <= 1:
        raise ConfigError(f"scenario {item!r}: a share must be in [0, 1] (or 0%-100%)")
    if not share and not (x >= 0 and x < float("inf")):
        raise ConfigError(f"scenario {item!r}: a multiplier must be a number >= 0")
    return x


@dataclass(frozen=True)
class Scenario:
    """Changes to a model: entry multipliers by age band, time multipliers by state, and
    shifts of next-state shares. ``Scenario()`` is the baseline."""

    entries: tuple[float, ...] = (1.0,) * len(BANDS)
    time: tuple[tuple[str, float], ...] = ()
    shift: tuple[tuple[str, str, float], ...] = ()
    text: str = field(default="baseline", compare=False)

    @classmethod
    def parse(cls, text: str) -> Scenario:
        """A scenario from its text (items joined by ``;``; see the module's help)."""
        if not isinstance(text, str):
            raise ConfigError(f"a scenario is a text such as 'entries*0.9', not {text!r}")
        items = [t.strip() for t in text.split(";") if t.strip()]
        if not items:
            raise ConfigError("the scenario is empty")
        return cls.combine([cls._item(t) for t in items])

    @classmethod
    def _item(cls, item: str) -> Scenario:
        m = _ENTRIES.match(item)
        if m:
            f = _number(m["f"], item)
            band = m["band"]
            if band is None:
                return cls(entries=(f,) * len(BANDS), text=item)
            if band.strip() not in BANDS:
                raise ConfigError(f"scenario {item!r}: age band {band!r} is not one of {BANDS}")
            i = BANDS.index(band.strip())
            return cls(entries=tuple(f if k == i else 1.0 for k in range(len(BANDS))), text=item)
        m = _TIME.match(item)
        if m:
            f = _number(m["f"], item)
            if f <= 0:
                raise ConfigError(f"scenario {item!r}: a time multiplier must be > 0")
            return cls(time=((m["state"].strip(), f),), text=item)
        m = _SHIFT.match(item)
        if m:
            p = _number(m["p"], item, share=True)
            return cls(shift=((m["a"].strip(), m["b"].strip(), p),), text=item)
        raise ConfigError(
            f"scenario {item!r} is not one of 'entries*F', 'entries[BAND]*F', "
            "'time:STATE*F' or 'shift:FROM->TO SHARE'"
        )

    @classmethod
    def combine(cls, parts: Sequence[Scenario]) -> Scenario:
        """All of ``parts`` at once."""
        entries = [1.0] * len(BANDS)
        time: list[tuple[str, float]] = []
        shift: list[tuple[str, str, float]] = []
        for p in parts:
            entries = [a * b for a, b in zip(entries, p.entries, strict=True)]
            time.extend(p.time)
            shift.extend(p.shift)
        text = "; ".join(p.text for p in parts if p.text != "baseline") or "baseline"
        return cls(tuple(entries), tuple(time), tuple(shift), text)

    def native(
        self, states: Sequence[str]
    ) -> tuple[list[float], list[float], list[tuple[int, int, float]]]:
        """The core's form: entry multipliers, a time multiplier per state, coded shifts."""
        code = {s: i for i, s in enumerate(states)}
        folded = {s.casefold(): i for i, s in enumerate(states)}

        def state(name: str) -> int:
            if name in code:
                return code[name]
            if name.casefold() in folded:
                return folded[name.casefold()]
            raise ConfigError(
                f"scenario {self.text!r}: no state {name!r} (states: {', '.join(states)})"
            )

        time = [1.0] * len(states)
        for name, f in self.time:
            time[state(name)] *= f
        shift = [(state(a), state(b), p) for a, b, p in self.shift]
        return list(self.entries), time, shift


ScenarioLike = None | str | Scenario | Sequence[str | Scenario]


def scenario_of(spec: ScenarioLike) -> Scenario:
    """None (the baseline), a text, a Scenario, or a list of either, as one Scenario."""
    if spec is None:
        return Scenario()
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, str):
        return Scenario.parse(spec)
    if isinstance(spec, Sequence):
        return Scenario.combine([scenario_of(s) for s in spec])
    raise ConfigError(f"scenario must be a text, a Scenario or a list of them, not {spec!r}")
