"""The GL side: dots drawn by OpenGL, in the window and offscreen.

- :mod:`.api`: GL entry points through ctypes, enums, shader programs (shaders are
  package data, ``carevis/shaders/``).
- :mod:`.dots`: :class:`DotLayer` (one gloo program drawing a computed frame as point
  sprites, the CPU rasteriser's coverage rule) and :class:`FramePair` (double buffers).
- :mod:`.compaction`, :mod:`.gpu_frame`: :class:`GpuFrame`, a scene's journeys kept on
  the GPU and a shader computing every dot.
- :mod:`.choose`: which of the two paths draws a scene here (:class:`FramePath`: timed
  over the first frames drawn).
- :mod:`.offscreen`: :func:`render_frame_gl` and :func:`render_gl`, headless on EGL.

Inside the package, modules import downward: api -> dots -> compaction -> gpu_frame ->
choose -> offscreen. VisPy is imported lazily, never by ``import carevis``."""

from __future__ import annotations

from .api import SOFTWARE_GL, gl_api, is_software_gl
from .choose import FramePath, FrameTrial, forced_path
from .dots import (
    DEFAULT_BACKGROUND,
    MAX_RADIUS_PX,
    DotLayer,
    FramePair,
    premultiplied,
    unpremultiply,
)
from .gpu_frame import HIDDEN, MAX_STATES, GpuFrame
from .offscreen import max_tile_size, release_context, render_frame_gl, render_gl

__all__ = [
    "DEFAULT_BACKGROUND",
    "HIDDEN",
    "MAX_RADIUS_PX",
    "MAX_STATES",
    "SOFTWARE_GL",
    "DotLayer",
    "FramePair",
    "FramePath",
    "FrameTrial",
    "GpuFrame",
    "forced_path",
    "gl_api",
    "is_software_gl",
    "max_tile_size",
    "premultiplied",
    "release_context",
    "render_frame_gl",
    "render_gl",
    "unpremultiply",
]
