"""Pictures as PNG files: one picture, or a numbered sequence that resumes where an
interrupted run stopped. Each file carries its metadata and is written then renamed."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._progress import Progress
from .._time import TimeLike, to_datetime, to_minutes
from ..atomic import atomic, remove_stale_parts
from ..errors import ExportError
from ..scene import Scene
from .meta import metadata
from .options import check_scene, check_target, render_settings
from .pipeline import layouts, pictures, still
from .times import clip_times


def write_png(img: np.ndarray, path: Path, meta: dict[str, Any], compress_level: int = 1) -> None:
    """Writes an RGBA picture as a PNG with ``meta`` in its text (atomically)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", "carevis")
    info.add_text("Description", json.dumps(meta))
    if "synthetic" in meta:
        info.add_text("Disclaimer", str(meta["synthetic"]))
    with atomic(path) as tmp:
        Image.fromarray(img, "RGBA").save(
            tmp, format="PNG", pnginfo=info, compress_level=compress_level
        )


def png(
    scene: Scene,
    t: TimeLike,
    path: str | os.PathLike[str],
    *,
    width: int = 3840,
    height: int = 2160,
    renderer: str = "cpu",
    dot_radius: float | None = None,
    **style: Any,
) -> Path:
    """Writes the picture at ``t`` to a PNG file (atomically). Returns the path."""
    target = check_target(Path(path), {".png"})
    check_scene(scene)
    s = render_settings(
        width=width, height=height, renderer=renderer, dot_radius=dot_radius, **style
    )
    minutes = to_minutes(t)
    img = still(scene, minutes, s)
    write_png(img, target, metadata(scene, s, {"t": to_datetime(minutes).isoformat()}))
    return target


def frames(
    scene: Scene,
    out_dir: str | os.PathLike[str],
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    fps: float = 25.0,
    days_per_second: float = 30.0,
    times: Sequence[float] | None = None,
    width: int = 1920,
    height: int = 1080,
    renderer: str = "cpu",
    dot_radius: float | None = None,
    progress: bool | None = None,
    **style: Any,
) -> list[Path]:
    """Writes a numbered PNG sequence ``frame_000000.png``...; frames already written (by
    an earlier, interrupted run) are kept and skipped, so a run resumes where it stopped."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    check_target(out / "frame_000000.png", {".png"})
    remove_stale_parts(out, lambda stem: stem.startswith("frame_"))
    check_scene(scene)
    s = render_settings(
        width=width, height=height, renderer=renderer, dot_radius=dot_radius, **style
    )
    ts = clip_times(scene, times, start, end, fps, days_per_second)
    paths = [out / f"frame_{k:06d}.png" for k in range(len(ts))]
    todo = [k for k, p in enumerate(paths) if not p.exists()]
    meta = metadata(scene, s, {"fps": fps, "days_per_second": days_per_second, "frames": len(ts)})
    # resumed: each run of missing frames starts from the layout of the frame before it
    # (found without drawing), so the labels stand where one whole run puts them
    runs = _runs(todo)
    seeds = list(layouts(scene, ts[: runs[-1][0]], s)) if runs and runs[-1][0] > 0 else []
    with Progress(len(todo), "frames", enabled=progress) as bar:
        for run in runs:
            seed = seeds[run[0] - 1] if run[0] > 0 else None
            run_times = ts[run[0] : run[-1] + 1]
            for (m, img), k in zip(pictures(scene, run_times, s, previous=seed), run, strict=True):
                write_png(img, paths[k], {**meta, "frame": k, "t": to_datetime(m).isoformat()})
                bar.update()
    return paths


def _runs(ks: list[int]) -> list[list[int]]:
    """Consecutive runs of the sorted integers ``ks``: [0, 1, 2, 5, 6] -> [[0, 1, 2], [5, 6]]."""
    out: list[list[int]] = []
    for k in ks:
        if out and out[-1][-1] == k - 1:
            out[-1].append(k)
        else:
            out.append([k])
    return out
