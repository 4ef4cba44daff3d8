"""Exporting pictures: one PNG, a numbered PNG sequence (resumable), MP4 / MOV / MKV video
(H.264 through imageio-ffmpeg; yuv444p, ProRes or FFV1 for archive quality) and GIF.

Every file is written under a temporary name beside its target and renamed when complete:
an interrupt or an error leaves no half-written file. Settings and the data's time range
go into each file's metadata. Computing frames, rasterising and encoding overlap (a
producer thread feeds the encoder, which runs as its own process).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from . import _check as check
from ._check import show
from ._progress import Progress
from ._time import MAX_MINUTES, MIN_MINUTES, MINUTES_PER_DAY, TimeLike, to_datetime, to_minutes
from .atomic import atomic, remove_stale_parts
from .encoder import Encoder, frames_and_seconds
from .errors import CarevisError, ConfigError, ExportError
from .journeys import SYNTHETIC_NOTE
from .render import (
    OverlayStyle,
    RenderSettings,
    check_settings,
    draw_overlay,
    full_caption,
    rasterise,
)
from .scene import Scene
from .scene.labels import shown_counts

#: Video codecs: name -> (container suffixes, ffmpeg codec, output params, needs even size).
#: H.264 is encoded at a constant quantiser (no rate control carried from frame to frame),
#: without B-frames, with a keyframe exactly every ``keyint`` frames (closed GOPs) and a fixed
#: thread count: a video encoded in pieces that start on keyframes (on a Dask cluster) then
#: decodes to the same frames as one encoded whole.
CODECS: dict[str, tuple[tuple[str, ...], str, list[str], bool]] = {
    "h264": (
        (".mp4", ".mov", ".mkv"),
        "libx264",
        ["-pix_fmt", "yuv420p"],
        True,
    ),
    "h264-444": (
        (".mp4", ".mov", ".mkv"),
        "libx264",
        ["-pix_fmt", "yuv444p"],
        False,
    ),
    "prores": ((".mov",), "prores_ks", ["-pix_fmt", "yuva444p10le", "-profile:v", "4"], False),
    "ffv1": ((".mkv",), "ffv1", ["-pix_fmt", "bgra", "-level", "3"], False),
}
#: x264 speed/size presets, fastest first. "ultrafast" keeps a 1080p video of a million
#: dots above 25 frames/s on two cores but makes files 2-4 times larger; "veryfast" is
#: the default (on the demo's content slower presets gave no smaller files).
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower")
DEFAULT_PRESET = "veryfast"
#: Named H.264 qualities: x264's constant quantiser (0-51, lower is better and larger).
#: A constant quantiser (not a rate factor, whose rate control carries over from frame to
#: frame) so that a video encoded in ranges on a cluster decodes to the same frames as one
#: encoded whole. Measured on the demo's content (1080p, 25 frames/s, veryfast): "email"
#: 8.9 Mbit/s (a 30 s clip is about 33 MB), "publication" 21 Mbit/s; quantiser 36 would
#: give 4.9 Mbit/s but loses single travelling dots.
QUALITIES = {"email": 30, "publication": 18}
DEFAULT_QUALITY = "email"
#: Frames between H.264 keyframes (4 s at 25 frames/s); cluster ranges start on them.
DEFAULT_KEYINT = 100
#: x264 threads, fixed: x264's output depends on its thread count.
X264_THREADS = 4
DEFAULT_CODEC = {".mp4": "h264", ".mov": "prores", ".mkv": "ffv1"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".gif"}


# --- helpers ---------------------------------------------------------------------------
def _settings(**kw: Any) -> RenderSettings:
    overlay = kw.pop("overlay", True)
    style_kw = {
        k: kw.pop(k) for k in ("title", "caption", "suppress_below", "suppress_style") if k in kw
    }
    fields = set(RenderSettings.__dataclass_fields__) - {"overlay"}
    unknown = sorted(set(kw) - fields)
    if unknown:
        known = ", ".join(sorted(fields | {"title", "caption", "suppress_below", "suppress_style"}))
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


def _check_target(path: Path, suffixes: set[str] | None = None) -> Path:
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


def _check_scene(scene: Scene) -> None:
    if not isinstance(scene, Scene):
        raise ExportError(f"expected a carevis.Scene, not {type(scene).__name__}")
    if scene.n_dots == 0:
        raise ExportError("the scene has no dots to draw")


def frame_times(
    scene: Scene,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    fps: float = 25.0,
    days_per_second: float = 30.0,
) -> np.ndarray:
    """The times (minutes) of a clip's frames from ``start`` to ``end`` inclusive."""
    if not (np.isfinite(fps) and fps > 0):
        raise ExportError(f"fps must be positive, not {fps}")
    if not (np.isfinite(days_per_second) and days_per_second > 0):
        raise ExportError(f"days per second must be positive, not {days_per_second}")
    lo, hi = scene.journeys.minute_range or (0, 0)
    a = to_minutes(start) if start is not None else float(lo)
    b = to_minutes(end) if end is not None else float(hi)
    if not b > a:
        raise ExportError(
            f"empty time range: from {to_datetime(a):%Y-%m-%d} to {to_datetime(b):%Y-%m-%d}"
        )
    step = days_per_second * MINUTES_PER_DAY / fps
    n = int(np.floor((b - a) / step)) + 1
    if n > 10_000_000:
        raise ExportError(f"{n:,} frames is too many; raise --days-per-second or shorten the range")
    return a + step * np.arange(n)


