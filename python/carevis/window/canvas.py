"""The window's canvas: :class:`CarevisCanvas`, a VisPy ``app.Canvas`` made of its parts
(playback, emphasis, recording, menu, input, drawing), each in its own module."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vispy import app, visuals

from .._time import MINUTES_PER_DAY, TimeLike, to_minutes
from ..gl import DEFAULT_BACKGROUND, DotLayer, FramePair, FramePath
from ..rules import opening_minutes
from ..scene import Scene
from ..scene.labels import check_suppression
from ..viewport import Viewport
from .drawing import YEAR_PT, Drawing
from .emphasis import Filters
from .input import Input
from .menu import Menu
from .playback import Playback
from .recording import Recording
from .shapes import Shapes
from .state import FILTERS, MARGIN


class CarevisCanvas(Playback, Filters, Recording, Menu, Input, Drawing, app.Canvas):  # type: ignore[misc]
    """A window showing a :class:`carevis.Scene` at a moment, playing through time.

    Parameters
    ----------
    scene: what to show.
    t: the first moment shown (default: :func:`carevis.rules.opening_minutes`, the latest
        31 March whose whole year is in the data, else its last day).
    speed: days of data per second of playback.
    dot_radius_px: dot radius in logical pixels at zoom 1 (dots grow as the square root of
        the zoom).
    suppress_below, suppress_style: counts below ``suppress_below`` (0: none) are shown as
        ``"<N"`` or (``"hide"``) left out, as in exported pictures
        (:mod:`carevis.scene.labels`); pictures the window saves use the same.
    label_values: what each cluster's label shows: ``"count"`` (children), ``"percent"``
        (of the children shown) or ``"both"``, as ``carevis render --label-values``.
    threaded: compute frames on a worker thread (default); False computes them in the
        calling thread (deterministic, for tests and scripts).
    gl_frame: ``"gpu"`` draws every moment with the GPU frame (the journeys kept on the
        GPU, a shader computing each dot: :mod:`carevis.gl.gpu_frame`), ``"cpu"`` uploads
        the engine's frames; default: whichever draws faster here, timed over the first
        frames, drawn by each path in turn (:class:`carevis.gl.FramePath`; no wait at
        start; ``CAREVIS_GL_FRAME`` overrides it). The engine's frame is still computed, off the
        drawing thread, for the labels' counts, hovering and the child followed.
    app, size, show, title, keys...: as for ``vispy.app.Canvas``.
    """

    def __init__(
        self,
        scene: Scene,
        *,
        t: TimeLike | None = None,
        speed: float = 60.0,
        dot_radius_px: float = 1.5,
        background: tuple[int, int, int, int] = DEFAULT_BACKGROUND,
        suppress_below: int = 0,
        suppress_style: str = "<N",
        label_values: str = "count",
        threaded: bool = True,
        gl_frame: str | None = None,
        size: tuple[int, int] = (1280, 720),
        title: str = "carevis",
        show: bool = False,
        **kwargs: Any,
    ) -> None:
        check_suppression(suppress_below, suppress_style, label_values)
        if kwargs.get("app") == "egl":
            os.environ.setdefault("EGL_PLATFORM", "surfaceless")
        super().__init__(size=size, title=title, show=False, keys=None, **kwargs)
        self.scene = scene
        self.background = background
        self.dot_radius_px = float(dot_radius_px)
        self.suppress_below = int(suppress_below)
        self.suppress_style = suppress_style
        self.label_values = label_values
        #: Draw labels, legend, timeline and panels over the dots (off: dots alone).
        self.show_overlay = True
        self.speed = float(speed)
        self._init_state(scene, t)
        self._threaded = threaded
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="carevis-frame") if threaded else None
        self.set_current()
        self.pair = FramePair(scene.n_dots)
        self.dots = DotLayer()
        #: Which path draws the dots: timed over the first frames, each path in turn.
        self.frame_path = FramePath(scene, gl_frame)
        self._upload_due = False
        self._init_visuals()
        self.timer = app.Timer(1 / 60, connect=self._on_timer, start=False, app=self.app)
        self._compute(self.minutes, sync=True)
        self._ready = True
        if show:
            self.show()

    def _init_state(self, scene: Scene, t: TimeLike | None) -> None:
        self.playing = False
        self.zoom = 1.0
        self.centre = None
        self.highlight = None
        self.filters = dict.fromkeys(FILTERS)
        #: The children the scene given shows (its filter, such as ``carevis view
        #: --filter``): the window's own filters narrow it, R resets to it.
        self.base_visible = None if scene.emphasis is None else scene.emphasis.visible
        self.followed = None
        self.trail = []
        self.recording = None  # minutes, as export.video takes
        self.hover = None
        self.message = ""
        self.menu_open = False
        self.timings = {"engine": [], "upload": [], "draw": []}
        lo, hi = scene.journeys.minute_range or (0, MINUTES_PER_DAY)
        self.t_range = (float(lo), float(hi))
        self._spells = scene.journeys.spells()
        # Unless told, open at a meaningful moment (the latest 31 March whose whole year
        # is in the data, else its last day), not at the warm-up edge where children only
        # begin to appear.
        opening = opening_minutes(scene.journeys.minute_range)
        self.minutes = self._clamp(to_minutes(t) if t is not None else opening)
        self._press = None
        self._press_centre = None
        self._press_modifiers = ()
        self._press_button = 1
        self._dragging = None
        self._pending = None
        self._pending_t = 0.0
        self._drawn = True
        self._last_tick = None
        self._counts_text = []
        #: Mark congested states (a ring and the figure in the label); None: off.
        self.congestion = None
        self._congested = []
        self._congestion_week = None
        #: The label model last painted (:mod:`carevis.scene.labels`) and its layout.
        self.label_model = None
        self.label_layout = None

    def _init_visuals(self) -> None:
        self.overlay = Shapes()
        self.menu_overlay = Shapes()  # drawn last, over the labels and the text
        self.labels = visuals.TextVisual(
            "", font_size=9, color="#222222", anchor_x="center", anchor_y="bottom"
        )
        #: The labels' halo: the same texts in the background colour at small offsets.
        self.label_halo = visuals.TextVisual(
            "",
            font_size=9,
            color=tuple(c / 255 for c in self.background[:3]),
            anchor_x="center",
            anchor_y="bottom",
        )
        #: The group headings over the clusters (the pathway's), muted as in the pictures.
        self.group_text = visuals.TextVisual(
            "", font_size=9, color="#6e6e78", anchor_x="center", anchor_y="bottom", bold=True
        )
        self.group_halo = visuals.TextVisual(
            "",
            font_size=9,
            color=tuple(c / 255 for c in self.background[:3]),
            anchor_x="center",
            anchor_y="bottom",
            bold=True,
        )
        self.hud = visuals.TextVisual(
            "", font_size=12, color="#111111", anchor_x="left", anchor_y="center", bold=True
        )
        self.legend_text = visuals.TextVisual(
            "", font_size=8, color="#333333", anchor_x="left", anchor_y="center"
        )
        self.panel_text = visuals.TextVisual(
            "", font_size=9, color="#111111", anchor_x="left", anchor_y="center"
        )
        self.menu_text = visuals.TextVisual(
            "", font_size=9, color="#111111", anchor_x="left", anchor_y="center"
        )
        #: The timeline's year labels, inside its track beside each labelled tick.
        self.year_text = visuals.TextVisual(
            "", font_size=YEAR_PT, color="#333333", anchor_x="left", anchor_y="center"
        )
        self.year_labels = []
        self._texts = [
            self.year_text,
            self.label_halo,
            self.labels,
            self.group_halo,
            self.group_text,
            self.hud,
            self.legend_text,
            self.panel_text,
            self.menu_text,
        ]
        self._configure_texts()

    @property
    def viewport(self) -> Viewport:
        """World -> physical pixels of the canvas (zoom and pan included)."""
        w, h = self.physical_size
        return Viewport.fit(w, h, zoom=self.zoom, centre=self.centre, margin=MARGIN)

    def _say(self, text: str) -> None:
        self.message = text
        self.update()

    def close(self) -> None:
        self.timer.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        super().close()
