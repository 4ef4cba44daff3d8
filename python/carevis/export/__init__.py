"""Exporting pictures: one PNG, a numbered PNG sequence (resumable), MP4 / MOV / MKV video
(H.264 through imageio-ffmpeg; yuv444p, ProRes or FFV1 for archive quality) and GIF.

Every file is written under a temporary name beside its target and renamed when complete
(:mod:`carevis.atomic`): an interrupt or an error leaves no half-written file. Settings and
the data's time range go into each file's metadata. Computing frames, rasterising and
encoding overlap (a producer thread feeds the encoder, which runs as its own process).

The package, in the order a picture flows through it:

- :mod:`.times`: the frame times of a clip;
- :mod:`.options`: an export's options checked into one RenderSettings, its target, its scene;
- :mod:`.pipeline`: the one frame pipeline, :func:`pictures` (scene, times, settings -> pictures);
- :mod:`.encoder`: the one encoder (ffmpeg, x264 settings, GIF palette, concat, probe);
- :mod:`.writers`: PNG files with metadata (:func:`png`, :func:`frames`);
- :mod:`.videos`: videos and GIFs (:func:`video`, :func:`prepare_video`);
- :mod:`.meta`: what a file records, and reading it back.

Rendering on a Dask cluster is :func:`carevis.distributed.video` (it uses the pipeline and
encoder here; this package never imports it).
"""

from __future__ import annotations

from ..atomic import atomic
from .compare import side_by_side, side_by_side_png, side_by_side_video
from .encoder import (
    CODECS,
    DEFAULT_CODEC,
    DEFAULT_KEYINT,
    DEFAULT_PRESET,
    DEFAULT_QUALITY,
    QUALITIES,
    VIDEO_SUFFIXES,
    X264_PRESETS,
    X264_THREADS,
    clip_palette,
    encode,
    qp_value,
    x264_params,
)
from .meta import count_frames, metadata, read_metadata
from .options import check_scene, check_target, render_settings
from .pipeline import finish, layouts, pictures, render_one, still
from .player import export_html as html
from .times import clip_times, frame_times
from .videos import VideoJob, prepare_video, video
from .writers import frames, png, write_png

#: The old private name of :func:`clip_times`.
_clip_times = clip_times

__all__ = [
    "CODECS",
    "DEFAULT_CODEC",
    "DEFAULT_KEYINT",
    "DEFAULT_PRESET",
    "DEFAULT_QUALITY",
    "QUALITIES",
    "VIDEO_SUFFIXES",
    "X264_PRESETS",
    "X264_THREADS",
    "VideoJob",
    "atomic",
    "check_scene",
    "check_target",
    "clip_palette",
    "clip_times",
    "count_frames",
    "encode",
    "finish",
    "frame_times",
    "frames",
    "html",
    "layouts",
    "metadata",
    "pictures",
    "png",
    "prepare_video",
    "qp_value",
    "read_metadata",
    "render_one",
    "render_settings",
    "side_by_side",
    "side_by_side_png",
    "side_by_side_video",
    "still",
    "video",
    "write_png",
    "x264_params",
]
