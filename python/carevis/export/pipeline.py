"""The one frame pipeline: a scene, frame times and :class:`RenderSettings` in, finished
pictures (dots and overlay) out, in order. Computing frames and rasterising run in a
producer thread (the Rust core releases the GIL) while the caller paints overlays and
encodes or writes. Every sequence carevis renders goes through :func:`pictures`: PNG
frames, videos, GIFs and the ranges a Dask cluster renders.

The labels of a sequence are steady: each frame's texts keep their places in the frame
before where they still can (:func:`carevis.render.layout_text.place`), so one frame's
layout is the next one's input. A sequence that starts mid-way (a range on a cluster,
frames resumed) starts from the layout :func:`layouts` finds for the frame before it,
without drawing, so it draws what one run from the first frame draws."""

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
from ..render import RenderSettings, rasterise
from ..render.layout_text import TextLayout
from ..render.overlay import overlay_frame, overlay_labels, overlay_plan
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
    previous: TextLayout | None = None,
) -> tuple[np.ndarray, TextLayout | None]:
    """Paints the overlay (if any) on a rasterised picture (``congested``: the congested
    states at ``minutes`` where already found; ``previous``: the layout of the frame
    before). Returns the picture and where its texts went (None: no overlay)."""
    if s.overlay is None:
        return img, None
    vp = s.viewport()
    layout = overlay_frame(
        img, scene, minutes, counts, radii, vp, s.overlay, s.background, congested, previous
    )
    return img, layout


def still(scene: Scene, minutes: float, s: RenderSettings) -> np.ndarray:
    """One finished picture, in this thread."""
    img, counts, radii = render_one(scene, minutes, s, scene.buffers())
    return finish(scene, minutes, s, img, counts, radii)[0]


def layouts(
    scene: Scene,
    times: Sequence[float] | np.ndarray,
    s: RenderSettings,
    previous: TextLayout | None = None,
) -> Iterator[TextLayout | None]:
    """Where :func:`pictures` puts the texts of each frame at ``times`` (after the frame
    laid out as ``previous``), one frame after another, found without drawing: the
    frames' counts and the label placement only."""
    if s.overlay is None:
        yield from (None for _ in times)
        return
    style, vp, frame = s.overlay, s.viewport(), scene.buffers()
    cong = style.congestion
    ahead = None if cong is None or not len(times) else Ahead(scene.journeys, list(times), cong)
    for k, m in enumerate(times):
        frame = scene.frame_at_minutes(float(m), frame)
        counts, radii = shown_counts(scene, frame), scene.radii_at_minutes(float(m))
        found = None if ahead is None else ahead[k]
        model = overlay_labels(scene, float(m), counts, radii, style, found)
        previous = overlay_plan(model, vp, style, previous).layout
        yield previous


def pictures(
    scene: Scene,
    times: Sequence[float] | np.ndarray,
    s: RenderSettings,
    depth: int = DEPTH,
    previous: TextLayout | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yields ``(minutes, picture)`` in order while the next frames are computed and
    rasterised in a producer thread. A picture is valid until the next one is taken (the
    buffers are reused). Leaving early stops the producer. Each frame's texts keep their
    places in the frame before (the first frame's: in the layout ``previous``)."""
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
            found = None if ahead is None else ahead[k]
            img, previous = finish(scene, m, s, img, counts, radii, found, previous)
            yield m, img
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        worker.join()
