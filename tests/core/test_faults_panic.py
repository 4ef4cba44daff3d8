"""A panic inside the Rust core becomes a CarevisError whose message says what and where,
and prints nothing to stderr (checked in a child process, which owns its stderr)."""

from __future__ import annotations

import pytest

from tests.fault_cases import run_python

PANIC = """
import sys, carevis
try:
    if sys.argv[1] == "pool":
        carevis._native._panic_for_test(pool=True)
    else:
        carevis._native._panic_for_test()
except carevis.CarevisError as e:
    print("caught:", e)
"""


@pytest.mark.parametrize("where", ["caller", "pool"])
def test_panic_message_goes_into_the_exception_only(where: str) -> None:
    r = run_python(PANIC, where)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", f"the panic reached stderr: {r.stderr!r}"
    assert r.stdout.startswith("caught: internal error in the carevis core: test panic")
    assert ".rs:" in r.stdout  # the place, in the exception


def test_debug_switch_prints_the_panic_too() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "CAREVIS_PANIC_STDERR": "1"}
    r = subprocess.run(
        [sys.executable, "-c", PANIC, "caller"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert r.returncode == 0 and "panicked at" in r.stderr
