"""Beyond one machine, on Dask: a video rendered in frame ranges across a cluster, and
journey statistics over a Parquet dataset too large for memory, one part at a time.

Rendering: the frames are split into contiguous ranges. Each worker loads the data once
(from the file the journeys were read from, when every worker can see it; otherwise from
an Arrow table scattered to every worker), rebuilds the same Scene, renders its ranges and
encodes each into a segment file in a temporary folder beside the target. The segments are
joined without re-encoding (ffmpeg's concat demuxer, ``-c copy``) into the target,
atomically. A worker lost mid-way has its range rendered again elsewhere.

Statistics: :func:`partition_by_child` writes a hive-partitioned dataset keyed by a hash
of ``child_id`` (so each child's journey stays whole in one part); :func:`occupancy`
counts children per state and period in each part on the workers and sums the counts.

Needs ``carevis[dask]``; dask is imported only when one of these functions runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from . import rules, stats
from ._progress import Progress
from .errors import CarevisError, ConfigError, DataError, ExportError
from .journeys import Journeys, OnError
from .render import RenderSettings
from .scene import Emphasis, Scene, Settings
from .stats import Changes

#: Test hook: a file path; when that file exists, the range whose number it holds makes
#: its worker process exit half-way through (once: the file is claimed by renaming it).
KILL_HOOK = "CAREVIS_TEST_KILL_RANGE"
#: Fewest frames in a range (each range is one ffmpeg process and one keyframe boundary).
MIN_RANGE_FRAMES = 8
#: Ranges per worker thread, so a slow or lost worker holds back little of the work.
RANGES_PER_THREAD = 3
PERIODS = rules.FREQS
#: Seconds to wait for a Dask scheduler: to connect, and to come back after the connection
#: is lost (then the render or count ends with an error).
DEFAULT_TIMEOUT = 10.0
#: Local clusters and their dashboards listen on this address only.
LOCAL_HOST = "127.0.0.1"
OPEN_END = 2**31 - 1


def _dask() -> Any:
    """The ``distributed`` module, or a ConfigError saying how to install it."""
    try:
        import distributed
    except ImportError as e:
        raise ConfigError(
            f"rendering or counting on a Dask cluster needs dask.distributed ({e}): "
            "pip install carevis[dask]"
        ) from None
    return distributed


@contextlib.contextmanager
def local_client(workers: int) -> Iterator[Any]:
    """A client of a local cluster of ``workers`` processes of one thread each, closed
    afterwards (what ``carevis render --workers N`` uses). The scheduler, the workers and
    the dashboard listen on 127.0.0.1 only.

    The workers keep glibc's adaptive allocator: Dask's default MALLOC_TRIM_THRESHOLD_
    makes every large short-lived buffer (a frame is megabytes) fault its pages in
    afresh, which costs a render about a third of its speed."""
    import dask

    distributed = _dask()
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ConfigError(f"workers must be a whole number >= 1, not {workers!r}")
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = distributed.LocalCluster(
            n_workers=int(workers),
            threads_per_worker=1,
            processes=True,
            host=LOCAL_HOST,
            dashboard_address=f"{LOCAL_HOST}:0",
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


@contextlib.contextmanager
def connect(address: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Any]:
    """A client of the Dask scheduler at ``address``, closed afterwards. A scheduler that
    does not answer within ``timeout`` seconds is a ConfigError; a client that loses its
    scheduler for longer than that gives up (and a render or count on it fails)."""
    import dask

    distributed = _dask()
    from ._check import number

    timeout = number("scheduler timeout", timeout, 0.0, 3600.0, lo_open=True)
    with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                f"({_first_line(e)})"
            ) from None
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=timeout)


def _lost(c: Any) -> bool:
    """Whether a client has lost its scheduler (or given up on it)."""
    return getattr(c, "status", "running") not in ("running", "connecting", "newly-created")


def _results(c: Any, futures: list[Any], timeout: float) -> Iterator[tuple[int, Any]]:
    """(position, result) of each future as it completes. A scheduler lost for longer than
    ``timeout`` seconds, or a cluster error, is an ExportError (not a hang or a traceback)."""
    distributed = _dask()
    where = {f.key: i for i, f in enumerate(futures)}
    pending = distributed.as_completed(futures, loop=getattr(c, "loop", None))
    lost_since: float | None = None
    while not pending.is_empty():
        ready = pending.next_batch(block=False)
        if not ready:
            if _lost(c):
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > timeout:
                    raise ExportError(
                        f"lost the Dask scheduler for more than {timeout:g} s; nothing was written"
                    )
            else:
                lost_since = None
            time.sleep(0.05)
            continue
        for fut in ready:
            try:
                result = fut.result()
            except (CarevisError, KeyboardInterrupt):
                raise
            except Exception as e:
                raise ExportError(f"the Dask cluster failed: {_first_line(e)}") from None
            yield where[fut.key], result


@contextlib.contextmanager
def _cluster(client: Any, workers: int | None) -> Iterator[Any]:
    """The client given, or a client of a local cluster of ``workers`` processes."""
    _dask()
    if client is not None:
        if workers is not None:
            raise ConfigError("give either a Dask client (--scheduler) or workers, not both")
        yield client
        return
    with local_client(workers) as local:  # type: ignore[arg-type]
        yield local


# --- the scene, rebuilt on each worker ------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    """How to rebuild a Scene on a worker: where the data is, the options of
    ``Journeys.from_arrow`` and ``Scene``, and a fingerprint of frames the rebuilt scene
    must reproduce exactly."""

    token: str
    source: str | None
    journeys_options: dict[str, Any]
    settings: Settings
    emphasis: Emphasis | None
    probe_minutes: tuple[float, ...]
    fingerprint: str = ""


def fingerprint(scene: Scene, minutes: Sequence[float]) -> str:
    """A digest of what a render of ``scene`` depends on: states, centres, legend, and the
    frames and cluster radii at ``minutes``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(scene.states).encode())
    h.update(np.ascontiguousarray(scene.centres).tobytes())
    h.update(json.dumps(scene.legend.as_dict()).encode())
    buf = scene.buffers()
    for m in minutes:
        f = scene.frame_at_minutes(float(m), buf)
        for a in (f.x, f.y, f.rgba, f.state, scene.radii_at_minutes(float(m))):
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def recipe(scene: Scene, probe_minutes: Sequence[float]) -> Recipe:
    """What a worker needs to rebuild ``scene``, captured from the object itself."""
    j = scene.journeys
    jopts: dict[str, Any] = dict(getattr(j, "options", None) or {})
    jopts.setdefault("states", j.states)
    if j.n_rejected:
        jopts.setdefault("on_error", "reject")
    source = j.source if j.source and os.path.exists(j.source) else None
    r = Recipe(
        token=uuid.uuid4().hex,
        source=os.path.abspath(source) if source else None,
        journeys_options=jopts,
        settings=scene.settings,
        emphasis=scene.emphasis,
        probe_minutes=tuple(float(m) for m in probe_minutes),
    )
    return Recipe(**{**r.__dict__, "fingerprint": fingerprint(scene, r.probe_minutes)})


