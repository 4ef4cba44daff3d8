"""One HTML file anyone can open: the journeys player. :func:`export_html` packs a scene's
journeys small, embeds them with the GPU frame's shader (WebGL2) and the player (play,
speed, date slider, labels with live counts, legend, hover, colour modes, filters,
congestion flags), and writes a page that opens offline and makes no network request.

Inside the package, modules import downward: pack -> page -> command."""

from __future__ import annotations

from .command import main_export
from .pack import Packed, pack
from .page import export_html

__all__ = ["Packed", "export_html", "main_export", "pack"]
