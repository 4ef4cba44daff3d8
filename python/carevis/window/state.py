"""What every part of the window reads and writes: the canvas's state, declared once (the
parts are mixins of :class:`carevis.window.CarevisCanvas`). Times are minutes since 1970
throughout (:mod:`carevis._time`); days appear only at the edges (speed, steps, labels)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ..gl import DotLayer, FramePair, FramePath, GpuFrame
from ..scene import Frame, Scene
from ..scene.congestion import Congested, CongestionSettings
from ..scene.labels import Labels
from ..viewport import Viewport

#: The filters ``L``/``X``/``B`` cycle (per-child attributes; age band from the birth date).
FILTERS = ("la", "sex", "age_band")
#: Days a step (the arrow keys) moves.
STEP_DAYS = 7.0
TIMELINE_H = 14.0  # logical pixels
MARGIN = 0.04
# The menu button (top left, logical pixels) and its items, which drop down below it.
MENU_BUTTON = (8.0, 6.0, 64.0, 28.0)
MENU_ITEM_W, MENU_ITEM_H = 230.0, 22.0
HUD_TOP = 46.0


class CanvasState:
    """The attributes the window's parts share (set in ``CarevisCanvas.__init__``)."""

    scene: Scene
    minutes: float
    t_range: tuple[float, float]
    speed: float
    playing: bool
    zoom: float
    centre: tuple[float, float] | None
    highlight: int | None
    filters: dict[str, str | None]
    base_visible: np.ndarray | None
    followed: int | None
    trail: list[tuple[float, float]]
    recording: list[float] | None
    hover: dict[str, Any] | None
    message: str
    menu_open: bool
    suppress_below: int
    suppress_style: str
    label_values: str
    congestion: CongestionSettings | None
    timings: dict[str, list[float]]
    pair: FramePair
    dots: DotLayer
    frame_path: FramePath
    _upload_due: bool
    label_model: Labels | None
    _congested: list[Congested]
    _congestion_week: int | None
    _spells: dict[str, np.ndarray]
    _threaded: bool
    _pool: ThreadPoolExecutor | None
    _pending: Future[Frame] | None
    _pending_t: float
    _drawn: bool
    _last_tick: float | None
    timer: Any
    context: Any
    size: tuple[int, int]
    physical_size: tuple[int, int]
    pixel_scale: float

    @property
    def frame(self) -> Frame:
        """The frame on screen."""
        return self.pair.front

    @property
    def gpu(self) -> GpuFrame | None:
        """The GPU frame drawing the dots (while the path is being timed, or once chosen),
        or None where the engine's frames are uploaded."""
        return self.frame_path.gpu

    if TYPE_CHECKING:  # given by the other parts and by vispy's Canvas

        @property
        def viewport(self) -> Viewport: ...
        def update(self) -> None: ...
        def set_current(self) -> None: ...
        def _say(self, text: str) -> None: ...
        def _compute(self, minutes: float, *, sync: bool) -> None: ...
        def _go(self, minutes: float) -> None: ...
        def _apply_emphasis(self) -> None: ...
        def _record_trail(self) -> None: ...
        def _to_physical(self, pos: Sequence[float]) -> tuple[float, float]: ...
        def cluster_info(self, k: int) -> dict[str, Any]: ...
        def counts(self) -> np.ndarray: ...
        def pause(self) -> None: ...
        def play(self) -> None: ...
        def toggle(self) -> None: ...
        def save(self, path: str | None = None) -> str: ...
        def toggle_recording(self, path: str | None = None) -> str | None: ...
        def reset(self) -> None: ...
        def menu_items(self) -> list[str]: ...
        def menu_choose(self, i: int) -> str | None: ...
        def set_speed(self, days_per_second: float) -> None: ...
        def set_highlight(self, state: str | int | None) -> None: ...
        def follow(self, dot: int | None) -> None: ...
        def cycle_colour(self) -> str: ...
        def cycle_filter(self, name: str) -> str | None: ...
        def journey(self, dot: int) -> list[Any]: ...
        def jump_to(self, t: Any) -> None: ...
        def step(self, days: float = STEP_DAYS) -> None: ...
        def _next_march_31(self) -> Any: ...
        def _menu_item_at(self, x: float, y: float) -> int | None: ...
        def _submit(self) -> None: ...
        def _draw_dots(self, vp: Viewport, radius: float, size: tuple[int, int]) -> None: ...
        def _timeline_box(self) -> tuple[float, float, float, float]: ...
        def current_labels(self) -> Labels: ...
        def _build_menu(
            self, mo: Any, s: float
        ) -> tuple[list[str], list[tuple[float, float]], list[str]]: ...
