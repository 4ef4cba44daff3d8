"""The exporter: CPU rendering, overlay, PNG / video / GIF files, atomic writes, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis import ExportError, Journeys, Scene, export
from carevis.render import RenderSettings, image, rasterise
from carevis.viewport import Viewport
from PIL import Image

from ..conftest import day, random_table, table


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene(Journeys.from_arrow(random_table(400, seed=11)), alpha=1.0)


def test_render_shape_background_and_dots(scene: Scene) -> None:
    img = image(scene, day(200), 640, 360, overlay=False)
    assert img.shape == (360, 640, 4) and img.dtype == np.uint8
    bg = np.array([247, 247, 244, 255])
    assert np.all(img[0, 0] == bg)
    f = scene.frame(day(200))
    vp = Viewport.fit(640, 360)
    drawn = 0
    for i in np.flatnonzero(f.rgba[:, 3] == 255)[:50]:
        px, py = vp.to_pixels(float(f.x[i]), float(f.y[i]))
        if 0 <= px < 640 and 0 <= py < 360:
            drawn += int(np.any(img[int(py), int(px), :3] != bg[:3]))
    assert drawn > 0


def test_render_and_exports_draw_the_frame_at_t(scene: Scene, tmp_path: Path) -> None:
    t = day(200)
    dots = rasterise(scene.frame(t), RenderSettings(width=640, height=360, overlay=None))
    assert np.array_equal(image(scene, t, 640, 360, overlay=False), dots)
    other = rasterise(scene.frame(day(900)), RenderSettings(width=640, height=360, overlay=None))
    assert not np.array_equal(dots, other)
    p = export.png(scene, t, tmp_path / "a.png", width=640, height=360, overlay=False)
    assert np.array_equal(np.asarray(Image.open(p)), dots)


def test_cpu_raster_matches_reference_for_a_few_dots() -> None:
    t = table([(1, "Referral", 0, None)])
    s = Scene(Journeys.from_arrow(t), alpha=1.0, fade_days=0)
    f = s.frame(day(10))
    settings = RenderSettings(
        width=64, height=36, dot_radius=3.0, overlay=None, background=(0, 0, 0, 255)
    )
    img = rasterise(f, settings)
    vp = settings.viewport()
    cx, cy = vp.to_pixels(float(f.x[0]), float(f.y[0]))
    yy, xx = np.mgrid[0:36, 0:64] + 0.5
    cov = np.clip(3.0 + 0.5 - np.hypot(xx - cx, yy - cy), 0, 1)
    want = np.round(cov[..., None] * f.rgba[0, :3].astype(float))
    assert np.abs(img[..., :3].astype(float) - want).max() <= 1.0


def test_overlay_draws_labels_date_and_legend(scene: Scene) -> None:
    plain = image(scene, day(200), 960, 540, overlay=False)
    full = image(scene, day(200), 960, 540, overlay=True, title="A title", caption="A caption")
    changed = np.any(plain != full, axis=2)
    assert changed[:40, :300].any()  # title, top left
    assert changed[:60, -300:].any()  # date, top right
    assert changed[-150:, -350:].any()  # legend, bottom right


def test_suppressed_counts(scene: Scene) -> None:
    from carevis.render import OverlayStyle, format_count

    assert format_count(3, OverlayStyle(suppress_below=5)) == "<5"
    assert format_count(3, OverlayStyle(suppress_below=5, suppress_style="hide")) is None
    assert format_count(0, OverlayStyle(suppress_below=5)) == "0"
    assert format_count(1234, OverlayStyle(suppress_below=5)) == "1,234"


def test_png_is_written_atomically_with_metadata(scene: Scene, tmp_path: Path) -> None:
    p = export.png(scene, day(200), tmp_path / "poster.png", width=800, height=450)
    with Image.open(p) as im:
        assert im.size == (800, 450)
    meta = export.read_metadata(p)
    assert meta["children"] == scene.n_dots and meta["width"] == 800
    assert "child_id" not in str(meta)
    assert [q.name for q in tmp_path.iterdir()] == ["poster.png"]


def test_frames_resume(scene: Scene, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    kw = dict(start=day(100), end=day(130), fps=10, days_per_second=30, width=320, height=180)
    paths = export.frames(scene, out, **kw)  # type: ignore[arg-type]
    assert len(paths) == 11 and all(p.exists() for p in paths)
    first = paths[3].stat().st_mtime_ns
    was = [np.asarray(Image.open(paths[k])) for k in (5, 8, 9)]
    for k in (5, 8, 9):
        paths[k].unlink()
    export.frames(scene, out, **kw)  # type: ignore[arg-type]
    assert paths[5].exists() and paths[3].stat().st_mtime_ns == first
    # the labels of resumed frames stand where the whole run put them (issue 17)
    for k, pixels in zip((5, 8, 9), was, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(paths[k])), pixels)


@pytest.mark.parametrize(
    ("name", "codec"), [("clip.mp4", None), ("clip444.mp4", "h264-444"), ("clip.mkv", "ffv1")]
)
def test_video_files(scene: Scene, tmp_path: Path, name: str, codec: str | None) -> None:
    p = export.video(
        scene,
        tmp_path / name,
        start=day(100),
        end=day(160),
        fps=10,
        days_per_second=30,
        width=320,
        height=180,
        codec=codec,
    )
    assert export.count_frames(p) == 21
    meta = export.read_metadata(p)
    assert meta["fps"] == 10 and meta["frames"] == 21
    assert not list(tmp_path.glob(".*part*"))


def test_video_frames_match_the_renderer(scene: Scene, tmp_path: Path) -> None:
    p = export.video(
        scene,
        tmp_path / "c.mkv",
        start=day(150),
        end=day(151),
        fps=1,
        days_per_second=1,
        width=320,
        height=180,
    )
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(p))
    meta = next(reader)
    first = np.frombuffer(next(reader), np.uint8).reshape(meta["size"][1], meta["size"][0], 3)
    want = image(scene, day(150), 320, 180)
    assert np.abs(first[..., :3].astype(int) - want[..., :3]).max() <= 2


def test_gif(scene: Scene, tmp_path: Path) -> None:
    p = export.video(
        scene,
        tmp_path / "c.gif",
        start=day(100),
        end=day(110),
        fps=5,
        days_per_second=10,
        width=160,
        height=90,
    )
    with Image.open(p) as im:
        assert im.n_frames == 6


def test_interrupt_leaves_no_file(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carevis.export.pipeline as ex

    calls = {"n": 0}
    real = ex.finish

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(ex, "finish", boom)
    with pytest.raises(KeyboardInterrupt):
        export.video(
            scene,
            tmp_path / "x.mp4",
            start=day(100),
            end=day(200),
            fps=10,
            days_per_second=10,
            width=320,
            height=180,
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(path="nowhere/x.mp4"), "does not exist"),
        (dict(path="x.avi"), "unknown format"),
        (dict(width=0), "positive"),
        (dict(width=-5), "positive"),
        (dict(width=70000), "largest"),
        (dict(width=60000, height=60000), "memory"),
        (dict(start=day(300), end=day(200)), "empty time range"),
        (dict(width=321), "even"),
        (dict(codec="nope"), "unknown codec"),
        (dict(renderer="magic"), "unknown renderer"),
    ],
)
def test_bad_input_fails_before_work(
    scene: Scene, tmp_path: Path, kwargs: dict, words: str
) -> None:  # type: ignore[type-arg]
    args = dict(start=day(100), end=day(110), width=320, height=180)
    path = tmp_path / kwargs.pop("path", "ok.mp4")
    args.update(kwargs)
    with pytest.raises(ExportError, match=words):
        export.video(scene, path, **args)  # type: ignore[arg-type]
    assert not path.exists()


def test_scene_with_no_dots(tmp_path: Path) -> None:
    t = table([(1, "Referral", 0, 1), (1, "Referral", 0, 2)])
    j = Journeys.from_arrow(t, on_error="reject")
    assert j.n_children == 1
    empty = pa.table(
        {
            "child_id": pa.array([], pa.int64()),
            "state": pa.array([], pa.string()),
            "start": pa.array([], pa.date32()),
            "end": pa.array([], pa.date32()),
        }
    )
    s = Scene(Journeys.from_arrow(empty))
    with pytest.raises(ExportError, match="no dots"):
        export.png(s, day(1), tmp_path / "x.png")


def test_unwritable_folder(scene: Scene, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        import os

        if os.access(ro, os.W_OK):  # root ignores permissions: use a file as the "folder"
            (tmp_path / "file").write_text("x")
            target = tmp_path / "file" / "x.png"
            with pytest.raises(ExportError, match="does not exist"):
                export.png(scene, day(1), target)
        else:
            with pytest.raises(ExportError, match="not writable"):
                export.png(scene, day(1), ro / "x.png")
    finally:
        ro.chmod(0o700)


def test_cli_render(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from carevis.cli import main

    pq.write_table(random_table(200, seed=2), tmp_path / "j.parquet")
    assert (
        main(
            [
                "render",
                str(tmp_path / "j.parquet"),
                "-o",
                str(tmp_path / "a.png"),
                "--at",
                "2020-06-01",
                "--size",
                "640x360",
            ]
        )
        == 0
    )
    assert (tmp_path / "a.png").exists()
    assert (
        main(
            [
                "render",
                str(tmp_path / "j.parquet"),
                "-o",
                str(tmp_path / "a.mp4"),
                "--from",
                "2020-03-01",
                "--to",
                "2020-04-01",
                "--size",
                "320x180",
                "--days-per-second",
                "20",
            ]
        )
        == 0
    )
    assert export.count_frames(tmp_path / "a.mp4") > 10
    assert (
        main(
            ["render", str(tmp_path / "j.parquet"), "-o", str(tmp_path / "b.mp4"), "--size", "0x10"]
        )
        == 1
    )
    _ = dt


def test_large_pictures_are_drawn_in_regions_that_join_seamlessly(scene: Scene) -> None:
    f = scene.frame(day(200))
    s = RenderSettings(width=12000, height=300, dot_radius=2.0, overlay=None)
    tiled = rasterise(f, s)  # drawn as regions of at most 8192 columns
    vp = s.viewport()
    whole = np.empty_like(tiled)
    carevis._native.Rasteriser().render(
        f.x,
        f.y,
        f.rgba,
        whole,
        radius_px=2.0,
        sx=vp.sx,
        sy=vp.sy,
        tx=vp.tx,
        ty=vp.ty,
        background=s.background,
    )
    assert np.array_equal(tiled, whole)
    wide = rasterise(f, RenderSettings(width=20000, height=120, dot_radius=1.0, overlay=None))
    assert wide.shape == (120, 20000, 4)
