"""A video rendered in frame ranges across a Dask cluster.

The frames are split into contiguous ranges. Each worker loads the data once (from the file
the journeys were read from, when every worker can see it; otherwise from an Arrow table
scattered to every worker), rebuilds the same Scene (:mod:`.recipe`), renders its ranges
through the one frame pipeline and encodes each with the one encoder into a segment file in
a temporary folder beside the target. The segments are joined without re-encoding
(ffmpeg's concat demuxer, ``-c copy``) into the target, atomically. A worker lost mid-way
has its range rendered again elsewhere."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .._progress import Progress
from ..atomic import atomic
from ..errors import ConfigError, ExportError
from ..export import VideoJob, layouts, pictures, prepare_video
from ..export.encoder import concat, encode, probe
from ..render import RenderSettings
from ..render.layout_text import TextLayout
from ..scene import Scene
from .cluster import DEFAULT_TIMEOUT, _cluster, _dask, _results
from .recipe import Recipe, _forget, _worker_scene, recipe

#: Test hook: a file path; when that file exists, the range whose number it holds makes
#: its worker process exit half-way through (once: the file is claimed by renaming it).
KILL_HOOK = "CAREVIS_TEST_KILL_RANGE"
#: Fewest frames in a range (each range is one ffmpeg process and one keyframe boundary).
MIN_RANGE_FRAMES = 8
#: Ranges per worker thread, so a slow or lost worker holds back little of the work.
RANGES_PER_THREAD = 3


def _kill_hook(
    k: int, images: Iterator[tuple[float, np.ndarray]], n: int
) -> Iterator[tuple[float, np.ndarray]]:
    """Passes images through; for the test hook, exits this process half-way through
    range ``k`` when the hook file names it (the first attempt only)."""
    hook = os.environ.get(KILL_HOOK, "")
    armed = False
    if hook and os.path.exists(hook):
        with contextlib.suppress(OSError, ValueError):
            armed = int(Path(hook).read_text().strip()) == k
    for i, item in enumerate(images):
        if armed and i == n // 2:
            claimed = f"{hook}.{os.getpid()}"
            with contextlib.suppress(OSError):
                os.rename(hook, claimed)
                os._exit(1)
        yield item


def render_range(
    r: Recipe,
    table: pa.Table | None,
    k: int,
    minutes: np.ndarray,
    s: RenderSettings,
    fps: float,
    codec: str,
    meta: dict[str, Any],
    folder: str,
    suffix: str,
    previous: TextLayout | None = None,
) -> tuple[int, str, int]:
    """Runs on a worker: renders frames ``minutes`` and encodes them to segment ``k`` in
    ``folder``, the first frame's texts kept where ``previous`` (the layout of the frame
    before the range) has them. Returns (k, segment path, frames)."""
    scene = _worker_scene(r, table)
    final = Path(folder) / f"seg_{k:06d}{suffix}"
    # written under a name of this process: an encoder orphaned by a lost worker writes
    # elsewhere
    with atomic(final) as tmp:
        images = _kill_hook(k, pictures(scene, list(minutes), s, previous=previous), len(minutes))
        n = encode(images, tmp, (s.width, s.height), fps, codec, meta)
    return k, str(final), n


def _ranges(
    n_frames: int, n_threads: int, ranges: int | None, keyint: int = 1
) -> list[tuple[int, int]]:
    """Contiguous frame ranges, each starting on a multiple of ``keyint``."""
    if ranges is None:
        ranges = max(1, min(RANGES_PER_THREAD * max(n_threads, 1), n_frames // MIN_RANGE_FRAMES))
    if ranges < 1:
        raise ConfigError(f"ranges must be >= 1, not {ranges}")
    gops = -(-n_frames // keyint)
    ranges = min(ranges, gops)
    edges = np.minimum(np.linspace(0, gops, ranges + 1).round().astype(int) * keyint, n_frames)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def _all_see(client: Any, fn: Any, path: str) -> bool:
    try:
        seen = client.run(fn, path)
    except Exception:  # a worker that cannot answer cannot see it either
        return False
    return bool(seen) and all(seen.values())


def _remove_tree(folder: Path) -> None:
    for _ in range(5):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)


def video(
    scene: Scene,
    path: str | os.PathLike[str],
    *,
    client: Any = None,
    workers: int | None = None,
    ranges: int | None = None,
    retries: int = 2,
    timeout: float | None = None,
    **options: Any,
) -> Path:
    """Writes the video :func:`carevis.export.video` would write, with the same
    ``options``, rendered on a Dask cluster: the workers of ``client`` (a
    dask.distributed Client) or of a local cluster of ``workers`` processes started and
    closed here. ``ranges`` sets how many contiguous frame ranges (segments) to make;
    ``retries`` how often a lost range is rendered again. H.264 ranges start on the
    keyframes the single-process encoder puts every ``keyint`` frames, so the joined video
    decodes to the same frames as the local one. A scheduler lost for more than
    ``timeout`` seconds (default: the client's own timeout, as :func:`connect` sets it)
    is an ExportError. A GIF is made in this process only (a ConfigError here).
    Needs ``carevis[dask]``."""
    job = prepare_video(scene, path, **options)
    if job.codec == "gif":
        raise ConfigError(
            "a GIF is made in this process: a Dask client or workers apply to "
            ".mp4, .mov and .mkv videos only (use carevis.export.video)"
        )
    _dask()
    with _cluster(client, workers) as c:
        if timeout is None:
            timeout = float(getattr(c, "_timeout", None) or DEFAULT_TIMEOUT)
        _render_on(c, job, ranges, retries, timeout)
    return job.target


def _send(c: Any, scene: Scene, probe_minutes: tuple[float, ...]) -> tuple[Recipe, Any]:
    """The recipe the workers rebuild ``scene`` from, and the data scattered to them when
    they cannot read the scene's source file (None when they can)."""
    r = recipe(scene, probe_minutes)
    if r.source is not None and _all_see(c, os.path.exists, r.source):
        return r, None
    r = Recipe(**{**r.__dict__, "source": None})
    return r, c.scatter(scene.journeys.to_arrow(), broadcast=True, hash=False)


def _seeds(job: VideoJob, starts: list[int]) -> list[TextLayout | None]:
    """The layout of the frame before each of ``starts`` (frame numbers, ascending; None
    before the first frame), as one run from the first frame places its texts."""
    out: list[TextLayout | None] = []
    chain = layouts(job.scene, job.times[: max(starts, default=0)], job.settings)
    seed, done = None, 0
    for a in starts:
        for _ in range(a - done):
            seed = next(chain)
        done = a
        out.append(seed if a > 0 else None)
    return out


def _render_on(c: Any, job: VideoJob, ranges: int | None, retries: int, timeout: float) -> None:
    """Renders ``job`` on the cluster of client ``c``: segments in a folder beside the
    target, joined into it atomically; the folder and the workers' scenes are removed."""
    times, target = job.times, job.target
    r, data = _send(c, job.scene, (times[0], times[len(times) // 2], times[-1]))
    folder = Path(
        tempfile.mkdtemp(prefix=f".{target.stem}.segments-{os.getpid()}-", dir=target.parent)
    )
    futures: list[Any] = []
    try:
        if not _all_see(c, os.path.isdir, str(folder)):
            raise ExportError(
                f"the Dask workers cannot see {target.parent}: write the video to a folder "
                "every worker shares (the segments are written there)"
            )
        spans = _ranges(len(times), sum(c.nthreads().values()), ranges, job.keyint)
        # each range's labels start where one whole run has them at the frame before it
        # (one pass here, placing texts without drawing), so the joined video is the same
        seeds = _seeds(job, [a for a, _ in spans])
        futures = [
            c.submit(
                render_range,
                r,
                data,
                k,
                times[a:b],
                job.settings,
                job.fps,
                job.codec,
                job.meta,
                str(folder),
                target.suffix.lower(),
                seeds[k],
                key=f"carevis-range-{r.token}-{k}",
                retries=retries,
                pure=False,
            )
            for k, (a, b) in enumerate(spans)
        ]
        segments = _gather(c, futures, len(spans), len(times), job.progress, timeout)
        with atomic(target) as tmp:
            concat(segments, tmp, job.meta)
            probe(tmp, len(times), job.fps)
    finally:
        with contextlib.suppress(Exception):
            c.cancel([*futures, *([data] if data is not None else [])])
        with contextlib.suppress(Exception):
            c.run(_forget, r.token)
        _remove_tree(folder)


def _gather(
    c: Any, futures: list[Any], n_ranges: int, n_frames: int, progress: bool | None, timeout: float
) -> list[Path]:
    """The segments of every range in order, once all are rendered (checked: every frame)."""
    done: dict[int, tuple[str, int]] = {}
    with Progress(n_frames, "video", enabled=progress) as bar:
        for _, (k, seg, n) in _results(c, futures, timeout):
            done[k] = (seg, n)
            bar.update(n)
    frames = sum(n for _, n in done.values())
    if len(done) != n_ranges or frames != n_frames:
        raise ExportError(f"the cluster rendered {frames} of {n_frames} frames")
    return [Path(done[k][0]) for k in range(n_ranges)]
