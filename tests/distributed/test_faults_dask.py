"""Dask failure modes: an unreachable scheduler or one killed mid-render ends in one
``carevis: error:`` line within the timeout (no traceback, no file left); local clusters
listen on 127.0.0.1 only; cluster options are refused where they cannot apply; partitioned
input that splits children across files is refused with the count of children affected."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from carevis import ConfigError, Journeys, Scene, export
from carevis import distributed as cd
from carevis.cli import main

from ..conftest import day, random_table

distributed = pytest.importorskip("distributed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def carevis_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "carevis", *args]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("src") / "j.parquet"
    pq.write_table(random_table(150, seed=4), p)
    return p


def test_unreachable_scheduler_is_one_line_within_the_timeout(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    t0 = time.monotonic()
    r = subprocess.run(
        carevis_cli(
            "render",
            str(source),
            "-o",
            str(out),
            "--scheduler",
            address,
            "--scheduler-timeout",
            "2",
            "--size",
            "64x36",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - t0
    assert r.returncode == 1, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("carevis: error: cannot reach the Dask scheduler at " + address)
    assert elapsed < 25, f"took {elapsed:.0f} s"  # the default connect timeout was 30 s
    assert list(tmp_path.iterdir()) == []


def test_bad_scheduler_timeout_is_refused(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scheduler timeout"), cd.connect("tcp://127.0.0.1:1", -1):
        pass


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler and one worker, each its own process (on 127.0.0.1)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    with (
        open(tmp_path / "scheduler.log", "wb") as slog,
        open(tmp_path / "worker.log", "wb") as wlog,
    ):
        sched = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                "127.0.0.1:0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=slog,
        )
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--no-nanny",
            ],
            stdout=subprocess.DEVNULL,
            stderr=wlog,
        )
        try:
            with distributed.Client(address, timeout=60) as c:
                c.wait_for_workers(1, timeout=120)
            yield address, sched
        finally:
            for p in (worker, sched):
                if p.poll() is None:
                    p.kill()
                p.wait(timeout=30)


@pytest.mark.slow
def test_scheduler_killed_mid_render(
    scheduler: tuple[str, subprocess.Popen[bytes]], source: Path, tmp_path: Path
) -> None:
    address, sched = scheduler
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    render = subprocess.Popen(
        carevis_cli(
            "render",
            str(source),
            "-o",
            str(out_dir / "x.mp4"),
            "--scheduler",
            address,
            "--scheduler-timeout",
            "3",
            "--size",
            "320x180",
            "--from",
            str(day(0)),
            "--to",
            str(day(700)),
            "--days-per-second",
            "5",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not any(".segments-" in p.name for p in out_dir.iterdir()):
        assert render.poll() is None, render.communicate()
        assert time.monotonic() < deadline, "the render did not start"
        time.sleep(0.1)
    time.sleep(1.0)
    sched.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    _, err = render.communicate(timeout=120)
    elapsed = time.monotonic() - killed
    assert render.returncode == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("carevis: error:"), err[-3000:]
    assert elapsed < 30, f"took {elapsed:.0f} s after the scheduler died"
    time.sleep(0.5)
    assert list(out_dir.iterdir()) == []


def _listening(pids: list[int]) -> list[tuple[str, int]]:
    import psutil

    found = []
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="inet")
        except psutil.Error:
            continue
        found += [(c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN]
    return found


@pytest.mark.slow
def test_local_cluster_listens_on_loopback_only() -> None:
    import psutil

    with cd.local_client(2) as c:
        c.wait_for_workers(2, timeout=60)
        pids = [os.getpid(), *(p.pid for p in psutil.Process().children(recursive=True))]
        ports = _listening(pids)
        assert len(ports) >= 3  # the scheduler, its dashboard, the workers...
        assert all(ip in ("127.0.0.1", "::1") for ip, _ in ports), ports
        assert "127.0.0.1" in c.dashboard_link


@pytest.mark.parametrize(
    ("output", "option"),
    [
        ("x.gif", "--workers=2"),
        ("x.png", "--workers=2"),
        ("frames", "--workers=2"),
        ("x.gif", "--scheduler=tcp://127.0.0.1:1"),
        ("x.mp4", "--workers=0"),
    ],
)
def test_cluster_options_that_cannot_apply_are_refused(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, option: str
) -> None:
    code = main(["render", str(source), "-o", str(tmp_path / output), option, "--size", "64x36"])
    assert code == 1
    assert capsys.readouterr().err.strip().startswith("carevis: error: ")
    assert list(tmp_path.iterdir()) == []


def test_a_gif_on_a_cluster_is_refused(tmp_path: Path) -> None:
    scene = Scene(Journeys.from_arrow(random_table(20, seed=1)))
    with pytest.raises(ConfigError, match="GIF"):
        cd.video(scene, tmp_path / "x.gif", workers=2, start=day(0), end=day(30))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", [{"client": object()}, {"workers": 2}])
def test_export_video_on_a_cluster_names_the_distributed_video(
    tmp_path: Path, option: dict[str, object]
) -> None:
    """export.video renders in this process; the cluster path is carevis.distributed.video."""
    scene = Scene(Journeys.from_arrow(random_table(20, seed=1)))
    with pytest.raises(ConfigError, match=r"carevis\.distributed\.video\(scene, path"):
        export.video(scene, tmp_path / "x.mp4", start=day(0), end=day(30), **option)
    assert list(tmp_path.iterdir()) == []
