"""The browser the page tests share: Debian's chromium, headless, driven over a pipe
(installed by ``.ci/system-deps``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .browser import Browser, chromium_path

#: The picture's size in the page: the window less the control bar (52 CSS pixels).
WIDTH, HEIGHT, BAR = 1280, 720, 52


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if chromium_path() is None:
        pytest.fail("no chromium: run `make system-deps` (as root) to install Debian's chromium")
    b = Browser(WIDTH, HEIGHT + BAR)
    try:
        yield b
    finally:
        b.close()
