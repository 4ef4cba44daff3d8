"""The page: the template (``page.html``), the player's scripts and the GPU frame's shaders
(``carevis/shaders/frame.*.glsl``, the very files the Python GPU frame compiles) and the
packed journeys, written as one HTML file that makes no network request."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ..._check import text as check_text
from ..._version import __version__
from ...atomic import atomic
from ...errors import ConfigError, ExportError
from ...layout import standard_states
from ...rules import opening_minutes
from ...scene import CongestionSettings, Scene
from ...scene.congestion import flag_table
from ...scene.labels import check_suppression, full_caption, size_note
from .pack import Packed, pack

#: The scripts, in the order the page runs them.
SCRIPTS = ("decode.js", "gpu.js", "player.js", "boot.js")
BACKGROUND = (247, 247, 244)
INK = (40, 40, 48)
MUTED = (110, 110, 120)


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def shader(name: str) -> str:
    """A GPU frame shader as the page holds it (raw text inside a script element)."""
    src = _read("carevis", f"shaders/{name}")
    if "</" in src:
        raise ExportError(f"shader {name} holds '</', which would end its script element")
    return src


def _json(value: Any) -> str:
    # inside <script type="application/json">: nothing may end the element early
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def groups_of(scene: Scene) -> dict[str, list[int]]:
    """The standard groups' names over their states' clusters (the overlay's rule: with
    the auto or pathway layout)."""
    if scene.settings.layout not in ("auto", "pathway"):
        return {}
    std = {s.label: s.group for s in standard_states()}
    out: dict[str, list[int]] = {}
    for i, label in enumerate(scene.states):
        if label in std:
            out.setdefault(std[label], []).append(i)
    return out


def _rgb(c: tuple[int, int, int]) -> str:
    return ", ".join(str(v) for v in c)


def build(
    scene: Scene,
    packed: Packed,
    *,
    title: str | None,
    caption: str | None,
    suppress_below: int,
    congestion: CongestionSettings | None,
    dot_radius: float | None,
    label_values: str = "count",
) -> str:
    """The page's text."""
    meta = dict(packed.meta)
    lo, hi = scene.journeys.minute_range or (0, 0)
    cong: dict[str, Any] | None = None
    if congestion is not None:  # the one rule, evaluated here: the page looks flags up
        cong = flag_table(scene.journeys, congestion, suppress_below)
        cong["halo"] = list(congestion.halo)
    meta.update(
        title=title,
        caption=full_caption(scene, caption),
        suppress_below=int(suppress_below),
        label_values=label_values,
        congestion=cong,
        legend_note=list(size_note(scene.min_cluster_children)),
        dot_radius=dot_radius,
        range=[lo, hi],
        opening=opening_minutes(scene.journeys.minute_range),
        groups=groups_of(scene),
        background=list(BACKGROUND),
    )
    script = "\n".join(_read(__package__ or "carevis.export.player", name) for name in SCRIPTS)
    if "</script" in script.lower():
        raise ExportError("a page script holds '</script'")
    parts = {
        "{{VERSION}}": __version__,
        "{{TITLE}}": html.escape(title or "carevis"),
        "{{INK}}": _rgb(INK),
        "{{MUTED}}": _rgb(MUTED),
        "{{BG}}": _rgb(BACKGROUND),
        "{{VERT}}": shader("frame.vert.glsl"),
        "{{FRAG}}": shader("frame.frag.glsl"),
        "{{META}}": _json(meta),
        "{{SCRIPT}}": script,
        "{{DATA}}": base64.b64encode(packed.blob).decode("ascii"),
    }
    page = _read(__package__ or "carevis.export.player", "page.html")
    # one pass, so that no inserted text is searched for the next placeholder
    out = []
    rest = page
    while "{{" in rest:
        i = rest.index("{{")
        j = rest.index("}}", i) + 2
        out.append(rest[:i])
        out.append(parts[rest[i:j]])
        rest = rest[j:]
    out.append(rest)
    return "".join(out)


def export_html(
    scene: Scene,
    path: str | os.PathLike[str],
    *,
    attributes: Sequence[str] = (),
    title: str | None = "Children's journeys through social care",
    caption: str | None = None,
    suppress_below: int = 0,
    congestion: CongestionSettings | None = None,
    dot_radius: float | None = None,
    level: int = 1,
    label_values: str = "count",
) -> Path:
    """Writes the scene as one self-contained HTML page (atomically): the journeys packed
    and compressed, drawn by WebGL2 with the GPU frame's shader, with play/pause, speed, a
    date slider, labels with live counts, the legend, hover, colour modes, filters by the
    ``attributes`` given and congestion flags. Counts below ``suppress_below`` read
    ``<N``; ``label_values`` "percent" or "both" shows shares of the children in the
    picture as the exported pictures do. Opens offline from ``file://``; makes no network
    request. Returns the path.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ExportError(f"{target}: an HTML page needs a .html name")
    if not target.parent.is_dir():
        raise ExportError(f"{target.parent}: no such folder")
    check_text("title", title)
    check_text("caption", caption)
    if isinstance(attributes, str):
        attributes = [attributes]
    check_suppression(suppress_below, "<N", label_values)
    if congestion is not None and not isinstance(congestion, CongestionSettings):
        raise ConfigError(f"congestion must be CongestionSettings or None, not {congestion!r}")
    if dot_radius is not None and not 0.3 <= float(dot_radius) <= 512:
        raise ConfigError(f"dot_radius {dot_radius} px is out of range 0.3..512")
    packed = pack(scene, list(attributes), level=level)
    text = build(
        scene,
        packed,
        title=title,
        caption=caption,
        suppress_below=suppress_below,
        congestion=congestion,
        dot_radius=None if dot_radius is None else float(dot_radius),
        label_values=label_values,
    )
    with atomic(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
