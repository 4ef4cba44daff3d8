"""OpenGL called directly through ctypes (gloo cannot make integer textures or draw
without vertex attributes): the entry points the GPU frame uses (:func:`gl_api`), the
enums, shader and program building, and the state put back for gloo (:class:`Saved`).

Shaders are package data (``carevis/shaders/``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from importlib import resources
from typing import Any, ClassVar

from ..errors import ConfigError

#: Words in the GL renderer's name of GLs that draw on the CPU.
SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "swiftshader")

# GL enums
TEXTURE_2D = 0x0DE1
TEXTURE0 = 0x84C0
NEAREST = 0x2600
TEXTURE_MIN_FILTER = 0x2801
TEXTURE_MAG_FILTER = 0x2800
RGBA32UI = 0x8D70
RGB32UI = 0x8D71
RGBA8UI = 0x8D7C
RG32F = 0x8230
RGBA_INTEGER = 0x8D99
RGB_INTEGER = 0x8D98
RG = 0x8227
UNSIGNED_INT = 0x1405
UNSIGNED_BYTE = 0x1401
FLOAT = 0x1406
VERTEX_SHADER = 0x8B31
FRAGMENT_SHADER = 0x8B30
COMPILE_STATUS = 0x8B81
LINK_STATUS = 0x8B82
POINTS = 0x0000
FRAMEBUFFER = 0x8D40
FRAMEBUFFER_BINDING = 0x8CA6
COLOR_ATTACHMENT0 = 0x8CE0
FRAMEBUFFER_COMPLETE = 0x8CD5
BLEND = 0x0BE2
ONE = 1
ONE_MINUS_SRC_ALPHA = 0x0303
PROGRAM_POINT_SIZE = 0x8642
UNPACK_ALIGNMENT = 0x0CF5
PACK_ALIGNMENT = 0x0D05
PACK_ROW_LENGTH = 0x0D02
COMPUTE_SHADER = 0x91B9
SHADER_STORAGE_BUFFER = 0x90D2
ELEMENT_ARRAY_BUFFER = 0x8893
DRAW_INDIRECT_BUFFER = 0x8F3F
DYNAMIC_COPY = 0x88EA
SHADER_STORAGE_BARRIER = 0x2000
DRAW_BARRIERS = 0x2 | 0x40  # element array, command
GROUP = 1024
RGBA = 0x1908
MAX_TEXTURE_SIZE = 0x0D33
VIEWPORT = 0x0BA2
ACTIVE_TEXTURE = 0x84E0


def _shader_source(name: str) -> str:
    return resources.files("carevis").joinpath(f"shaders/{name}").read_text(encoding="utf-8")


_U, _I, _F, _P = ctypes.c_uint, ctypes.c_int, ctypes.c_float, ctypes.c_void_p


class GL:
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


_GL_API: GL | None = None


def gl_api() -> GL:
    global _GL_API
    if _GL_API is None:
        _GL_API = GL()
    return _GL_API


def compile_shader(gl: GL, kind: int, source: str) -> int:
    sh = int(gl.CreateShader(kind))
    src = ctypes.c_char_p(source.encode())
    gl.ShaderSource(sh, 1, ctypes.byref(src), None)
    gl.CompileShader(sh)
    ok = ctypes.c_int(0)
    gl.GetShaderiv(sh, COMPILE_STATUS, ctypes.byref(ok))
    if not ok.value:
        log = ctypes.create_string_buffer(4096)
        gl.GetShaderInfoLog(sh, 4096, None, log)
        gl.DeleteShader(sh)
        raise ConfigError(f"GPU frame shader: {log.value.decode(errors='replace').strip()}")
    return sh


def program(gl: GL, defines: str) -> int:
    head = "#version 300 es\n" + defines
    vs = compile_shader(gl, VERTEX_SHADER, head + _shader_source("frame.vert.glsl"))
    fs = compile_shader(gl, FRAGMENT_SHADER, head + _shader_source("frame.frag.glsl"))
    prog = int(gl.CreateProgram())
    gl.AttachShader(prog, vs)
    gl.AttachShader(prog, fs)
    gl.LinkProgram(prog)
    gl.DeleteShader(vs)
    gl.DeleteShader(fs)
    ok = ctypes.c_int(0)
    gl.GetProgramiv(prog, LINK_STATUS, ctypes.byref(ok))
    if not ok.value:
        log = ctypes.create_string_buffer(4096)
        gl.GetProgramInfoLog(prog, 4096, None, log)
        gl.DeleteProgram(prog)
        raise ConfigError(f"GPU frame program: {log.value.decode(errors='replace').strip()}")
    return prog


def compute_program(gl: GL, define: str) -> int:
    source = f"#version 430\n#define {define}\n" + _shader_source("compact.comp.glsl")
    cs = compile_shader(gl, COMPUTE_SHADER, source)
    prog = int(gl.CreateProgram())
    gl.AttachShader(prog, cs)
    gl.LinkProgram(prog)
    gl.DeleteShader(cs)
    ok = ctypes.c_int(0)
    gl.GetProgramiv(prog, LINK_STATUS, ctypes.byref(ok))
    if not ok.value:
        gl.DeleteProgram(prog)
        raise ConfigError("GPU frame compaction program did not link")
    return prog


class Saved:
    """GL state the GPU frame changes, put back afterwards for gloo (VisPy): no program or
    vertex array in use, the same active texture unit, and gloo told that its program is
    no longer current (it remembers the last one it used and skips glUseProgram when it
    thinks that one still is; GL reuses the names of deleted programs)."""

    def __init__(self, gl: GL) -> None:
        self.gl = gl
        self.active = gl.get_int(ACTIVE_TEXTURE)[0]

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


def is_software_gl() -> bool:
    """Whether the current GL context draws on the CPU (Mesa's llvmpipe, softpipe or
    swrast, or SwiftShader)."""
    name = gl_api().GetString(0x1F01) or b""  # GL_RENDERER
    return any(k in name.decode(errors="replace").lower() for k in SOFTWARE_GL)
