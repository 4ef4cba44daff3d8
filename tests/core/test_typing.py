"""The hand-written stubs of the Rust extension match what it exports (mypy.stubtest)."""

from __future__ import annotations

import subprocess
import sys


def test_native_stubs_match_the_extension() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "carevis._native", "--ignore-missing-stub"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_is_typed() -> None:
    from importlib import resources

    assert resources.files("carevis").joinpath("py.typed").is_file()
