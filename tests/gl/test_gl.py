"""The GL dot renderer against a CPU reference of the coverage rule, run for real
(EGL surfaceless, Mesa llvmpipe on CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import carevis
import numpy as np
import pytest
from carevis.scene import Frame
from carevis.viewport import Viewport

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import BG, make_table

#: GL blends in 8 bits per step; the reference composites in float and rounds once.
TOLERANCE = 2


def reference_render(
    frame: Frame, vp: Viewport, radius: float, background: tuple[int, ...] = BG
) -> np.ndarray:
    """CPU reference: coverage clamp(r + 0.5 - d, 0, 1) at pixel centres (i + 0.5, j + 0.5),
    straight-alpha colours composited premultiplied "over" in dot order, in float64,
    rounded once; straight alpha out."""
    h, w = vp.height, vp.width
    a_bg = background[3] / 255.0
    img = np.empty((h, w, 4), np.float64)
    img[..., :3] = np.array(background[:3]) / 255.0 * a_bg
    img[..., 3] = a_bg
    jj, ii = np.mgrid[0:h, 0:w]
    for x, y, c in zip(frame.x, frame.y, frame.rgba, strict=True):
        if c[3] == 0:
            continue
        px, py = float(x) * vp.sx + vp.tx, float(y) * vp.sy + vp.ty
        cov = np.clip(radius + 0.5 - np.hypot(ii + 0.5 - px, jj + 0.5 - py), 0.0, 1.0)
        a = c[3] / 255.0 * cov
        src = np.stack([c[0] / 255.0 * a, c[1] / 255.0 * a, c[2] / 255.0 * a, a], axis=-1)
        img = src + img * (1.0 - a[..., None])
    alpha = img[..., 3:4]
    img[..., :3] = np.where(alpha > 0, img[..., :3] / np.maximum(alpha, 1e-12), 0.0)
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


def assert_images_close(
    got: np.ndarray, want: np.ndarray, tol: int = TOLERANCE, max_bad_fraction: float = 0.0
) -> None:
    """Compares two H x W x 4 uint8 images (any source: GL, the CPU rasteriser, a golden
    PNG): channels may differ by ``tol``; at most ``max_bad_fraction`` of pixels more."""
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == np.uint8 and want.dtype == np.uint8
    diff = np.abs(got.astype(np.int16) - want.astype(np.int16)).max(axis=-1)
    bad = diff > tol
    frac = float(bad.mean())
    if frac > max_bad_fraction:
        ij = np.argwhere(bad)[:5].tolist()
        raise AssertionError(
            f"{bad.sum()} pixels ({frac:.4%}) differ by more than {tol} (largest {diff.max()}); "
            f"first at {ij}: got {[got[i, j].tolist() for i, j in ij]}, "
            f"want {[want[i, j].tolist() for i, j in ij]}"
        )


def handful(n: int = 14, seed: int = 1) -> Frame:
    """Dots of random colours, some straddling the image edges, overlapping."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.03, 16 / 9 + 0.03, n).astype(np.float32)
    y = rng.uniform(-0.03, 1.03, n).astype(np.float32)
    rgba = rng.integers(0, 256, (n, 4)).astype(np.uint8)
    rgba[:, 3] = rng.integers(40, 256, n)
    rgba[-1, 3] = 0  # an invisible dot draws nothing
    x[1], y[1] = x[0] + 0.004, y[0]  # an overlapping pair: order matters
    return Frame(x=x, y=y, rgba=rgba, state=np.zeros(n, np.int32))


@pytest.mark.gl
@pytest.mark.parametrize("radius", [0.5, 1.5, 3.0, 7.25])
def test_dots_match_cpu_reference(radius: float) -> None:
    from carevis.gl import render_frame_gl

    frame = handful()
    vp = Viewport.fit(96, 54)
    got = render_frame_gl(frame, vp, dot_radius_px=radius, background=BG)
    assert_images_close(got, reference_render(frame, vp, radius))
    # and the dots really drew something
    assert (np.abs(got.astype(int) - np.array(BG)).max(axis=-1) > 10).sum() > len(frame.x)


@pytest.mark.gl
def test_sub_pixel_positions_and_rows_top_down() -> None:
    from carevis.gl import render_frame_gl

    vp = Viewport(40, 30, 1.0, 1.0, 0.0, 0.0)  # world units are pixels
    frame = Frame(
        x=np.array([10.0, 30.3], np.float32),
        y=np.array([5.0, 24.7], np.float32),
        rgba=np.array([[255, 0, 0, 255], [0, 0, 255, 255]], np.uint8),
        state=np.zeros(2, np.int32),
    )
    got = render_frame_gl(frame, vp, dot_radius_px=2.0, background=(255, 255, 255, 255))
    # pixel (col 9, row 4) has its centre 0.71 px from (10, 5): fully red
    assert got[4, 9].tolist() == [255, 0, 0, 255]
    assert got[25, 9].tolist() == [255, 255, 255, 255]  # the bottom stays white
    assert got[24, 30, 2] == 255 and got[24, 30, 0] < 30
    assert_images_close(got, reference_render(frame, vp, 2.0, (255, 255, 255, 255)))


