"""The GL renderer and the CPU rasteriser draw the same picture: same dots, same places,
same colours, pixel by pixel within a stated tolerance; and the window shows what the CPU
exporter renders for the same moment."""

from __future__ import annotations

import carevis
import numpy as np
import pytest
from carevis.render import RenderSettings, image, rasterise

from .test_gl import assert_images_close, handful, make_table

#: Channel difference allowed between GL (8-bit framebuffer blending) and the CPU
#: rasteriser (float accumulation, one rounding): a few levels where dots overlap.
TOL = 3


@pytest.mark.gl
@pytest.mark.parametrize("radius", [1.0, 2.5])
def test_gl_and_cpu_agree_on_handmade_dots(radius: float) -> None:
    from carevis.gl import render_frame_gl

    f = handful(40, seed=7)
    s = RenderSettings(width=320, height=180, dot_radius=radius, overlay=None)
    cpu = rasterise(f, s)
    gl = render_frame_gl(f, s.viewport(), dot_radius_px=radius, background=s.background)
    assert_images_close(gl, cpu, tol=TOL, max_bad_fraction=0.002)


@pytest.mark.gl
def test_gl_and_cpu_agree_on_a_scene() -> None:
    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(600, seed=5)))
    t = "2020-09-01"
    cpu = image(scene, t, 640, 360, overlay=False, dot_radius=1.5)
    gl = image(scene, t, 640, 360, overlay=False, dot_radius=1.5, renderer="gl")
    assert not np.array_equal(cpu[0, 0], [0, 0, 0, 0])
    drawn = np.any(cpu[..., :3] != cpu[0, 0, :3], axis=-1)
    assert drawn.sum() > 100  # the comparison is about real dots
    assert_images_close(gl, cpu, tol=TOL, max_bad_fraction=0.002)
    # with the overlay, both renderers get the same labels on top
    cpu_o = image(scene, t, 640, 360, dot_radius=1.5)
    gl_o = image(scene, t, 640, 360, dot_radius=1.5, renderer="gl")
    assert_images_close(gl_o, cpu_o, tol=TOL, max_bad_fraction=0.002)


@pytest.mark.gl
def test_window_frame_matches_the_cpu_exporter() -> None:
    import carevis.window as window

    scene = carevis.Scene(carevis.Journeys.from_arrow(make_table(500, seed=9)))
    canvas = window.CarevisCanvas(scene, size=(640, 360), threaded=False)
    try:
        canvas.show_overlay = False
        canvas.jump_to("2020-08-15")
        shot = np.ascontiguousarray(canvas.render())
        vp = canvas.viewport
        cpu = np.empty((vp.height, vp.width, 4), np.uint8)
        f = scene.frame_at_minutes(canvas.frame.minutes, scene.buffers())
        assert (f.rgba[:, 3] > 0).sum() > 50
        carevis._native.Rasteriser().render(
            f.x,
            f.y,
            f.rgba,
            cpu,
            radius_px=canvas.dot_radius_px,
            sx=vp.sx,
            sy=vp.sy,
            tx=vp.tx,
            ty=vp.ty,
            background=canvas.background,
        )
        assert shot.shape == cpu.shape
        assert_images_close(shot, cpu, tol=TOL, max_bad_fraction=0.003)
    finally:
        canvas.close()
