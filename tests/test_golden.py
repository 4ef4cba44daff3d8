"""Golden pictures: the exact pixels of a poster, a video's frames and a window frame, as a
hash per picture. The Python layer's redesign (issue 16) must leave every one unchanged.

A picture that changes on purpose is regenerated with ``CAREVIS_REGEN_GOLDEN=1 pytest
tests/test_golden.py`` and the new ``tests/data/golden.json`` committed with the reason."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis import export
from carevis.render import image
from PIL import Image

from tests.journey_tables import make_table

GOLDEN = Path(__file__).parent / "data" / "golden.json"
REGEN = os.environ.get("CAREVIS_REGEN_GOLDEN") == "1"
#: A folder to save every golden picture in as a PNG, to look at (unset: none saved).
SAVE = os.environ.get("CAREVIS_SAVE_GOLDEN")
T = "2018-06-30"
#: The three sizes a poster, a video frame and a window frame are each pinned at (issue 17).
SIZES = [(640, 360), (1280, 720), (1920, 1080)]


def digest(img: np.ndarray) -> str:
    img = np.ascontiguousarray(img)
    h = hashlib.sha256(f"{img.shape}{img.dtype}".encode())
    h.update(img.tobytes())
    return h.hexdigest()


def read(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"))


@pytest.fixture(scope="module")
def table() -> pa.Table:
    t = make_table(500, seed=5)  # with per-child `la` and `sex` columns
    # a birth month per child, 0 to 17 years before 2016: every age band is drawn
    child = t["child_id"].to_numpy()
    months = np.random.default_rng(9).integers(0, 18 * 12, child.max() + 1)[child]
    birth = np.datetime64("2016-01", "M") - months.astype("timedelta64[M]")
    return t.append_column("birth_month", pa.array(birth.astype("datetime64[D]"), pa.date32()))


@pytest.fixture(scope="module")
def golden() -> dict[str, str]:
    if REGEN:
        return {}
    return dict(json.loads(GOLDEN.read_text()))


_new: dict[str, str] = {}


def check(golden: dict[str, str], name: str, img: np.ndarray) -> None:
    got = digest(img)
    if SAVE:
        Path(SAVE).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(img)).save(Path(SAVE) / f"{name}.png")
    if REGEN:
        _new[name] = got
        merged = {**(json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}), **_new}
        GOLDEN.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
        return
    assert name in golden, f"no golden hash for {name}: regenerate with CAREVIS_REGEN_GOLDEN=1"
    assert got == golden[name], f"{name}: the picture changed"


SCENES: dict[str, Callable[[carevis.Journeys], carevis.Scene]] = {
    "default": lambda j: carevis.Scene(j),
    "la": lambda j: carevis.Scene(j, colour="la", alpha=0.6, seed=7, dot_spacing=0.005),
    "entries": lambda j: carevis.Scene(j, "circle", colour="entries", colourmap="cividis"),
}


@pytest.mark.parametrize("which", sorted(SCENES))
def test_poster_pixels(table: pa.Table, golden: dict[str, str], tmp_path: Path, which: str) -> None:
    scene = SCENES[which](carevis.Journeys.from_arrow(table))
    out = export.png(scene, T, tmp_path / "p.png", width=640, height=360)
    check(golden, f"poster-{which}", read(out))


def test_poster_with_suppression_caption_and_emphasis(
    table: pa.Table, golden: dict[str, str], tmp_path: Path
) -> None:
    scene = carevis.Scene(carevis.Journeys.from_arrow(table), colour="sex")
    scene = scene.with_filter(scene.filter_mask(la="Kent"), highlight=scene.states[2], dim=0.3)
    out = export.png(
        scene,
        T,
        tmp_path / "p.png",
        width=800,
        height=450,
        title="Golden",
        caption="A caption",
        suppress_below=10,
    )
    check(golden, "poster-emphasis-suppressed", read(out))


def test_scene_render_array(table: pa.Table, golden: dict[str, str]) -> None:
    scene = carevis.Scene(carevis.Journeys.from_arrow(table), colour="age_band")
    check(golden, "scene-render", image(scene, T, 480, 270, suppress_below=5))


def test_video_frames(table: pa.Table, golden: dict[str, str], tmp_path: Path) -> None:
    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    paths = export.frames(
        scene,
        tmp_path / "f",
        start="2017-01-01",
        end="2017-03-01",
        fps=2,
        days_per_second=15,
        width=320,
        height=180,
        progress=False,
    )
    assert len(paths) >= 4
    for k, p in enumerate(paths[:4]):
        check(golden, f"video-frame-{k}", read(p))


@pytest.mark.gl
def test_gl_poster(table: pa.Table, golden: dict[str, str], tmp_path: Path) -> None:
    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    out = export.png(scene, T, tmp_path / "p.png", width=640, height=360, renderer="gl")
    check(golden, "poster-gl", read(out))


@pytest.mark.gl
def test_window_frame(table: pa.Table, golden: dict[str, str]) -> None:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(table), colour="la")
    c = CarevisCanvas(scene, app="egl", size=(480, 270), threaded=False, t=T, dot_radius_px=2.0)
    try:
        check(golden, "window-frame", c.render())
    finally:
        c.close()


def size_id(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


@pytest.mark.parametrize("size", SIZES, ids=size_id)
def test_poster_at_three_sizes(
    table: pa.Table, golden: dict[str, str], tmp_path: Path, size: tuple[int, int]
) -> None:
    """A poster with every kind of text (title, date, group headings, labels, legend and
    its note, a caption) at 640x360, 720p and 1080p."""
    scene = carevis.Scene(carevis.Journeys.from_arrow(table), colour="age_band")
    w, h = size
    out = export.png(scene, T, tmp_path / "p.png", width=w, height=h, caption="Synthetic data")
    check(golden, f"poster-{size_id(size)}", read(out))


@pytest.mark.parametrize("size", SIZES, ids=size_id)
def test_video_frames_at_three_sizes(
    table: pa.Table, golden: dict[str, str], tmp_path: Path, size: tuple[int, int]
) -> None:
    """Three consecutive frames of a video at 640x360, 720p and 1080p."""
    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    paths = export.frames(
        scene,
        tmp_path / "f",
        start="2018-01-01",
        end="2018-01-15",
        fps=5,
        days_per_second=5,
        width=size[0],
        height=size[1],
        progress=False,
    )
    assert len(paths) >= 3
    for k, p in enumerate(paths[:3]):
        check(golden, f"video-{size_id(size)}-frame-{k}", read(p))


@pytest.mark.gl
@pytest.mark.parametrize("size", SIZES, ids=size_id)
def test_window_frame_at_three_sizes(
    table: pa.Table, golden: dict[str, str], size: tuple[int, int]
) -> None:
    """The window (llvmpipe, offscreen) at 640x360, 720p and 1080p."""
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(table), colour="la")
    c = CarevisCanvas(scene, app="egl", size=size, threaded=False, t=T, dot_radius_px=2.0)
    try:
        check(golden, f"window-{size_id(size)}", c.render())
    finally:
        c.close()
