"""The ffmpeg encoder (the binary imageio-ffmpeg ships): RGBA frames in on a pipe, its exit
status checked, and the file it wrote probed (frames, duration) before anyone renames it
onto a target. A failure at any point (ffmpeg refusing the options, dying part-way, a full
disk, a file cut short) is an :class:`ExportError` with ffmpeg's own words."""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .errors import ExportError

#: Seconds to wait for ffmpeg to finish writing once its input is closed.
FINISH_TIMEOUT = 600


def ffmpeg_exe() -> str:
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
