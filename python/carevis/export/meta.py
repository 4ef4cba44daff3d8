"""What an exported file records about itself (settings and the data's time range, never an
identifier), and reading it back: from a PNG's text chunk or a video's comment."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..errors import CarevisError
from ..journeys import SYNTHETIC_NOTE
from ..render import RenderSettings, full_caption
from ..scene import Scene
from . import encoder


def metadata(
    scene: Scene, s: RenderSettings, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Settings and data range recorded in exported files (no identifiers)."""
    tr = scene.journeys.time_range
    meta: dict[str, Any] = {
        "software": "carevis",
        "colour": scene.colour,
        "layout": scene.layout if isinstance(scene.layout, str) else "custom",
        "children": scene.n_dots,
        "spells": scene.journeys.n_spells,
        "data_from": tr[0].date().isoformat() if tr else None,
        "data_to": tr[1].date().isoformat() if tr else None,
        "transit_days": scene.transit_days,
        "fade_days": scene.fade_days,
        "width": s.width,
        "height": s.height,
        "renderer": s.renderer,
        "dot_radius": s.radius(),
    }
    if s.overlay is not None:
        meta["overlay"] = {
            k: v
            for k, v in asdict(s.overlay).items()
            if k in ("title", "caption", "suppress_below", "label_values")
        }
        meta["overlay"]["caption"] = full_caption(scene, s.overlay.caption)
    if scene.journeys.synthetic:
        meta["synthetic"] = SYNTHETIC_NOTE
    meta.update(extra or {})
    return meta


def _unescape(value: str) -> str:
    """A value of ffmpeg's ffmetadata format, unescaped."""
    return value.replace("\\=", "=").replace("\\;", ";").replace("\\#", "#").replace("\\\\", "\\")


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The carevis metadata stored in a PNG or video file."""
    p = Path(path)
    if p.suffix.lower() == ".png":
        from PIL import Image

        with Image.open(p) as im:
            meta: dict[str, Any] = json.loads(im.text.get("Description", "{}"))  # type: ignore[attr-defined,unused-ignore]
            return meta
    r = subprocess.run(
        [encoder.ffmpeg_exe(), "-i", str(p), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in r.stdout.splitlines():
        if line.lower().startswith("comment="):
            found: dict[str, Any] = json.loads(_unescape(line[len("comment=") :]))
            return found
    raise CarevisError(f"{p}: no carevis metadata found")


def count_frames(path: str | os.PathLike[str]) -> int:
    """Frames in a video file."""
    return encoder.frames_and_seconds(Path(path))[0]
