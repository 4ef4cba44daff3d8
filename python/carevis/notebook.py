"""carevis in Jupyter: :func:`player` gives a widget that plays a scene through time (as
lonboard's ``animate()`` does with ipywidgets): a play button, a date slider with the date
beside it, and the picture, :func:`carevis.render.image` drawn offscreen with OpenGL (EGL,
headless under ``EGL_PLATFORM=surfaceless``) where it can, on the CPU otherwise.

>>> import carevis, carevis.notebook
>>> scene = carevis.Scene(carevis.read("journeys.parquet"))
>>> carevis.notebook.player(scene)                     # the last line of a cell shows it

Works on a headless kernel (no display, no browser): the widgets' values are the kernel's,
so ``p.slider.value = 10`` draws day ten's picture there. Needs ipywidgets
(``pip install 'carevis[notebook]'``).
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from ._check import name, number, whole
from ._time import TimeLike, from_days, to_datetime, to_minutes
from .errors import CarevisError, ConfigError
from .render import image
from .rules import opening_minutes
from .scene import Scene
from .scene.labels import LABEL_VALUES, date_text

try:
    import ipywidgets as widgets
except ImportError as e:  # pragma: no cover - the extra is installed in dev and CI
    raise ImportError("carevis.notebook needs ipywidgets: pip install 'carevis[notebook]'") from e

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")  # a headless kernel: EGL alone

#: Renderers :func:`player` takes: ``"auto"`` tries OpenGL first, then the CPU.
RENDERERS = ("auto", "gl", "cpu")


class Player(widgets.VBox):  # type: ignore[misc]
    """A play button, a date slider and its date, over the picture (see :func:`player`).

    ``play`` (``ipywidgets.Play``) steps ``slider`` (``ipywidgets.IntSlider``, one step
    per ``step_days``), whose change draws the picture into ``image``
    (``ipywidgets.Image``, PNG) and writes the date into ``date`` (``ipywidgets.Label``).
    ``times`` holds each step's moment (minutes since 1970); ``renderer`` says which
    renderer drew the last picture ("gl" or "cpu")."""

    def __init__(
        self,
        scene: Scene,
        *,
        t: TimeLike | None,
        start: TimeLike | None,
        end: TimeLike | None,
        step_days: float,
        interval_ms: int,
        width: int,
        height: int,
        renderer: str,
        picture: dict[str, Any],
    ) -> None:
        self.scene = scene
        self.times = _times(scene, start, end, step_days)
        self.size = (whole("width", width, 16, 8192), whole("height", height, 16, 8192))
        self.renderer = name("renderer", renderer, RENDERERS)
        self.picture = dict(picture)
        last = len(self.times) - 1
        self.play = widgets.Play(
            min=0, max=last, step=1, interval=whole("interval_ms", interval_ms, 10, 60_000)
        )
        self.slider = widgets.IntSlider(
            min=0, max=last, step=1, readout=False, continuous_update=True
        )
        self.date = widgets.Label()
        self.image = widgets.Image(format="png", width=self.size[0], height=self.size[1])
        self._link = widgets.link((self.play, "value"), (self.slider, "value"))
        first = to_minutes(t) if t is not None else opening_minutes(scene.journeys.minute_range)
        self.slider.value = int(np.argmin(np.abs(self.times - first)))
        self.slider.observe(self._on_slide, names="value")
        self.show(self.slider.value)
        bar = widgets.HBox([self.play, self.slider, self.date])
        super().__init__([bar, self.image])

    @property
    def minutes(self) -> float:
        """The moment shown, minutes since 1970."""
        return float(self.times[self.slider.value])

    def jump_to(self, t: TimeLike) -> None:
        """Moves the slider to the step nearest ``t`` (and so draws it)."""
        self.slider.value = int(np.argmin(np.abs(self.times - to_minutes(t))))

    def step(self, steps: int = 1) -> None:
        """Moves the slider ``steps`` steps on (back, when negative), within its range."""
        self.slider.value = int(np.clip(self.slider.value + steps, 0, self.slider.max))

    def show(self, k: int) -> None:
        """Draws step ``k``'s picture and date (what moving the slider does)."""
        minutes = float(self.times[k])
        self.image.value = _png(self._draw(minutes))
        self.date.value = date_text(minutes)

    def _on_slide(self, change: dict[str, Any]) -> None:
        self.show(int(change["new"]))

    def _draw(self, minutes: float) -> np.ndarray:
        w, h = self.size
        at = to_datetime(minutes)
        if self.renderer in ("auto", "gl"):
            try:
                out = image(self.scene, at, w, h, renderer="gl", **self.picture)
                self.renderer = "gl"
                return out
            except (ImportError, RuntimeError, OSError, CarevisError):
                if self.renderer == "gl":
                    raise
                self.renderer = "cpu"  # no OpenGL here: the CPU from now on
        return image(self.scene, at, w, h, renderer="cpu", **self.picture)


def player(
    scene: Scene,
    *,
    t: TimeLike | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    step_days: float = 7.0,
    interval_ms: int = 100,
    width: int = 960,
    height: int = 540,
    renderer: str = "auto",
    label_values: str = "count",
    **picture: Any,
) -> Player:
    """A widget playing ``scene`` from ``start`` to ``end`` (default: the data's range)
    a step of ``step_days`` every ``interval_ms`` while playing; it opens at ``t``
    (default: :func:`carevis.rules.opening_minutes`, the latest 31 March whose whole year
    is in the data). ``renderer``: "auto" (OpenGL offscreen where it works, else the CPU),
    "gl" or "cpu". ``label_values``: what each cluster's label shows, "count"
    (children), "percent" (of the children in the picture) or "both", as the exported
    pictures and the window do. Other keyword arguments go to
    :func:`carevis.render.image` (title, caption, suppress_below, dot_radius, overlay,
    background, congestion)."""
    if not isinstance(scene, Scene):
        raise ConfigError(f"player needs a carevis.Scene, not {type(scene).__name__}")
    picture["label_values"] = name("label_values", label_values, LABEL_VALUES)
    return Player(
        scene,
        t=t,
        start=start,
        end=end,
        step_days=step_days,
        interval_ms=interval_ms,
        width=width,
        height=height,
        renderer=renderer,
        picture=picture,
    )


def _times(
    scene: Scene, start: TimeLike | None, end: TimeLike | None, step_days: float
) -> np.ndarray:
    """Each step's moment (minutes), from ``start`` to ``end`` inclusive."""
    step = from_days(number("step_days", step_days, 0.0, 3660.0, lo_open=True))
    lo, hi = scene.journeys.minute_range or (0, 0)
    a = to_minutes(start) if start is not None else float(lo)
    b = to_minutes(end) if end is not None else float(hi)
    if not b > a:
        raise ConfigError("the player's range is empty: end must come after start")
    n = int(np.floor((b - a) / step)) + 1
    if n > 100_000:
        raise ConfigError(f"{n:,} steps is too many for a slider: raise step_days")
    return a + step * np.arange(n, dtype=np.float64)


def _png(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


__all__ = ["RENDERERS", "Player", "player"]