def _clip_times(
    scene: Scene,
    times: Sequence[float] | None,
    start: TimeLike | None,
    end: TimeLike | None,
    fps: float,
    days_per_second: float,
) -> np.ndarray:
    """The frame times (minutes) given, or those from ``start`` to ``end``."""
    if times is not None:
        try:
            ts = np.asarray(times, float)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(
                f"times must be numbers (minutes since 1970), not {show(times)}"
            ) from None
        if ts.ndim != 1:
            raise ConfigError(f"times must be a flat list of minutes, not shape {ts.shape}")
        bad = ~(np.isfinite(ts) & (ts >= MIN_MINUTES) & (ts <= MAX_MINUTES))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ConfigError(
                f"times[{k}] = {ts[k]!r} is not a finite time (minutes since 1970) "
                "within the years 1 to 9999"
            )
        return ts
    return frame_times(scene, start, end, fps, days_per_second)


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
            if k in ("title", "caption", "suppress_below")
        }
        meta["overlay"]["caption"] = full_caption(scene, s.overlay.caption)
    if scene.journeys.synthetic:
        meta["synthetic"] = SYNTHETIC_NOTE
    meta.update(extra or {})
    return meta


def _render_one(
    scene: Scene, minutes: float, s: RenderSettings, frame: Any, image: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = scene.frame_at_minutes(minutes, frame)
    img = rasterise(frame, s, image, scene)
    return img, shown_counts(scene, frame), scene.radii_at_minutes(minutes)


def _finish(
    scene: Scene,
    minutes: float,
    s: RenderSettings,
    img: np.ndarray,
    counts: np.ndarray,
    radii: np.ndarray,
) -> np.ndarray:
    if s.overlay is not None:
        draw_overlay(img, scene, minutes, counts, radii, s.viewport(), s.overlay, s.background)
    return img


def _pipeline(
    scene: Scene, times: Sequence[float] | np.ndarray, s: RenderSettings, depth: int = 3
) -> Iterator[tuple[float, np.ndarray]]:
    """Yields finished images in order while the next frames are computed and rasterised
    in a producer thread (the Rust core releases the GIL)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    images = [np.empty((s.height, s.width, 4), np.uint8) for _ in range(depth + 2)]
    frames = [scene.buffers() for _ in range(2)]

    def produce() -> None:
        try:
            for k, m in enumerate(times):
                if stop.is_set():
                    return
                q.put((m, *_render_one(scene, m, s, frames[k % 2], images[k % len(images)])))
            q.put(None)
        except BaseException as e:
            q.put(e)

    worker = threading.Thread(target=produce, name="carevis-render", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            m, img, counts, radii = item
            yield m, _finish(scene, m, s, img, counts, radii)
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        worker.join()


# --- PNG ---------------------------------------------------------------------------------
def _write_png(img: np.ndarray, path: Path, meta: dict[str, Any], compress_level: int = 1) -> None:
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
    target = _check_target(Path(path), {".png"})
    _check_scene(scene)
    s = _settings(width=width, height=height, renderer=renderer, dot_radius=dot_radius, **style)
    minutes = to_minutes(t)
    img, counts, radii = _render_one(scene, minutes, s, scene.buffers())
    img = _finish(scene, minutes, s, img, counts, radii)
    _write_png(img, target, metadata(scene, s, {"t": to_datetime(minutes).isoformat()}))
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
    _check_target(out / "frame_000000.png", {".png"})
    remove_stale_parts(out, lambda stem: stem.startswith("frame_"))
    _check_scene(scene)
    s = _settings(width=width, height=height, renderer=renderer, dot_radius=dot_radius, **style)
    ts = _clip_times(scene, times, start, end, fps, days_per_second)
    paths = [out / f"frame_{k:06d}.png" for k in range(len(ts))]
    todo = [k for k, p in enumerate(paths) if not p.exists()]
    meta = metadata(scene, s, {"fps": fps, "days_per_second": days_per_second, "frames": len(ts)})
    with Progress(len(todo), "frames", enabled=progress) as bar:
        for (m, img), k in zip(_pipeline(scene, [ts[k] for k in todo], s), todo, strict=False):
            _write_png(img, paths[k], {**meta, "frame": k, "t": to_datetime(m).isoformat()})
            bar.update()
    return paths


# --- video --------------------------------------------------------------------------------
def video(
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
    client: Any = None,
    workers: int | None = None,
    keyint: int = DEFAULT_KEYINT,
    **style: Any,
) -> Path:
    """Writes a video (.mp4 / .mov / .mkv through ffmpeg, or .gif) of ``scene`` from
    ``start`` to ``end`` at ``fps``, ``days_per_second`` of data per second of video.
    ``client`` (a dask.distributed Client) or ``workers`` (a local cluster of N
    processes) spread the frames over several processes (needs ``carevis[dask]``).
    ``quality`` is H.264's quality: a name in :data:`QUALITIES` (``"email"``, the default,
    about 9 Mbit/s at 1080p; ``"publication"``, visually lossless) or x264's constant
    quantiser 0-51; ``preset`` its speed/size trade-off (default ``"veryfast"``);
    ``keyint`` the frames between its keyframes. A GIF is made in this process only
    (``client`` and ``workers`` are refused)."""
    target = _check_target(Path(path), VIDEO_SUFFIXES)
    if preset not in X264_PRESETS:
        raise ExportError(f"unknown preset {show(preset)}: use {', '.join(X264_PRESETS)}")
    rate = qp_value(quality)
    keyint = check.whole("keyint", keyint, 1, 10_000)
    check.flag("progress", progress, optional=True)
    if target.suffix.lower() == ".gif" and (client is not None or workers is not None):
        raise ConfigError(
            "a GIF is made in this process: a Dask client or workers apply to "
            ".mp4, .mov and .mkv videos only"
        )
    _check_scene(scene)
    s = _settings(width=width, height=height, renderer=renderer, dot_radius=dot_radius, **style)
    suffix = target.suffix.lower()
    ts = _clip_times(scene, times, start, end, fps, days_per_second)
    if len(ts) == 0:
        raise ExportError("no frames to write")
    meta = metadata(
        scene,
        s,
        {
            "fps": fps,
            "days_per_second": days_per_second,
            "frames": len(ts),
            "from": to_datetime(ts[0]).isoformat(),
            "to": to_datetime(ts[-1]).isoformat(),
            "preset": preset,
            "keyint": keyint,
            "qp": rate,
        },
    )
    if suffix == ".gif":
        _gif(scene, target, ts, s, fps, progress)
        return target
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
    if client is not None or workers is not None:
        from .distributed import video as distributed_video

        done: Path = distributed_video(
            scene,
            target,
            ts,
            s,
            fps=fps,
            codec=name,
            meta=meta,
            client=client,
            workers=workers,
            progress=progress,
        )
        return done
    with atomic(target) as tmp:
        encode(
            _pipeline(scene, ts, s),
            tmp,
            s,
            fps,
            name,
            meta,
            Progress(len(ts), "video", enabled=progress),
        )
    return target


def qp_value(quality: int | str) -> int:
    """x264's constant quantiser for a quality name or number (checked)."""
    if isinstance(quality, str) and quality in QUALITIES:
        return QUALITIES[quality]
    if (
        isinstance(quality, (int, np.integer))
        and not isinstance(quality, bool)
        and 0 <= quality <= 51
    ):
        return int(quality)
    raise ExportError(
        f"unknown quality {quality!r}: use {', '.join(QUALITIES)} or a quantiser 0-51"
    )