def rebuild(r: Recipe, table: pa.Table | None = None) -> Scene:
    """The Scene ``r`` describes, from ``table`` or else from ``r.source``; checked against
    the fingerprint of the original."""
    from .journeys import read

    if table is not None:
        journeys = Journeys.from_arrow(table, **r.journeys_options)
    elif r.source is not None:
        journeys = read(r.source, **r.journeys_options)
    else:
        raise ConfigError("no data to rebuild the scene from")
    scene = Scene.from_settings(journeys, r.settings, r.emphasis)
    if r.fingerprint and fingerprint(scene, r.probe_minutes) != r.fingerprint:
        raise ConfigError(
            "the scene rebuilt on a worker does not draw the same frames as the original "
            "(the source file changed since it was read?). Render without a cluster"
        )
    return scene


_CACHE: OrderedDict[str, Scene] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2


def _worker_scene(r: Recipe, table: pa.Table | None) -> Scene:
    """The rebuilt scene, once per worker process and render."""
    with _CACHE_LOCK:
        scene = _CACHE.get(r.token)
        if scene is None:
            scene = rebuild(r, table)
            _CACHE[r.token] = scene
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(r.token)
        return scene


def _forget(token: str) -> None:
    with _CACHE_LOCK:
        _CACHE.pop(token, None)


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
) -> tuple[int, str, int]:
    """Runs on a worker: renders frames ``minutes`` and encodes them to segment ``k`` in
    ``folder``. Returns (k, segment path, frames)."""
    from .export import _pipeline, encode

    scene = _worker_scene(r, table)
    final = Path(folder) / f"seg_{k:06d}{suffix}"
    # a name of its own per attempt: an encoder orphaned by a lost worker writes elsewhere
    tmp = final.with_name(f".seg_{k:06d}.{uuid.uuid4().hex}{suffix}")
    try:
        n = encode(
            _kill_hook(k, _pipeline(scene, list(minutes), s), len(minutes)),
            tmp,
            s,
            fps,
            codec,
            meta,
        )
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
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


