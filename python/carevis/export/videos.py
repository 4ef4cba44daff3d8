"""Videos: MP4 / MOV / MKV (H.264 through ffmpeg; yuv444p, ProRes or FFV1 for archive
quality) and GIF, made in this process. :func:`prepare_video` checks a video's options once
and returns a :class:`VideoJob`; :func:`video` renders it here, and
:func:`carevis.distributed.video` renders the same job on a Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import _check as check
from .._check import show
from .._progress import Progress
from .._time import TimeLike, to_datetime
from ..atomic import atomic
from ..errors import ConfigError, ExportError
from ..render import RenderSettings
from ..scene import Scene
from .encoder import (
    CODECS,
    DEFAULT_CODEC,
    DEFAULT_KEYINT,
    DEFAULT_PRESET,
    DEFAULT_QUALITY,
    VIDEO_SUFFIXES,
    X264_PRESETS,
    clip_palette,
    encode,
    qp_value,
    write_gif,
)
from .meta import metadata
from .options import check_scene, check_target, render_settings
from .pipeline import pictures
from .times import clip_times

#: Largest GIF (frames x width x height) held in memory while its palette is applied.
MAX_GIF_PIXELS = 4_000_000_000
#: Said when export.video is given a Dask client or workers.
CLUSTER_MOVED = (
    "carevis.export.video renders in this process; to render on a Dask cluster call "
    "carevis.distributed.video(scene, path, client=... or workers=N, ...) with the same "
    "options (a GIF is always made in this process)"
)


@dataclass(frozen=True)
class VideoJob:
    """A video export with every option checked: what to render (scene, frame times in
    minutes, settings), how to encode it (``codec``: a key of :data:`CODECS`, or ``"gif"``)
    and the metadata the file carries."""

    scene: Scene
    target: Path
    times: np.ndarray
    settings: RenderSettings
    fps: float
    codec: str
    meta: dict[str, Any]
    progress: bool | None

    @property
    def keyint(self) -> int:
        """Frames between keyframes: H.264's fixed spacing, 1 for intra-only codecs."""
        return int(self.meta["keyint"]) if CODECS[self.codec][1] == "libx264" else 1


def _codec(target: Path, codec: str | None, s: RenderSettings) -> str:
    """The codec for ``target`` (``codec``, or the default for its suffix), checked."""
    suffix = target.suffix.lower()
    if suffix == ".gif":
        return "gif"
    name = codec or DEFAULT_CODEC[suffix]
    if name not in CODECS:
        raise ExportError(f"unknown codec {name!r}: use {', '.join(CODECS)}")
    suffixes, _ffcodec, _params, even = CODECS[name]
    if suffix not in suffixes:
        raise ExportError(
            f"{target}: codec {name!r} does not fit a {suffix} file (use {', '.join(suffixes)})"
        )
    if even and (s.width % 2 or s.height % 2):
        raise ExportError(
            f"{name} needs an even width and height, not {s.width}x{s.height} "
            "(or use codec 'h264-444')"
        )
    return name


def prepare_video(
    scene: Scene,
    path: str | os.PathLike[str],
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    fps: float = 25.0,
    days_per_second: float = 30.0,
    times: Sequence[float] | None = None,
    width: int = 1920,
    height: int = 1080,
    codec: str | None = None,
    preset: str = DEFAULT_PRESET,
    quality: int | str = DEFAULT_QUALITY,
    renderer: str = "cpu",
    dot_radius: float | None = None,
    progress: bool | None = None,
    keyint: int = DEFAULT_KEYINT,
    **style: Any,
) -> VideoJob:
    """Checks a video's options (those of :func:`video`) before any work starts."""
    target = check_target(Path(path), VIDEO_SUFFIXES)
    if preset not in X264_PRESETS:
        raise ExportError(f"unknown preset {show(preset)}: use {', '.join(X264_PRESETS)}")
    rate = qp_value(quality)
    keyint = check.whole("keyint", keyint, 1, 10_000)
    check.flag("progress", progress, optional=True)
    check_scene(scene)
    s = render_settings(
        width=width, height=height, renderer=renderer, dot_radius=dot_radius, **style
    )
    ts = clip_times(scene, times, start, end, fps, days_per_second)
    if len(ts) == 0:
        raise ExportError("no frames to write")
    extra = {
        "fps": fps,
        "days_per_second": days_per_second,
        "frames": len(ts),
        "from": to_datetime(ts[0]).isoformat(),
        "to": to_datetime(ts[-1]).isoformat(),
        "preset": preset,
        "keyint": keyint,
        "qp": rate,
    }
    meta = metadata(scene, s, extra)
    return VideoJob(scene, target, ts, s, fps, _codec(target, codec, s), meta, progress)


def video(
    scene: Scene,
    path: str | os.PathLike[str],
    *,
    client: Any = None,
    workers: int | None = None,
    **options: Any,
) -> Path:
    """Writes a video (.mp4 / .mov / .mkv through ffmpeg, or .gif) of ``scene`` from
    ``start`` to ``end`` at ``fps``, ``days_per_second`` of data per second of video (or
    at the minutes ``times``), ``width`` x ``height`` pixels; returns the path.

    ``quality`` is H.264's quality: a name in :data:`QUALITIES` (``"email"``, the default,
    about 5 Mbit/s at 1080p; ``"publication"``, visually lossless) or x264's constant
    quantiser 0-51; ``preset`` its speed/size trade-off (default ``"veryfast"``);
    ``keyint`` the frames between its keyframes; ``codec`` one of :data:`CODECS` (default
    by suffix). ``renderer``, ``dot_radius``, ``progress`` and the overlay's ``title``,
    ``caption``, ``suppress_below`` as for :func:`png`. See :func:`prepare_video` for
    every option and its default.

    Renders in this process. On a Dask cluster use :func:`carevis.distributed.video`
    with the same options: ``client`` and ``workers`` here are a ConfigError saying so."""
    if client is not None or workers is not None:
        raise ConfigError(CLUSTER_MOVED)
    job = prepare_video(scene, path, **options)
    if job.codec == "gif":
        _gif(job)
        return job.target
    s = job.settings
    with atomic(job.target) as tmp:
        encode(
            pictures(job.scene, job.times, s),
            tmp,
            (s.width, s.height),
            job.fps,
            job.codec,
            job.meta,
            Progress(len(job.times), "video", enabled=job.progress),
        )
    return job.target


def _gif(job: VideoJob) -> None:
    """Renders a GIF: one palette for the clip, from frames spread over it (rendered twice)."""
    from PIL import Image

    s, ts = job.settings, job.times
    if len(ts) * s.width * s.height > MAX_GIF_PIXELS:
        raise ExportError("a GIF this long and large would not fit in memory; write an MP4 instead")
    bg = Image.new("RGBA", (s.width, s.height), tuple(s.background))

    def flat(img: np.ndarray) -> Any:
        return Image.alpha_composite(bg, Image.fromarray(img, "RGBA")).convert("RGB")

    picks = np.unique(np.linspace(0, len(ts) - 1, min(16, len(ts))).round().astype(int))
    palette = clip_palette([flat(img) for _, img in pictures(job.scene, ts[picks], s)])
    pics = []
    with Progress(len(ts), "gif", enabled=job.progress) as bar:
        for _, img in pictures(job.scene, ts, s):
            pics.append(flat(img).quantize(palette=palette, dither=Image.Dither.NONE))
            bar.update()
    with atomic(job.target) as tmp:
        write_gif(pics, tmp, job.fps, palette)