def x264_params(quality: int | str, preset: str) -> list[str]:
    """ffmpeg's options for x264 at a quality (name or quantiser) and preset."""
    return ["-qp", str(qp_value(quality)), "-preset", str(preset)]


def encode(
    images: Iterator[tuple[float, np.ndarray]],
    path: Path,
    s: RenderSettings,
    fps: float,
    codec: str,
    meta: dict[str, Any],
    bar: Progress | None = None,
) -> int:
    """Encodes RGBA images to ``path`` with ffmpeg; returns the number of frames. Checks
    ffmpeg's exit status and that the file holds every frame (an ExportError if not)."""
    ffcodec, params = CODECS[codec][1], list(CODECS[codec][2])
    if ffcodec == "libx264":
        keyint = int(meta.get("keyint", DEFAULT_KEYINT))
        params += x264_params(meta.get("qp", DEFAULT_QUALITY), meta.get("preset", DEFAULT_PRESET))
        params += [
            "-threads",
            str(X264_THREADS),
            "-x264-params",
            # Closed GOPs of fixed length, no lookahead across them (mbtree off), so a
            # video encoded in ranges on a cluster decodes to the same frames.
            f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=0:open-gop=0",
        ]
    out_params = [*params, "-metadata", f"comment={json.dumps(meta)}"]
    if path.suffix.lower() in (".mp4", ".mov"):
        out_params += ["-movflags", "+faststart+use_metadata_tags"]
    try:
        with Encoder(path, (s.width, s.height), fps, ffcodec, out_params) as writer:
            for _, img in images:
                writer.write(img)
                if bar is not None:
                    bar.update()
            return writer.finish()
    finally:
        if bar is not None:
            bar.close()


