"""Video files of a sensible size: a quality (named or a quantiser) and an x264 preset, in the API,
`render` and `demo`; GIFs with one palette for the whole clip."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from carevis import ExportError, Journeys, Scene, export

from ..conftest import day, random_table


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene(Journeys.from_arrow(random_table(600, seed=5)))


CLIP = dict(start=day(20), end=day(120), fps=10, days_per_second=20, width=320, height=180)


def _x264_settings(path: Path) -> str:
    """The settings x264 writes into the stream (its SEI text)."""
    found = re.search(rb"x264 - core .*?options: ([^\x00]*)", path.read_bytes())
    assert found, "no x264 settings in the file"
    return found.group(1).decode()


def test_quality_and_preset_reach_the_encoder(scene: Scene, tmp_path: Path) -> None:
    default = export.video(scene, tmp_path / "default.mp4", **CLIP)
    publication = export.video(scene, tmp_path / "pub.mp4", quality="publication", **CLIP)
    fast = export.video(scene, tmp_path / "fast.mp4", quality=30, preset="ultrafast", **CLIP)
    s_default, s_pub, s_fast = (_x264_settings(p) for p in (default, publication, fast))
    assert " qp=35 " in f" {s_default} "  # email, the default: about 5 Mbit/s at 1080p
    assert " qp=18 " in f" {s_pub} "
    assert " qp=30 " in f" {s_fast} "
    # veryfast (the default) uses CABAC; ultrafast does not
    assert "cabac=1" in s_default and "cabac=0" in s_fast
    assert publication.stat().st_size > default.stat().st_size
    assert export.read_metadata(default)["qp"] == export.QUALITIES["email"]
    assert export.read_metadata(default)["preset"] == "veryfast"
    assert export.read_metadata(publication)["qp"] == 18


@pytest.mark.parametrize("bad", ["best", 52, -1, 2.5, True])
def test_a_bad_quality_is_refused_before_any_work(
    scene: Scene, tmp_path: Path, bad: object
) -> None:
    with pytest.raises(ExportError, match="quality"):
        export.video(scene, tmp_path / "x.mp4", quality=bad, **CLIP)  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


def _gif_tables(path: Path) -> tuple[bool, int, int]:
    """(has a global colour table, frames, frames with a local colour table)."""
    b = path.read_bytes()
    assert b[:6] in (b"GIF87a", b"GIF89a")
    packed, i = b[10], 13
    has_global = bool(packed & 0x80)
    if has_global:
        i += 3 * 2 ** ((packed & 7) + 1)
    frames = local = 0
    while b[i] != 0x3B:
        if b[i] == 0x21:  # extension: label, then sub-blocks
            i += 2
        else:  # image descriptor, optional local table, LZW size, then sub-blocks
            assert b[i] == 0x2C
            flags, frames = b[i + 9], frames + 1
            i += 10
            if flags & 0x80:
                local += 1
                i += 3 * 2 ** ((flags & 7) + 1)
            i += 1
        while b[i]:
            i += b[i] + 1
        i += 1
    return has_global, frames, local


def test_a_gif_has_one_palette_for_the_whole_clip(scene: Scene, tmp_path: Path) -> None:
    gif = export.video(scene, tmp_path / "clip.gif", **CLIP)
    has_global, frames, local = _gif_tables(gif)
    assert has_global and frames > 5
    assert local == 0


def test_render_takes_quality_qp_and_preset(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(random_table(200, seed=1), tmp_path / "j.parquet")
    base = [sys.executable, "-m", "carevis", "render", str(tmp_path / "j.parquet")]
    base += ["--from", "2020-01-20", "--to", "2020-03-01", "--fps", "5", "--size", "320x180"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *extra], capture_output=True, text=True, check=False)

    r = run("-o", str(tmp_path / "p.mp4"), "--quality", "publication", "--preset", "ultrafast")
    assert r.returncode == 0, r.stderr
    meta = export.read_metadata(tmp_path / "p.mp4")
    assert (meta["qp"], meta["preset"]) == (18, "ultrafast")
    r = run("-o", str(tmp_path / "c.mp4"), "--qp", "40")
    assert r.returncode == 0, r.stderr
    assert " qp=40 " in f" {_x264_settings(tmp_path / 'c.mp4')} "
    for bad in (["--qp", "60"], ["--quality", "best"], ["--preset", "quick"]):
        r = run("-o", str(tmp_path / "bad.mp4"), *bad)
        assert r.returncode == 2, (bad, r.stderr)
        assert r.stderr.strip().splitlines()[-1].startswith("carevis: error: ")
    assert not (tmp_path / "bad.mp4").exists()
