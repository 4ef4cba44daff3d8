"""The GPU frame: a scene's journeys kept on the GPU, and a shader that computes every dot.

A :class:`GpuFrame` uploads, once per scene, what the engine's frame reads (per dot: its
first spell, when it appears and is gone, its waiting states and category, 16 bytes; per
spell: start, end, arrival, state and flags, and the dot's place in that state's cluster,
24 bytes), and then draws any moment with nothing uploaded but uniforms (the time, the
clusters' centres and radii, the viewport, emphasis). The shader
(``shaders/frame.vert.glsl``, GLSL ES 3.00, so that WebGL2 can run it as is) computes
exactly what :meth:`carevis.Scene.frame_into` computes; dots waiting off screen are
culled in the vertex stage. A second pass writes every dot's record (place, colour,
state) into a texture, so that the GPU's frame can be read back and checked against the
engine's.

On a machine whose GL is a software rasteriser (Mesa's llvmpipe) the engine's frame is
faster: :func:`choose_path` measures both once and picks; ``CAREVIS_GL_FRAME=gpu|cpu``
overrides it.

GL is called directly (ctypes): gloo cannot make integer textures or draw without
vertex attributes. Needs a current GL context (desktop GL 3.3+ with
``ARB_ES3_compatibility``, or GLES 3.0).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import time
from importlib import resources
from typing import Any, ClassVar

import numpy as np

from ._time import MINUTES_PER_DAY
from .errors import ConfigError
from .scene import Emphasis, Frame, Scene
from .viewport import Viewport

#: States the shader takes (its uniform array of cluster centres and radii).
MAX_STATES = 64
#: Bit of a dot's fourth word that hides it (a filter).
HIDDEN = 1 << 14
#: Words in the GL renderer's name of GLs that draw on the CPU.
SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "swiftshader")
#: Dots per chunk whose times bound when any of them is on screen.
CHUNK = 1024
#: Chunks off screen between two runs on screen below which the runs are drawn as one.
MERGE_GAP = 16

# GL enums
_TEXTURE_2D = 0x0DE1
_TEXTURE0 = 0x84C0
_NEAREST = 0x2600
_TEXTURE_MIN_FILTER = 0x2801
_TEXTURE_MAG_FILTER = 0x2800
_RGBA32UI = 0x8D70
_RGBA8UI = 0x8D7C
_RG32F = 0x8230
_RGBA_INTEGER = 0x8D99
_RG = 0x8227
_UNSIGNED_INT = 0x1405
_UNSIGNED_BYTE = 0x1401
_FLOAT = 0x1406
_VERTEX_SHADER = 0x8B31
_FRAGMENT_SHADER = 0x8B30
_COMPILE_STATUS = 0x8B81
_LINK_STATUS = 0x8B82
_POINTS = 0x0000
_FRAMEBUFFER = 0x8D40
_FRAMEBUFFER_BINDING = 0x8CA6
_COLOR_ATTACHMENT0 = 0x8CE0
_FRAMEBUFFER_COMPLETE = 0x8CD5
_BLEND = 0x0BE2
_ONE = 1
_ONE_MINUS_SRC_ALPHA = 0x0303
_PROGRAM_POINT_SIZE = 0x8642
_UNPACK_ALIGNMENT = 0x0CF5
_PACK_ALIGNMENT = 0x0D05
_PACK_ROW_LENGTH = 0x0D02
_COMPUTE_SHADER = 0x91B9
_SHADER_STORAGE_BUFFER = 0x90D2
_ELEMENT_ARRAY_BUFFER = 0x8893
_DRAW_INDIRECT_BUFFER = 0x8F3F
_DYNAMIC_COPY = 0x88EA
_SHADER_STORAGE_BARRIER = 0x2000
_DRAW_BARRIERS = 0x2 | 0x40  # element array, command
_GROUP = 1024
_RGBA = 0x1908
_MAX_TEXTURE_SIZE = 0x0D33
_VIEWPORT = 0x0BA2
_ACTIVE_TEXTURE = 0x84E0


def _shader_source(name: str) -> str:
    return resources.files("carevis").joinpath(f"shaders/{name}").read_text(encoding="utf-8")


_U, _I, _F, _P = ctypes.c_uint, ctypes.c_int, ctypes.c_float, ctypes.c_void_p


class _GL:
    """The few GL entry points the GPU frame calls, loaded once through ctypes."""

    _SIGNATURES: ClassVar[dict[str, tuple[Any, tuple[Any, ...]]]] = {
        "glGetError": (_U, ()),
        "glGetIntegerv": (None, (_U, _P)),
        "glGenTextures": (None, (_I, _P)),
        "glDeleteTextures": (None, (_I, _P)),
        "glBindTexture": (None, (_U, _U)),
        "glActiveTexture": (None, (_U,)),
        "glTexParameteri": (None, (_U, _U, _I)),
        "glPixelStorei": (None, (_U, _I)),
        "glTexImage2D": (None, (_U, _I, _I, _I, _I, _I, _U, _U, _P)),
        "glTexSubImage2D": (None, (_U, _I, _I, _I, _I, _I, _U, _U, _P)),
        "glCreateShader": (_U, (_U,)),
        "glShaderSource": (None, (_U, _I, _P, _P)),
        "glCompileShader": (None, (_U,)),
        "glGetShaderiv": (None, (_U, _U, _P)),
        "glGetShaderInfoLog": (None, (_U, _I, _P, ctypes.c_char_p)),
        "glCreateProgram": (_U, ()),
        "glAttachShader": (None, (_U, _U)),
        "glLinkProgram": (None, (_U,)),
        "glGetProgramiv": (None, (_U, _U, _P)),
        "glGetProgramInfoLog": (None, (_U, _I, _P, ctypes.c_char_p)),
        "glDeleteShader": (None, (_U,)),
        "glDeleteProgram": (None, (_U,)),
        "glUseProgram": (None, (_U,)),
        "glGetUniformLocation": (_I, (_U, ctypes.c_char_p)),
        "glUniform1i": (None, (_I, _I)),
        "glUniform1f": (None, (_I, _F)),
        "glUniform2f": (None, (_I, _F, _F)),
        "glUniform4f": (None, (_I, _F, _F, _F, _F)),
        "glUniform4fv": (None, (_I, _I, _P)),
        "glGenVertexArrays": (None, (_I, _P)),
        "glBindVertexArray": (None, (_U,)),
        "glDrawArrays": (None, (_U, _I, _I)),
        "glEnable": (None, (_U,)),
        "glDisable": (None, (_U,)),
        "glBlendFunc": (None, (_U, _U)),
        "glViewport": (None, (_I, _I, _I, _I)),
        "glGenFramebuffers": (None, (_I, _P)),
        "glDeleteFramebuffers": (None, (_I, _P)),
        "glBindFramebuffer": (None, (_U, _U)),
        "glFramebufferTexture2D": (None, (_U, _U, _U, _U, _I)),
        "glCheckFramebufferStatus": (_U, (_U,)),
        "glReadPixels": (None, (_I, _I, _I, _I, _U, _U, _P)),
        "glClearBufferuiv": (None, (_U, _I, _P)),
        "glFinish": (None, ()),
        "glGetString": (ctypes.c_char_p, (_U,)),
        # the compaction pass (GL 4.3): absent where GL is older
        "glGenBuffers": (None, (_I, _P)),
        "glDeleteBuffers": (None, (_I, _P)),
        "glBindBuffer": (None, (_U, _U)),
        "glBufferData": (None, (_U, ctypes.c_ssize_t, _P, _U)),
        "glBindBufferBase": (None, (_U, _U, _U)),
        "glDispatchCompute": (None, (_U, _U, _U)),
        "glMemoryBarrier": (None, (_U,)),
        "glDrawElementsIndirect": (None, (_U, _U, _P)),
    }
    _OPTIONAL = frozenset(
        {
            "glGenBuffers",
            "glDeleteBuffers",
            "glBindBuffer",
            "glBufferData",
            "glBindBufferBase",
            "glDispatchCompute",
            "glMemoryBarrier",
            "glDrawElementsIndirect",
        }
    )

    def __init__(self) -> None:
        names = [ctypes.util.find_library(n) for n in ("OpenGL", "GL", "GLESv2")]
        libs = []
        for name in ["libOpenGL.so.0", "libGL.so.1", *[n for n in names if n]]:
            try:
                libs.append(ctypes.CDLL(name))
            except OSError:
                continue
        if not libs:
            raise ConfigError("no OpenGL library found for the GPU frame")
        get_proc = None
        for egl_name in ("libEGL.so.1", ctypes.util.find_library("EGL")):
            if not egl_name:
                continue
            try:
                get_proc = ctypes.CDLL(egl_name).eglGetProcAddress
                get_proc.restype = ctypes.c_void_p
                get_proc.argtypes = [ctypes.c_char_p]
                break
            except (OSError, AttributeError):
                continue
        for name, (restype, argtypes) in self._SIGNATURES.items():
            fn: Any = None
            for lib in libs:
                fn = getattr(lib, name, None)
                if fn is not None:
                    break
            if fn is None and get_proc is not None:
                addr = get_proc(name.encode())
                if addr:
                    fn = ctypes.CFUNCTYPE(restype, *argtypes)(addr)
            if fn is None and name in self._OPTIONAL:
                continue
            if fn is None:
                raise ConfigError(f"the GL library has no {name}")
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name[2:], fn)
        if os.environ.get("CAREVIS_GL_DEBUG"):
            self._check_each_call()

    def _check_each_call(self) -> None:
        """Checks for a GL error after every call, naming the call (CAREVIS_GL_DEBUG=1)."""
        get_error = self.GetError
        for name in self._SIGNATURES:
            if name == "glGetError" or not hasattr(self, name[2:]):
                continue
            fn = getattr(self, name[2:])

            def checked(*args: Any, _fn: Any = fn, _name: str = name) -> Any:
                before = get_error()
                out = _fn(*args)
                after = get_error()
                if before or after:
                    raise ConfigError(
                        f"GL error 0x{before:x} before, 0x{after:x} after {_name}{args}"
                    )
                return out

            setattr(self, name[2:], checked)

    def __getattr__(self, name: str) -> Any:
        # the entry points are set in __init__ (this is reached only for one GL lacks)
        raise AttributeError(f"GL has no gl{name}")

    def get_int(self, pname: int, n: int = 1) -> list[int]:
        out = (ctypes.c_int * max(n, 4))()
        self.GetIntegerv(pname, out)
        return list(out[:n])


_GL_API: _GL | None = None


def gl_api() -> _GL:
    global _GL_API
    if _GL_API is None:
        _GL_API = _GL()
    return _GL_API


def _compile(gl: _GL, kind: int, source: str) -> int:
    sh = int(gl.CreateShader(kind))
    src = ctypes.c_char_p(source.encode())
    gl.ShaderSource(sh, 1, ctypes.byref(src), None)
    gl.CompileShader(sh)
    ok = ctypes.c_int(0)
    gl.GetShaderiv(sh, _COMPILE_STATUS, ctypes.byref(ok))
    if not ok.value:
        log = ctypes.create_string_buffer(4096)
        gl.GetShaderInfoLog(sh, 4096, None, log)
        gl.DeleteShader(sh)
        raise ConfigError(f"GPU frame shader: {log.value.decode(errors='replace').strip()}")
    return sh


def _program(gl: _GL, defines: str) -> int:
    head = "#version 300 es\n" + defines
    vs = _compile(gl, _VERTEX_SHADER, head + _shader_source("frame.vert.glsl"))
    fs = _compile(gl, _FRAGMENT_SHADER, head + _shader_source("frame.frag.glsl"))
    prog = int(gl.CreateProgram())
    gl.AttachShader(prog, vs)
    gl.AttachShader(prog, fs)
    gl.LinkProgram(prog)
    gl.DeleteShader(vs)
    gl.DeleteShader(fs)
    ok = ctypes.c_int(0)
    gl.GetProgramiv(prog, _LINK_STATUS, ctypes.byref(ok))
    if not ok.value:
        log = ctypes.create_string_buffer(4096)
        gl.GetProgramInfoLog(prog, 4096, None, log)
        gl.DeleteProgram(prog)
        raise ConfigError(f"GPU frame program: {log.value.decode(errors='replace').strip()}")
    return prog


def _compute_program(gl: _GL, define: str) -> int:
    source = f"#version 430\n#define {define}\n" + _shader_source("compact.comp.glsl")
    cs = _compile(gl, _COMPUTE_SHADER, source)
    prog = int(gl.CreateProgram())
    gl.AttachShader(prog, cs)
    gl.LinkProgram(prog)
    gl.DeleteShader(cs)
    ok = ctypes.c_int(0)
    gl.GetProgramiv(prog, _LINK_STATUS, ctypes.byref(ok))
    if not ok.value:
        gl.DeleteProgram(prog)
        raise ConfigError("GPU frame compaction program did not link")
    return prog


def most_on_screen(dots: np.ndarray, n: int) -> int:
    """The most dots ever not waiting off screen at once (first spell begun, not gone):
    what the compaction's index list must hold."""
    if n == 0:
        return 0
    start = np.sort(dots[:n, 1].view(np.int32))
    gone = np.sort(dots[:n, 2].view(np.int32))
    live = np.arange(1, n + 1) - np.searchsorted(gone, start, "right")
    return int(live.max())