def _gif(
    scene: Scene, target: Path, ts: np.ndarray, s: RenderSettings, fps: float, progress: bool | None
) -> None:
    from PIL import Image

    if len(ts) * s.width * s.height > 4_000_000_000:
        raise ExportError("a GIF this long and large would not fit in memory; write an MP4 instead")
    bg = Image.new("RGBA", (s.width, s.height), tuple(s.background))

    def flat(img: np.ndarray) -> Any:
        return Image.alpha_composite(bg, Image.fromarray(img, "RGBA")).convert("RGB")

    # one palette for the whole clip, from frames spread over it (rendered twice)
    picks = np.unique(np.linspace(0, len(ts) - 1, min(16, len(ts))).round().astype(int))
    palette = clip_palette([flat(img) for _, img in _pipeline(scene, ts[picks], s)])
    pics = []
    with Progress(len(ts), "gif", enabled=progress) as bar:
        for _, img in _pipeline(scene, ts, s):
            pics.append(flat(img).quantize(palette=palette, dither=Image.Dither.NONE))
            bar.update()
    with atomic(target) as tmp:
        pics[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=pics[1:],
            duration=round(1000 / fps),
            loop=0,
            palette=palette.getpalette(),  # the global table: no frame gets one of its own
            optimize=False,
        )


def clip_palette(pictures: Sequence[Any]) -> Any:
    """One 255-colour palette (a PIL "P" image) for a whole clip, from some of its
    pictures (RGB) stacked: every frame of a GIF then shares it, so colours do not flicker
    from frame to frame (one global colour table, no local ones)."""
    from PIL import Image

    w, h = pictures[0].size
    sheet = Image.new("RGB", (w, h * len(pictures)))
    for k, p in enumerate(pictures):
        sheet.paste(p, (0, k * h))
    return sheet.quantize(255, method=Image.Quantize.MEDIANCUT)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The carevis metadata stored in a PNG or video file."""
    p = Path(path)
    if p.suffix.lower() == ".png":
        from PIL import Image

        with Image.open(p) as im:
            meta: dict[str, Any] = json.loads(im.text.get("Description", "{}"))  # type: ignore[attr-defined,unused-ignore]
            return meta
    import subprocess

    import imageio_ffmpeg

    r = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(p), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in r.stdout.splitlines():
        if line.lower().startswith("comment="):
            found: dict[str, Any] = json.loads(
                line[len("comment=") :]
                .replace("\\=", "=")
                .replace("\\;", ";")
                .replace("\\#", "#")
                .replace("\\\\", "\\")
            )
            return found
    raise CarevisError(f"{p}: no carevis metadata found")


def count_frames(path: str | os.PathLike[str]) -> int:
    """Frames in a video file."""
    return frames_and_seconds(Path(path))[0]


__all__ = [
    "CODECS",
    "atomic",
    "count_frames",
    "frame_times",
    "frames",
    "png",
    "read_metadata",
    "video",
]
_ = dt
