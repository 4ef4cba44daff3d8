"""The page in the two other browser engines: Gecko (Debian's Firefox ESR) and WebKit
(WebKitGTK's MiniBrowser, Safari's engine), each on its own Xvfb display with WebGL2 on
Mesa's llvmpipe (``engines.py`` drives them). Chromium (Chrome's and Edge's engine) has the
full suite in ``test_page.py``; here each engine must open the file from ``file://``, build
the engine's tables to the bit, draw the CPU exporter's picture within the same tolerance,
label Scene.counts, play, and fetch nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import carevis
import pytest
from carevis import synthetic
from carevis.export.player import export_html

from .conftest import BAR, HEIGHT, WIDTH
from .engines import Engine, Gecko, WebKit, xvfb
from .test_page import (
    _minutes,
    assert_picture_is_the_cpu_exporters,
    assert_tables_are_the_engines,
)

ENGINES = ("firefox", "webkit")


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(synthetic.england(scale=0.003, seed=5))


@pytest.fixture(scope="module")
def page(scene: carevis.Scene, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("engines") / "journeys.html"
    return export_html(scene, path, attributes=["la", "sex"])


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    with xvfb(WIDTH + 400, HEIGHT + BAR + 300) as display:
        e: Engine = (
            Gecko(display, WIDTH, HEIGHT + BAR)
            if request.param == "firefox"
            else WebKit(display, WIDTH, HEIGHT + BAR)
        )
        try:
            yield e
        finally:
            e.close()


def test_tables_are_the_engines(engine: Engine, scene: carevis.Scene, page: Path) -> None:
    engine.open(page)
    assert_tables_are_the_engines(engine.evaluate("window.carevis.tables()"), scene)


def test_picture_is_the_cpu_exporters(
    engine: Engine, scene: carevis.Scene, page: Path, tmp_path: Path
) -> None:
    assert engine.viewport() == (WIDTH, HEIGHT + BAR)
    engine.open(page, "t=2021-03-31&overlay=0")
    shot = engine.screenshot((0, 0, WIDTH, HEIGHT))
    assert_picture_is_the_cpu_exporters(shot, scene, "2021-03-31", tmp_path)


def test_label_counts_are_scene_counts(engine: Engine, scene: carevis.Scene, page: Path) -> None:
    engine.open(page, "t=2021-03-31")
    labels = engine.evaluate("window.carevis.labels()")
    assert [x["state"] for x in labels] == scene.states
    want = scene.counts("2021-03-31")
    assert [int(x["count"].replace(",", "")) for x in labels] == want.tolist()
    assert want.sum() > 50


def test_plays_and_fetches_nothing(engine: Engine, page: Path) -> None:
    engine.open(page, "t=2019-01-01&play=1&colour=la")
    engine.evaluate("new Promise((ok) => setTimeout(ok, 1500))")
    assert engine.evaluate("window.carevis.player.t") > _minutes("2019-01-01")  # it played
    assert engine.resources() == []  # nothing after the document itself
