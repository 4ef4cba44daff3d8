"""How a worker rebuilds the scene it renders: a :class:`Recipe` (where the data is, the
journeys' options, the scene's settings and emphasis) and a fingerprint of frames the
rebuilt scene must reproduce exactly. Each worker process keeps the scenes of the last
renders."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import ConfigError
from ..journeys import Journeys, read
from ..scene import Emphasis, Scene, Settings


@dataclass(frozen=True)
class Recipe:
    """How to rebuild a Scene on a worker: where the data is, the options of
    ``Journeys.from_arrow`` and ``Scene``, and a fingerprint of frames the rebuilt scene
    must reproduce exactly."""

    token: str
    source: str | None
    journeys_options: dict[str, Any]
    settings: Settings
    emphasis: Emphasis | None
    probe_minutes: tuple[float, ...]
    fingerprint: str = ""


def fingerprint(scene: Scene, minutes: Sequence[float]) -> str:
    """A digest of what a render of ``scene`` depends on: states, centres, legend, and the
    frames and cluster radii at ``minutes``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(scene.states).encode())
    h.update(np.ascontiguousarray(scene.centres).tobytes())
    h.update(json.dumps(scene.legend.as_dict()).encode())
    buf = scene.buffers()
    for m in minutes:
        f = scene.frame_at_minutes(float(m), buf)
        for a in (f.x, f.y, f.rgba, f.state, scene.radii_at_minutes(float(m))):
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def recipe(scene: Scene, probe_minutes: Sequence[float]) -> Recipe:
    """What a worker needs to rebuild ``scene``, captured from the object itself."""
    j = scene.journeys
    jopts: dict[str, Any] = dict(getattr(j, "options", None) or {})
    jopts.setdefault("states", j.states)
    if j.n_rejected:
        jopts.setdefault("on_error", "reject")
    source = j.source if j.source and os.path.exists(j.source) else None
    r = Recipe(
        token=uuid.uuid4().hex,
        source=os.path.abspath(source) if source else None,
        journeys_options=jopts,
        settings=scene.settings,
        emphasis=scene.emphasis,
        probe_minutes=tuple(float(m) for m in probe_minutes),
    )
    return Recipe(**{**r.__dict__, "fingerprint": fingerprint(scene, r.probe_minutes)})


def rebuild(r: Recipe, table: pa.Table | None = None) -> Scene:
    """The Scene ``r`` describes, from ``table`` or else from ``r.source``; checked against
    the fingerprint of the original."""
    if table is not None:
        journeys = Journeys.from_arrow(table, **r.journeys_options)
    elif r.source is not None:
        journeys = read(r.source, **r.journeys_options)
    else:
        raise ConfigError("no data to rebuild the scene from")
    scene = Scene.from_settings(journeys, r.settings, r.emphasis)
    if r.fingerprint and fingerprint(scene, r.probe_minutes) != r.fingerprint:
        raise ConfigError(
            "the scene rebuilt on a worker does not draw the same frames as the original "
            "(the source file changed since it was read?). Render without a cluster"
        )
    return scene


_CACHE: OrderedDict[str, Scene] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2


def _worker_scene(r: Recipe, table: pa.Table | None) -> Scene:
    """The rebuilt scene, once per worker process and render."""
    with _CACHE_LOCK:
        scene = _CACHE.get(r.token)
        if scene is None:
            scene = rebuild(r, table)
            _CACHE[r.token] = scene
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(r.token)
        return scene


def _forget(token: str) -> None:
    with _CACHE_LOCK:
        _CACHE.pop(token, None)
