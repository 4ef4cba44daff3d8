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

The parts, one module each, are mixins of :class:`CarevisCanvas` sharing the state that
:mod:`.state` declares: :mod:`.playback` (time, speed, tick), :mod:`.emphasis` (filters,
highlight, colour: the Scene value), :mod:`.recording` (through ``export.png`` and
``export.video``), :mod:`.menu`, :mod:`.input` (keys, mouse), :mod:`.drawing` (GL, and the
label model painted as text), :mod:`.shapes`; :mod:`.launch` opens a window (:func:`view`,
:func:`main_view`). Times are minutes since 1970 inside; days only at the edges (speed,
steps, labels).
"""

from __future__ import annotations

import os

if os.environ.get("DISPLAY") is None and os.environ.get("WAYLAND_DISPLAY") is None:
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from .canvas import CarevisCanvas
from .emphasis import COLOURS
from .launch import NoDisplayError, check_display, main_view, view
from .state import (
    FILTERS,
    HUD_TOP,
    MARGIN,
    MENU_BUTTON,
    MENU_ITEM_H,
    MENU_ITEM_W,
    STEP_DAYS,
    TIMELINE_H,
)

HELP = (
    "space play/pause   +/- speed   \u2190/\u2192 step   J 31 March   drag timeline: scrub   "
    "wheel zoom   drag pan   R reset   click cluster: highlight   shift-click dot: follow   "
    "C colour   L/X/B filter council/sex/age   S save PNG   V record   M menu   Esc clear"
)

__all__ = [
    "COLOURS",
    "FILTERS",
    "HELP",
    "HUD_TOP",
    "MARGIN",
    "MENU_BUTTON",
    "MENU_ITEM_H",
    "MENU_ITEM_W",
    "STEP_DAYS",
    "TIMELINE_H",
    "CarevisCanvas",
    "NoDisplayError",
    "check_display",
    "main_view",
    "view",
]
