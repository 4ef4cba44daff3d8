"""The scene: journeys laid out and coloured, as a value (:class:`Scene`), its settings
(:class:`Settings`), its emphasis (:class:`Emphasis`), the frames it gives (:class:`Frame`),
its colours and legend (:mod:`.colour`) and where it is congested (:mod:`.congestion`).

Inside the package, modules import downward: settings, frame -> colour -> core ->
congestion."""

from __future__ import annotations

from .colour import AGE_BANDS, CONTINUOUS, DAYS_PER_YEAR, Legend
from .congestion import (
    Congested,
    CongestionSettings,
    congestion,
    congestion_figures,
    congestion_series,
    occupancy_at,
    scene_congestion,
)
from .core import PROJECTED_ALPHA, Scene, colour_names, filter_names, projected_from
from .frame import Frame
from .settings import MAX_DAYS, Emphasis, EmptyFilterWarning, Settings, check_options

__all__ = [
    "AGE_BANDS",
    "CONTINUOUS",
    "DAYS_PER_YEAR",
    "MAX_DAYS",
    "PROJECTED_ALPHA",
    "Congested",
    "CongestionSettings",
    "Emphasis",
    "EmptyFilterWarning",
    "Frame",
    "Legend",
    "Scene",
    "Settings",
    "check_options",
    "colour_names",
    "congestion",
    "congestion_figures",
    "congestion_series",
    "filter_names",
    "occupancy_at",
    "projected_from",
    "scene_congestion",
]
