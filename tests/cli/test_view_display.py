"""``carevis view`` without a display (issue 17, item 6): one line saying so and pointing
to ``carevis render``, exit status 1, instead of Qt aborting the process (status 134)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env_without_display() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "python"), str(ROOT), env.get("PYTHONPATH", "")]
    )
    return env


@pytest.mark.parametrize(
    "command",
    [["-m", "carevis", "view", "--synthetic", "0.001"], ["-m", "carevis.window", "--synthetic"]],
)
def test_view_without_a_display_says_so(command: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, *command],
        env=_env_without_display(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("carevis: error: no display found")
    assert "carevis render" in lines[0]
    assert "generating" not in r.stderr  # refused before any data was made


def test_view_help_needs_no_display() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "carevis", "view", "--help"],
        env=_env_without_display(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "--synthetic" in r.stdout


def test_check_display_reads_the_environment() -> None:
    from carevis.window import NoDisplayError, check_display

    if not sys.platform.startswith("linux"):
        pytest.fail("this check is of Linux's rule")
    check_display({"DISPLAY": ":0"}, probe=False)
    check_display({"WAYLAND_DISPLAY": "wayland-0"}, probe=False)
    with pytest.raises(NoDisplayError, match="DISPLAY and WAYLAND_DISPLAY are not set"):
        check_display({})
    with pytest.raises(NoDisplayError):
        check_display({"DISPLAY": ""})


def test_view_call_without_a_display_raises_before_any_toolkit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import carevis
    from carevis.window import NoDisplayError, view

    from tests.journey_tables import make_table

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(50, seed=1)))
    with pytest.raises(NoDisplayError, match="carevis render"):
        view(scene, run=False)


def _free_display() -> str:
    """An X display number nothing serves here (no socket in /tmp/.X11-unix)."""
    n = next(n for n in range(99, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    return f":{n}"


def test_view_with_an_unreachable_display_says_so() -> None:
    """DISPLAY set to a display nothing serves (and no Wayland socket): the same one line
    and exit status 1, not Qt's abort."""
    display = _free_display()
    env = _env_without_display()
    env["DISPLAY"] = display
    r = subprocess.run(
        [sys.executable, "-m", "carevis", "view", "--synthetic", "0.001"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("carevis: error: no display found")
    assert f"cannot open the X display {display!r}" in lines[0] and "carevis render" in lines[0]


def test_check_display_probes_the_display(tmp_path: Path) -> None:
    from carevis.window import NoDisplayError, check_display

    display = _free_display()
    with pytest.raises(NoDisplayError, match="cannot open the X display"):
        check_display({"DISPLAY": display})
    with pytest.raises(NoDisplayError, match="no Wayland socket"):
        check_display({"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path)})
    (tmp_path / "wayland-9").touch()  # a socket there: the toolkit may try it
    check_display({"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path)})
    check_display({"DISPLAY": display}, probe=False)
