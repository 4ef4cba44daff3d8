"""What every export checks before any work starts: its options (turned into one
:class:`RenderSettings`), its target file and its scene."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..atomic import remove_stale_parts
from ..errors import ConfigError, ExportError
from ..render import OverlayStyle, RenderSettings, check_settings
from ..scene import Scene

#: Options of the overlay an export accepts beside those of :class:`RenderSettings`.
STYLE_OPTIONS = (
    "title",
    "caption",
    "suppress_below",
    "suppress_style",
    "label_values",
    "congestion",
)


def render_settings(**kw: Any) -> RenderSettings:
    """The checked :class:`RenderSettings` of an export's keyword options (``overlay``:
    True for the default style with ``title``, ``caption``..., an OverlayStyle, or
    False / None for none). An unknown option is a ConfigError naming the known ones."""
    overlay = kw.pop("overlay", True)
    style_kw = {k: kw.pop(k) for k in STYLE_OPTIONS if k in kw}
    fields = set(RenderSettings.__dataclass_fields__) - {"overlay"}
    unknown = sorted(set(kw) - fields)
    if unknown:
        known = ", ".join(sorted(fields | set(STYLE_OPTIONS)))
        raise ConfigError(f"unknown option(s) {', '.join(unknown)} (known: {known})")
    s = RenderSettings(**kw)
    if overlay is True:
        s.overlay = OverlayStyle(**style_kw)
    elif isinstance(overlay, OverlayStyle):
        s.overlay = overlay
    else:
        s.overlay = None
    check_settings(s)
    return s


def check_target(path: Path, suffixes: set[str] | None = None) -> Path:
    """``path`` if a file of one of ``suffixes`` can be written there (its folder exists
    and is writable, it is not a folder); removes partial files killed exports left."""
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ExportError(
            f"{path}: unknown format {path.suffix!r} (use {', '.join(sorted(suffixes))})"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"{path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"{path}: the folder {parent} is not writable")
    if path.is_dir():
        raise ExportError(f"{path}: is a folder")
    remove_stale_parts(parent, path.stem)
    return path


def check_scene(scene: Scene) -> None:
    """Refuses anything but a Scene with dots to draw."""
    if not isinstance(scene, Scene):
        raise ExportError(f"expected a carevis.Scene, not {type(scene).__name__}")
    if scene.n_dots == 0:
        raise ExportError("the scene has no dots to draw")
