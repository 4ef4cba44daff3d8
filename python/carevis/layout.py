"""Where each state's cluster sits.

World coordinates: x runs right over ``[0, ASPECT]``, y runs down over ``[0, 1]``, so a
16:9 picture shows the whole layout. Three layouts:

- ``"pathway"``: the care pathway of the standard states (``data/states.csv``): front
  door on the left, being looked after in the middle, exits on the right;
- ``"circle"``: any set of labels around a circle (FlowingData's idiom);
- a mapping ``{label: (x, y)}`` of user-given centres (every state must be given).

``"auto"`` picks the pathway when every state is a standard one, the circle otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ._check import show, unknown
from .errors import ConfigError
from .rules import StandardState as StandardState
from .rules import standard_labels as standard_labels
from .rules import standard_states as standard_states

ASPECT = 16 / 9
#: Largest distance of a cluster centre from the origin along either axis (world units:
#: the picture is ASPECT x 1), so that positions stay far from float32's limits.
MAX_COORD = 1000.0

LayoutSpec = str | Mapping[str, Sequence[float]]


def pathway(labels: Sequence[str]) -> np.ndarray:
    """Centres of the care-pathway layout for standard labels."""
    table = {s.label: s for s in standard_states()}
    missing = [lab for lab in labels if lab not in table]
    if missing:
        raise ConfigError(
            f"the pathway layout has no place for state(s) {missing}; "
            "use layout='circle' or give centres for them"
        )
    columns = max(s.column for s in table.values()) + 1
    rows_in = {c: [s.row for s in table.values() if s.column == c] for c in range(columns)}
    left, right, top, bottom = 0.13, ASPECT - 0.17, 0.17, 0.88
    out = np.zeros((len(labels), 2), dtype=np.float32)
    for i, lab in enumerate(labels):
        s = table[lab]
        x = left + (right - left) * s.column / max(columns - 1, 1)
        n = max(rows_in[s.column]) + 1
        y = top + (bottom - top) * (s.row + 0.5) / n
        # stagger alternate columns a little so labels do not line up into one band
        out[i] = (x, y + (0.03 if s.column % 2 else 0.0))
    return out


def circle(labels: Sequence[str]) -> np.ndarray:
    """Centres evenly around a circle, starting at the top, clockwise."""
    n = len(labels)
    out = np.zeros((n, 2), dtype=np.float32)
    for i in range(n):
        a = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        out[i] = (ASPECT / 2 + 0.36 * math.cos(a), 0.5 + 0.36 * math.sin(a))
    return out


#: The layouts by name (beside a mapping of state to centre).
LAYOUTS = ("auto", "pathway", "circle")


def centres(labels: Sequence[str], layout: LayoutSpec = "auto") -> np.ndarray:
    """An ``(n_states, 2)`` float32 array of cluster centres for ``labels``."""
    if isinstance(layout, str):
        if layout == "auto":
            std = set(standard_labels())
            layout = "pathway" if all(lab in std for lab in labels) else "circle"
        if layout == "pathway":
            return pathway(labels)
        if layout == "circle":
            return circle(labels)
        raise unknown("layout", layout, LAYOUTS, more=", or a mapping of state to (x, y)")
    if not isinstance(layout, Mapping):
        raise ConfigError(
            f"layout must be a name or a mapping of state to (x, y), not {type(layout)}"
        )
    if any(not isinstance(k, str) for k in layout):
        raise ConfigError("a layout mapping's keys must be state names (strings)")
    missing = [lab for lab in labels if lab not in layout]
    if missing:
        raise ConfigError(f"the layout lacks state(s) {missing}")
    out = np.zeros((len(labels), 2), dtype=np.float32)
    for i, lab in enumerate(labels):
        try:
            x, y = (float(v) for v in layout[lab])
        except (TypeError, ValueError, OverflowError) as e:
            raise ConfigError(
                f"layout centre for {lab!r} is not an (x, y) pair: {show(layout[lab])}"
            ) from e
        if not all(math.isfinite(v) and abs(v) <= MAX_COORD for v in (x, y)):
            raise ConfigError(
                f"layout centre for {lab!r} must be finite and within +-{MAX_COORD:g} "
                f"(the picture is {ASPECT:.2f} x 1): {(x, y)}"
            )
        out[i] = (x, y)
    return out
