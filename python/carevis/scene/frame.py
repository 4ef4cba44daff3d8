"""One moment of a scene: where each dot is, its colour and its state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .._time import to_datetime


@dataclass
class Frame:
    """One moment: per dot ``x``, ``y`` (float32, world units), ``rgba`` (uint8, N x 4) and
    ``state`` (int32 index into the scene's states, -1 when in no state)."""

    x: np.ndarray
    y: np.ndarray
    rgba: np.ndarray
    state: np.ndarray
    minutes: float = 0.0

    @property
    def t(self) -> dt.datetime:
        return to_datetime(self.minutes)

    def counts(self, n_states: int, visible: np.ndarray | None = None) -> np.ndarray:
        """Children in each state at this moment (only those flagged in ``visible``)."""
        s = self.state
        keep = s >= 0
        if visible is not None:
            keep = keep & visible
        return np.bincount(s[keep], minlength=n_states)[:n_states]

    @classmethod
    def empty(cls, n: int) -> Frame:
        return cls(
            x=np.zeros(n, np.float32),
            y=np.zeros(n, np.float32),
            rgba=np.zeros((n, 4), np.uint8),
            state=np.zeros(n, np.int32),
        )
