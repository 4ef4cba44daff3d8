"""The compaction pass (``shaders/compact.comp.glsl``, GL 4.3): lists the dots not waiting
off screen, so that only those go down the graphics pipeline."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from ..errors import ConfigError
from .api import (
    DRAW_BARRIERS,
    DRAW_INDIRECT_BUFFER,
    DYNAMIC_COPY,
    ELEMENT_ARRAY_BUFFER,
    GL,
    GROUP,
    POINTS,
    SHADER_STORAGE_BARRIER,
    SHADER_STORAGE_BUFFER,
    UNSIGNED_INT,
    compute_program,
)


def appears(dots: np.ndarray, spells: np.ndarray, n: int) -> np.ndarray:
    """Per dot of the GPU frame's tables, the minute it appears: its first spell's start."""
    first: np.ndarray = spells[dots[:n, 0], 0]
    return first.view(np.int32)


def most_on_screen(dots: np.ndarray, spells: np.ndarray, n: int) -> int:
    """The most dots ever not waiting off screen at once (first spell begun, not gone):
    what the compaction's index list must hold."""
    if n == 0:
        return 0
    start = np.sort(appears(dots, spells, n))
    gone = np.sort(dots[:n, 1].view(np.int32))
    live = np.arange(1, n + 1) - np.searchsorted(gone, start, "right")
    return int(live.max())


class Compaction:
    """The compaction pass (compact.comp.glsl) and its buffers: per group of 1024 dots a
    count, an index list as long as the most dots ever on screen, the draw's command."""

    def __init__(self, gl: GL, n: int, capacity: int) -> None:
        if not hasattr(gl, "DispatchCompute") or not hasattr(gl, "DrawElementsIndirect"):
            raise ConfigError("no compute shaders here")
        self.gl = gl
        self.n = n
        self.groups = max(-(-n // GROUP), 1)
        if self.groups > GROUP * 4096:
            raise ConfigError("too many dots for one scan")
        self.programs = [compute_program(gl, d) for d in ("COUNT", "SCAN", "WRITE")]
        self.buffers = (ctypes.c_uint * 3)()
        gl.GenBuffers(3, self.buffers)
        self.gpu_bytes = 0
        for k, size in enumerate((4 * self.groups, 4 * max(capacity, 1), 20)):
            gl.BindBuffer(SHADER_STORAGE_BUFFER, self.buffers[k])
            gl.BufferData(SHADER_STORAGE_BUFFER, size, None, DYNAMIC_COPY)
            self.gpu_bytes += size
        gl.BindBuffer(SHADER_STORAGE_BUFFER, 0)

    def run(self, frame: Any, ti: int) -> None:
        """Lists the dots to draw at minute ``ti`` (the frame's dot table bound on unit 0,
        its spells on unit 1)."""
        gl = self.gl
        for k in range(3):
            gl.BindBufferBase(SHADER_STORAGE_BUFFER, k, self.buffers[k])
        for prog, groups in zip(self.programs, (self.groups, 1, self.groups), strict=True):
            gl.UseProgram(prog)
            gl.Uniform1i(frame._loc(prog, "u_dots"), 0)
            gl.Uniform1i(frame._loc(prog, "u_spells"), 1)
            gl.Uniform1i(frame._loc(prog, "u_shift"), frame.shift)
            gl.Uniform1i(frame._loc(prog, "u_ti"), ti)
            gl.Uniform1i(frame._loc(prog, "u_n"), self.n)
            gl.Uniform1i(frame._loc(prog, "u_groups"), self.groups)
            gl.DispatchCompute(groups, 1, 1)
            gl.MemoryBarrier(SHADER_STORAGE_BARRIER)
        gl.MemoryBarrier(DRAW_BARRIERS)
        for k in range(3):
            gl.BindBufferBase(SHADER_STORAGE_BUFFER, k, 0)

    def draw(self) -> None:
        """Draws the dots listed (the draw program and vertex array bound)."""
        gl = self.gl
        gl.BindBuffer(ELEMENT_ARRAY_BUFFER, self.buffers[1])
        gl.BindBuffer(DRAW_INDIRECT_BUFFER, self.buffers[2])
        gl.DrawElementsIndirect(POINTS, UNSIGNED_INT, None)
        gl.BindBuffer(DRAW_INDIRECT_BUFFER, 0)

    def close(self) -> None:
        for prog in self.programs:
            self.gl.DeleteProgram(prog)
        self.gl.DeleteBuffers(3, self.buffers)
