"""Opening the window: :func:`view` (a notebook's or a script's call) and
:func:`main_view`, ``carevis view INPUT``."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from vispy import app

from ..atomic import atomic
from ..errors import CarevisError, ConfigError
from ..journeys import Journeys
from ..scene import CongestionSettings, Scene
from ..scene.congestion import add_arguments, from_arguments
from ..scene.filters import add_filter_argument, with_filters
from ..scene.labels import LABEL_VALUES
from .canvas import CarevisCanvas


class NoDisplayError(CarevisError):
    """No display to open a window on (``carevis view`` says so, exit status 1)."""


def no_display(reason: str) -> NoDisplayError:
    """The one-line error of a window that cannot open, naming what to use instead."""
    return NoDisplayError(
        f"no display found ({reason}): `carevis view` opens a window; for pictures and "
        "videos without one use `carevis render` (or run the window under xvfb-run)"
    )


def check_display(environ: Mapping[str, str] | None = None) -> None:
    """Refuses, before any GUI toolkit is started, to open a window where there is no
    display: on Linux and the BSDs, neither ``DISPLAY`` nor ``WAYLAND_DISPLAY`` set (Qt
    would abort the process, GLFW fail). Elsewhere the system always has one."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        raise no_display("DISPLAY and WAYLAND_DISPLAY are not set")


def view(
    scene: Scene,
    *,
    run: bool = True,
    seconds: float | None = None,
    screenshot: str | os.PathLike[str] | None = None,
    congestion: CongestionSettings | None = None,
    **kwargs: Any,
) -> CarevisCanvas:
    """Opens a window on ``scene`` and (with ``run``) runs the event loop until it closes.

    With ``congestion`` the congested waiting states are ringed, their figures beside
    their labels (:mod:`carevis.scene.congestion`).

    With ``seconds`` the window closes itself after that long (a kiosk, a scripted
    check), first saving what it shows as a PNG to ``screenshot`` if given. Without a
    display (and no ``app`` named, such as ``"egl"``) it raises :class:`NoDisplayError`
    before any toolkit starts."""
    if seconds is not None and not (np.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"seconds must be a positive number, not {seconds}")
    if screenshot is not None and seconds is None:
        raise ConfigError("screenshot is taken when the window closes itself: give seconds too")
    if kwargs.get("app") is None:  # the desktop's toolkit: a display is needed
        check_display()
    if congestion is not None and not isinstance(congestion, CongestionSettings):
        raise ConfigError(f"congestion must be CongestionSettings or None, not {congestion!r}")
    kwargs.setdefault("show", True)
    canvas = CarevisCanvas(scene, **kwargs)
    canvas.congestion = congestion
    if seconds is not None:

        def finish(event: Any) -> None:
            if screenshot is not None:
                from PIL import Image

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
    from .._usage import Parser, alias

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
    p.add_argument(
        "--suppress-below",
        type=int,
        default=0,
        metavar="N",
        help="show counts below N as <N, as exports do (default 0: all counts shown)",
    )
    p.add_argument(
        "--suppress-style",
        default="<N",
        choices=["<N", "hide"],
        help="how a suppressed count reads: <N, or hide to leave it out (default <N)",
    )
    p.add_argument(
        "--label-values",
        choices=LABEL_VALUES,
        default="count",
        help="what each state's label shows: count (children), percent (of the children "
        "shown; a suppressed count shows none) or both (default count)",
    )
    add_filter_argument(p)
    add_arguments(p)
    p.add_argument("--size", default="1280x720", help="window size, WIDTHxHEIGHT (1280x720)")
    p.add_argument("--seconds", type=float, help="close the window after this long")
    p.add_argument("--screenshot", help="with --seconds: save the window as this PNG first")
    a = p.parse_args(argv)
    check_display()  # before reading the data, and before Qt could abort the process
    if a.synthetic is not None:
        from .. import synthetic

        made = synthetic.england(scale=a.synthetic)
        journeys = made if isinstance(made, Journeys) else Journeys.from_arrow(made)
    elif a.input:
        from ..journeys import read

        journeys = read(a.input)
    else:
        p.error("give INPUT or --synthetic")
    w, h = (int(v) for v in a.size.lower().split("x"))
    scene = with_filters(Scene(journeys, layout=a.layout, colour=a.colour), a.filter)
    view(
        scene,
        speed=a.days_per_second,
        size=(w, h),
        seconds=a.seconds,
        screenshot=a.screenshot,
        suppress_below=a.suppress_below,
        suppress_style=a.suppress_style,
        label_values=a.label_values,
        congestion=from_arguments(a),
    )
    return 0
