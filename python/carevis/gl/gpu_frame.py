"""The GPU frame: a scene's journeys kept on the GPU, and a shader that computes every dot.

A :class:`GpuFrame` uploads, once per scene, what the engine's frame reads (per dot: its
first spell, when it is gone, its waiting states and category, 12 bytes (it appears when
its first spell starts); per spell: start, end, arrival, state and flags, and the dot's
place in that state's cluster, 24 bytes), and then draws any moment with nothing
uploaded but uniforms (the time, the clusters' centres and radii, the viewport,
emphasis). The shader
(``shaders/frame.vert.glsl``, GLSL ES 3.00, so that WebGL2 can run it as is) computes
exactly what :meth:`carevis.Scene.frame_into` computes; dots waiting off screen are
culled in the vertex stage. A second pass writes every dot's record (place, colour,
state) into a texture, so that the GPU's frame can be read back and checked against the
engine's.

Which is faster depends on the machine (on a software rasteriser such as Mesa's llvmpipe
the compaction pass's compute shaders run on the CPU): :class:`carevis.gl.choose.FramePath`
times the first frames drawn by each path in turn and keeps the fastest;
``CAREVIS_GL_FRAME=gpu|cpu`` overrides it.

GL is called directly (ctypes): gloo cannot make integer textures or draw without
vertex attributes. Needs a current GL context (desktop GL 3.3+ with
``ARB_ES3_compatibility``, or GLES 3.0).
"""

from __future__ import annotations

import ctypes
import math
import os

import numpy as np

from ..errors import ConfigError
from ..scene import PROJECTED_ALPHA, Emphasis, Frame, Scene, projected_from
from ..viewport import Viewport
from .api import (
    BLEND,
    COLOR_ATTACHMENT0,
    FLOAT,
    FRAMEBUFFER,
    FRAMEBUFFER_BINDING,
    FRAMEBUFFER_COMPLETE,
    MAX_TEXTURE_SIZE,
    NEAREST,
    ONE,
    ONE_MINUS_SRC_ALPHA,
    PACK_ALIGNMENT,
    PACK_ROW_LENGTH,
    POINTS,
    PROGRAM_POINT_SIZE,
    RG,
    RG32F,
    RGB32UI,
    RGB_INTEGER,
    RGBA,
    RGBA8UI,
    RGBA32UI,
    RGBA_INTEGER,
    TEXTURE0,
    TEXTURE_2D,
    TEXTURE_MAG_FILTER,
    TEXTURE_MIN_FILTER,
    UNPACK_ALIGNMENT,
    UNSIGNED_BYTE,
    UNSIGNED_INT,
    VIEWPORT,
    Saved,
    gl_api,
    program,
)
from .compaction import Compaction, appears, most_on_screen
from .dots import MAX_RADIUS_PX

#: States the shader takes (its uniform array of cluster centres and radii).
MAX_STATES = 64
#: Bit of a dot's fourth word that hides it (a filter).
HIDDEN = 1 << 14
#: Dots per chunk whose times bound when any of them is on screen.
CHUNK = 1024
#: Chunks off screen between two runs on screen below which the runs are drawn as one.
MERGE_GAP = 16


