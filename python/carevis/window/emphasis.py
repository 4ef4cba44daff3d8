"""Filters and highlight: the window's emphasis is the Scene value's
(``self.scene = self.scene.with_filter(...)``, recolouring ``self.scene.replace(colour=...)``);
what the filter shows is what the labels count; the child followed and its journey."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _check as check
from .._time import from_days, is_open, to_date, to_days
from ..errors import CarevisError
from ..scene import AGE_BANDS, EmptyFilterWarning
from ..scene.congestion import scene_congestion
from ..scene.labels import Labels, labels, shown_counts
from .state import FILTERS, CanvasState

#: How the window starts saying that a filter shows no child.
NO_MATCH = "no child matches"
#: Colourings that ``C`` cycles through (those the data cannot give are skipped).
COLOURS = ["time_in_care", "time_in_state", "entries", "la", "sex", "age_band"]


class Filters(CanvasState):
    """Filter, highlight, colour, the child followed; counts and labels of what is shown."""

    def set_filter(self, **filters: str | Sequence[str] | None) -> None:
        """Shows only children whose ``la``, ``sex`` and ``age_band`` are among the values
        given (None: any); keeps the highlight."""
        for k in filters:
            check.name("filter", k, FILTERS)
        for k, v in filters.items():
            self.filters[k] = v  # type: ignore[assignment]
        self._apply_emphasis()

    def set_highlight(self, state: str | int | None) -> None:
        """Highlights one state (others dimmed); None clears it."""
        if isinstance(state, str):
            state = self.scene.states.index(check.name("state", state, self.scene.states))
        self.highlight = state
        self._apply_emphasis()

    def set_colour(self, colour: str) -> None:
        """Recolours the dots: a new Scene with every other setting (and the filter) kept."""
        self.scene = self.scene.replace(colour=colour)
        self._apply_emphasis()

    def cycle_colour(self) -> str:
        i = COLOURS.index(self.scene.colour) if self.scene.colour in COLOURS else -1
        for k in range(1, len(COLOURS) + 1):
            c = COLOURS[(i + k) % len(COLOURS)]
            try:
                self.set_colour(c)
            except CarevisError:
                continue
            self._say(f"colour: {self.scene.legend.title}")
            return c
        return self.scene.colour

    def cycle_filter(self, name: str) -> str | None:
        """Moves the ``name`` filter to its next value (None, then each value in turn)."""
        values = self.filter_values(name)
        cur = self.filters.get(name)
        order: list[str | None] = [None, *values]
        nxt = order[(order.index(cur) + 1) % len(order)] if cur in order else None
        self.set_filter(**{name: nxt})
        self._say(f"{name}: {nxt or 'all'}")
        return nxt

    def filter_values(self, name: str) -> list[str]:
        if name == "age_band":
            return list(AGE_BANDS)
        try:
            col = self.scene.journeys.attribute(name)
        except CarevisError:
            return []
        import pyarrow.compute as pc

        return sorted(str(v) for v in pc.unique(col).to_pylist() if v is not None)

    def follow(self, dot: int | None) -> None:
        """Follows one child (its trail and journey so far); None stops."""
        self.followed = dot
        self.trail = []
        if dot is not None:
            self._record_trail()
        self.update()

    def reset(self) -> None:
        """Back to the whole picture: no zoom, pan, highlight, filter or child followed."""
        self.zoom, self.centre = 1.0, None
        self.highlight = None
        self.filters = dict.fromkeys(FILTERS)
        self.followed, self.trail = None, []
        self._apply_emphasis()

    def _apply_emphasis(self) -> None:
        with warnings.catch_warnings(record=True) as said:
            # a filter that shows no child is said in the window, not as a warning
            warnings.simplefilter("always", EmptyFilterWarning)
            on = {k: v for k, v in self.filters.items() if v is not None}
            masks = [self.scene.filter_mask(**{k: v}) for k, v in on.items()]
            if self.base_visible is not None:
                masks.append(self.base_visible)
            mask = np.logical_and.reduce(masks) if masks else None
            self.scene = self.scene.with_filter(mask, highlight=self.highlight, dim=0.2)
        for w in said:
            if not issubclass(w.category, EmptyFilterWarning):
                warnings.warn(w.message, w.category, stacklevel=2)
        if any(issubclass(w.category, EmptyFilterWarning) for w in said):
            shown = ", ".join(f"{k}={v}" for k, v in on.items())
            self._say(f"{NO_MATCH} {shown}: nothing to show (R resets)")
        elif self.message.startswith(NO_MATCH):
            self._say("")
        self.set_current()
        self.frame_path.sync(self.scene)  # recoloured: a new GPU frame
        self._compute(self.minutes, sync=True)

    @property
    def _mask(self) -> np.ndarray | None:
        em = self.scene.emphasis
        return None if em is None else em.visible

    # --- what is shown -----------------------------------------------------------------------
    def counts(self) -> np.ndarray:
        """Children in each state now (those the filter shows): what the labels say."""
        return shown_counts(self.scene, self.frame)

    def current_labels(self) -> Labels:
        """The label model of the moment on screen (:mod:`carevis.scene.labels`), with the
        window's suppression and congestion marks: what the window paints."""
        settings = self.congestion
        if settings is not None:
            # Congested states: recomputed at most once per data-week.
            week = int(self.frame.minutes // from_days(7))
            if self._congestion_week != week:
                self._congestion_week = week
                self._congested = scene_congestion(self.scene, self.frame.minutes, settings)
        return labels(
            self.scene,
            self.frame.minutes,
            self.counts(),
            self.scene.radii_at_minutes(self.frame.minutes),
            suppress_below=self.suppress_below,
            suppress_style=self.suppress_style,
            label_values=self.label_values,
            congested=self._congested if self.congestion is not None else None,
        )

    def label_texts(self) -> list[str]:
        """The clusters' label texts as the window shows them (name, count as shown)."""
        return self.current_labels().texts()

    def cluster_info(self, k: int) -> dict[str, Any]:
        """Name, count now and median days in state of the children in state ``k``."""
        f = self.frame
        dots = np.flatnonzero(f.state == k)
        if self._mask is not None:
            dots = dots[self._mask[dots]]
        median = float("nan")
        if len(dots):
            idx = self.scene.journeys.spell_at(dots, int(f.minutes))  # the core's lookup
            start = self._spells["start"][idx].astype(np.float64)
            median = to_days(float(np.median(f.minutes - start)))
        return {"state": self.scene.states[k], "count": len(dots), "median_days": median}

    def journey(self, dot: int) -> list[tuple[str, dt.date, dt.date | None]]:
        """One child's spells begun by now: (state, start, end or None while open)."""
        sp = self._spells
        a, b = int(sp["offsets"][dot]), int(sp["offsets"][dot + 1])
        out = []
        for i in range(a, b):
            if sp["start"][i] > self.frame.minutes:
                break
            end = int(sp["end"][i])
            end_d = None if is_open(end) or end > self.frame.minutes else to_date(end)
            out.append(
                (self.scene.states[int(sp["state"][i])], to_date(int(sp["start"][i])), end_d)
            )
        return out

    def _record_trail(self) -> None:
        d = self.followed
        if d is None:
            return
        f = self.frame
        if f.rgba[d, 3] > 0:
            p = (float(f.x[d]), float(f.y[d]))
            if not self.trail or self.trail[-1] != p:
                self.trail.append(p)
                del self.trail[:-500]
