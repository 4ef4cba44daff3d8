"""Playback: the moment shown (minutes since 1970), its speed (days of data per second, the
one unit users give), stepping and jumping, and frames computed on a worker thread into
the back one of two buffer sets while the front one is drawn; the dots drawn by the path
the window's :class:`~carevis.gl.FramePath` picks."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from vispy import gloo

from .._time import TimeLike, from_days, to_date, to_minutes
from ..scene import Frame
from ..viewport import Viewport
from .state import STEP_DAYS, CanvasState


class Playback(CanvasState):
    """Time: play, pause, step, jump, the timer's tick, and the frames behind them."""

    @property
    def t(self) -> dt.datetime:
        return self.frame.t

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
        self._go(to_minutes(t))

    def step(self, days: float = STEP_DAYS) -> None:
        self._go(self.minutes + from_days(days))

    def _go(self, minutes: float) -> None:
        """Shows the moment ``minutes`` (within the data's range)."""
        self.minutes = self._clamp(minutes)
        self._compute(self.minutes, sync=not self.playing)

    def tick(self, seconds: float) -> None:
        """Advances playback by ``seconds`` of wall time (what the timer does)."""
        if not self.playing:
            return
        self.minutes = self._clamp(self.minutes + from_days(seconds * self.speed))
        if self.minutes >= self.t_range[1]:
            self.pause()
        self._compute(self.minutes, sync=not self._threaded)
        if self.frame_path.path != "cpu":
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

    def _next_march_31(self) -> dt.date:
        lo, hi = to_date(self.t_range[0]), to_date(self.t_range[1])
        years = [dt.date(y, 3, 31) for y in range(lo.year, hi.year + 1)]
        years = [d for d in years if lo <= d <= hi] or [lo]
        now = to_date(self.minutes)
        return next((d for d in years if d > now), years[0])

    # --- frames ----------------------------------------------------------------------------
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
            self.scene.frame_at_minutes(minutes, self.pair.back)
            self.timings["engine"].append(time.perf_counter() - a)
            self._pending_t = minutes
            self._show_back()
            return
        self._pending_t = minutes
        if self._pending is None and self._drawn:
            self._submit()

    def _submit(self) -> None:
        assert self._pool is not None
        back, scene, minutes = self.pair.back, self.scene, self._pending_t

        def work() -> Frame:
            a = time.perf_counter()
            out = scene.frame_at_minutes(minutes, back)
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
        if self.frame_path.path == "cpu":
            self.dots.upload(self.frame)
        else:  # uploaded when drawn by the engine's path
            self._upload_due = True
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

    def _draw_dots(self, vp: Viewport, radius: float, size: tuple[int, int]) -> None:
        """Draws the dots by the path chosen or, while it is being chosen, by the path whose
        turn it is, timed (waiting for the GL, the work before it first)."""
        fp = self.frame_path
        timing = fp.timing
        if timing:
            self.context.flush_commands()
            gloo.gl.glFinish()
        a = time.perf_counter()
        picked, gpu = fp.pick()
        if gpu is not None:
            self.context.flush_commands()  # the clear, before the GPU frame's own calls
            gpu.draw(self.minutes, vp, radius_px=radius, target=size)
        else:
            if self._upload_due:
                self.dots.upload(self.frame)
                self._upload_due = False
            self.dots.draw(vp, radius_px=radius, target=size)
        if timing:
            self.context.flush_commands()
            gloo.gl.glFinish()
            fp.record(picked, time.perf_counter() - a)