class GpuFrame:
    """One scene's tables on the GPU and the programs that compute and draw its frames.

    Build it with a GL context current; every call needs the same context current.
    ``bytes_uploaded`` counts what has been sent to the GPU (the tables once, then only
    when a filter changes); ``gpu_bytes`` is what the tables hold there.
    """

    def __init__(self, scene: Scene) -> None:
        n_states = len(scene.states)
        if n_states > MAX_STATES:
            raise ConfigError(f"{n_states} states; the GPU frame draws at most {MAX_STATES}")
        self.gl = gl = gl_api()
        self.scene = scene
        native = scene._native
        n, m = scene.n_dots, int(native.n_spells)
        self.n = n
        max_size = gl.get_int(MAX_TEXTURE_SIZE)[0]
        # Rows of (1 << shift) texels: the smallest square-ish shape that holds the larger
        # table, within the GL's texture size.
        need = max(n + 1, m, 1)
        shift = max(6, math.ceil(math.log2(need) / 2))
        while (1 << shift) < max_size and -(-need // (1 << shift)) > max_size:
            shift += 1
        if -(-need // (1 << shift)) > max_size or (1 << shift) > max_size:
            raise ConfigError(f"{need:,} records do not fit the GL's {max_size}-texel textures")
        self.shift = shift
        width = 1 << shift
        dots = np.zeros((-(-(n + 1) // width) * width, 3), np.uint32)
        rows_s = max(-(-m // width), 1)
        spells = np.zeros((rows_s * width, 4), np.uint32)
        places = np.zeros((rows_s * width, 2), np.float32)
        native.gpu_tables(dots[: n + 1], spells[:m], places[:m])
        #: The dots' table as uploaded (kept to set filter bits without the engine).
        self.dots = dots
        # Per chunk of CHUNK dots: the first time any is on screen and the last. Without the
        # compaction pass, chunks whose dots all wait off screen are not drawn (before and
        # after the data's busy years; the engine's dot order shuffles blocks of children,
        # so not many chunks in between).
        k = -(-n // CHUNK)
        pad = np.full(k * CHUNK, np.iinfo(np.int32).max, np.int32)
        pad[:n] = appears(dots, spells, n)
        self.chunk_from = pad.reshape(k, CHUNK).min(axis=1)
        pad[:] = np.iinfo(np.int32).min
        pad[:n] = dots[:n, 1].view(np.int32)
        self.chunk_until = pad.reshape(k, CHUNK).max(axis=1)
        self._hidden: np.ndarray | None = None
        saved = Saved(gl)
        self.textures = (ctypes.c_uint * 4)()
        gl.GenTextures(4, self.textures)
        gl.PixelStorei(UNPACK_ALIGNMENT, 4)
        gl.ActiveTexture(TEXTURE0)
        self.bytes_uploaded = 0
        self._texture(0, dots, width, RGB32UI, RGB_INTEGER, UNSIGNED_INT)
        self._texture(1, spells, width, RGBA32UI, RGBA_INTEGER, UNSIGNED_INT)
        self._texture(2, places, width, RG32F, RG, FLOAT)
        uniforms, lut = native.gpu_uniforms()
        lut = np.ascontiguousarray(lut, np.uint8)
        self._texture(3, lut, len(lut), RGBA8UI, RGBA_INTEGER, UNSIGNED_BYTE)
        self.gpu_bytes = dots.nbytes + spells.nbytes + places.nbytes + lut.nbytes
        self.lut_n = len(lut)
        self.uniforms = uniforms
        self.centres = np.asarray(scene.centres, np.float32)
        self.draw_program = program(gl, "")
        self.state_program = program(gl, "#define STATE_PASS\n")
        self.locations: dict[tuple[int, str], int] = {}
        vao = (ctypes.c_uint * 1)()
        gl.GenVertexArrays(1, vao)
        self.vao = int(vao[0])
        self._fbo: tuple[int, int, int] | None = None
        #: The compaction pass where GL has compute shaders (CAREVIS_GL_COMPACT=0: off),
        #: and whether draws use it.
        self.compaction: Compaction | None = None
        self.compacting = True
        if os.environ.get("CAREVIS_GL_COMPACT", "1") != "0":
            try:
                self.compaction = Compaction(gl, n, most_on_screen(dots, spells, n))
                self.gpu_bytes += self.compaction.gpu_bytes
            except ConfigError:
                self.compaction = None
        saved.restore()
        if scene.emphasis is not None:
            self.sync_emphasis(scene.emphasis)

    # --- tables ----------------------------------------------------------------------------
    def _texture(
        self, unit: int, data: np.ndarray, width: int, internal: int, fmt: int, kind: int
    ) -> None:
        gl = self.gl
        gl.BindTexture(TEXTURE_2D, self.textures[unit])
        gl.TexParameteri(TEXTURE_2D, TEXTURE_MIN_FILTER, NEAREST)
        gl.TexParameteri(TEXTURE_2D, TEXTURE_MAG_FILTER, NEAREST)
        rows = len(data) // width
        gl.TexImage2D(TEXTURE_2D, 0, internal, width, rows, 0, fmt, kind, data.ctypes.data)
        self.bytes_uploaded += data.nbytes

    def sync_emphasis(self, em: Emphasis | None) -> None:
        """Draws with emphasis ``em`` from now on (its filter goes into the dots' table:
        uploaded again when it changes; highlight and dimming are uniforms)."""
        if em is None:
            uniforms, _ = self.scene._native.gpu_uniforms()
        else:
            uniforms, _ = self.scene._native.gpu_uniforms(em.highlight, em.dim)
        self.uniforms = uniforms
        vis = None if em is None else em.visible
        if vis is None and self._hidden is None:
            return
        hidden = None if vis is None else ~np.asarray(vis, bool)
        if hidden is not None and self._hidden is not None and np.array_equal(hidden, self._hidden):
            return
        self._hidden = hidden
        w = self.dots[: self.n, 2]
        w &= np.uint32(~HIDDEN & 0xFFFFFFFF)
        if hidden is not None:
            w |= hidden.astype(np.uint32) << np.uint32(14)
        saved = Saved(self.gl)
        self.gl.ActiveTexture(TEXTURE0)
        self.gl.BindTexture(TEXTURE_2D, self.textures[0])
        width = 1 << self.shift
        self.gl.TexSubImage2D(
            TEXTURE_2D,
            0,
            0,
            0,
            width,
            len(self.dots) // width,
            RGB_INTEGER,
            UNSIGNED_INT,
            self.dots.ctypes.data,
        )
        self.bytes_uploaded += self.dots.nbytes
        saved.restore()

    # --- uniforms --------------------------------------------------------------------------
    def _loc(self, prog: int, name: str) -> int:
        key = (prog, name)
        if key not in self.locations:
            self.locations[key] = int(self.gl.GetUniformLocation(prog, name.encode()))
        return self.locations[key]

    def _use(self, prog: int, minutes: float) -> None:
        gl = self.gl
        gl.UseProgram(prog)
        gl.BindVertexArray(self.vao)
        for unit, name in enumerate(("u_dots", "u_spells", "u_places", "u_lut")):
            gl.ActiveTexture(TEXTURE0 + unit)
            gl.BindTexture(TEXTURE_2D, self.textures[unit])
            gl.Uniform1i(self._loc(prog, name), unit)
        ti = math.floor(minutes)
        gl.Uniform1i(self._loc(prog, "u_shift"), self.shift)
        gl.Uniform1i(self._loc(prog, "u_ti"), int(min(max(ti, -(2**31)), 2**31 - 1)))
        gl.Uniform1f(self._loc(prog, "u_tf"), float(minutes - ti))
        radii = self.scene.radii_at_minutes(minutes)
        states = np.zeros((MAX_STATES, 4), np.float32)
        states[: len(radii), :2] = self.centres
        states[: len(radii), 2] = radii
        gl.Uniform4fv(self._loc(prog, "u_states"), MAX_STATES, states.ctypes.data)
        mode, lo, scale, top, alpha, inv_fade, highlight, dim = self.uniforms
        since = projected_from(self.scene.journeys)
        if since is not None and minutes >= since:
            # As the CPU frame: the opacity factor times PROJECTED_ALPHA, in f32.
            alpha = float(np.float32(alpha) * np.float32(PROJECTED_ALPHA))
        gl.Uniform1i(self._loc(prog, "u_mode"), int(mode))
        gl.Uniform1f(self._loc(prog, "u_lo"), lo)
        gl.Uniform1f(self._loc(prog, "u_scale"), scale)
        gl.Uniform1f(self._loc(prog, "u_top"), top)
        gl.Uniform1i(self._loc(prog, "u_lut_n"), self.lut_n)
        gl.Uniform1f(self._loc(prog, "u_alpha"), alpha)
        gl.Uniform1f(self._loc(prog, "u_inv_fade"), inv_fade)
        gl.Uniform1i(self._loc(prog, "u_highlight"), int(highlight))
        gl.Uniform1f(self._loc(prog, "u_dim"), dim)
        gl.Uniform1i(self._loc(prog, "u_filtered"), int(self._hidden is not None))

    # --- passes ----------------------------------------------------------------------------
    def draw(
        self,
        minutes: float,
        viewport: Viewport,
        *,
        radius_px: float,
        target: tuple[int, int],
        offset: tuple[float, float] = (0.0, 0.0),
        blend: bool = True,
        top_up: bool = False,
    ) -> None:
        """Draws the moment ``minutes`` into the bound framebuffer (its GL viewport set to
        ``target``), as :class:`carevis.gl.DotLayer` draws a computed frame: same coverage,
        same blending, same dot order. ``top_up``: the image's first row at the bottom of
        the target, so that glReadPixels gives rows top-down. (``blend=False``: for
        measuring what blending costs.)"""
        if self.n == 0:
            return
        radius_px = float(min(max(radius_px, 0.0), MAX_RADIUS_PX))
        gl = self.gl
        saved = Saved(gl)
        prog = self.draw_program
        self._use(prog, minutes)
        gl.Uniform4f(
            self._loc(prog, "u_map"),
            viewport.sx,
            viewport.sy,
            viewport.tx - offset[0],
            viewport.ty - offset[1],
        )
        gl.Uniform2f(self._loc(prog, "u_size"), float(target[0]), float(target[1]))
        gl.Uniform1f(self._loc(prog, "u_radius"), radius_px)
        if blend:
            gl.Enable(BLEND)
            gl.BlendFunc(ONE, ONE_MINUS_SRC_ALPHA)
        else:
            gl.Disable(BLEND)
        gl.Enable(PROGRAM_POINT_SIZE)
        gl.Uniform1i(self._loc(prog, "u_top_up"), int(top_up))
        if self.compaction is not None and self.compacting:
            # only the dots not waiting off screen go down the graphics pipeline
            self.compaction.run(self, math.floor(minutes))
            gl.UseProgram(prog)
            gl.BindVertexArray(self.vao)
            self.compaction.draw()
        else:
            for first, count in self.ranges(minutes):
                gl.DrawArrays(POINTS, first, count)
        saved.restore()

    def ranges(self, minutes: float) -> list[tuple[int, int]]:
        """(first dot, count) of the runs of chunks with a dot on screen at ``minutes``:
        what a draw submits (a chunk whose dots all wait off screen is not)."""
        ti = math.floor(minutes)
        on = (self.chunk_from <= ti) & (self.chunk_until > ti)
        idx = np.flatnonzero(on)
        if len(idx) == 0:
            return []
        breaks = np.flatnonzero(np.diff(idx) > MERGE_GAP)
        starts = np.concatenate([[idx[0]], idx[breaks + 1]])
        ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
        return [
            (int(a) * CHUNK, min(int(b) * CHUNK, self.n) - int(a) * CHUNK)
            for a, b in zip(starts, ends, strict=True)
        ]

    def read_frame(self, minutes: float) -> Frame:
        """The frame at ``minutes`` as the GPU computes it, read back: per dot its place,
        colour and state (what :meth:`carevis.Scene.frame_at_minutes` gives)."""
        gl = self.gl
        width = 1 << self.shift
        rows = max(-(-self.n // width), 1)
        saved = Saved(gl)
        previous_fbo = gl.get_int(FRAMEBUFFER_BINDING)[0]
        previous_viewport = gl.get_int(VIEWPORT, 4)
        if self._fbo is None or self._fbo[2] != rows:
            if self._fbo is not None:
                gl.DeleteFramebuffers(1, (ctypes.c_uint * 1)(self._fbo[0]))
                gl.DeleteTextures(1, (ctypes.c_uint * 1)(self._fbo[1]))
            fbo, tex = (ctypes.c_uint * 1)(), (ctypes.c_uint * 1)()
            gl.GenFramebuffers(1, fbo)
            gl.GenTextures(1, tex)
            gl.ActiveTexture(TEXTURE0)
            gl.BindTexture(TEXTURE_2D, tex[0])
            gl.TexParameteri(TEXTURE_2D, TEXTURE_MIN_FILTER, NEAREST)
            gl.TexParameteri(TEXTURE_2D, TEXTURE_MAG_FILTER, NEAREST)
            gl.TexImage2D(TEXTURE_2D, 0, RGBA32UI, width, rows, 0, RGBA_INTEGER, UNSIGNED_INT, None)
            gl.BindFramebuffer(FRAMEBUFFER, fbo[0])
            gl.FramebufferTexture2D(FRAMEBUFFER, COLOR_ATTACHMENT0, TEXTURE_2D, tex[0], 0)
            if gl.CheckFramebufferStatus(FRAMEBUFFER) != FRAMEBUFFER_COMPLETE:
                raise ConfigError("the GPU frame's record texture cannot be drawn into")
            self._fbo = (int(fbo[0]), int(tex[0]), rows)
        gl.BindFramebuffer(FRAMEBUFFER, self._fbo[0])
        gl.Viewport(0, 0, width, rows)
        gl.ClearBufferuiv(0x1800, 0, (ctypes.c_uint * 4)(0, 0, 0, 0))  # GL_COLOR
        gl.Disable(BLEND)
        self._use(self.state_program, minutes)
        gl.DrawArrays(POINTS, 0, self.n)
        out = np.empty((rows, width, 4), np.uint32)
        gl.PixelStorei(PACK_ALIGNMENT, 4)
        gl.ReadPixels(0, 0, width, rows, RGBA_INTEGER, UNSIGNED_INT, out.ctypes.data)
        gl.BindFramebuffer(FRAMEBUFFER, previous_fbo)
        gl.Viewport(*previous_viewport)
        saved.restore()
        rec = out.reshape(-1, 4)[: self.n]
        return Frame(
            x=rec[:, 0].copy().view(np.float32),
            y=rec[:, 1].copy().view(np.float32),
            rgba=np.ascontiguousarray(rec[:, 2]).view(np.uint8).reshape(-1, 4).copy(),
            state=rec[:, 3].astype(np.int32) - 1,
            minutes=float(minutes),
        )

    def read_pixels(self, x: int, y: int, out: np.ndarray) -> None:
        """Reads the bound framebuffer's ``out.shape[1] x out.shape[0]`` pixels from
        ``(x, y)`` into ``out`` (a view of rows of a C-contiguous uint8 RGBA image), as
        they lie in memory (rows bottom-up: top-down for a ``top_up`` drawing)."""
        h, w = out.shape[:2]
        assert out.strides[1] == 4 and out.strides[2] == 1 and out.strides[0] % 4 == 0
        gl = self.gl
        gl.PixelStorei(PACK_ALIGNMENT, 4)
        gl.PixelStorei(PACK_ROW_LENGTH, out.strides[0] // 4)
        gl.ReadPixels(x, y, w, h, RGBA, UNSIGNED_BYTE, out.ctypes.data)
        gl.PixelStorei(PACK_ROW_LENGTH, 0)

    def finish(self) -> None:
        """Waits until the GPU has done everything asked of it (for timing)."""
        self.gl.Finish()

    def close(self) -> None:
        """Frees the GPU's copies (the context must be current)."""
        gl = self.gl
        if self.compaction is not None:
            self.compaction.close()
            self.compaction = None
        gl.DeleteTextures(4, self.textures)
        gl.DeleteProgram(self.draw_program)
        gl.DeleteProgram(self.state_program)
        if self._fbo is not None:
            gl.DeleteFramebuffers(1, (ctypes.c_uint * 1)(self._fbo[0]))
            gl.DeleteTextures(1, (ctypes.c_uint * 1)(self._fbo[1]))
            self._fbo = None
