"""Which path draws a scene's frames here: the GPU frame (:mod:`.gpu_frame`), with or
without its compaction pass, or the engine's frame uploaded to a
:class:`~carevis.gl.dots.DotLayer`. Settled by timing the first frames drawn anyway, by
each path in turn (:class:`FramePath`): no measuring at start-up, on any GL (a software
GL's frames take long enough that measuring first would stall). ``CAREVIS_GL_FRAME=gpu|cpu``
(or the caller's ``path``) overrides it."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence

from ..errors import ConfigError
from ..scene import Scene
from .gpu_frame import GpuFrame

#: The paths a trial times: the engine's frame uploaded (first: a picture drawn once is
#: drawn as before), the GPU frame with its compaction pass, and without it.
CPU, COMPACTING, PLAIN = "cpu", "gpu-compacting", "gpu-plain"
#: Frames each path draws before the choice: one to warm up, then these, timed.
ROUNDS = 3


def forced_path() -> str | None:
    """The path ``CAREVIS_GL_FRAME`` names (``"gpu"`` or ``"cpu"``), or None (unset or
    ``auto``: timed)."""
    forced = os.environ.get("CAREVIS_GL_FRAME", "").strip().lower()
    if forced in ("gpu", "cpu"):
        return forced
    if forced not in ("", "auto"):
        raise ConfigError(f"CAREVIS_GL_FRAME must be gpu, cpu or auto, not {forced!r}")
    return None


def candidates(path: str | None) -> tuple[str, ...]:
    """The paths a trial tries, given ``path`` (``"gpu"``, ``"cpu"`` or None: all)."""
    if path not in (None, "gpu", "cpu"):
        raise ConfigError(f"the GL frame path must be gpu, cpu or None, not {path!r}")
    return {"cpu": (CPU,), "gpu": (COMPACTING, PLAIN), None: (CPU, COMPACTING, PLAIN)}[path]


class FrameTrial:
    """Times the first frames, drawn by each candidate in turn, and settles on the fastest:
    each draws one frame to warm up, then ``rounds`` timed; the least median wins (ties:
    the earlier candidate). Frames alternate, so a machine slowing down or speeding up
    meanwhile weighs on every candidate alike."""

    def __init__(self, paths: Sequence[str], rounds: int = ROUNDS) -> None:
        if not paths:
            raise ValueError("a trial needs a path to try")
        self.rounds = int(rounds)
        self.times: dict[str, list[float]] = {p: [] for p in paths}
        #: The path settled on, or None while the trial goes on.
        self.chosen: str | None = paths[0] if len(paths) == 1 else None

    def next(self) -> str:
        """The path to draw the next frame with: the one with fewest frames timed, once
        chosen the one chosen."""
        if self.chosen is not None:
            return self.chosen
        return min(self.times, key=lambda p: len(self.times[p]))

    def record(self, path: str, seconds: float) -> None:
        """Counts one frame drawn by ``path`` in ``seconds`` (ignored once chosen)."""
        if self.chosen is not None or path not in self.times:
            return
        self.times[path].append(float(seconds))
        if all(len(t) > self.rounds for t in self.times.values()):
            medians = {p: statistics.median(t[1:]) for p, t in self.times.items()}
            self.chosen = min(medians, key=lambda p: medians[p])

    def drop(self, path: str) -> None:
        """Tries ``path`` no more (it cannot draw here)."""
        self.times.pop(path, None)
        if len(self.times) == 1:
            self.chosen = next(iter(self.times))


class FramePath:
    """How a scene's frames are drawn here: its :class:`GpuFrame` (built when first
    needed, kept in step with the scene's emphasis) and the :class:`FrameTrial` choosing
    between it and the engine's frames. ``path`` (``"gpu"`` or ``"cpu"``; default:
    ``CAREVIS_GL_FRAME``, else timed) narrows the choice; given ``"gpu"``, the trial still
    chooses whether the compaction pass runs. Needs the GL context current throughout.

    A caller drawing a frame asks :meth:`pick` which path to take, draws, and (where the
    trial goes on: :attr:`timing`) waits for the GL and tells :meth:`record` how long it
    took."""

    def __init__(self, scene: Scene, path: str | None = None, rounds: int = ROUNDS) -> None:
        self.scene = scene
        self.gpu: GpuFrame | None = None
        self.trial = FrameTrial(candidates(path or forced_path()), rounds)
        if CPU not in self.trial.times:
            self.gpu_frame(need=True)  # told "gpu": built now, so that a failure shows

    @property
    def timing(self) -> bool:
        """Whether frames are still being timed to choose the path."""
        return self.trial.chosen is None

    @property
    def path(self) -> str | None:
        """``"gpu"`` or ``"cpu"`` once chosen; None while the trial goes on."""
        chosen = self.trial.chosen
        return None if chosen is None else "cpu" if chosen == CPU else "gpu"

    def gpu_frame(self, need: bool = False) -> GpuFrame | None:
        """The scene's GPU frame (built now if need be, with the scene's emphasis), or
        None where it cannot be built here (too many states, say) and the engine's path
        may draw instead (``need``: raises why instead)."""
        if self.gpu is None:
            try:
                self.gpu = GpuFrame(self.scene)
            except ConfigError:
                if need or CPU not in self.trial.times:
                    raise
                for p in (COMPACTING, PLAIN):
                    self.trial.drop(p)
                return None
        return self.gpu

    def pick(self) -> tuple[str, GpuFrame | None]:
        """The path to draw the next frame with and, for the GPU's, its frame (its
        compaction pass on or off as the path says; None: the engine's path)."""
        while True:
            path = self.trial.next()
            if path == CPU:
                return path, None
            gpu = self.gpu_frame()
            if gpu is None:
                continue
            if gpu.compaction is None and path == COMPACTING:
                self.trial.drop(COMPACTING)  # no compute shaders here: the same as plain
                continue
            gpu.compacting = path == COMPACTING
            return path, gpu

    def record(self, path: str, seconds: float) -> None:
        """Counts one frame drawn by ``path`` (what :meth:`pick` said) in ``seconds``.
        Once the trial has chosen, the GPU frame is set as chosen (its compaction pass on or
        off), or its tables are freed where the engine's path is chosen."""
        self.trial.record(path, seconds)
        if self.trial.chosen == CPU:
            self.close()
        elif self.trial.chosen is not None and self.gpu is not None:
            self.gpu.compacting = self.trial.chosen == COMPACTING

    def sync(self, scene: Scene) -> None:
        """Draws ``scene`` from now on: the same journeys, perhaps recoloured (a new
        engine: the GPU frame is built again, its compaction pass as it was) or with
        other emphasis."""
        self.scene = scene
        if self.gpu is None:
            return
        if self.gpu.scene._native is not scene._native:
            compacting = self.gpu.compacting
            self.close()
            self.gpu = GpuFrame(scene)
            self.gpu.compacting = compacting
        self.gpu.sync_emphasis(scene.emphasis)

    def close(self) -> None:
        """Frees the GPU's tables (the context must be current)."""
        if self.gpu is not None:
            self.gpu.close()
            self.gpu = None