class _Compaction:
    """The compaction pass (compact.comp.glsl) and its buffers: per group of 1024 dots a
    count, an index list as long as the most dots ever on screen, the draw's command."""

    def __init__(self, gl: _GL, n: int, capacity: int) -> None:
        if not hasattr(gl, "DispatchCompute") or not hasattr(gl, "DrawElementsIndirect"):
            raise ConfigError("no compute shaders here")
        self.gl = gl
        self.n = n
        self.groups = max(-(-n // _GROUP), 1)
        if self.groups > _GROUP * 4096:
            raise ConfigError("too many dots for one scan")
        self.programs = [_compute_program(gl, d) for d in ("COUNT", "SCAN", "WRITE")]
        self.buffers = (ctypes.c_uint * 3)()
        gl.GenBuffers(3, self.buffers)
        self.gpu_bytes = 0
        for k, size in enumerate((4 * self.groups, 4 * max(capacity, 1), 20)):
            gl.BindBuffer(_SHADER_STORAGE_BUFFER, self.buffers[k])
            gl.BufferData(_SHADER_STORAGE_BUFFER, size, None, _DYNAMIC_COPY)
            self.gpu_bytes += size
        gl.BindBuffer(_SHADER_STORAGE_BUFFER, 0)

    def run(self, frame: GpuFrame, ti: int) -> None:
        """Lists the dots to draw at minute ``ti`` (the frame's dot table bound on unit 0)."""
        gl = self.gl
        for k in range(3):
            gl.BindBufferBase(_SHADER_STORAGE_BUFFER, k, self.buffers[k])
        for prog, groups in zip(self.programs, (self.groups, 1, self.groups), strict=True):
            gl.UseProgram(prog)
            gl.Uniform1i(frame._loc(prog, "u_dots"), 0)
            gl.Uniform1i(frame._loc(prog, "u_shift"), frame.shift)
            gl.Uniform1i(frame._loc(prog, "u_ti"), ti)
            gl.Uniform1i(frame._loc(prog, "u_n"), self.n)
            gl.Uniform1i(frame._loc(prog, "u_groups"), self.groups)
            gl.DispatchCompute(groups, 1, 1)
            gl.MemoryBarrier(_SHADER_STORAGE_BARRIER)
        gl.MemoryBarrier(_DRAW_BARRIERS)
        for k in range(3):
            gl.BindBufferBase(_SHADER_STORAGE_BUFFER, k, 0)

    def draw(self) -> None:
        """Draws the dots listed (the draw program and vertex array bound)."""
        gl = self.gl
        gl.BindBuffer(_ELEMENT_ARRAY_BUFFER, self.buffers[1])
        gl.BindBuffer(_DRAW_INDIRECT_BUFFER, self.buffers[2])
        gl.DrawElementsIndirect(_POINTS, _UNSIGNED_INT, None)
        gl.BindBuffer(_DRAW_INDIRECT_BUFFER, 0)

    def close(self) -> None:
        for prog in self.programs:
            self.gl.DeleteProgram(prog)
        self.gl.DeleteBuffers(3, self.buffers)


class _Saved:
    """GL state the GPU frame changes, put back afterwards for gloo (VisPy): no program or
    vertex array in use, the same active texture unit, and gloo told that its program is
    no longer current (it remembers the last one it used and skips glUseProgram when it
    thinks that one still is; GL reuses the names of deleted programs)."""

    def __init__(self, gl: _GL) -> None:
        self.gl = gl
        self.active = gl.get_int(_ACTIVE_TEXTURE)[0]

    def restore(self) -> None:
        gl = self.gl
        gl.UseProgram(0)
        gl.BindVertexArray(0)
        gl.ActiveTexture(self.active)
        try:
            from vispy import gloo

            canvas = gloo.get_current_canvas()
            if canvas is not None:
                canvas.context.shared.parser.env.pop("current_program", None)
        except ImportError:  # pragma: no cover - used without VisPy
            pass


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
        max_size = gl.get_int(_MAX_TEXTURE_SIZE)[0]
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
        dots = np.zeros((-(-(n + 1) // width) * width, 4), np.uint32)
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
        pad[:n] = dots[:n, 1].view(np.int32)
        self.chunk_from = pad.reshape(k, CHUNK).min(axis=1)
        pad[:] = np.iinfo(np.int32).min
        pad[:n] = dots[:n, 2].view(np.int32)
        self.chunk_until = pad.reshape(k, CHUNK).max(axis=1)
        self._hidden: np.ndarray | None = None
        saved = _Saved(gl)
        self.textures = (ctypes.c_uint * 4)()
        gl.GenTextures(4, self.textures)
        gl.PixelStorei(_UNPACK_ALIGNMENT, 4)
        gl.ActiveTexture(_TEXTURE0)
        self.bytes_uploaded = 0
        self._texture(0, dots, width, _RGBA32UI, _RGBA_INTEGER, _UNSIGNED_INT)
        self._texture(1, spells, width, _RGBA32UI, _RGBA_INTEGER, _UNSIGNED_INT)
        self._texture(2, places, width, _RG32F, _RG, _FLOAT)
        uniforms, lut = native.gpu_uniforms()
        lut = np.ascontiguousarray(lut, np.uint8)
        self._texture(3, lut, len(lut), _RGBA8UI, _RGBA_INTEGER, _UNSIGNED_BYTE)
        self.gpu_bytes = dots.nbytes + spells.nbytes + places.nbytes + lut.nbytes
        self.lut_n = len(lut)
        self.uniforms = uniforms
        self.centres = np.asarray(scene.centres, np.float32)
        self.draw_program = _program(gl, "")
        self.state_program = _program(gl, "#define STATE_PASS\n")
        self.locations: dict[tuple[int, str], int] = {}
        vao = (ctypes.c_uint * 1)()
        gl.GenVertexArrays(1, vao)
        self.vao = int(vao[0])
        self._fbo: tuple[int, int, int] | None = None
        #: The compaction pass where GL has compute shaders (CAREVIS_GL_COMPACT=0: off),
        #: and whether draws use it.
        self.compaction: _Compaction | None = None
        self.compacting = True
        if os.environ.get("CAREVIS_GL_COMPACT", "1") != "0":
            try:
                self.compaction = _Compaction(gl, n, most_on_screen(dots, n))
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
        gl.BindTexture(_TEXTURE_2D, self.textures[unit])
        gl.TexParameteri(_TEXTURE_2D, _TEXTURE_MIN_FILTER, _NEAREST)
        gl.TexParameteri(_TEXTURE_2D, _TEXTURE_MAG_FILTER, _NEAREST)
        rows = len(data) // width
        gl.TexImage2D(_TEXTURE_2D, 0, internal, width, rows, 0, fmt, kind, data.ctypes.data)
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
        w = self.dots[: self.n, 3]
        w &= np.uint32(~HIDDEN & 0xFFFFFFFF)
        if hidden is not None:
            w |= hidden.astype(np.uint32) << np.uint32(14)
        saved = _Saved(self.gl)
        self.gl.ActiveTexture(_TEXTURE0)
        self.gl.BindTexture(_TEXTURE_2D, self.textures[0])
        width = 1 << self.shift
        self.gl.TexSubImage2D(
            _TEXTURE_2D,
            0,
            0,
            0,
            width,
            len(self.dots) // width,
            _RGBA_INTEGER,
            _UNSIGNED_INT,
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
            gl.ActiveTexture(_TEXTURE0 + unit)
            gl.BindTexture(_TEXTURE_2D, self.textures[unit])
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
        from .gl import MAX_RADIUS_PX

        if self.n == 0:
            return
        radius_px = float(min(max(radius_px, 0.0), MAX_RADIUS_PX))
        gl = self.gl
        saved = _Saved(gl)
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
            gl.Enable(_BLEND)
            gl.BlendFunc(_ONE, _ONE_MINUS_SRC_ALPHA)
        else:
            gl.Disable(_BLEND)
        gl.Enable(_PROGRAM_POINT_SIZE)
        gl.Uniform1i(self._loc(prog, "u_top_up"), int(top_up))
        if self.compaction is not None and self.compacting:
            # only the dots not waiting off screen go down the graphics pipeline
            self.compaction.run(self, math.floor(minutes))
            gl.UseProgram(prog)
            gl.BindVertexArray(self.vao)
            self.compaction.draw()
        else:
            for first, count in self.ranges(minutes):
                gl.DrawArrays(_POINTS, first, count)
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
        saved = _Saved(gl)
        previous_fbo = gl.get_int(_FRAMEBUFFER_BINDING)[0]
        previous_viewport = gl.get_int(_VIEWPORT, 4)
        if self._fbo is None or self._fbo[2] != rows:
            if self._fbo is not None:
                gl.DeleteFramebuffers(1, (ctypes.c_uint * 1)(self._fbo[0]))
                gl.DeleteTextures(1, (ctypes.c_uint * 1)(self._fbo[1]))
            fbo, tex = (ctypes.c_uint * 1)(), (ctypes.c_uint * 1)()
            gl.GenFramebuffers(1, fbo)
            gl.GenTextures(1, tex)
            gl.ActiveTexture(_TEXTURE0)
            gl.BindTexture(_TEXTURE_2D, tex[0])
            gl.TexParameteri(_TEXTURE_2D, _TEXTURE_MIN_FILTER, _NEAREST)
            gl.TexParameteri(_TEXTURE_2D, _TEXTURE_MAG_FILTER, _NEAREST)
            gl.TexImage2D(
                _TEXTURE_2D, 0, _RGBA32UI, width, rows, 0, _RGBA_INTEGER, _UNSIGNED_INT, None
            )
            gl.BindFramebuffer(_FRAMEBUFFER, fbo[0])
            gl.FramebufferTexture2D(_FRAMEBUFFER, _COLOR_ATTACHMENT0, _TEXTURE_2D, tex[0], 0)
            if gl.CheckFramebufferStatus(_FRAMEBUFFER) != _FRAMEBUFFER_COMPLETE:
                raise ConfigError("the GPU frame's record texture cannot be drawn into")
            self._fbo = (int(fbo[0]), int(tex[0]), rows)
        gl.BindFramebuffer(_FRAMEBUFFER, self._fbo[0])
        gl.Viewport(0, 0, width, rows)
        gl.ClearBufferuiv(0x1800, 0, (ctypes.c_uint * 4)(0, 0, 0, 0))  # GL_COLOR
        gl.Disable(_BLEND)
        self._use(self.state_program, minutes)
        gl.DrawArrays(_POINTS, 0, self.n)
        out = np.empty((rows, width, 4), np.uint32)
        gl.PixelStorei(_PACK_ALIGNMENT, 4)
        gl.ReadPixels(0, 0, width, rows, _RGBA_INTEGER, _UNSIGNED_INT, out.ctypes.data)
        gl.BindFramebuffer(_FRAMEBUFFER, previous_fbo)
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
        gl.PixelStorei(_PACK_ALIGNMENT, 4)
        gl.PixelStorei(_PACK_ROW_LENGTH, out.strides[0] // 4)
        gl.ReadPixels(x, y, w, h, _RGBA, _UNSIGNED_BYTE, out.ctypes.data)
        gl.PixelStorei(_PACK_ROW_LENGTH, 0)

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


def is_software_gl() -> bool:
    """Whether the current GL context draws on the CPU (Mesa's llvmpipe, softpipe or
    swrast, or SwiftShader)."""
    name = gl_api().GetString(0x1F01) or b""  # GL_RENDERER
    return any(k in name.decode(errors="replace").lower() for k in SOFTWARE_GL)


def path_without_measuring(software: bool | None = None) -> str | None:
    """The path :func:`choose_path` takes without measuring, or None: the one
    ``CAREVIS_GL_FRAME`` names, else ``"cpu"`` on a software GL (``software``; default:
    :func:`is_software_gl`)."""
    forced = os.environ.get("CAREVIS_GL_FRAME", "").strip().lower()
    if forced in ("gpu", "cpu"):
        return forced
    if forced not in ("", "auto"):
        raise ConfigError(f"CAREVIS_GL_FRAME must be gpu, cpu or auto, not {forced!r}")
    if software is None:
        software = is_software_gl()
    return "cpu" if software else None


def choose_path(
    scene: Scene,
    draw_gpu: Any,
    draw_cpu: Any,
    *,
    frames: int = 3,
    gpu: GpuFrame | None = None,
    software: bool | None = None,
) -> str:
    """``"gpu"`` or ``"cpu"``: whichever draws ``scene`` faster here, by a quick
    measurement (the median of ``frames`` frames each, after one to warm up;
    ``draw_gpu(minutes)`` and
    ``draw_cpu(minutes)`` draw one moment and wait for the GL). ``CAREVIS_GL_FRAME=gpu``
    or ``cpu`` decides without measuring. Given the ``gpu`` frame that ``draw_gpu`` draws
    with, its compaction pass is first kept or switched off, whichever is faster (on a
    software GL, compute shaders are slow). On a software GL (``software``; default: GL's
    renderer is Mesa's llvmpipe, softpipe or swrast, or SwiftShader) the engine's path is
    chosen without measuring: there the GPU frame was never faster at 1M dots, and
    measuring takes seconds."""
    known = path_without_measuring(software)
    if known is not None:
        return known
    lo, hi = scene.journeys.minute_range or (0, MINUTES_PER_DAY)
    moments = [lo + (hi - lo) * (k + 1) / (frames + 1) for k in range(frames)]

    def timed(draw: Any) -> float:
        """The median of the frames' times (one frame slowed by other work does not
        decide)."""
        draw(moments[0])
        times = []
        for t in moments:
            a = time.perf_counter()
            draw(t)
            times.append(time.perf_counter() - a)
        return sorted(times)[len(times) // 2]

    t_gpu = timed(draw_gpu)
    if gpu is not None and gpu.compaction is not None:
        gpu.compacting = False
        t_plain = timed(draw_gpu)
        gpu.compacting = t_gpu <= t_plain
        t_gpu = min(t_gpu, t_plain)
    return "gpu" if t_gpu <= timed(draw_cpu) else "cpu"
