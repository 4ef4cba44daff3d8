"""Rendering and statistics on a local Dask cluster (2 worker processes, 1 thread each):
a split render equals the single render frame for frame, a worker killed mid-render
still gives a complete file, partitioned statistics equal in-memory ones, and the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import carevis
import numpy as np
import pyarrow.parquet as pq
import pytest
from carevis import ConfigError, Journeys, Scene, export
from carevis import distributed as cd
from carevis._time import to_minutes

from ..conftest import day, random_table

distributed = pytest.importorskip("distributed")

KW: dict[str, Any] = dict(
    start=day(0), end=day(700), fps=25, days_per_second=200, width=96, height=54
)


def decode(path: Path) -> np.ndarray:
    """Every frame of a video as RGBA (ffmpeg to raw video on a pipe)."""
    import imageio_ffmpeg

    meta = export.read_metadata(path)
    raw = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, meta["height"], meta["width"], 4)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hook") / "kill"


@pytest.fixture(scope="module")
def client(hook: Path) -> Iterator[Any]:
    # the workers inherit the test hook's variable; it does nothing until the file exists
    mp = pytest.MonkeyPatch()
    mp.setenv(cd.KILL_HOOK, str(hook))
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as c,
        ):
            yield c
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene(Journeys.from_arrow(random_table(300, seed=11)))


@pytest.fixture(scope="module")
def single(scene: Scene, tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = tmp_path_factory.mktemp("single") / "single.mkv"
    export.video(scene, path, **KW)
    return decode(path)


def test_split_render_equals_single_render(
    client: Any, scene: Scene, single: np.ndarray, tmp_path: Path
) -> None:
    out = cd.video(scene, tmp_path / "split.mkv", client=client, **KW)
    frames = decode(out)
    assert len(single) == len(export.frame_times(scene, KW["start"], KW["end"], 25, 200)) > 30
    assert frames.shape == single.shape and np.array_equal(frames, single)
    assert export.read_metadata(out) == export.read_metadata(tmp_path / "split.mkv")
    assert export.read_metadata(out)["frames"] == len(single)
    assert leftovers(tmp_path) == []


def test_scene_from_a_file_is_read_by_the_workers(client: Any, tmp_path: Path) -> None:
    src = tmp_path / "journeys.parquet"
    pq.write_table(random_table(200, seed=5), src)
    sc = Scene(carevis.read(src), colour="time_in_state", transit_days=3, fade_days=0)
    r = cd.recipe(sc, [to_minutes(day(10))])
    assert r.source == str(src.resolve())
    export.video(sc, tmp_path / "one.mkv", **KW)
    cd.video(sc, tmp_path / "two.mkv", client=client, **KW)
    assert np.array_equal(decode(tmp_path / "one.mkv"), decode(tmp_path / "two.mkv"))


def test_worker_killed_mid_render_gives_a_complete_file(
    client: Any, scene: Scene, single: np.ndarray, hook: Path, tmp_path: Path
) -> None:
    hook.write_text("1")  # the first attempt of range 1 exits its process half-way
    out = cd.video(scene, tmp_path / "killed.mkv", client=client, **KW)
    assert not hook.exists() and list(hook.parent.glob("kill.*")), "no worker was killed"
    assert export.count_frames(out) == len(single)
    assert np.array_equal(decode(out), single)
    assert leftovers(tmp_path) == []
    client.wait_for_workers(2, timeout=60)


def test_rebuilt_scene_keeps_every_setting_and_the_filter() -> None:
    sc = Scene(Journeys.from_arrow(random_table(50, seed=2)), alpha=0.5, seed=3, dot_spacing=0.005)
    sc = sc.with_filter(np.arange(sc.n_dots) % 2 == 0, highlight=1, dim=0.3)
    table = sc.journeys.to_arrow()
    r = cd.recipe(sc, [to_minutes(day(100)), to_minutes(day(300))])
    rebuilt = cd.rebuild(r, table)
    assert rebuilt.settings == sc.settings
    assert rebuilt.emphasis is not None and rebuilt.emphasis.highlight == 1
    assert cd.fingerprint(rebuilt, r.probe_minutes) == r.fingerprint
    # other data draws other frames: refused, not silently drawn
    with pytest.raises(ConfigError, match="does not draw the same frames"):
        cd.rebuild(r, random_table(50, seed=3))


def test_h264_segments_join_into_every_frame(client: Any, scene: Scene, tmp_path: Path) -> None:
    folder = tmp_path / "it's here"  # a quote in the path of the segments
    folder.mkdir()
    out = cd.video(scene, folder / "a.mp4", client=client, **KW)
    n = len(export.frame_times(scene, KW["start"], KW["end"], 25, 200))
    assert export.count_frames(out) == n
    assert export.read_metadata(out)["frames"] == n
    assert leftovers(folder) == []


@pytest.mark.parametrize("codec", ["h264", "h264-444"])
def test_h264_on_a_cluster_decodes_to_the_local_frames(
    client: Any, scene: Scene, tmp_path: Path, codec: str
) -> None:
    """Ranges start on the local encoder's keyframes (every 8 frames here), so the joined
    video decodes to exactly the frames of the one encoded in one piece."""
    local = export.video(scene, tmp_path / "local.mp4", codec=codec, keyint=8, **KW)
    split = cd.video(scene, tmp_path / "split.mp4", codec=codec, keyint=8, client=client, **KW)
    a, b = decode(local), decode(split)
    assert len(a) == len(export.frame_times(scene, KW["start"], KW["end"], 25, 200)) > 30
    assert a.shape == b.shape
    assert np.array_equal(a, b), f"max channel difference {np.abs(a.astype(int) - b).max()}"
    ranges = cd.videos._ranges(len(a), 2, None, 8)
    assert len(ranges) > 2 and all(lo % 8 == 0 for lo, _ in ranges)


def test_interrupt_leaves_nothing_behind(
    client: Any, scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cd.cluster._results

    def interrupted(c: Any, futures: list[Any], timeout: float) -> Iterator[Any]:
        yield from real(c, futures[:1], timeout)
        raise KeyboardInterrupt

    monkeypatch.setattr("carevis.distributed.videos._results", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cd.video(scene, tmp_path / "cut.mkv", client=client, **KW)
    assert list(tmp_path.iterdir()) == []


def test_cli_render_with_local_workers(tmp_path: Path) -> None:
    from carevis.cli import main

    src = tmp_path / "j.parquet"
    pq.write_table(random_table(120, seed=4), src)
    args = [
        str(src),
        "--from",
        str(day(0)),
        "--to",
        str(day(400)),
        "--days-per-second",
        "200",
        "--size",
        "64x36",
    ]
    assert main(["render", *args, "-o", str(tmp_path / "one.mkv")]) == 0
    assert main(["render", *args, "-o", str(tmp_path / "two.mkv"), "--workers", "2"]) == 0
    assert np.array_equal(decode(tmp_path / "one.mkv"), decode(tmp_path / "two.mkv"))


# --- packaging ------------------------------------------------------------------------------------
def test_carevis_imports_without_dask() -> None:
    code = (
        "import sys, carevis, carevis.export, carevis.distributed; "
        "assert not any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_dask_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, scene: Scene, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"pip install carevis\[dask\]"):
        cd.video(scene, tmp_path / "x.mkv", workers=2, **KW)
    with pytest.raises(ConfigError, match=r"pip install carevis\[dask\]"):
        cd.occupancy(tmp_path, object())
    assert list(tmp_path.iterdir()) == []


def test_bad_worker_counts(scene: Scene, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="workers"):
        cd.video(scene, tmp_path / "x.mkv", workers=0, **KW)
    with pytest.raises(ConfigError, match="period"):
        cd.occupancy(tmp_path, None, "fortnight")