def _quoted(p: Path) -> str:
    """A path for ffmpeg's concat list, inside single quotes."""
    return os.fspath(p.resolve()).replace("'", "'\\''")


def concat(segments: Sequence[Path], target: Path, meta: dict[str, Any]) -> None:
    """Joins encoded segments into ``target`` without re-encoding (ffmpeg concat demuxer)."""
    import imageio_ffmpeg

    listing = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.txt")
    try:
        listing.write_text("".join(f"file '{_quoted(p)}'\n" for p in segments))
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(),
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
            "-metadata",
            f"comment={json.dumps(meta)}",
        ]
        if target.suffix.lower() in (".mp4", ".mov"):
            cmd += ["-movflags", "+faststart+use_metadata_tags"]
        r = subprocess.run([*cmd, "-y", str(target)], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            why = r.stderr.strip()[-2000:]
            raise ExportError(f"joining {len(segments)} segments into {target.name} failed: {why}")
    finally:
        with contextlib.suppress(FileNotFoundError):
            listing.unlink()


def _remove_tree(folder: Path) -> None:
    for _ in range(5):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)


def video(
    scene: Scene,
    target: Path,
    times: np.ndarray,
    s: RenderSettings,
    *,
    fps: float,
    codec: str,
    meta: dict[str, Any],
    client: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    ranges: int | None = None,
    retries: int = 2,
    timeout: float | None = None,
) -> Path:
    """Renders the frames at ``times`` (minutes) on a Dask cluster and writes the video
    to ``target`` (atomically). Called by :func:`carevis.export.video` with ``client`` or
    ``workers``; ``ranges`` sets how many contiguous frame ranges (segments) to make.
    H.264 ranges start on the keyframes the single-process encoder puts every
    ``meta["keyint"]`` frames, so the joined video decodes to the same frames as the
    local one. A scheduler lost for more than ``timeout`` seconds (default: the client's
    own timeout, as :func:`connect` sets it) is an ExportError."""
    from .encoder import probe as probe_video
    from .export import CODECS, atomic

    _dask()
    times = np.asarray(times, float)
    if len(times) == 0:
        raise ExportError("no frames to write")
    target = Path(target)
    probe = (times[0], times[len(times) // 2], times[-1])
    keyint = int(meta.get("keyint", 1)) if CODECS[codec][1] == "libx264" else 1
    with _cluster(client, workers) as c:
        if timeout is None:
            timeout = float(getattr(c, "_timeout", None) or DEFAULT_TIMEOUT)
        r = recipe(scene, probe)
        data = None
        if r.source is None or not _all_see(c, os.path.exists, r.source):
            # the workers cannot read the file (or there is none): send them the table
            r = Recipe(**{**r.__dict__, "source": None})
            data = c.scatter(scene.journeys.to_arrow(), broadcast=True, hash=False)
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
            spans = _ranges(len(times), sum(c.nthreads().values()), ranges, keyint)
            suffix = target.suffix.lower()
            futures = [
                c.submit(
                    render_range,
                    r,
                    data,
                    k,
                    times[a:b],
                    s,
                    fps,
                    codec,
                    meta,
                    str(folder),
                    suffix,
                    key=f"carevis-range-{r.token}-{k}",
                    retries=retries,
                    pure=False,
                )
                for k, (a, b) in enumerate(spans)
            ]
            done: dict[int, tuple[str, int]] = {}
            with Progress(len(times), "video", enabled=progress) as bar:
                for _, (k, seg, n) in _results(c, futures, timeout):
                    done[k] = (seg, n)
                    bar.update(n)
            frames = sum(n for _, n in done.values())
            if len(done) != len(spans) or frames != len(times):
                raise ExportError(f"the cluster rendered {frames} of {len(times)} frames")
            with atomic(target) as tmp:
                concat([Path(done[k][0]) for k in range(len(spans))], tmp, meta)
                probe_video(tmp, len(times), fps)
        finally:
            with contextlib.suppress(Exception):
                c.cancel([*futures, *([data] if data is not None else [])])
            with contextlib.suppress(Exception):
                c.run(_forget, r.token)
            _remove_tree(folder)
    return target


# --- data larger than memory ------------------------------------------------------------------
def _fnv1a(arr: pa.Array) -> np.ndarray:
    """FNV-1a 64 of each value's bytes (stable across processes and runs)."""
    arr = arr.cast(pa.large_binary())
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(n, 0xCBF29CE484222325, np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for i in range(int(lengths.max(initial=0))):
            live = lengths > i
            h[live] = (h[live] ^ data[starts[live] + i].astype(np.uint64)) * prime
    return h


def _splitmix(v: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z: np.ndarray = v.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        out: np.ndarray = z ^ (z >> np.uint64(31))
        return out


def child_hash(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A stable 64-bit hash of each child id (integers and strings; nulls hash to 0)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    if pa.types.is_integer(ids.type):
        v = ids.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        h = _splitmix(v.view(np.uint64))
    else:
        if not (
            pa.types.is_string(ids.type)
            or pa.types.is_large_string(ids.type)
            or pa.types.is_binary(ids.type)
            or pa.types.is_large_binary(ids.type)
        ):
            ids = ids.cast(pa.string())
        h = _fnv1a(ids)
    if ids.null_count:
        h[np.asarray(ids.is_null().to_numpy(zero_copy_only=False))] = 0
    return h


def _reader(data: Any, batch_rows: int) -> pa.RecordBatchReader:
    if isinstance(data, (str, os.PathLike)):
        p = Path(data)
        if not p.exists():
            raise ConfigError(f"{p}: no such file or directory")
        if p.is_dir() or p.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.dataset as ds

            dataset = ds.dataset(p, format="parquet", partitioning="hive" if p.is_dir() else None)
            cols = [n for n in dataset.schema.names if n != "part"]
            return pa.RecordBatchReader.from_batches(
                dataset.schema.remove(dataset.schema.get_field_index("part"))
                if "part" in dataset.schema.names
                else dataset.schema,
                dataset.to_batches(columns=cols, batch_size=batch_rows),
            )
        from .io import read_table

        table = read_table(p)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch_rows))
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    if hasattr(data, "__arrow_c_array__"):
        return pa.RecordBatchReader.from_stream(pa.table(pa.record_batch(data)))
    raise ConfigError(f"expected a path or an Arrow table, not {type(data).__name__}")


def partition_by_child(
    data: Any,
    out_dir: str | os.PathLike[str],
    n_parts: int,
    *,
    child_id: str = "child_id",
    batch_rows: int = 1 << 20,
) -> Path:
    """Writes ``data`` (an Arrow table or stream, a Parquet file or a partitioned Parquet
    folder, read a batch at a time) to ``out_dir`` as a hive-partitioned Parquet dataset
    ``part=K/`` with ``K = hash(child_id) % n_parts``: every child's spells in one part.
    Written beside ``out_dir`` and renamed into place when complete. Returns the folder."""
    import pyarrow.dataset as ds

    if isinstance(n_parts, bool) or not isinstance(n_parts, (int, np.integer)) or n_parts < 1:
        raise ConfigError(f"n_parts must be a whole number >= 1, not {n_parts!r}")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: exists and is not an empty folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"{out}: the folder {parent} does not exist")
    reader = _reader(data, batch_rows)
    if child_id not in reader.schema.names:
        names = ", ".join(reader.schema.names)
        raise ConfigError(f"no column {child_id!r} to partition by (columns: {names})")
    part = pa.field("part", pa.int32())
    schema = reader.schema.append(part)

    def parts() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            k = (child_hash(batch.column(child_id)) % np.uint64(n_parts)).astype(np.int32)
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, pa.array(k, pa.int32())], schema=schema
            )

    tmp = parent / f".{out.name}.part-{uuid.uuid4().hex}"
    try:
        ds.write_dataset(
            parts(),
            tmp,
            schema=schema,
            format="parquet",
            partitioning=ds.partitioning(pa.schema([part]), flavor="hive"),
            basename_template="part-{i}.parquet",
            existing_data_behavior="error",
            max_partitions=max(1024, n_parts),
        )
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def partitions(path: str | os.PathLike[str]) -> list[Path]:
    """The parts of a dataset: its ``part=K`` folders (from :func:`partition_by_child`);
    otherwise each Parquet file, which must then hold whole children."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such file or directory")
    if p.is_file():
        return [p]
    dirs = sorted(
        (d for d in p.iterdir() if d.is_dir() and d.name.startswith("part=")),
        key=lambda d: (len(d.name), d.name),
    )
    if dirs:
        return dirs
    files = sorted(
        f
        for f in p.rglob("*")
        if f.suffix.lower() in (".parquet", ".pq")
        and not any(x.startswith((".", "_")) for x in f.relative_to(p).parts)
    )
    if not files:
        raise ConfigError(f"{p}: no Parquet files")
    return files


def changes(journeys: Journeys, period: str = "month") -> Changes:
    """Occupancy changes of one set of journeys, counted by the Rust core (see
    :func:`carevis.stats.occupancy_changes`)."""
    return stats.occupancy_changes(journeys, rules.check_freq(period, "period"))


def occupancy_from_changes(parts: Sequence[Changes], period: str = "month") -> pa.Table:
    """Sums per-part occupancy changes into the occupancy table (see :func:`occupancy`)."""
    return stats.sum_occupancy(parts, rules.check_freq(period, "period"))


def count_occupancy(journeys: Journeys, period: str = "month") -> pa.Table:
    """In memory: children in each state at the start of each period (see :func:`occupancy`)."""
    return occupancy_from_changes([changes(journeys, period)], period)


def part_changes(path: str, period: str, on_error: OnError) -> tuple[Changes, np.ndarray]:
    """Runs on a worker: reads one part, indexes it, and counts its occupancy changes.
    Also returns the hashes of its children (see :func:`check_whole_children`)."""
    from .journeys import read

    journeys = read(path, on_error=on_error)
    return changes(journeys, period), _child_hashes(journeys)


def _child_hashes(journeys: Journeys) -> np.ndarray:
    return np.unique(child_hash(journeys.child_ids))


def check_whole_children(path: str | os.PathLike[str], hashes: Sequence[np.ndarray]) -> None:
    """Refuses parts that split a child: per-part statistics (transitions above all) are
    right only when each child's spells are all in one part. ``hashes``: each part's
    distinct child hashes. The error counts the children affected (it names none)."""
    if len(hashes) < 2:
        return
    _, seen = np.unique(np.concatenate(hashes), return_counts=True)
    split = int((seen > 1).sum())
    if split:
        raise DataError(
            f"{path}: {split:,} children have spells in more than one of its "
            f"{len(hashes)} parts (files); statistics counted part by part would be wrong. "
            "Keep each child's spells in one part: carevis.distributed.partition_by_child "
            "writes such a dataset (or read it whole with carevis.read)"
        )


def _gather(
    client: Any, fn: Any, parts: list[str], timeout: float, retries: int, **kw: Any
) -> list[Any]:
    """``fn(part, **kw)`` for each part: in this process, or on ``client``'s workers."""
    if client is None:
        return [fn(p, **kw) for p in parts]
    futures = client.map(fn, parts, **kw, retries=retries, pure=False)
    try:
        found = dict(_results(client, futures, timeout))
        return [found[i] for i in range(len(parts))]
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futures)


