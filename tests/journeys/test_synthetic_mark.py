"""Synthetic data never passes for real: the mark in the table's schema metadata (kept
through a file), in every picture's caption and in every file's metadata; no input is an
error, not a quiet synthetic England."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import carevis
import numpy as np
import pyarrow.parquet as pq
import pytest
from carevis import Journeys, Scene, export, synthetic
from carevis.journeys import SYNTHETIC_KEY, SYNTHETIC_NOTE
from PIL import Image

from tests.conftest import random_table


@pytest.fixture(scope="module")
def tables() -> tuple[object, object]:
    made = synthetic.england_table(scale=0.002, start="2022-04-01", end="2024-03-31", seed=3)
    plain = made.replace_schema_metadata(
        {k: v for k, v in (made.schema.metadata or {}).items() if k != SYNTHETIC_KEY}
    )
    return made, plain


def test_the_synthetic_table_says_so_and_keeps_it_through_parquet(
    tables: tuple[object, object], tmp_path: Path
) -> None:
    made, plain = tables
    assert made.schema.metadata[SYNTHETIC_KEY] == SYNTHETIC_NOTE.encode()  # type: ignore[attr-defined]
    pq.write_table(made, tmp_path / "s.parquet")
    back = carevis.read(tmp_path / "s.parquet")
    assert back.synthetic
    assert back.to_arrow().schema.metadata[SYNTHETIC_KEY] == SYNTHETIC_NOTE.encode()
    assert not Journeys.from_arrow(plain).synthetic
    assert not Journeys.from_arrow(random_table(20)).synthetic
    assert synthetic.england(scale=0.001, start="2023-04-01", end="2024-03-31").synthetic


def _caption_band(img: np.ndarray) -> np.ndarray:
    h = img.shape[0]
    return img[h - h // 20 :, img.shape[1] // 2 :]


def test_a_synthetic_picture_carries_the_note_in_its_caption_and_metadata(
    tables: tuple[object, object], tmp_path: Path
) -> None:
    made, plain = tables
    real = Scene(Journeys.from_arrow(plain))
    fake = Scene(Journeys.from_arrow(made))
    kw = dict(width=960, height=540, title=None)
    # the same dots; only the caption band differs, and there the note is drawn
    a = np.asarray(Image.open(export.png(real, "2023-03-31", tmp_path / "real.png", **kw)))
    b = np.asarray(Image.open(export.png(fake, "2023-03-31", tmp_path / "fake.png", **kw)))
    assert not np.array_equal(_caption_band(a), _caption_band(b))
    assert np.array_equal(a[: a.shape[0] // 2], b[: b.shape[0] // 2])
    with Image.open(tmp_path / "fake.png") as im:
        assert im.text["Disclaimer"] == SYNTHETIC_NOTE  # type: ignore[attr-defined]
    meta = export.read_metadata(tmp_path / "fake.png")
    assert meta["synthetic"] == SYNTHETIC_NOTE
    assert meta["overlay"]["caption"] == SYNTHETIC_NOTE
    assert "synthetic" not in export.read_metadata(tmp_path / "real.png")
    with Image.open(tmp_path / "real.png") as im:
        assert "Disclaimer" not in im.text  # type: ignore[attr-defined]
    # a caption of the user's own is kept, after the note; the note is not doubled
    c = export.png(fake, "2023-03-31", tmp_path / "c.png", caption="Source: ours", **kw)
    assert export.read_metadata(c)["overlay"]["caption"] == f"{SYNTHETIC_NOTE}. Source: ours"
    d = export.png(fake, "2023-03-31", tmp_path / "d.png", caption=SYNTHETIC_NOTE, **kw)
    assert export.read_metadata(d)["overlay"]["caption"] == SYNTHETIC_NOTE


def test_synthetic_frames_and_videos_carry_the_note(
    tables: tuple[object, object], tmp_path: Path
) -> None:
    made, _ = tables
    fake = Scene(Journeys.from_arrow(made))
    kw = dict(start="2023-01-01", end="2023-01-10", days_per_second=25, width=320, height=180)
    paths = export.frames(fake, tmp_path / "frames", fps=5, **kw)
    assert len(paths) == 2
    for p in paths:
        with Image.open(p) as im:
            assert im.text["Disclaimer"] == SYNTHETIC_NOTE  # type: ignore[attr-defined]
    movie = export.video(fake, tmp_path / "clip.mp4", fps=5, **kw)
    assert export.read_metadata(movie)["synthetic"] == SYNTHETIC_NOTE
    gif = export.video(fake, tmp_path / "clip.gif", fps=5, **kw)
    assert gif.stat().st_size > 0


def test_render_without_input_is_a_usage_error(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "carevis", "render", "-o", str(tmp_path / "x.png")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("carevis: error: "), r.stderr
    assert "--synthetic" in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_render_of_the_synthetic_england_is_marked(tmp_path: Path) -> None:
    out = tmp_path / "s.png"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "carevis",
            "render",
            "--synthetic",
            "0.001",
            "-o",
            str(out),
            "--size",
            "640x360",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(Image.open(out).text["Description"])["synthetic"] == SYNTHETIC_NOTE  # type: ignore[attr-defined]


@pytest.mark.gl
def test_the_window_says_so_too(tables: tuple[object, object]) -> None:
    from carevis.window import CarevisCanvas

    made, plain = tables
    for data, marked in ((made, True), (plain, False)):
        scene = Scene(Journeys.from_arrow(data))
        c = CarevisCanvas(scene, app="egl", size=(480, 270), threaded=False, t="2023-03-31")
        try:
            c.render()
            assert (SYNTHETIC_NOTE in c.hud.text) == marked
        finally:
            c.close()
