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


def check_display(environ: Mapping[str, str] | None = None, *, probe: bool = True) -> None:
    """Refuses, before any GUI toolkit is started, to open a window where there is no
    display: on Linux and the BSDs, neither ``DISPLAY`` nor ``WAYLAND_DISPLAY`` set, or
    (with ``probe``) neither reachable: no Wayland socket, and the X display does not
    open (Qt would abort the process, GLFW fail). Elsewhere the system always has one."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return
    x, wayland = env.get("DISPLAY"), env.get("WAYLAND_DISPLAY")
    if not x and not wayland:
        raise no_display("DISPLAY and WAYLAND_DISPLAY are not set")
    if not probe:
        return
    why = []
    if wayland:
        socket = Path(env.get("XDG_RUNTIME_DIR", "/run/user/0"), wayland)
        if socket.exists():
            return
        why.append(f"no Wayland socket {str(socket)!r}")
    if x:
        failed = x_display_fails(x)
        if failed is None:
            return
        why.append(failed)
    raise no_display("; ".join(why))


#: Opens the X display named (argv 2) with Xlib (argv 1): exit status 0 if it opens.
_OPEN_X = (
    "import ctypes, sys; x = ctypes.CDLL(sys.argv[1]); "
    "x.XOpenDisplay.restype = ctypes.c_void_p; x.XOpenDisplay.argtypes = [ctypes.c_char_p]; "
    "sys.exit(0 if x.XOpenDisplay(sys.argv[2].encode()) else 3)"
)


def x_display_fails(name: str, timeout: float = 5.0) -> str | None:
    """Why the X display ``name`` does not open (None: it opens, or Xlib is not here to
    tell), tried with Xlib's XOpenDisplay in a short child process, so that a display that
    hangs cannot hang this one."""
    import ctypes.util
    import subprocess

    lib = ctypes.util.find_library("X11")
    if lib is None:
        return None  # cannot tell: the toolkit will try
    try:
        r = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _OPEN_X, lib, name],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the X display {name!r} did not answer in {timeout:g} s"
    return None if r.returncode == 0 else f"cannot open the X display {name!r}"


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