def occupancy(
    path: str | os.PathLike[str],
    client: Any = None,
    period: str = "month",
    *,
    on_error: OnError = "raise",
    retries: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
) -> pa.Table:
    """Children in each state at the start of each period (``day``, ``week`` from Monday,
    ``month``, ``quarter`` or ``year`` from 1 April) over a partitioned dataset (see
    :func:`partition_by_child`), counted part by part on the workers of ``client`` and
    summed. With ``client=None`` the parts are counted one after another in this process
    (no dask needed).

    Returns a table: ``period`` (date of the period's first day), ``state``, ``children``,
    one row per period and state, periods from the first starting within the data to the
    one holding its last date. Equals :func:`count_occupancy` of the whole data."""
    rules.check_freq(period, "period")
    if client is not None:
        _dask()
    parts = [os.path.abspath(p) for p in partitions(path)]
    found = _gather(client, part_changes, parts, timeout, retries, period=period, on_error=on_error)
    check_whole_children(path, [h for _, h in found])
    return occupancy_from_changes([c for c, _ in found], period)


def part_transitions(path: str, freq: str, on_error: OnError) -> tuple[pa.Table, np.ndarray]:
    """Runs on a worker: reads one part, indexes it, and counts its transitions (over its
    own calendar periods: see :func:`carevis.stats.transition_counts`). Also returns the
    hashes of its children (see :func:`check_whole_children`)."""
    from .journeys import read

    journeys = read(path, on_error=on_error)
    counts = stats.transition_counts(journeys, rules.check_freq(freq))
    return counts, _child_hashes(journeys)


def transitions(
    path: str | os.PathLike[str],
    client: Any = None,
    freq: str = "year",
    *,
    on_error: OnError = "raise",
    retries: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
) -> pa.Table:
    """Transitions between states (see :func:`carevis.stats.transitions`) over a
    partitioned dataset: counted part by part (on the workers of ``client``, or in this
    process), then summed; probabilities from the sums. Equals ``stats.transitions`` of
    the whole data."""
    rules.check_freq(freq)
    if client is not None:
        _dask()
    parts = [os.path.abspath(p) for p in partitions(path)]
    found = _gather(client, part_transitions, parts, timeout, retries, freq=freq, on_error=on_error)
    check_whole_children(path, [h for _, h in found])
    return stats.sum_transitions([t for t, _ in found])


__all__ = [
    "Changes",
    "Recipe",
    "changes",
    "check_whole_children",
    "child_hash",
    "concat",
    "connect",
    "count_occupancy",
    "fingerprint",
    "local_client",
    "occupancy",
    "occupancy_from_changes",
    "partition_by_child",
    "partitions",
    "rebuild",
    "recipe",
    "render_range",
    "transitions",
    "video",
]