@pytest.mark.gl
def test_tiles_equal_one_pass() -> None:
    from carevis.gl import render_frame_gl

    frame = handful(40, seed=7)
    vp = Viewport.fit(150, 90, zoom=1.3)
    whole = render_frame_gl(frame, vp, dot_radius_px=3.0)
    tiled = render_frame_gl(frame, vp, dot_radius_px=3.0, max_tile=32)
    np.testing.assert_array_equal(tiled, whole)


@pytest.mark.gl
def test_transparent_background_gives_straight_alpha() -> None:
    from carevis.gl import render_frame_gl

    frame = handful(10, seed=5)
    vp = Viewport.fit(64, 36)
    got = render_frame_gl(frame, vp, dot_radius_px=2.5, background=(0, 0, 0, 0))
    want = reference_render(frame, vp, 2.5, (0, 0, 0, 0))
    # un-premultiplying faint edge pixels amplifies 8-bit rounding: compare colour only
    # where the pixel is at least half covered, and alpha everywhere
    assert_images_close(got[..., 3:], want[..., 3:])
    solid = want[..., 3] >= 128
    assert_images_close(got[solid][None], want[solid][None], tol=4)
    assert got[0, 0].tolist() == [0, 0, 0, 0] or want[0, 0, 3] > 0


@pytest.mark.gl
def test_render_gl_scene_puts_dots_where_the_engine_says() -> None:
    from carevis.gl import render_gl

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table()))
    t = "2018-06-30"
    w, h = 320, 180
    img = render_gl(scene, t, w, h, dot_radius_px=1.5)
    assert img.shape == (h, w, 4) and img.dtype == np.uint8
    frame = scene.frame(t)
    vp = Viewport.fit(w, h)
    assert_images_close(img, reference_render(frame, vp, 1.5), tol=3, max_bad_fraction=0.002)
    shown = np.flatnonzero(frame.rgba[:, 3] > 0)
    assert len(shown) > 50
    px = np.floor(frame.x[shown] * vp.sx + vp.tx).astype(int)
    py = np.floor(frame.y[shown] * vp.sy + vp.ty).astype(int)
    ink = np.abs(img[py, px].astype(int) - np.array(BG)).max(axis=-1)
    assert (ink > 20).mean() > 0.95
    # a given viewport (zoomed in) is honoured, and the same as the reference
    zoomed = Viewport.fit(w, h, zoom=3.0, centre=tuple(scene.centres[8]))
    img2 = render_gl(scene, t, w, h, viewport=zoomed, dot_radius_px=3.0)
    assert_images_close(img2, reference_render(frame, zoomed, 3.0), tol=3, max_bad_fraction=0.002)
    with pytest.raises(ValueError):
        render_gl(scene, t, 10, 10, viewport=zoomed)


@pytest.mark.gl
def test_layer_uploads_colours_only_when_asked() -> None:
    from carevis.gl import FramePair, render_frame_gl
    from carevis.gl.offscreen import _offscreen

    off = _offscreen()
    pair = FramePair(5)
    a, b = pair.front, pair.back
    assert a is not b and a.x is not b.x
    assert pair.swap() is b and pair.back is a
    before = dict(off.layer.uploads)
    frame = handful(12)
    render_frame_gl(frame, Viewport.fit(32, 18))
    off.layer.upload(frame, colours=False)
    after = off.layer.uploads
    assert after["positions"] - before["positions"] == 2
    assert after["colours"] - before["colours"] == 1


def test_import_carevis_does_not_import_vispy() -> None:
    code = "import sys, carevis; s = carevis.Scene; assert 'vispy' not in sys.modules, 'vispy'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_gl_export_leaves_the_context_free_for_this_thread(tmp_path: Path) -> None:
    """The pipeline draws in its own thread; afterwards this one draws again (EGL lets a
    context be current in one thread at a time)."""
    from carevis import export
    from carevis.gl import render_gl

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(200)))
    lo, hi = scene.journeys.minute_range or (0, 0)
    export.frames(scene, tmp_path, times=[(lo + hi) / 2], width=160, height=90, renderer="gl")
    img = render_gl(scene, (lo + hi) / 2 / 1440, 160, 90, path="cpu")
    assert img.shape == (90, 160, 4) and (img[..., 3] > 0).all()
