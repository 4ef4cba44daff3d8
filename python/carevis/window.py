"""The interactive window: every child a dot, playing through calendar time.

``CarevisCanvas`` is a VisPy ``app.Canvas`` (embed it through ``canvas.native`` in Qt, or
with the ``jupyter_rfb`` backend in a notebook); :func:`view` opens one and runs the event
loop; :func:`main_view` is ``carevis view INPUT``.

Controls (also :data:`HELP`): space play/pause, ``+``/``-`` faster/slower, right/left
arrows step a week when paused, drag the timeline to scrub, ``J`` jumps to the next
31 March, wheel zooms about the pointer, drag pans, ``R`` resets, hover a cluster for its
name, count and median time in it, click a cluster (or its label) to highlight it,
shift-click (or right-click) a dot to follow that child, ``C`` cycles the colouring,
``L``/``X``/``B`` cycle the council / sex / age-band filter, ``S`` saves a PNG, ``V``
starts and stops recording a clip, ``Esc`` clears the highlight and the child followed.

Frames are computed by the engine on a worker thread into the back one of two buffer
sets while the front one is drawn, so frame computation does not stall drawing.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ._time import MINUTES_PER_DAY, TimeLike, to_date, to_minutes
from .errors import CarevisError, ConfigError
from .gl import (
    DEFAULT_BACKGROUND,
    DotLayer,
    FramePair,
    GpuFrame,
    choose_path,
    measured_draws,
    path_without_measuring,
    premultiplied,
)
from .journeys import SYNTHETIC_NOTE, Journeys
from .layout import ASPECT
from .scene import AGE_BANDS, Frame, Scene
from .scene.congestion import Congested, CongestionSettings
from .viewport import Viewport

if os.environ.get("DISPLAY") is None and os.environ.get("WAYLAND_DISPLAY") is None:
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from vispy import app, gloo, visuals

#: Colourings that ``C`` cycles through (those the data cannot give are skipped).
COLOURS = ["time_in_care", "time_in_state", "entries", "la", "sex", "age_band"]
FILTERS = ("la", "sex", "age_band")
STEP_DAYS = 7.0
TIMELINE_H = 14.0  # logical pixels
MARGIN = 0.04

HELP = (
    "space play/pause   +/- speed   \u2190/\u2192 step   J 31 March   drag timeline: scrub   "
    "wheel zoom   drag pan   R reset   click cluster: highlight   shift-click dot: follow   "
    "C colour   L/X/B filter council/sex/age   S save PNG   V record   M menu   Esc clear"
)
# The menu button (top left, logical pixels) and its items, which drop down below it.
MENU_BUTTON = (8.0, 6.0, 64.0, 28.0)
MENU_ITEM_W, MENU_ITEM_H = 230.0, 22.0
HUD_TOP = 46.0

OVERLAY_VERT = """
uniform vec2 u_size;    // physical pixels
attribute vec2 a_pos;   // physical pixels, row 0 at the top
attribute vec4 a_rgba;  // straight alpha, 0..1
varying vec4 v_rgba;
void main() {
    gl_Position = vec4(a_pos.x * 2.0 / u_size.x - 1.0, 1.0 - a_pos.y * 2.0 / u_size.y, 0.0, 1.0);
    v_rgba = a_rgba;
}
"""
OVERLAY_FRAG = """
varying vec4 v_rgba;
void main() { gl_FragColor = vec4(v_rgba.rgb * v_rgba.a, v_rgba.a); }
"""


class _Overlay:
    """Flat shapes (timeline, legend ramp, panels, trail) in physical pixels."""

    def __init__(self) -> None:
        self.program = gloo.Program(OVERLAY_VERT, OVERLAY_FRAG)
        self.tris: list[np.ndarray] = []
        self.tri_rgba: list[np.ndarray] = []
        self.lines: list[tuple[np.ndarray, np.ndarray]] = []

    def clear(self) -> None:
        self.tris.clear()
        self.tri_rgba.clear()
        self.lines.clear()

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, rgba: Any, rgba2: Any = None
    ) -> None:
        """A rectangle; with ``rgba2`` a horizontal gradient from ``rgba`` to it."""
        c0 = np.asarray(rgba, np.float32)
        c1 = c0 if rgba2 is None else np.asarray(rgba2, np.float32)
        self.tris.append(
            np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y0], [x1, y1], [x0, y1]], np.float32)
        )
        self.tri_rgba.append(np.array([c0, c1, c1, c0, c1, c0], np.float32))

    def polyline(self, pts: np.ndarray, rgba: Any) -> None:
        if len(pts) >= 2:
            self.lines.append((np.asarray(pts, np.float32), np.asarray(rgba, np.float32)))

    def draw(self, size: tuple[int, int]) -> None:
        p = self.program
        p["u_size"] = (float(size[0]), float(size[1]))
        gloo.set_state(blend=True, depth_test=False, cull_face=False)
        gloo.set_blend_func("one", "one_minus_src_alpha")
        if self.tris:
            p["a_pos"] = np.concatenate(self.tris)
            p["a_rgba"] = np.concatenate(self.tri_rgba)
            p.draw("triangles")
        for pts, rgba in self.lines:
            p["a_pos"] = pts
            p["a_rgba"] = np.repeat(rgba[None], len(pts), axis=0)
            p.draw("line_strip")


def _rgba01(c: Sequence[int]) -> tuple[float, float, float, float]:
    return (c[0] / 255.0, c[1] / 255.0, c[2] / 255.0, (c[3] if len(c) > 3 else 255) / 255.0)


class CarevisCanvas(app.Canvas):  # type: ignore[misc]
    """A window showing a :class:`carevis.Scene` at a moment, playing through time.

    Parameters
    ----------
    scene: what to show.
    t: the first moment shown (default: the start of the data).
    speed: days of data per second of playback.
    dot_radius_px: dot radius in logical pixels at zoom 1 (dots grow as the square root of
        the zoom).
    threaded: compute frames on a worker thread (default); False computes them in the
        calling thread (deterministic, for tests and scripts).
    gl_frame: ``"gpu"`` draws every moment with the GPU frame (the journeys kept on the
        GPU, a shader computing each dot: :mod:`carevis.gl.gpu_frame`), ``"cpu"`` uploads the
        engine's frames; default: whichever a quick measurement at start finds faster
        (``CAREVIS_GL_FRAME`` overrides it). The engine's frame is still computed, off the
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
        threaded: bool = True,
        gl_frame: str | None = None,
        size: tuple[int, int] = (1280, 720),
        title: str = "carevis",
        show: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("app") == "egl":
            os.environ.setdefault("EGL_PLATFORM", "surfaceless")
        super().__init__(size=size, title=title, show=False, keys=None, **kwargs)
        self.scene = scene
        self.background = background
        self.dot_radius_px = float(dot_radius_px)
        #: Draw labels, legend, timeline and panels over the dots (off: dots alone).
        self.show_overlay = True
        self.speed = float(speed)
        self.playing = False
        self.zoom = 1.0
        self.centre: tuple[float, float] | None = None
        self.highlight: int | None = None
        self.filters: dict[str, str | None] = dict.fromkeys(FILTERS)
        self.followed: int | None = None
        self.trail: list[tuple[float, float]] = []
        self.recording: list[float] | None = None  # minutes, as export.video takes
        self.hover: dict[str, Any] | None = None
        self.message = ""
        self.timings: dict[str, list[float]] = {"engine": [], "upload": [], "draw": []}
        lo, hi = scene.journeys.minute_range or (0, MINUTES_PER_DAY)
        self.t_range = (float(lo), float(hi))
        self._mask: np.ndarray | None = None
        self._spells = scene.journeys.spells()
        # Unless told, start where the data has begun in earnest (the first percentile of
        # spell starts), not at the oldest spell of a child long in care: merged returns
        # hold a few spells years older than the rest.
        first = (
            float(np.percentile(self._spells["start"], 1))
            if len(self._spells["start"])
            else self.t_range[0]
        )
        self.minutes = self._clamp(to_minutes(t) if t is not None else first)
        n_sp = len(self._spells["start"])
        child = np.repeat(
            np.arange(scene.n_dots, dtype=np.int64),
            np.diff(self._spells["offsets"]).astype(np.int64),
        )
        # One sorted key per spell (child, start): finds any child's current spell.
        self._spell_keys = (child << 32) | (self._spells["start"].astype(np.int64) + 2**31)
        assert len(self._spell_keys) == n_sp
        self._press: tuple[float, float] | None = None
        self._press_centre: tuple[float, float] | None = None
        self._press_modifiers: tuple[str, ...] = ()
        self._press_button = 1
        self._dragging: str | None = None
        self._threaded = threaded
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="carevis-frame") if threaded else None
        self._pending: Future[Frame] | None = None
        self._pending_t = 0.0
        self._drawn = True
        self._last_tick: float | None = None
        self._counts_text: list[str] = []
        #: Mark congested states (a ring and the figure in the label); None: off.
        self.congestion: CongestionSettings | None = None
        self._congested: list[Congested] = []

        self.set_current()
        self.pair = FramePair(scene.n_dots)
        self.dots = DotLayer()
        self._gl_frame = gl_frame
        #: The GPU frame drawing the dots, or None where the engine's frames are uploaded.
        self.gpu: Any = None
        self._choose_frame_path()
        self.overlay = _Overlay()
        self.menu_overlay = _Overlay()  # drawn last, over the labels and the text
        self.labels = visuals.TextVisual(
            "", font_size=9, color="#222222", anchor_x="center", anchor_y="bottom"
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
        self.menu_open = False
        self._texts = [self.labels, self.hud, self.legend_text, self.panel_text, self.menu_text]
        self._configure_texts()
        self.timer = app.Timer(1 / 60, connect=self._on_timer, start=False, app=self.app)
        self._compute(self.minutes, sync=True)
        self._ready = True
        if show:
            self.show()

    # --- public control --------------------------------------------------------------
    @property
    def t(self) -> dt.datetime:
        return self.frame.t

    @property
    def frame(self) -> Frame:
        """The frame on screen."""
        return self.pair.front

    @property
    def viewport(self) -> Viewport:
        """World -> physical pixels of the canvas (zoom and pan included)."""
        w, h = self.physical_size
        return Viewport.fit(w, h, zoom=self.zoom, centre=self.centre, margin=MARGIN)

    def play(self) -> None:
        self.playing = True
        self._last_tick = None
        self.timer.start()

    def pause(self) -> None:
        self.playing = False
        self.timer.stop()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def jump_to(self, t: TimeLike) -> None:
        """Shows moment ``t`` (a date, datetime, ISO string or days since 1970)."""
        self.minutes = self._clamp(to_minutes(t))
        self._compute(self.minutes, sync=not self.playing)

    def step(self, days: float = STEP_DAYS) -> None:
        self.jump_to(self.minutes / MINUTES_PER_DAY + days)

    def tick(self, seconds: float) -> None:
        """Advances playback by ``seconds`` of wall time (what the timer does)."""
        if not self.playing:
            return
        self.minutes = self._clamp(self.minutes + seconds * self.speed * MINUTES_PER_DAY)
        if self.minutes >= self.t_range[1]:
            self.pause()
        self._compute(self.minutes, sync=not self._threaded)
        if self.gpu is not None:
            self.update()  # the GPU draws this moment now, whatever the engine is doing

    def wait(self) -> None:
        """Waits until the frame of the moment asked for is computed, and shows it."""
        while True:
            if self._pending is not None:
                self._pending.result()
                self._collect()
            elif self._pool is not None and self._pending_t != self.frame.minutes:
                # send the front buffers' upload now, so the back ones may be rewritten
                self.context.flush_commands()
                self._drawn = True
                self._submit()
            else:
                return

    def set_speed(self, days_per_second: float) -> None:
        self.speed = float(np.clip(days_per_second, 0.25, 3650.0))
        self._say(f"{self.speed:g} days/s")

    def set_filter(self, **filters: str | Sequence[str] | None) -> None:
        """Shows only children whose ``la``, ``sex`` and ``age_band`` are among the values
        given (None: any); keeps the highlight."""
        for k, v in filters.items():
            if k not in FILTERS:
                raise CarevisError(f"cannot filter by {k!r}: use {', '.join(FILTERS)}")
            self.filters[k] = v  # type: ignore[assignment]
        self._apply_emphasis()

    def set_highlight(self, state: str | int | None) -> None:
        """Highlights one state (others dimmed); None clears it."""
        if isinstance(state, str):
            state = self.scene.states.index(state)
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

    def counts(self) -> np.ndarray:
        """Children in each state now (those the filter shows): what the labels say."""
        s = self.frame.state
        keep = s >= 0
        if self._mask is not None:
            keep &= self._mask
        return np.bincount(s[keep], minlength=len(self.scene.states))[: len(self.scene.states)]

    def label_texts(self) -> list[str]:
        return [f"{name} {c:,}" for name, c in zip(self.scene.states, self.counts(), strict=True)]

    def cluster_info(self, k: int) -> dict[str, Any]:
        """Name, count now and median days in state of the children in state ``k``."""
        f = self.frame
        dots = np.flatnonzero(f.state == k)
        if self._mask is not None:
            dots = dots[self._mask[dots]]
        median = float("nan")
        if len(dots):
            t = np.int64(int(f.minutes)) + 2**31
            idx = np.searchsorted(self._spell_keys, (dots.astype(np.int64) << 32) | t, "right") - 1
            start = self._spells["start"][idx].astype(np.float64)
            median = float(np.median(f.minutes - start)) / MINUTES_PER_DAY
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
            end_d = None if end >= 2**31 - 1 or end > self.frame.minutes else to_date(end)
            out.append(
                (self.scene.states[int(sp["state"][i])], to_date(int(sp["start"][i])), end_d)
            )
        return out

    def save(
        self, path: str | None = None, width: int = 3840, height: int = 2160, renderer: str = "cpu"
    ) -> str:
        """Saves the moment on screen, as zoomed and panned, as a PNG at any size, through
        the exporter."""
        from . import export

        path = path or f"carevis-{self.t:%Y-%m-%d}.png"
        vp = self.viewport
        w, h = self.physical_size
        centre = vp.to_world(w / 2, h / 2)
        export.png(
            self.scene,
            self.t,
            path,
            width=width,
            height=height,
            renderer=renderer,
            zoom=float(self.zoom),
            centre=(float(centre[0]), float(centre[1])),
        )
        self._say(f"saved {path}")
        return path

    def toggle_recording(self, path: str | None = None) -> str | None:
        """Starts collecting the moments shown; on the second call writes them as a video."""
        if self.recording is None:
            self.recording = [self.frame.minutes]
            self._say("recording")
            return None
        times, self.recording = self.recording, None
        path = path or f"carevis-{to_date(times[0]):%Y-%m-%d}.mp4"
        try:
            from . import export

            export.video(self.scene, path, times=times)
        except (ImportError, AttributeError) as e:
            self._say(f"cannot record: {e}")
            return None
        self._say(f"saved {path} ({len(times)} frames)")
        return path

    def menu_items(self) -> list[str]:
        """The menu's actions, as labelled now (the menu button or M opens it)."""
        rec = "Stop recording and save the clip" if self.recording is not None else "Record a clip"
        return ["Save view as PNG (4K)", rec, "Reset view"]

    def menu_choose(self, i: int) -> str | None:
        """Does what menu item ``i`` says and closes the menu; returns a saved file's path."""
        self.menu_open = False
        out: str | None = None
        if i == 0:
            try:
                out = self.save()
            except (ImportError, AttributeError, CarevisError) as e:
                self._say(f"cannot save: {e}")
        elif i == 1:
            out = self.toggle_recording()
        elif i == 2:
            self.reset()
        self.update()
        return out

    def _menu_item_at(self, x: float, y: float) -> int | None:
        x0, _, _, y1 = MENU_BUTTON
        if not self.menu_open or not (x0 <= x <= x0 + MENU_ITEM_W):
            return None
        i = int((y - y1 - 2) // MENU_ITEM_H)
        return i if 0 <= i < len(self.menu_items()) and y >= y1 + 2 else None

    def close(self) -> None:
        self.timer.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        super().close()

    # --- frames ------------------------------------------------------------------------
    def _clamp(self, minutes: float) -> float:
        return float(min(max(minutes, self.t_range[0]), self.t_range[1]))

    def _compute(self, minutes: float, *, sync: bool) -> None:
        """Asks for the frame at ``minutes``: computed now (``sync``), or on the worker
        thread, into the back buffers, once the front ones have been drawn."""
        if sync or self._pool is None:
            if self._pending is not None:
                self._pending.result()
                self._pending = None
            a = time.perf_counter()
            self.scene.frame_into(minutes / MINUTES_PER_DAY, self.pair.back)
            self.timings["engine"].append(time.perf_counter() - a)
            self._pending_t = minutes
            self._show_back()
            return
        self._pending_t = minutes
        if self._pending is None and self._drawn:
            self._submit()

    def _submit(self) -> None:
        assert self._pool is not None
        back, scene, t = self.pair.back, self.scene, self._pending_t

        def work() -> Frame:
            a = time.perf_counter()
            out = scene.frame_into(t / MINUTES_PER_DAY, back)
            self.timings["engine"].append(time.perf_counter() - a)
            return out

        self._pending = self._pool.submit(work)

    def _collect(self) -> None:
        if self._pending is not None and self._pending.done():
            self._pending.result()
            self._pending = None
            self._show_back()

    def _show_back(self) -> None:
        self.pair.swap()
        a = time.perf_counter()
        if self.gpu is None:
            self.dots.upload(self.frame)
        self.timings["upload"].append(time.perf_counter() - a)
        self._drawn = False
        if self.recording is not None:
            self.recording.append(self.frame.minutes)
        if self.followed is not None:
            self._record_trail()
        if self.hover is not None and "state_index" in self.hover:
            self.hover.update(self.cluster_info(self.hover["state_index"]))
        self.update()

    def _on_timer(self, event: Any) -> None:
        now = time.perf_counter()
        dt_s = 0.0 if self._last_tick is None else min(now - self._last_tick, 0.25)
        self._last_tick = now
        self._collect()
        self.tick(dt_s)

    def _apply_emphasis(self) -> None:
        masks = [self.scene.filter_mask(**{k: v}) for k, v in self.filters.items() if v is not None]
        self._mask = np.logical_and.reduce(masks) if masks else None
        self.scene = self.scene.with_filter(self._mask, highlight=self.highlight, dim=0.2)
        if self.gpu is not None:
            self.set_current()
            if self.gpu.scene._native is not self.scene._native:  # recoloured: a new engine
                self.gpu.close()
                self.gpu = GpuFrame(self.scene)
            self.gpu.sync_emphasis(self.scene.emphasis)
        self._compute(self.minutes, sync=True)

    def _choose_frame_path(self) -> None:
        """Draws with the GPU frame where asked or where it measures faster."""
        path = self._gl_frame or path_without_measuring()
        if path == "cpu":
            return
        try:
            gpu = GpuFrame(self.scene)
        except ConfigError:
            if path == "gpu":
                raise
            return
        chosen = path or choose_path(
            self.scene, *measured_draws(self.scene, gpu, self.dots, self), gpu=gpu
        )
        if chosen == "gpu":
            self.gpu = gpu
        else:
            gpu.close()

    def filter_values(self, name: str) -> list[str]:
        if name == "age_band":
            return list(AGE_BANDS)
        try:
            col = self.scene.journeys.attribute(name)
        except CarevisError:
            return []
        import pyarrow.compute as pc

        return sorted(str(v) for v in pc.unique(col).to_pylist() if v is not None)

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

    def _say(self, text: str) -> None:
        self.message = text
        self.update()

    # --- geometry ------------------------------------------------------------------------
    def _to_physical(self, pos: Sequence[float]) -> tuple[float, float]:
        s = self.pixel_scale
        return float(pos[0]) * s, float(pos[1]) * s

    def _timeline_box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the timeline track, logical pixels."""
        w, h = self.size
        return 70.0, h - 12.0 - TIMELINE_H, w - 20.0, h - 12.0

    def _cluster_at(self, pos: Sequence[float]) -> int | None:
        """The cluster (or cluster label) under logical position ``pos``."""
        vp = self.viewport
        px, py = self._to_physical(pos)
        cx = self.scene.centres[:, 0] * vp.sx + vp.tx
        cy = self.scene.centres[:, 1] * vp.sy + vp.ty
        r = np.maximum(
            self.scene.radii(self.frame.minutes / MINUTES_PER_DAY) * vp.sx, 12.0 * self.pixel_scale
        )
        d = np.hypot(cx - px, cy - py)
        # the label sits just above the cluster
        label = (
            (np.abs(cx - px) < 60 * self.pixel_scale)
            & (py < cy - r)
            & (py > cy - r - 16 * self.pixel_scale)
        )
        hit = (d <= r) | label
        if not hit.any():
            return None
        return int(np.argmin(np.where(hit, d, np.inf)))

    def _dot_at(self, pos: Sequence[float], tolerance_px: float = 6.0) -> int | None:
        vp, f = self.viewport, self.frame
        px, py = self._to_physical(pos)
        d2 = (f.x * vp.sx + vp.tx - px) ** 2 + (f.y * vp.sy + vp.ty - py) ** 2
        d2 = np.where(f.rgba[:, 3] > 0, d2, np.inf)
        i = int(np.argmin(d2))
        return i if d2[i] <= (tolerance_px * self.pixel_scale) ** 2 else None

    # --- events --------------------------------------------------------------------------
    def on_key_press(self, event: Any) -> None:
        key = event.key.name if event.key is not None else ""
        text = (event.text or "").lower()
        if key == "Space" or text == " ":
            self.toggle()
        elif text in ("+", "="):
            self.set_speed(self.speed * 2)
        elif text in ("-", "_"):
            self.set_speed(self.speed / 2)
        elif key == "Right" and not self.playing:
            self.step(STEP_DAYS)
        elif key == "Left" and not self.playing:
            self.step(-STEP_DAYS)
        elif text == "j":
            self.jump_to(self._next_march_31())
        elif text == "r":
            self.reset()
        elif text == "c":
            self.cycle_colour()
        elif text == "l":
            self.cycle_filter("la")
        elif text == "x":
            self.cycle_filter("sex")
        elif text == "b":
            self.cycle_filter("age_band")
        elif text == "s":
            try:
                self.save()
            except (ImportError, AttributeError, CarevisError) as e:
                self._say(f"cannot save: {e}")
        elif text == "v":
            self.toggle_recording()
        elif text == "m":
            self.menu_open = not self.menu_open
            self.update()
        elif key == "Escape" and self.menu_open:
            self.menu_open = False
            self.update()
        elif key == "Escape":
            self.highlight = None
            self.follow(None)
            self._apply_emphasis()

    def _next_march_31(self) -> dt.date:
        lo, hi = to_date(self.t_range[0]), to_date(self.t_range[1])
        years = [dt.date(y, 3, 31) for y in range(lo.year, hi.year + 1)]
        years = [d for d in years if lo <= d <= hi] or [lo]
        now = to_date(self.minutes)
        return next((d for d in years if d > now), years[0])

    def on_mouse_press(self, event: Any) -> None:
        x, y = event.pos
        bx0, by0, bx1, by1 = MENU_BUTTON
        on_button = bx0 <= x <= bx1 and by0 <= y <= by1
        if on_button or self.menu_open:
            # the menu takes this click: its button toggles it, an item runs, elsewhere closes
            item = self._menu_item_at(float(x), float(y))
            self._press = None
            if item is not None:
                self.menu_choose(item)
            else:
                self.menu_open = on_button and not self.menu_open
                self.update()
            return
        self._press = (float(x), float(y))
        self._press_centre = self.centre or (ASPECT / 2, 0.5)
        self._press_modifiers = tuple(str(getattr(m, "name", m)) for m in (event.modifiers or ()))
        self._press_button = int(event.button or 1)
        x0, y0, x1, y1 = self._timeline_box()
        if x0 - 6 <= x <= x1 + 6 and y0 - 6 <= y <= y1 + 6:
            self._dragging = "timeline"
            self._scrub(x)
        else:
            self._dragging = None

    def on_mouse_move(self, event: Any) -> None:
        x, y = event.pos
        if self._press is not None:
            if self._dragging == "timeline":
                self._scrub(x)
                return
            if self._dragging == "pan" or np.hypot(x - self._press[0], y - self._press[1]) > 3:
                self._dragging = "pan"
                s = self.pixel_scale / self.viewport.sx
                cx, cy = self._press_centre or (0.0, 0.0)
                self.centre = (cx - (x - self._press[0]) * s, cy - (y - self._press[1]) * s)
                self.update()
                return
        k = self._cluster_at(event.pos)
        if k is None:
            if self.hover is not None:
                self.hover = None
                self.update()
        else:
            self.hover = {"state_index": k, "pos": (float(x), float(y)), **self.cluster_info(k)}
            self.update()

    def on_mouse_release(self, event: Any) -> None:
        if self._press is None:
            return
        dragging, self._dragging = self._dragging, None
        self._press = None
        if dragging is not None:
            return
        pos = event.pos
        follow = "Shift" in self._press_modifiers or self._press_button == 2
        k = None if follow else self._cluster_at(pos)
        if k is not None:
            self.set_highlight(None if self.highlight == k else k)
            return
        d = self._dot_at(pos)
        if d is not None:
            self.follow(d)
        elif not follow:
            self.set_highlight(None)

    def on_mouse_wheel(self, event: Any) -> None:
        step = float(event.delta[1])
        if step == 0:
            return
        vp = self.viewport
        wx, wy = vp.to_world(*self._to_physical(event.pos))
        new_zoom = float(np.clip(self.zoom * 1.2**step, 0.5, 200.0))
        # keep the world point under the pointer where it is
        px, py = self._to_physical(event.pos)
        s = min(vp.width * (1 - 2 * MARGIN) / ASPECT, vp.height * (1 - 2 * MARGIN)) * new_zoom
        self.zoom = new_zoom
        self.centre = (wx - (px - vp.width / 2) / s, wy - (py - vp.height / 2) / s)
        self.update()

    def _scrub(self, x: float) -> None:
        x0, _, x1, _ = self._timeline_box()
        frac = float(np.clip((x - x0) / max(x1 - x0, 1.0), 0.0, 1.0))
        lo, hi = self.t_range
        self.jump_to((lo + frac * (hi - lo)) / MINUTES_PER_DAY)

    def on_resize(self, event: Any) -> None:
        if not getattr(self, "_ready", False):  # the backend resizes during __init__
            return
        self._configure_texts()
        self.update()

    def _configure_texts(self) -> None:
        w, h = self.physical_size
        for v in self._texts:
            v.transforms.configure(canvas=self, viewport=(0, 0, w, h))

    # --- drawing -------------------------------------------------------------------------
    def on_draw(self, event: Any) -> None:
        if not getattr(self, "_ready", False):
            return
        w, h = self.physical_size
        gloo.set_viewport(0, 0, w, h)
        gloo.set_clear_color(premultiplied(self.background))
        gloo.clear(color=True, depth=True)
        vp = self.viewport
        a = time.perf_counter()
        radius = self.dot_radius_px * self.pixel_scale * self.zoom**0.5
        self._build_overlay(vp)
        if self.gpu is not None:
            self.context.flush_commands()  # the clear, before the GPU frame's own calls
            self.gpu.draw(self.minutes, vp, radius_px=radius, target=(w, h))
        else:
            self.dots.draw(vp, radius_px=radius, target=(w, h))
        if self.show_overlay:
            self.labels.draw()
            self.overlay.draw((w, h))
            for v in (self.hud, self.legend_text, self.panel_text):
                v.draw()
            self.menu_overlay.draw((w, h))
            self.menu_text.draw()
        self.context.flush_commands()
        self.timings["draw"].append(time.perf_counter() - a)
        self._drawn = True
        if self._pending is None and self._threaded and self._pending_t != self.frame.minutes:
            self._submit()

    def _build_overlay(self, vp: Viewport) -> None:
        ov, s = self.overlay, self.pixel_scale
        ov.clear()
        lw, lh = self.size
        # labels with live counts, above each cluster
        cx = self.scene.centres[:, 0] * vp.sx + vp.tx
        cy = self.scene.centres[:, 1] * vp.sy + vp.ty
        r = self.scene.radii(self.frame.minutes / MINUTES_PER_DAY) * vp.sx
        texts = self.label_texts()
        settings = getattr(self, "congestion", None)
        if settings is not None:
            # Congested states (carevis.congestion): a red ring and the figure in the label.
            # Recomputed at most once per data-week.
            week = int(self.frame.minutes // (7 * MINUTES_PER_DAY))
            if getattr(self, "_congestion_week", None) != week:
                from .scene.congestion import scene_congestion

                self._congestion_week = week
                self._congested = scene_congestion(self.scene, self.frame.minutes, settings)
            ring = np.linspace(0, 2 * np.pi, 65)
            for c in self._congested:
                k = c.index
                texts[k] = f"{texts[k]} ({c.label})"
                rr = r[k] + 7 * s
                pts = np.stack([cx[k] + rr * np.cos(ring), cy[k] + rr * np.sin(ring)], 1)
                ov.polyline(pts, _rgba01(settings.halo))
        if texts != self._counts_text:
            self._counts_text = texts
            self.labels.text = texts
        self.labels.pos = np.stack([cx / s, (cy - r) / s - 3], axis=1)
        if self.highlight is not None:
            k = self.highlight
            ring = np.linspace(0, 2 * np.pi, 65)
            pts = np.stack(
                [cx[k] + (r[k] + 4 * s) * np.cos(ring), cy[k] + (r[k] + 4 * s) * np.sin(ring)], 1
            )
            ov.polyline(pts, (0.1, 0.1, 0.1, 0.8))
        # timeline: track, progress, knob
        x0, y0, x1, y1 = self._timeline_box()
        lo, hi = self.t_range
        frac = (self.frame.minutes - lo) / (hi - lo) if hi > lo else 0.0
        ov.rect(x0 * s, y0 * s, x1 * s, y1 * s, (0.82, 0.82, 0.80, 1.0))
        xk = x0 + frac * (x1 - x0)
        ov.rect(x0 * s, y0 * s, xk * s, y1 * s, (0.35, 0.35, 0.38, 1.0))
        ov.rect((xk - 3) * s, (y0 - 4) * s, (xk + 3) * s, (y1 + 4) * s, (0.1, 0.1, 0.1, 1.0))
        if self.recording is not None:
            ov.rect(12 * s, (y0 - 2) * s, 24 * s, (y1 + 2) * s, (0.85, 0.1, 0.1, 1.0))
        # legend (top right)
        lg = self.scene.legend
        lx0, ly0 = lw - 230.0, 14.0
        legend_items: list[str] = [lg.title]
        legend_pos: list[tuple[float, float]] = [(lx0, ly0 + 6)]
        if lg.kind == "continuous":
            ramp = lg.colours[np.linspace(0, len(lg.colours) - 1, 65).astype(int)]
            seg = 200.0 / 64
            for i in range(64):
                ov.rect(
                    (lx0 + i * seg) * s,
                    (ly0 + 16) * s,
                    (lx0 + (i + 1) * seg) * s,
                    (ly0 + 28) * s,
                    _rgba01(ramp[i]),
                    _rgba01(ramp[i + 1]),
                )
            for pos, lab in lg.ticks:
                legend_items.append(lab)
                legend_pos.append((lx0 + pos * 200.0 - 6, ly0 + 38))
        else:
            for i, (cat, col) in enumerate(zip(lg.categories[:12], lg.colours[:12], strict=False)):
                yy = ly0 + 18 + i * 14
                ov.rect((lx0) * s, yy * s, (lx0 + 10) * s, (yy + 10) * s, _rgba01(col))
                legend_items.append(cat)
                legend_pos.append((lx0 + 16, yy + 5))
        self.legend_text.text = legend_items
        self.legend_text.pos = legend_pos
        # trail of the child followed
        if self.followed is not None and len(self.trail) >= 2:
            tr = np.asarray(self.trail, np.float32)
            ov.polyline(
                np.stack([tr[:, 0] * vp.sx + vp.tx, tr[:, 1] * vp.sy + vp.ty], 1),
                (0.85, 0.15, 0.1, 0.9),
            )
        # date, speed, filters, message (top left); hover / journey panel
        state = "playing" if self.playing else "paused"
        flt = ", ".join(f"{k}={v}" for k, v in self.filters.items() if v is not None)
        hud = [
            f"{self.t:%d %B %Y}",
            f"{state}, {self.speed:g} days/s" + (f"   {flt}" if flt else ""),
        ]
        if self.scene.journeys.synthetic:
            hud.append(SYNTHETIC_NOTE)
        if self.message:
            hud.append(self.message)
        self.hud.text = hud
        self.hud.pos = [(14, HUD_TOP + 20 * i) for i in range(len(hud))]
        # the menu button, and its items when open
        bx0, by0, bx1, by1 = MENU_BUTTON
        mo = self.menu_overlay
        mo.clear()
        mo.rect(bx0 * s, by0 * s, bx1 * s, by1 * s, (0.25, 0.25, 0.28, 0.9))
        menu = ["Menu"]
        menu_pos = [(bx0 + 9, (by0 + by1) / 2)]
        if self.menu_open:
            n_items = len(self.menu_items())
            mo.rect(  # a grey frame round the items
                (bx0 - 1) * s,
                (by1 + 1) * s,
                (bx0 + MENU_ITEM_W + 1) * s,
                (by1 + 2 + n_items * MENU_ITEM_H) * s,
                (0.55, 0.55, 0.55, 1.0),
            )
            for i, item in enumerate(self.menu_items()):
                iy = by1 + 2 + i * MENU_ITEM_H
                mo.rect(
                    bx0 * s,
                    iy * s,
                    (bx0 + MENU_ITEM_W) * s,
                    (iy + MENU_ITEM_H - 1) * s,
                    (1.0, 1.0, 1.0, 1.0),
                )
                menu.append(item)
                menu_pos.append((bx0 + 8, iy + MENU_ITEM_H / 2))
        self.menu_text.text = menu
        self.menu_text.pos = menu_pos
        self.menu_text.color = ["#ffffff"] + ["#111111"] * (len(menu) - 1)
        panel: list[str] = []
        panel_pos: list[tuple[float, float]] = []
        if self.hover is not None:
            hx, hy = self.hover["pos"]
            md = self.hover["median_days"]
            lines = [self.hover["state"], f"{self.hover['count']:,} children now"]
            if np.isfinite(md):
                lines.append(f"median {md:,.0f} days in it")
            bx, by = min(hx + 14, lw - 200), max(hy - 10, 0)
            ov.rect(bx * s, by * s, (bx + 190) * s, (by + 16 * len(lines) + 8) * s, (1, 1, 1, 0.9))
            panel += lines
            panel_pos += [(bx + 6, by + 12 + 16 * i) for i in range(len(lines))]
        if self.followed is not None:
            jr = self.journey(self.followed)[-12:]
            lines = ["Journey so far"] + [
                f"{st}: {a:%d %b %Y} \u2013 {e:%d %b %Y}" if e else f"{st}: since {a:%d %b %Y}"
                for st, a, e in jr
            ]
            by = lh - 40 - 16 * len(lines)
            ov.rect(8 * s, (by - 4) * s, 330 * s, (by + 16 * len(lines) + 4) * s, (1, 1, 1, 0.9))
            panel += lines
            panel_pos += [(14, by + 8 + 16 * i) for i in range(len(lines))]
        self.panel_text.text = panel or [""]
        self.panel_text.pos = panel_pos or [(0, 0)]


def view(
    scene: Scene,
    *,
    run: bool = True,
    seconds: float | None = None,
    screenshot: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> CarevisCanvas:
    """Opens a window on ``scene`` and (with ``run``) runs the event loop until it closes.

    With ``seconds`` the window closes itself after that long (a kiosk, a scripted
    check), first saving what it shows as a PNG to ``screenshot`` if given."""
    if seconds is not None and not (np.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"seconds must be a positive number, not {seconds}")
    if screenshot is not None and seconds is None:
        raise ConfigError("screenshot is taken when the window closes itself: give seconds too")
    kwargs.setdefault("show", True)
    canvas = CarevisCanvas(scene, **kwargs)
    if seconds is not None:

        def finish(event: Any) -> None:
            if screenshot is not None:
                from PIL import Image

                from .export import atomic

                with atomic(Path(screenshot)) as tmp:
                    Image.fromarray(canvas.render()).save(tmp, format="PNG")
            canvas.close()
            canvas.app.quit()

        canvas._finish = app.Timer(  # kept alive with the canvas
            float(seconds), connect=finish, iterations=1, start=True, app=canvas.app
        )
    if run:
        canvas.play()
        canvas.app.run()
    return canvas


def main_view(argv: Sequence[str] | None = None) -> int:
    """``carevis view INPUT [--synthetic]``: opens the window on a journey table."""
    from ._usage import Parser, alias

    p = Parser(prog="carevis view", description="Open the interactive window.")
    p.add_argument("input", nargs="?", help="a journey table (.parquet, .arrow, .csv)")
    p.add_argument(
        "--synthetic",
        type=float,
        nargs="?",
        const=0.1,
        metavar="SCALE",
        help="the synthetic England (invented children) at SCALE (default 0.1)",
    )
    alias(p, "--scale", "synthetic", type=float)
    p.add_argument(
        "--colour", default="time_in_care", help="colour the dots by (default time_in_care)"
    )
    p.add_argument(
        "--layout", default="auto", choices=["auto", "pathway", "circle"], help="(default auto)"
    )
    p.add_argument(
        "--days-per-second", type=float, default=60.0, help="days of data per second (default 60)"
    )
    alias(p, "--speed", "days_per_second", type=float)
    p.add_argument("--size", default="1280x720", help="window size, WIDTHxHEIGHT (1280x720)")
    p.add_argument("--seconds", type=float, help="close the window after this long")
    p.add_argument("--screenshot", help="with --seconds: save the window as this PNG first")
    a = p.parse_args(argv)
    if a.synthetic is not None:
        from . import synthetic

        made = synthetic.england(scale=a.synthetic)
        journeys = made if isinstance(made, Journeys) else Journeys.from_arrow(made)
    elif a.input:
        from .io import read

        journeys = read(a.input)
    else:
        p.error("give INPUT or --synthetic")
    w, h = (int(v) for v in a.size.lower().split("x"))
    scene = Scene(journeys, layout=a.layout, colour=a.colour)
    view(scene, speed=a.days_per_second, size=(w, h), seconds=a.seconds, screenshot=a.screenshot)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main_view())
