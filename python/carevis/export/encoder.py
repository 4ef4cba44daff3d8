"""The one encoder module: ffmpeg (the binary imageio-ffmpeg ships) for MP4 / MOV / MKV,
PIL for GIF. RGBA frames go in on a pipe, ffmpeg's exit status is checked and the file it
wrote is probed (frames, duration) before anyone renames it onto a target. A failure at any
point (ffmpeg refusing the options, dying part-way, a full disk, a file cut short) is an
:class:`ExportError` with ffmpeg's own words. Also here: the codecs and x264 settings,
joining encoded segments without re-encoding (concat), and a GIF's one palette."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._progress import Progress
from ..errors import ExportError

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
#: encoded whole. Measured on the bench's content (1M dots, 1080p, 25 frames/s, veryfast,
#: 150 frames; issue 17 asks about 5 Mbit/s for the demo's content): quantisers 30 / 32 /
#: 33 / 34 gave 7.8 / 6.5 / 5.9 / 5.4 Mbit/s, "publication" 18.6 Mbit/s. The demo's own
#: video (30.4 s, 1080p) is 5.9 Mbit/s at 34, 5.2 at 35 ("email": a 30 s clip about
#: 20 MB) and 4.7 at 36. Single travelling dots lose most of their colour at 30 already
#: (4:2:0 chroma; use codec "h264-444" to keep it), and look the same at 35.
QUALITIES = {"email": 35, "publication": 18}
DEFAULT_QUALITY = "email"
#: Frames between H.264 keyframes (4 s at 25 frames/s); cluster ranges start on them.
DEFAULT_KEYINT = 100
#: x264 threads, fixed: x264's output depends on its thread count.
X264_THREADS = 4
DEFAULT_CODEC = {".mp4": "h264", ".mov": "prores", ".mkv": "ffv1"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".gif"}

#: Seconds to wait for ffmpeg to finish writing once its input is closed.
FINISH_TIMEOUT = 600


def ffmpeg_exe() -> str:
    """The ffmpeg binary imageio-ffmpeg ships."""
    import imageio_ffmpeg

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


class Encoder:
    """One ffmpeg process writing ``path``; :meth:`write` frames, then :meth:`finish`
    (or :meth:`abort`). Use as a context manager: leaving early aborts."""

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        fps: float,
        codec: str,
        output_params: list[str],
    ) -> None:
        self.path = Path(path)
        self.size = size
        self.fps = fps
        self.frames = 0
        w, h = size
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-vcodec",
            "rawvideo",
            "-s",
            f"{w}x{h}",
            "-pix_fmt",
            "rgba",
            "-r",
            repr(float(fps)),
            "-i",
            "-",
            "-an",
            "-vcodec",
            codec,
            *output_params,
            "-y",
            str(self.path),
        ]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish/abort
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._log)
        except OSError as e:
            self._log.close()
            raise ExportError(f"cannot start ffmpeg: {e}") from e

    def _said(self) -> str:
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return text[-1500:] or "no message"

    def _failed(self, what: str) -> ExportError:
        return ExportError(f"{self.path.name}: {what}: {self._said()}")

    def write(self, image: np.ndarray) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.ascontiguousarray(image).data)
        except (BrokenPipeError, OSError):
            self._proc.wait()
            raise self._failed(f"ffmpeg stopped (exit status {self._proc.returncode})") from None
        self.frames += 1

    def finish(self) -> int:
        """Closes the input, waits for ffmpeg, checks its exit status and probes the file:
        it must decode to every frame written. Returns the frames."""
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self._proc.stdin.close()
        try:
            code = self._proc.wait(timeout=FINISH_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.abort()
            raise self._failed(f"ffmpeg did not finish within {FINISH_TIMEOUT} s") from None
        if code != 0:
            raise self._failed(f"ffmpeg failed (exit status {code})")
        self._log.close()
        if self.frames == 0:
            raise ExportError("no frames were written")
        probe(self.path, self.frames, self.fps)
        return self.frames

    def abort(self) -> None:
        """Stops ffmpeg at once (the caller removes the partial file)."""
        if self._proc.poll() is None:
            self._proc.kill()
        with contextlib.suppress(Exception):
            self._proc.wait(timeout=10)
        with contextlib.suppress(BrokenPipeError, OSError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        self._log.close()

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc.returncode is None:
            self.abort()


_FRAME = re.compile(rb"frame=\s*(\d+)")
_TIME = re.compile(rb"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


def frames_and_seconds(path: Path) -> tuple[int, float]:
    """Frames and duration of a video's first video stream, read by ffmpeg (packets
    copied, not decoded: fast). An unreadable file is an ExportError."""
    r = subprocess.run(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-c",
            "copy",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    frames, times = _FRAME.findall(r.stderr), _TIME.findall(r.stderr)
    if r.returncode != 0 or not frames or not times:
        said = r.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ExportError(f"{path.name}: the file written cannot be read back: {' / '.join(said)}")
    h, m, s = times[-1]
    return int(frames[-1]), int(h) * 3600 + int(m) * 60 + float(s)


def probe(path: Path, frames: int, fps: float) -> None:
    """Refuses a video that does not hold ``frames`` frames lasting about ``frames/fps``."""
    found, seconds = frames_and_seconds(path)
    expected = frames / fps
    if found != frames or abs(seconds - expected) > 2.0 / fps + 0.05:
        raise ExportError(
            f"{path.name}: the file written holds {found} frames ({seconds:.2f} s), "
            f"not the {frames} ({expected:.2f} s) sent to ffmpeg"
        )


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


def output_params(codec: str, suffix: str, meta: dict[str, Any]) -> list[str]:
    """ffmpeg's output options for ``codec`` in a ``suffix`` file: the codec's own, x264's
    quantiser, preset and fixed keyframes (from ``meta``), and ``meta`` as the comment."""
    params = list(CODECS[codec][2])
    if CODECS[codec][1] == "libx264":
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
    return [*params, *_container_params(suffix, meta)]


def _container_params(suffix: str, meta: dict[str, Any]) -> list[str]:
    out = ["-metadata", f"comment={json.dumps(meta)}"]
    if suffix.lower() in (".mp4", ".mov"):
        out += ["-movflags", "+faststart+use_metadata_tags"]
    return out


def encode(
    images: Iterable[tuple[float, np.ndarray]],
    path: Path,
    size: tuple[int, int],
    fps: float,
    codec: str,
    meta: dict[str, Any],
    bar: Progress | None = None,
) -> int:
    """Encodes RGBA images (``(minutes, image)`` pairs, as the frame pipeline yields them)
    of ``size`` (width, height) to ``path`` with ffmpeg; returns the number of frames.
    Checks ffmpeg's exit status and that the file holds every frame (an ExportError if
    not)."""
    params = output_params(codec, path.suffix, meta)
    try:
        with Encoder(path, size, fps, CODECS[codec][1], params) as writer:
            for _, img in images:
                writer.write(img)
                if bar is not None:
                    bar.update()
            return writer.finish()
    finally:
        if bar is not None:
            bar.close()


def _quoted(p: Path) -> str:
    """A path for ffmpeg's concat list, inside single quotes."""
    return os.fspath(p.resolve()).replace("'", "'\\''")


def concat(segments: Sequence[Path], target: Path, meta: dict[str, Any]) -> None:
    """Joins encoded segments into ``target`` without re-encoding (ffmpeg concat demuxer)."""
    listing = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.txt")
    try:
        listing.write_text("".join(f"file '{_quoted(p)}'\n" for p in segments))
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-map",
            "0",
            "-c",
            "copy",
            *_container_params(target.suffix, meta),
        ]
        r = subprocess.run([*cmd, "-y", str(target)], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            why = r.stderr.strip()[-2000:]
            raise ExportError(f"joining {len(segments)} segments into {target.name} failed: {why}")
    finally:
        with contextlib.suppress(FileNotFoundError):
            listing.unlink()


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


def write_gif(pictures: Sequence[Any], path: Path, fps: float, palette: Any) -> None:
    """Writes PIL pictures quantised to ``palette`` (see :func:`clip_palette`) as a looping
    GIF with that one global colour table (no frame gets one of its own)."""
    pictures[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=list(pictures[1:]),
        duration=round(1000 / fps),
        loop=0,
        palette=palette.getpalette(),
        optimize=False,
    )
