"""Congestion on a scene: :func:`scene_congestion` marks the clusters of the waiting
states congested at a moment. The rule and its figures are :mod:`carevis.congestion`
(re-exported here)."""

from __future__ import annotations

from ..congestion import (
    PAGE_STEP_DAYS,
    Congested,
    CongestionSettings,
    add_arguments,
    congestion,
    congestion_at_minutes,
    congestion_figures,
    congestion_series,
    flag_table,
    flags_at,
    from_arguments,
    occupancy_at,
    shown,
)
from .core import Scene

__all__ = [
    "PAGE_STEP_DAYS",
    "Congested",
    "CongestionSettings",
    "add_arguments",
    "congestion",
    "congestion_at_minutes",
    "congestion_figures",
    "congestion_series",
    "flag_table",
    "flags_at",
    "from_arguments",
    "occupancy_at",
    "scene_congestion",
    "shown",
]


def scene_congestion(
    scene: Scene, minutes: float, settings: CongestionSettings | None = None
) -> list[Congested]:
    """Congestion for a :class:`carevis.Scene` at ``minutes``: the window and the
    pictures mark the clusters given (``Congested.index``) with ``Congested.label``."""
    return congestion_at_minutes(scene.journeys, float(minutes), settings)
