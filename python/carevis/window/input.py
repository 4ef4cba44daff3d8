"""Keys and the mouse: what each key does, clicking (clusters, dots, the timeline, the
menu), dragging (pan, scrub) and the wheel (zoom about the pointer); and the geometry they
need (which cluster or dot is under the pointer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import CarevisError
from ..layout import ASPECT
from .state import MARGIN, MENU_BUTTON, STEP_DAYS, TIMELINE_H, CanvasState


class Input(CanvasState):
    """The event handlers vispy calls, and hit tests."""

    _press: tuple[float, float] | None
    _press_centre: tuple[float, float] | None
    _press_modifiers: tuple[str, ...]
    _press_button: int
    _dragging: str | None

    # --- geometry ----------------------------------------------------------------------------
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
        radii = self.scene.radii_at_minutes(self.frame.minutes)
        r = np.maximum(radii * vp.sx, 12.0 * self.pixel_scale)
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

    # --- keys --------------------------------------------------------------------------------
    def on_key_press(self, event: Any) -> None:
        key = event.key.name if event.key is not None else ""
        text = (event.text or "").lower()
        if key == "Space" or text == " ":
            self.toggle()
        elif text in ("+", "="):
            self.set_speed(self.speed * 2)
        elif text in ("-", "_"):
            self.set_speed(self.speed / 2)
        elif key in ("Right", "Left") and not self.playing:
            self.step(STEP_DAYS if key == "Right" else -STEP_DAYS)
        elif text == "j":
            self.jump_to(self._next_march_31())
        elif text == "r":
            self.reset()
        elif text == "c":
            self.cycle_colour()
        elif text in ("l", "x", "b"):
            self.cycle_filter({"l": "la", "x": "sex", "b": "age_band"}[text])
        elif text == "s":
            try:
                self.save()
            except (ImportError, AttributeError, CarevisError) as e:
                self._say(f"cannot save: {e}")
        elif text == "v":
            self.toggle_recording()
        elif text == "m" or (key == "Escape" and self.menu_open):
            self.menu_open = text == "m" and not self.menu_open
            self.update()
        elif key == "Escape":
            self.highlight = None
            self.follow(None)
            self._apply_emphasis()

    # --- mouse -------------------------------------------------------------------------------
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
        self._go(lo + frac * (hi - lo))
