"""The one frame pipeline: a scene, frame times and :class:`RenderSettings` in, finished
pictures (dots and overlay) out, in order. Computing frames and rasterising run in a
producer thread (the Rust core releases the GIL) while the caller paints overlays and
encodes or writes. Every sequence carevis renders goes through :func:`pictures`: PNG
frames, videos, GIFs and the ranges a Dask cluster renders."""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..congestion import Ahead, Congested
from ..gl import release_context
from ..render import RenderSettings, draw_overlay, rasterise
from ..scene import Scene
from ..scene.labels import shown_counts

#: Pictures computed ahead of the one being finished.
DEPTH = 3


def render_one(
    scene: Scene, minutes: float, s: RenderSettings, frame: Any, image: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dots at ``minutes`` rasterised into ``image`` (a new one if None), with the
    frame's state counts and cluster radii for the overlay."""
    frame = scene.frame_at_minutes(minutes, frame)
    img = rasterise(frame, s, image, scene)
    return img, shown_counts(scene, frame), scene.radii_at_minutes(minutes)


def finish(
    scene: Scene,
    minutes: float,
    s: RenderSettings,
    img: np.ndarray,
    counts: np.ndarray,
    radii: np.ndarray,
    congested: list[Congested] | None = None,
) -> np.ndarray:
    """Paints the overlay (if any) on a rasterised picture (``congested``: the congested
    states at ``minutes`` where already found)."""
    if s.overlay is not None:
        vp = s.viewport()
        draw_overlay(
            img, scene, minutes, counts, radii, vp, s.overlay, s.background, congested=congested
        )
    return img


def still(scene: Scene, minutes: float, s: RenderSettings) -> np.ndarray:
    """One finished picture, in this thread."""
    img, counts, radii = render_one(scene, minutes, s, scene.buffers())
    return finish(scene, minutes, s, img, counts, radii)


def pictures(
    scene: Scene, times: Sequence[float] | np.ndarray, s: RenderSettings, depth: int = DEPTH
) -> Iterator[tuple[float, np.ndarray]]:
    """Yields ``(minutes, picture)`` in order while the next frames are computed and
    rasterised in a producer thread. A picture is valid until the next one is taken (the
    buffers are reused). Leaving early stops the producer."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    images = [np.empty((s.height, s.width, 4), np.uint8) for _ in range(depth + 2)]
    frames = [scene.buffers() for _ in range(2)]
    cong = s.overlay.congestion if s.overlay is not None else None
    # congestion found for many frames at once (one pass of the core per AHEAD frames)
    ahead = None if cong is None else Ahead(scene.journeys, [float(m) for m in times], cong)

    def produce() -> None:
        try:
            for k, m in enumerate(times):
                if stop.is_set():
                    return
                q.put((m, *render_one(scene, m, s, frames[k % 2], images[k % len(images)])))
            q.put(None)
        except BaseException as e:
            q.put(e)
        finally:
            if s.renderer == "gl":
                release_context()  # so that this thread's caller may draw offscreen next

    if s.renderer == "gl":
        release_context()  # the producer draws offscreen: not this thread
    worker = threading.Thread(target=produce, name="carevis-render", daemon=True)
    worker.start()
    try:
        for k in itertools.count():
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            m, img, counts, radii = item
            yield m, finish(scene, m, s, img, counts, radii, None if ahead is None else ahead[k])
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        worker.join()
