"""Progress on every long step, from tqdm: a bar on a terminal, nothing in a pipe or log."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from carevis._progress import Progress, progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_shows_on_a_terminal_and_is_quiet_elsewhere() -> None:
    tty, pipe = _Terminal(), io.StringIO()
    for stream in (tty, pipe):
        with Progress(40, "frames", stream=stream) as bar:
            for _ in range(40):
                bar.update()
    assert "frames" in tty.getvalue() and "40/40" in tty.getvalue()
    assert pipe.getvalue() == ""
    forced = io.StringIO()
    with Progress(3, "video", stream=forced, enabled=True) as bar:
        bar.update(3)
    assert "3/3" in forced.getvalue()
    # the iterator form gives every item back, bar or not
    assert list(progress(range(5), "rows", enabled=False)) == list(range(5))


def _run(args: list[str], terminal: bool) -> str:
    """Runs carevis; returns what it wrote to stderr (a pseudo-terminal, or a pipe)."""
    cmd = [sys.executable, "-m", "carevis", *args]
    if not terminal:
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert r.returncode == 0, r.stderr
        return r.stderr
    leader, follower = pty.openpty()
    # a terminal 100 columns wide (a new pseudo-terminal has no size until one is set)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=follower)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        assert p.wait() == 0
    finally:
        os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_synth_and_ingest_of_cin_show_progress_on_a_terminal_only(tmp_path: Path) -> None:
    synth = ["synth", "--synthetic", "0.001", "--start", "2023-04-01", "--end", "2024-03-31"]
    shown = _run([*synth, "--cin", str(tmp_path / "a"), "--ssda903", str(tmp_path / "b")], True)
    assert "writing CIN census" in shown and "writing SSDA903 returns" in shown
    assert "100%" in shown
    quiet = _run([*synth, "--cin", str(tmp_path / "c"), "--ssda903", str(tmp_path / "d")], False)
    assert "writing CIN census" not in quiet and "%" not in quiet
    assert "\r" not in quiet
    ingest = ["ingest", "cin", str(tmp_path / "a"), "-o", str(tmp_path / "cin.parquet")]
    assert "reading CIN census" in _run(ingest, True)
    assert "reading CIN census" not in _run([*ingest[:-1], str(tmp_path / "cin2.parquet")], False)
