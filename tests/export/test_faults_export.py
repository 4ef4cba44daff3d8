"""Exports that fail late or are killed: a full disk (a file-size limit in the exporting
process, inherited by ffmpeg) gives an ExportError and leaves the target untouched; a
SIGINT leaves nothing behind; a SIGKILL leaves a hidden partial file that the next export
to that target removes, saying so."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from carevis import Journeys, Scene, export

from ..conftest import day, random_table

# the exporting child: a scene of random journeys, then the export named in argv
CHILD = """
import resource, sys
from pathlib import Path
import carevis
from carevis import Journeys, Scene, export
sys.path.insert(0, {root!r})
from tests.conftest import day, random_table

limit, kind, target = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
scene = Scene(Journeys.from_arrow(random_table(300, seed=3)))
if limit:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
kw = dict(width=int(sys.argv[4]), height=int(sys.argv[5]))
try:
    if kind == "png":
        export.png(scene, day(200), target, **kw)
    else:
        export.video(scene, target, start=day(0), end=day(int(sys.argv[6])), fps=25,
                     days_per_second=float(sys.argv[7]), progress=False, **kw)
    print("ok")
except carevis.CarevisError as e:
    print(type(e).__name__, e)
except KeyboardInterrupt:
    print("interrupted")
    sys.exit(130)
"""
ROOT = str(Path(__file__).resolve().parents[2])


def child(*args: object) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(CHILD.format(root=ROOT)), *map(str, args)]


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def export_in_child(limit: int, kind: str, target: Path, size: tuple[int, int]) -> str:
    """Exports 81 frames (or a PNG) under a file-size limit (0: none); what it printed."""
    args = (limit, kind, target, *size, 400, 125)
    r = subprocess.run(child(*args), capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.strip()


@pytest.mark.parametrize("name", ["clip.mp4", "clip.mkv", "clip.gif", "poster.png"])
@pytest.mark.parametrize("when", ["early", "late"])
def test_full_disk_is_an_export_error_and_the_target_is_untouched(
    tmp_path: Path, name: str, when: str
) -> None:
    """``early``: the disk fills while frames are still being sent; ``late``: only the
    last byte of the file (for a video, in the index ffmpeg writes when the input ends)
    does not fit."""
    kind = "png" if name.endswith(".png") else "video"
    size = (640, 360) if kind == "png" else (320, 180)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert export_in_child(0, kind, scratch / name, size) == "ok"
    full = (scratch / name).stat().st_size
    if name.endswith((".mp4", ".mkv")):
        assert export.count_frames(scratch / name) == 81
    target = tmp_path / name
    target.write_bytes(b"the previous, good file")
    limit = min(20_000, full // 2) if when == "early" else full - 1
    said = export_in_child(limit, kind, target, size)
    assert said.startswith("ExportError"), said
    assert target.read_bytes() == b"the previous, good file"
    assert hidden(tmp_path) == []


def _start_and_wait_for_part(target: Path) -> subprocess.Popen[str]:
    # a long clip (about 1,200 frames), so that it is still being written when stopped
    proc = subprocess.Popen(
        child(0, "video", target, 320, 180, 1000, 20),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(f".{target.stem}.part") for p in target.parent.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no partial file appeared"
        time.sleep(0.05)
    time.sleep(0.3)  # some frames in
    return proc


def test_sigint_mid_export_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    proc = _start_and_wait_for_part(target)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and out.strip() == "interrupted", (out, err[-1000:])
    time.sleep(0.2)
    assert list(tmp_path.iterdir()) == []


def test_sigkill_leaves_a_part_the_next_export_removes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "clip.mp4"
    proc = _start_and_wait_for_part(target)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    left = hidden(tmp_path)
    assert len(left) == 1 and left[0].startswith(".clip.part") and not target.exists()
    scene = Scene(Journeys.from_arrow(random_table(50, seed=1)))
    with caplog.at_level(logging.WARNING, logger="carevis"):
        export.video(scene, target, start=day(0), end=day(40), width=64, height=36)
    assert hidden(tmp_path) == [] and export.count_frames(target) > 0
    assert "removed 1 partial file" in caplog.text and left[0] in caplog.text


def test_a_part_of_a_running_export_is_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / f".clip.part-{os.getppid()}.mp4"  # a live process (pytest's parent)
    mine.write_bytes(b"in progress")
    scene = Scene(Journeys.from_arrow(random_table(50, seed=1)))
    export.video(scene, tmp_path / "clip.mp4", start=day(0), end=day(40), width=64, height=36)
    assert mine.exists()


def test_an_unreadable_result_is_not_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ffmpeg reports success but the file holds fewer frames than were sent."""
    import carevis.export.encoder as enc
    from carevis import ExportError

    real = enc.frames_and_seconds
    monkeypatch.setattr(enc, "frames_and_seconds", lambda p: (real(p)[0] - 1, real(p)[1]))
    scene = Scene(Journeys.from_arrow(random_table(50, seed=1)))
    with pytest.raises(ExportError, match=r"holds \d+ frames"):
        export.video(scene, tmp_path / "c.mp4", start=day(0), end=day(40), width=64, height=36)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_written_atomically_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    from carevis.atomic import atomic

    target = tmp_path / "parts"
    with pytest.raises(RuntimeError), atomic(target) as tmp:
        tmp.mkdir()
        (tmp / "a.parquet").write_bytes(b"half")
        raise RuntimeError("stopped half-way")
    assert list(tmp_path.iterdir()) == []
    target.mkdir()  # an empty folder is replaced
    with atomic(target) as tmp:
        tmp.mkdir()
        (tmp / "a.parquet").write_bytes(b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["parts"]
    assert (target / "a.parquet").read_bytes() == b"whole"
